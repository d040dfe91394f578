"""The index folder: build, incremental update, atomic publish, damaged and mismatched indexes."""

from __future__ import annotations

import json

import pytest

from assistant.embedding import HashingEmbedder
from assistant.errors import IndexDamaged, IndexMismatch, IndexMissing
from assistant.index import (
    CLAUSES,
    MANIFEST,
    TOKEN_OFFSETS,
    TOKENS,
    VECTORS,
    build_index,
    current_build,
    load_index,
)
from assistant.search import open_searcher
from tests.conftest import copy_corpus, write_corpus

SMALL = {
    "alpha": "一、总体要求\n坚持质量第一。\n二、重点任务\n（一）提升旅游服务质量。建设生态旅游目的地。\n1.加强计量。完善计量体系。\n",
    "beta": "一、工作目标\n制造业产品质量合格率达到95%以上。\n",
}


@pytest.fixture()
def small_corpus(tmp_path):
    return write_corpus(tmp_path / "documents", SMALL)


def test_build_then_load_round_trips_clauses_and_passages(small_corpus, tmp_path):
    report = build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    index = load_index(tmp_path / "index", model=HashingEmbedder().model_name)
    assert report.documents == 2 and report.embedded == report.passages > 0
    assert index.vectors.ntotal == len(index.passages) == report.passages
    assert {c.doc_id for c in index.clauses} == {"alpha", "beta"}
    clause = index.clause_by_id["alpha:二.（一）"]
    assert clause.text.startswith("（一）提升旅游服务质量")
    assert isinstance(clause.heading_path, tuple)
    manifest = json.loads((current_build(tmp_path / "index") / MANIFEST).read_text("utf-8"))
    assert manifest["model"] == "hashing-bigrams-256" and manifest["dim"] == 256
    assert set(manifest["documents"]) == {"alpha", "beta"}


def test_second_build_reuses_every_vector_and_a_change_reembeds_only_its_passages(small_corpus, tmp_path):
    embedder = HashingEmbedder()
    first = build_index(small_corpus, tmp_path / "index", embedder)
    again = build_index(small_corpus, tmp_path / "index", embedder)
    assert again.embedded == 0 and again.reused == first.passages
    (small_corpus / "beta.txt").write_text("一、工作目标\n食品抽检合格率达到98%以上。\n", encoding="utf-8")
    changed = build_index(small_corpus, tmp_path / "index", embedder)
    beta_passages = [p for p in load_index(tmp_path / "index").passages if p.doc_id == "beta"]
    assert 0 < changed.embedded <= len(beta_passages)
    assert changed.reused == changed.passages - changed.embedded


def test_every_passage_keeps_its_own_token_vectors(small_corpus, tmp_path):
    embedder = HashingEmbedder()
    build_index(small_corpus, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    assert index.manifest.tokens == len(index.tokens) == index.token_offsets[-1] > 0
    for row, passage in enumerate(index.passages):
        _, (expected,) = embedder.embed_passages_with_tokens([passage.embed_text])
        assert (index.passage_tokens(row) == expected).all(), passage.passage_id


def test_reused_passages_keep_their_token_vectors(small_corpus, tmp_path):
    embedder = HashingEmbedder()
    build_index(small_corpus, tmp_path / "index", embedder)
    before = load_index(tmp_path / "index")
    alpha_tokens = {
        p.passage_id: before.passage_tokens(row)
        for row, p in enumerate(before.passages)
        if p.doc_id == "alpha"
    }
    (small_corpus / "beta.txt").write_text("一、工作目标\n食品抽检合格率达到98%以上。\n", encoding="utf-8")
    build_index(small_corpus, tmp_path / "index", embedder)
    after = load_index(tmp_path / "index")
    for row, passage in enumerate(after.passages):
        if passage.doc_id == "alpha":
            assert (after.passage_tokens(row) == alpha_tokens[passage.passage_id]).all()


@pytest.mark.parametrize("name", [TOKENS, TOKEN_OFFSETS])
def test_damaged_token_files_are_named(small_corpus, tmp_path, name):
    build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    (current_build(tmp_path / "index") / name).write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(IndexDamaged, match=name.replace(".", r"\.")):
        load_index(tmp_path / "index")


def test_token_vectors_that_do_not_fit_the_manifest_are_refused(small_corpus, tmp_path):
    import numpy as np

    build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    folder = current_build(tmp_path / "index")
    tokens = np.load(folder / TOKENS)
    np.save(folder / TOKENS, tokens[:-3])
    with pytest.raises(IndexDamaged, match=r"tokens\.npy"):
        load_index(tmp_path / "index")
    np.save(folder / TOKENS, tokens)
    offsets = np.load(folder / TOKEN_OFFSETS)
    np.save(folder / TOKEN_OFFSETS, offsets[::-1].copy())
    with pytest.raises(IndexDamaged, match=r"token_offsets\.npy"):
        load_index(tmp_path / "index")


def test_rebuild_reembeds_everything(small_corpus, tmp_path):
    build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    report = build_index(small_corpus, tmp_path / "index", HashingEmbedder(), rebuild=True)
    assert report.reused == 0 and report.embedded == report.passages


def test_missing_index_is_reported(tmp_path):
    with pytest.raises(IndexMissing, match="no index built yet"):
        load_index(tmp_path / "nowhere")


def test_corrupt_vectors_file_is_named(small_corpus, tmp_path):
    build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    vectors = current_build(tmp_path / "index") / VECTORS
    vectors.write_bytes(b"not a faiss index")
    with pytest.raises(IndexDamaged, match=r"vectors\.faiss"):
        load_index(tmp_path / "index")


def test_truncated_clauses_file_is_named(small_corpus, tmp_path):
    build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    clauses = current_build(tmp_path / "index") / CLAUSES
    clauses.write_text(clauses.read_text("utf-8")[:50], encoding="utf-8")
    with pytest.raises(IndexDamaged, match=r"clauses\.jsonl"):
        load_index(tmp_path / "index")


def test_index_of_another_model_is_refused(small_corpus, tmp_path):
    build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    with pytest.raises(IndexMismatch, match="hashing-bigrams-256"):
        load_index(tmp_path / "index", model="intfloat/multilingual-e5-small")


def test_vectors_of_another_model_are_never_reused(small_corpus, tmp_path):
    build_index(small_corpus, tmp_path / "index", HashingEmbedder(dim=256))
    report = build_index(small_corpus, tmp_path / "index", HashingEmbedder(dim=128))
    assert report.reused == 0
    assert load_index(tmp_path / "index").manifest.dim == 128


def test_failed_build_leaves_previous_index_loadable(small_corpus, tmp_path, monkeypatch):
    build_index(small_corpus, tmp_path / "index", HashingEmbedder())
    before = current_build(tmp_path / "index")
    (small_corpus / "alpha.txt").write_text("一、新内容\n全新的条款。\n", encoding="utf-8")

    class Exploding(HashingEmbedder):
        def embed_passages(self, texts):
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        build_index(small_corpus, tmp_path / "index", Exploding())
    assert current_build(tmp_path / "index") == before
    index = load_index(tmp_path / "index")
    assert any("提升旅游服务质量" in c.text for c in index.clauses)
    assert not list((tmp_path / "index").glob(".build-*.tmp"))


def test_open_searcher_rebuilds_a_damaged_index_and_says_which_file(tmp_path, capsys):
    from assistant.config import Config

    documents = copy_corpus(tmp_path / "documents")
    config = Config(documents_dir=documents, index_dir=tmp_path / "index", model="hashing")
    open_searcher(config)
    (current_build(tmp_path / "index") / VECTORS).write_bytes(b"\x00garbage")
    searcher = open_searcher(config)
    assert "vectors.faiss" in capsys.readouterr().err
    assert searcher.search("计量").hits


def test_open_searcher_picks_up_an_edited_document(tmp_path):
    from assistant.config import Config

    documents = copy_corpus(tmp_path / "documents")
    config = Config(documents_dir=documents, index_dir=tmp_path / "index", model="hashing")
    open_searcher(config)
    with (documents / "guizhou.txt").open("a", encoding="utf-8") as text:
        text.write("\n（二十六）发展低空经济。建设无人机质量检测中心。\n")
    searcher = open_searcher(config)
    assert any("无人机质量检测中心" in hit.clause.text for hit in searcher.search("无人机质量检测").hits)


def test_open_searcher_shows_an_edited_catalog_entry(tmp_path):
    from assistant.config import Config

    documents = copy_corpus(tmp_path / "documents")
    config = Config(documents_dir=documents, index_dir=tmp_path / "index", model="hashing")
    open_searcher(config)
    catalog = json.loads((documents / "catalog.json").read_text(encoding="utf-8"))
    catalog["documents"][0]["issuer"] = "青海省人民政府"
    (documents / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    searcher = open_searcher(config)
    assert searcher.index.documents["qinghai"].issuer == "青海省人民政府"


def test_the_catalog_agrees_with_the_yuyang_header_table(corpus_documents):
    from assistant.index import catalog_warnings

    assert catalog_warnings(corpus_documents) == []


def test_a_catalog_entry_the_header_table_contradicts_is_reported(corpus_documents):
    from dataclasses import replace

    from assistant.index import catalog_warnings

    yuyang = next(d for d in corpus_documents if d.doc_id == "yuyang")
    wrong = replace(yuyang, date="2024-05-08", status="draft")
    warnings = catalog_warnings([wrong])
    assert len(warnings) == 2
    assert "发文日期 is '2024-05-07' in the text but '2024-05-08' in the catalog" in warnings[0]
    assert "效力状态" in warnings[1]
