"""Benchmark the structure parser: mean time to parse the whole five-document corpus.

.venv/bin/python bench/bench_parse.py            # 200 full-corpus parses
.venv/bin/python bench/bench_parse.py -n 1000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.clauses import PARSER_VERSION, parse_clauses  # noqa: E402
from assistant.documents import load_catalog  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-n", "--repeat", type=int, default=200, help="full-corpus parses to time (default 200)"
    )
    parser.add_argument("--documents", type=Path, default=ROOT / "documents", help="documents folder")
    args = parser.parse_args()

    documents = load_catalog(args.documents)
    characters = sum(len(d.text) for d in documents)
    clauses = sum(len(parse_clauses(d.text, d.doc_id)) for d in documents)  # warm-up (regex compilation)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for document in documents:
            parse_clauses(document.text, document.doc_id)
        timings.append(time.perf_counter() - started)
    mean = statistics.fmean(timings)
    print(
        f"parser {PARSER_VERSION}: {len(documents)} documents, {characters} characters, {clauses} clauses; "
        f"{args.repeat} full-corpus parses"
    )
    print(
        f"mean {mean * 1000:.2f} ms per full-corpus parse "
        f"(median {statistics.median(timings) * 1000:.2f} ms, min {min(timings) * 1000:.2f} ms, "
        f"{characters / mean / 1e6:.1f} M characters/s)"
    )


if __name__ == "__main__":
    main()
