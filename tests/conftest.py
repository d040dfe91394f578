"""Shared fixtures: the corpus, a model-free searcher for unit tests, the real model once per session."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from assistant.config import ROOT, Config
from assistant.documents import load_catalog

DOCUMENTS_DIR = ROOT / "documents"
RUN_RESULT_FIELDS = frozenset(
    {"rank", "score", "clause_id", "doc_id", "doc_title", "region", "issuer", "date", "section", "text"}
)  # the run-file result object of INTERFACES.md


@pytest.fixture(scope="session")
def corpus_documents():
    """The five seed documents as the catalog lists them."""
    return load_catalog(DOCUMENTS_DIR)


@pytest.fixture(scope="session")
def hashing_config(tmp_path_factory) -> Config:
    """A config with the model-free hashing embedder and an index of its own."""
    return Config(
        documents_dir=DOCUMENTS_DIR, index_dir=tmp_path_factory.mktemp("hash-index"), model="hashing"
    )


@pytest.fixture(scope="session")
def hashing_searcher(hashing_config):
    """A searcher over the real corpus with the deterministic hashing embedder (no model needed)."""
    from assistant.search import open_searcher

    return open_searcher(hashing_config)


@pytest.fixture(scope="session")
def real_config(tmp_path_factory) -> Config:
    """The default configuration (bundled model, converted once into the repository cache), own index folder."""
    return Config.from_env(documents_dir=DOCUMENTS_DIR, index_dir=tmp_path_factory.mktemp("real-index"))


TIMINGS: dict[str, float] = {}  # reported at the end of the run (never asserted: see docs/benchmarks.md)


@pytest.fixture(scope="session")
def real_searcher(real_config):
    """A searcher with the real default model, built once per test session (as `open_searcher` does, with the
    model load and the cold index build timed apart)."""
    from assistant.embedding import load_embedder
    from assistant.index import build_index, load_index
    from assistant.search import Searcher

    started = time.perf_counter()
    embedder = load_embedder(real_config)
    TIMINGS["model load (real model; converted and exported on first use)"] = time.perf_counter() - started
    started = time.perf_counter()
    build_index(real_config.documents_dir, real_config.index_dir, embedder)
    TIMINGS["cold index build of the corpus (real model)"] = time.perf_counter() - started
    return Searcher(load_index(real_config.index_dir, model=embedder.model_name), embedder)


def pytest_terminal_summary(terminalreporter):
    """Say how long the real index took to build, so CI logs show it run by run."""
    for what, seconds in TIMINGS.items():
        terminalreporter.write_line(f"timing: {what}: {seconds:.1f} s")


def write_jsonl(path: Path, entries) -> Path:
    """A JSON-lines file (query files, the question bank, the glossary), one object a line, UTF-8."""
    path.write_text(
        "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries), encoding="utf-8"
    )
    return path


def write_corpus(folder: Path, documents: dict[str, str], **metadata) -> Path:
    """A small documents folder with a catalog: {doc_id: text}; every document gets the same metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for doc_id, text in documents.items():
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        entry = {
            "id": doc_id,
            "file": f"{doc_id}.txt",
            "title": f"{doc_id}实施意见",
            "region": "广东省广州市",
            "level": "city",
            "issuer": "某局",
            "date": "2024-01-01",
            "status": "effective",
        }
        entry.update(metadata.get(doc_id, {}))
        entries.append(entry)
    (folder / "catalog.json").write_text(
        json.dumps({"documents": entries}, ensure_ascii=False), encoding="utf-8"
    )
    return folder


def copy_corpus(target: Path) -> Path:
    """A writable copy of the seed corpus."""
    shutil.copytree(DOCUMENTS_DIR, target)
    return target
