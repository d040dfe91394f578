"""The question bank: reading it, keeping it in the index, lifting the clauses its questions are written for."""

from __future__ import annotations

import pytest

from assistant import search
from assistant.config import ROOT, Config
from assistant.embedding import HashingEmbedder
from assistant.errors import DocumentError
from assistant.index import build_index, is_current, load_index
from assistant.normalize import for_matching
from assistant.questions import BankQuestion, bank_hash, bank_path, read_bank, usable_questions
from assistant.search import open_searcher
from eval.queries import load_queries
from tests.conftest import DOCUMENTS_DIR, write_corpus, write_jsonl

SMALL = {
    "alpha": "一、总体要求\n坚持质量第一。\n二、重点任务\n（一）提升旅游服务质量。建设生态旅游目的地。\n1.加强计量。完善计量体系。\n",
    "beta": "一、工作目标\n制造业产品质量合格率达到95%以上。\n",
}
QUESTION = "菜市场的秤准不准谁来管"  # shares no word with any clause of SMALL


def write_bank(folder, lines) -> None:
    write_jsonl(bank_path(folder), lines)


def test_reading_the_bank_skips_blank_lines_and_names_a_broken_line(tmp_path):
    assert read_bank(tmp_path) == [] and bank_hash(tmp_path) == ""
    bank_path(tmp_path).write_text(
        '{"query": " 秤准不准 ", "positives": ["alpha:二.（一）.1"]}\n\n', encoding="utf-8"
    )
    assert read_bank(tmp_path) == [BankQuestion("秤准不准", ("alpha:二.（一）.1",))]
    first = bank_hash(tmp_path)
    with bank_path(tmp_path).open("a", encoding="utf-8") as bank:
        bank.write('{"query": "没有答案", "positives": []}\n')
    assert bank_hash(tmp_path) not in ("", first)
    with pytest.raises(DocumentError, match=r"questions\.jsonl:3: a question needs"):
        read_bank(tmp_path)
    bank_path(tmp_path).write_text("not json\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"questions\.jsonl:1: not a question line"):
        read_bank(tmp_path)


def test_clauses_the_corpus_lacks_are_left_out_and_said(capsys):
    questions = [BankQuestion("甲", ("a:1", "gone:9")), BankQuestion("乙", ("gone:8",))]
    assert usable_questions(questions, {"a:1"}) == [BankQuestion("甲", ("a:1",))]
    assert "names 2 clauses the corpus lacks" in capsys.readouterr().err


def test_the_shipped_bank_answers_with_real_clauses_and_shares_no_wording_with_the_gold_set(hashing_searcher):
    questions = read_bank(DOCUMENTS_DIR)
    assert len(questions) >= 400
    assert len({q.query for q in questions}) == len(questions)
    known = {clause.clause_id for clause in hashing_searcher.index.clauses}
    assert {p for q in questions for p in q.positives} <= known
    # nearly every clause that answers anything
    assert len({p for q in questions for p in q.positives}) >= 220
    assert len(hashing_searcher.index.questions) == len(questions)

    def runs(text: str) -> set[str]:
        text = for_matching(text)
        return {text[i : i + 8] for i in range(len(text) - 7)}

    gold = set().union(*(runs(query.text) for query in load_queries(ROOT / "eval" / "gold.jsonl")))
    # the bank was not written from the gold set
    assert not [q.query for q in questions if runs(q.query) & gold]


def test_the_index_keeps_the_bank_and_knows_when_it_changed(tmp_path):
    documents = write_corpus(tmp_path / "documents", SMALL)
    write_bank(documents, [{"query": QUESTION, "positives": ["alpha:二.（一）.1", "gone:1"]}])
    embedder = HashingEmbedder()
    build_index(documents, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index", model=embedder.model_name)
    assert index.questions == [BankQuestion(QUESTION, ("alpha:二.（一）.1",))]
    assert index.question_vectors.shape == (1, embedder.dim)
    catalog = [document for document in index.documents.values()]
    assert is_current(tmp_path / "index", catalog, embedder.model_name, bank_hash(documents))
    write_bank(documents, [{"query": "别的问题", "positives": ["beta:一"]}])
    assert not is_current(tmp_path / "index", catalog, embedder.model_name, bank_hash(documents))


def test_a_bank_question_like_the_users_lifts_its_clause(tmp_path, monkeypatch):
    documents = write_corpus(tmp_path / "documents", SMALL)
    config = Config(documents_dir=documents, index_dir=tmp_path / "index", model="hashing")
    target = "alpha:二.（一）.1"

    def rank(searcher, query: str) -> int:
        return [hit.clause.clause_id for hit in searcher.search(query).hits].index(target)

    plain = open_searcher(config)
    pasted = (
        f"{QUESTION}。"
        + "起草本地文件时，想看看各地对这类事情的规定、做法和分工，请列出可以参考的条款原文" * 2
    )
    assert len(pasted) > search.QUESTION_BANK_MAX_CHARS
    before, before_named = rank(plain, QUESTION), rank(plain, f"广州{QUESTION}")
    before_pasted = rank(plain, pasted)
    write_bank(
        documents,
        [
            {"query": QUESTION, "positives": [target]},
            {"query": "合格的产品占多少", "positives": ["beta:一"]},
            {"query": "去哪里旅游好", "positives": ["alpha:二.（一）"]},
        ],
    )
    searcher = open_searcher(config)  # the changed bank rebuilds the index
    assert len(searcher.index.questions) == 3
    assert before > 0 and rank(searcher, QUESTION) < before
    # a question naming a place does without the bank, and so does a pasted paragraph, which it would lift
    assert rank(searcher, f"广州{QUESTION}") == before_named
    assert rank(searcher, pasted) == before_pasted
    monkeypatch.setattr(search, "QUESTION_BANK_MAX_CHARS", 10_000)
    assert rank(searcher, pasted) < before_pasted


class CountingEmbedder(HashingEmbedder):
    """Counts the bank questions it is asked to embed (the hashing embedder embeds passages as queries too)."""

    def __init__(self, bank_texts: set[str]) -> None:
        super().__init__()
        self.bank_texts = bank_texts
        self.questions = 0

    def embed_queries(self, texts):
        self.questions += sum(text in self.bank_texts for text in texts)
        return super().embed_queries(texts)


def test_a_rebuild_embeds_only_the_bank_questions_that_changed(tmp_path):
    documents = write_corpus(tmp_path / "documents", SMALL)
    bank = [
        {"query": QUESTION, "positives": ["alpha:二.（一）.1"]},
        {"query": "去哪里旅游好", "positives": ["alpha:二.（一）"]},
    ]
    write_bank(documents, bank)
    embedder = CountingEmbedder({QUESTION, "去哪里旅游好", "哪里的风景最好"})
    build_index(documents, tmp_path / "index", embedder)
    assert embedder.questions == 2
    build_index(documents, tmp_path / "index", embedder)
    assert embedder.questions == 2  # nothing changed: both reused
    write_bank(documents, [bank[0], {"query": "哪里的风景最好", "positives": ["alpha:二.（一）"]}])
    build_index(documents, tmp_path / "index", embedder)
    assert embedder.questions == 3
    index = load_index(tmp_path / "index", model=embedder.model_name)
    fresh = HashingEmbedder().embed_queries([for_matching(q.query) for q in index.questions])
    assert (abs(index.question_vectors - fresh) < 1e-6).all()
