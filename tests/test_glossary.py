"""The everyday-words glossary: reading it, keeping it in the index, and BM25 finding a clause by the words people
say for its terms."""

from __future__ import annotations

import pytest

from assistant import glossary
from assistant.config import ROOT, Config
from assistant.embedding import HashingEmbedder
from assistant.errors import DocumentError
from assistant.glossary import (
    GlossaryEntry,
    everyday_words,
    glossary_hash,
    glossary_path,
    read_glossary,
    usable_entries,
)
from assistant.index import build_index, load_index, read_manifest
from assistant.normalize import for_matching
from assistant.search import open_searcher
from eval.queries import load_queries
from tests.conftest import DOCUMENTS_DIR, write_corpus, write_jsonl

SMALL = {
    "alpha": "一、总体要求\n坚持质量第一。\n二、重点任务\n（一）发展家政服务。规范行业秩序。\n（二）推进诚信计量。完善计量体系。\n",
    "beta": "一、工作目标\n制造业产品质量合格率达到95%以上。\n（一）建设生态旅游目的地。\n",
}
QUESTION = "菜场的公平秤有人管吗"  # shares no word with the clause on 诚信计量
TARGET = "alpha:二.（二）"


def write_glossary(folder, lines) -> None:
    write_jsonl(glossary_path(folder), lines)


def test_reading_the_glossary_skips_blank_lines_and_names_a_broken_line(tmp_path):
    assert read_glossary(tmp_path) == [] and glossary_hash(tmp_path) == ""
    glossary_path(tmp_path).write_text(
        '{"term": " 家政服務 ", "everyday": [" 月嫂", "保姆", "", "月嫂"]}\n\n', encoding="utf-8"
    )
    assert read_glossary(tmp_path) == [GlossaryEntry("家政服務", ("月嫂", "保姆"))]
    first = glossary_hash(tmp_path)
    with glossary_path(tmp_path).open("a", encoding="utf-8") as file:
        file.write('{"term": "计量", "everyday": "秤"}\n')
    assert glossary_hash(tmp_path) not in ("", first)
    with pytest.raises(DocumentError, match=r"glossary\.jsonl:3: an entry needs"):
        read_glossary(tmp_path)
    glossary_path(tmp_path).write_text('\n{"everyday": ["秤"]}\n', encoding="utf-8")
    with pytest.raises(DocumentError, match=r"glossary\.jsonl:2: an entry needs"):
        read_glossary(tmp_path)
    for line in ("not json", '["计量", ["秤"]]'):
        glossary_path(tmp_path).write_text(line + "\n", encoding="utf-8")
        with pytest.raises(DocumentError, match=r"glossary\.jsonl:1: not a glossary line"):
            read_glossary(tmp_path)


def test_terms_the_corpus_lacks_are_left_out_and_said(capsys):
    entries = [GlossaryEntry("家政服務", ("月嫂",)), GlossaryEntry("城市更新", ("旧房翻新",))]
    assert usable_entries(entries, ["发展家政服务。"]) == entries[:1]  # matched in simplified form
    assert "names 1 terms the corpus lacks (城市更新)" in capsys.readouterr().err


def test_a_text_gets_the_everyday_words_of_the_telling_terms_it_holds(monkeypatch):
    entries = [
        GlossaryEntry("家政服務", ("月嫂", "保姆")),
        GlossaryEntry("家政服务", ("保姆", "钟点工")),  # the same term from another document
        GlossaryEntry("质量", ("好坏",)),
    ]
    texts = ["发展家政服务。", "提升质量。", "坚持质量第一。"]
    monkeypatch.setattr(glossary, "MAX_TERM_SHARE", 0.5)  # 质量 is in 2 of 3 texts: too common to tell
    assert everyday_words(texts, entries) == ["月嫂 保姆 钟点工", "", ""]
    monkeypatch.setattr(glossary, "MAX_TERM_SHARE", 1.0)
    assert everyday_words(texts, entries)[1:] == ["好坏", "好坏"]


def test_the_glossary_finds_a_clause_by_everyday_words_and_a_change_rebuilds_the_index(tmp_path):
    documents = write_corpus(tmp_path / "documents", SMALL)
    config = Config(documents_dir=documents, index_dir=tmp_path / "index", model="hashing")

    def rank(searcher, query: str) -> int:
        return [hit.clause.clause_id for hit in searcher.search(query).hits].index(TARGET)

    plain = open_searcher(config)
    before = rank(plain, QUESTION)
    write_glossary(
        documents,
        [
            {"term": "家政服务", "everyday": ["月嫂", "保姆", "钟点工"]},
            {"term": "诚信计量", "everyday": ["公平秤"]},
            {"term": "城市更新", "everyday": ["旧房翻新"]},  # not in the corpus
        ],
    )
    searcher = open_searcher(config)  # the changed glossary rebuilds the index
    assert read_manifest(config.index_dir).glossary_hash == glossary_hash(documents)
    assert [entry.term for entry in load_index(config.index_dir).glossary] == ["家政服务", "诚信计量"]
    assert before > 0 and rank(searcher, QUESTION) == 0
    # the single-stage BM25 mode stays the usual recipe, for the evaluation's side-by-side comparison
    assert {hit.score for hit in searcher.search(QUESTION, mode="bm25").hits} == {0.0}


def test_the_shipped_glossary_names_the_corpus_terms_and_shares_no_wording_with_the_gold_set():
    entries = read_glossary(DOCUMENTS_DIR)
    assert len(entries) >= 500 and sum(len(entry.everyday) for entry in entries) >= 2500
    corpus = "\n".join(for_matching(path.read_text("utf-8")) for path in DOCUMENTS_DIR.glob("*.txt"))
    assert not [entry.term for entry in entries if for_matching(entry.term) not in corpus]

    def runs(text: str) -> set[str]:
        text = for_matching(text)
        return {text[i : i + 8] for i in range(len(text) - 7)}

    gold = set().union(*(runs(query.text) for query in load_queries(ROOT / "eval" / "gold.jsonl")))
    # the glossary was not written from the gold set
    assert not [word for entry in entries for word in entry.everyday if runs(word) & gold]


@pytest.mark.model
def test_everyday_words_find_the_clause_in_the_documents_terms(real_searcher):
    # 加油机 is nowhere in the corpus (出租车 only in 网约出租车); the glossary says 出租车计价器 and 加油机校验 for
    # 强制检定
    hits = real_searcher.search("出租车打表、加油机准不准，有人检查吗？", top_k=3).hits
    assert "计量" in hits[0].clause.text


class RefusingEmbedder(HashingEmbedder):
    """An encoder that must not be asked for anything."""

    def embed_passages_with_tokens(self, texts):
        raise AssertionError("embedded before the glossary was read")


def test_a_broken_glossary_fails_before_anything_is_embedded_and_keeps_the_index(tmp_path):
    documents = write_corpus(tmp_path / "documents", SMALL)
    build_index(documents, tmp_path / "index", HashingEmbedder())
    before = read_manifest(tmp_path / "index")
    glossary_path(documents).write_text('{"term": "家政服务", "everyday": ["保姆"]}\nnot json\n', "utf-8")
    (documents / "alpha.txt").write_text(SMALL["alpha"] + "（三）新增条款。\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"glossary\.jsonl:2: not a glossary line"):
        build_index(documents, tmp_path / "index", RefusingEmbedder())
    assert read_manifest(tmp_path / "index") == before
