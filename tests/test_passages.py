"""Passages: inside one clause, within the window, verbatim, with context."""

from assistant.index import parse_corpus
from assistant.passages import MAX_PASSAGE_CHARS, clause_context, make_passages, split_clause


def test_passages_stay_inside_their_clause_and_the_window(corpus_documents):
    clauses = parse_corpus(corpus_documents)
    by_id = {c.clause_id: c for c in clauses}
    passages = make_passages(clauses, {d.doc_id: d for d in corpus_documents})
    assert {p.clause_id for p in passages} == {c.clause_id for c in clauses if c.text.strip()}
    for passage in passages:
        clause = by_id[passage.clause_id]
        assert clause.text[passage.start : passage.end] == passage.body
        assert 0 < len(passage.body) <= MAX_PASSAGE_CHARS


def test_long_clause_is_cut_on_sentence_boundaries_and_covered_whole():
    text = "".join(f"第{i}句讲的是质量基础设施建设的具体安排和要求。" for i in range(40))
    spans = split_clause(text, max_chars=120, overlap=20)
    assert len(spans) > 5
    assert all(text[end - 1] == "。" for _, end in spans)
    covered = set()
    for start, end in spans:
        covered.update(range(start, end))
    assert covered == set(range(len(text)))


def test_context_names_region_document_and_heading_path(corpus_documents):
    clauses = parse_corpus(corpus_documents)
    documents = {d.doc_id: d for d in corpus_documents}
    item = next(c for c in clauses if c.doc_id == "guangzhou" and c.kind == "item")
    context = clause_context(item, documents["guangzhou"])
    assert context.startswith("广东省广州市 广州市质量强市建设实施方案（征求意见稿）")
    assert item.heading_path[0] in context and item.title in context
