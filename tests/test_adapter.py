"""The question bank's adapter: merging it into the default model, its cache folder, its training data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from assistant.adapter import (
    ADAPTER_FILE,
    ADAPTER_MARKER,
    adapted_model_name,
    ensure_adapted_model,
    merge_adapter,
    training_pairs,
)
from assistant.errors import ModelError
from tests.conftest import DOCUMENTS_DIR

QUERY = "0.model.encoder.layer.0.attention.self.query"
WEIGHT = "encoder.layer.0.attention.self.query.weight"


def write_adapter(path: Path, low: np.ndarray, high: np.ndarray, module: str = QUERY) -> Path:
    save_file({f"{module}.A": low, f"{module}.B": high}, str(path))
    return path


@pytest.fixture()
def base_model(tmp_path) -> Path:
    """A stand-in model folder: one 4 × 3 layer the adapter changes and one it leaves alone."""
    folder = tmp_path / "multilingual-e5-small-q4-abc"
    folder.mkdir()
    weights = {WEIGHT: np.arange(12, dtype=np.float32).reshape(4, 3), "pooler.bias": np.ones(4, np.float32)}
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_merging_adds_b_times_a_to_the_adapted_layer_only(tmp_path):
    low = np.array([[1, 0, 2]], dtype=np.float16)  # rank 1, 3 inputs
    high = np.array([[1], [0], [0], [3]], dtype=np.float16)  # 4 outputs
    weights = {WEIGHT: np.zeros((4, 3), np.float32), "other.weight": np.ones((2, 2), np.float32)}
    merged = merge_adapter(weights, write_adapter(tmp_path / "a.safetensors", low, high))
    assert np.array_equal(merged[WEIGHT], [[1, 0, 2], [0, 0, 0], [0, 0, 0], [3, 0, 6]])
    assert merged[WEIGHT].dtype == np.float32
    assert merged["other.weight"] is weights["other.weight"]
    assert np.array_equal(weights[WEIGHT], np.zeros((4, 3)))  # the base weights are not touched


def test_an_adapter_that_does_not_fit_is_refused_naming_its_file(tmp_path):
    weights = {WEIGHT: np.zeros((4, 3), np.float32)}
    wrong_shape = write_adapter(
        tmp_path / "shape.safetensors", np.ones((1, 5), np.float16), np.ones((4, 1), np.float16)
    )
    with pytest.raises(ModelError, match=r"shape\.safetensors: layer .*query does not fit"):
        merge_adapter(weights, wrong_shape)
    unknown = write_adapter(
        tmp_path / "unknown.safetensors", np.ones((1, 3)), np.ones((4, 1)), "0.model.encoder.x"
    )
    with pytest.raises(ModelError, match="does not fit"):
        merge_adapter(weights, unknown)
    half = tmp_path / "half.safetensors"
    save_file({f"{QUERY}.A": np.ones((1, 3), np.float16)}, str(half))
    with pytest.raises(ModelError, match=r"half\.safetensors: .*an A and a B"):
        merge_adapter(weights, half)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00not a safetensors file")
    with pytest.raises(ModelError, match=r"garbage\.safetensors: not a readable bank adapter"):
        merge_adapter(weights, garbage)


def test_the_adapted_model_is_built_once_beside_the_base_and_rebuilt_when_damaged(tmp_path, base_model):
    adapter = write_adapter(
        tmp_path / "a.safetensors", np.ones((1, 3), np.float16), np.ones((4, 1), np.float16)
    )
    folder = ensure_adapted_model(base_model, adapter)
    assert folder.parent == base_model.parent and folder.name.startswith(f"{base_model.name}-bank-")
    merged = load_file(str(folder / "model.safetensors"))
    assert np.array_equal(merged[WEIGHT], np.arange(12).reshape(4, 3) + 1)
    assert (folder / "config.json").is_file() and (folder / "1_Pooling" / "config.json").is_file()
    assert json.loads((folder / ADAPTER_MARKER).read_text(encoding="utf-8"))["base"] == base_model.name
    built = (folder / "model.safetensors").stat().st_mtime_ns
    assert ensure_adapted_model(base_model, adapter) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == built  # reused, not merged again
    (folder / "model.safetensors").write_bytes(b"truncated")
    assert ensure_adapted_model(base_model, adapter) == folder
    assert np.array_equal(
        load_file(str(folder / "model.safetensors"))[WEIGHT], np.arange(12).reshape(4, 3) + 1
    )
    assert not list(base_model.parent.glob(".*.tmp"))  # no build folder left behind


def test_another_adapter_is_another_model(tmp_path, base_model):
    first = write_adapter(
        tmp_path / "a.safetensors", np.ones((1, 3), np.float16), np.ones((4, 1), np.float16)
    )
    second = write_adapter(
        tmp_path / "b.safetensors", np.ones((1, 3), np.float16), np.zeros((4, 1), np.float16)
    )
    assert adapted_model_name("base", first) != adapted_model_name("base", second)
    assert adapted_model_name("base", first).startswith("base+bank-")
    assert ensure_adapted_model(base_model, first) != ensure_adapted_model(base_model, second)


def test_the_shipped_adapter_adapts_every_linear_layer_of_the_encoder():
    adapter = load_file(str(ADAPTER_FILE))
    layers = {name.rsplit(".", 1)[0] for name in adapter}
    assert len(layers) == 12 * 6  # query, key, value, attention output, intermediate, output of 12 blocks
    assert all(adapter[f"{layer}.A"].shape[0] == 8 for layer in layers)  # rank 8
    assert any(np.abs(adapter[f"{layer}.B"]).max() > 0 for layer in layers)  # trained, not the zero start


def test_training_pairs_come_from_the_bank_and_its_clauses_passages(corpus_documents):
    from assistant.index import parse_corpus
    from assistant.normalize import for_matching
    from assistant.passages import make_passages

    passages = make_passages(parse_corpus(corpus_documents), {d.doc_id: d for d in corpus_documents})
    texts = {}
    for passage in passages:
        texts.setdefault(passage.clause_id, set()).add(for_matching(passage.embed_text))
    bank = [json.loads(line) for line in (DOCUMENTS_DIR / "questions.jsonl").read_text("utf-8").splitlines()]
    offered: list[set[str]] = []

    def last(question: str, options: list[str]) -> str:
        offered.append(set(options))
        return options[-1]

    pairs = training_pairs(DOCUMENTS_DIR, last)
    assert [question for question, _, _ in pairs] == [for_matching(entry["query"]) for entry in bank]
    assert all(options in texts.values() for options in offered)  # every passage of one clause to choose from
    for (_, clauses, chosen), entry in zip(pairs, bank, strict=True):
        assert clauses == frozenset(entry["positives"]) and len(chosen) == len(clauses)
        assert all(any(text in texts[clause] for clause in clauses) for text in chosen)


@pytest.mark.model
def test_the_shipped_adapter_fits_the_converted_model(real_config):
    from assistant.default_model import ensure_default_model

    base = load_file(str(ensure_default_model(real_config.cache_dir) / "model.safetensors"))
    merged = merge_adapter(base)
    changed = [name for name in base if not np.array_equal(base[name], merged[name])]
    assert len(changed) == 72 and all(name.startswith("encoder.layer.") for name in changed)
    assert "embeddings.word_embeddings.weight" not in changed


@pytest.mark.model
def test_the_default_model_is_adapted_and_default_base_is_not(real_config, monkeypatch):
    from dataclasses import replace

    from assistant.default_model import DEFAULT_MODEL_NAME
    from assistant.embedding import load_embedder

    monkeypatch.setenv("ASSISTANT_ONNX", "off")  # no second export for the base model
    adapted = load_embedder(real_config)
    base = load_embedder(replace(real_config, model="default-base"))
    assert (
        adapted.model_name == adapted_model_name(DEFAULT_MODEL_NAME) != base.model_name == DEFAULT_MODEL_NAME
    )
    question = ["手头缺钱，能从银行借到钱吗？"]
    assert float(adapted.embed_queries(question)[0] @ base.embed_queries(question)[0]) < 0.999
