"""Passages: inside one clause, within the window, verbatim, with context."""

from assistant.index import parse_corpus
from assistant.passages import (
    MAX_PASSAGE_CHARS,
    ROW,
    SENTENCE,
    WINDOW,
    clause_context,
    make_passages,
    split_clause,
)


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


def test_a_table_row_is_read_whole_with_its_column_names(corpus_documents):
    clauses = parse_corpus(corpus_documents)
    passages = make_passages(clauses, {d.doc_id: d for d in corpus_documents})
    rows = [c for c in clauses if c.cells]
    assert len(rows) == 8  # Yuyang's 专栏1 indicator table
    energy = next(c for c in rows if "能源消耗" in c.text)
    own = [p for p in passages if p.clause_id == energy.clause_id]
    assert [p.granularity for p in own] == [WINDOW, ROW]  # no cell fragments such as "约束性 |"
    row = own[1]
    assert row.body == energy.text
    assert row.embed_text == (
        "专栏1质量强区建设主要发展指标：指标名称 单位地区生产总值能源消耗降低(%)；2025年 ﹝15﹞*；属性 约束性"
    )
    assert own[0].embed_text.startswith("陕西省榆林市榆阳区 ")  # the window keeps the document's context
    # Every other clause keeps its bare sentences.
    assert all(
        p.granularity in (WINDOW, SENTENCE)
        for p in passages
        if p.clause_id not in {c.clause_id for c in rows}
    )
    assert sum(p.granularity == ROW for p in passages) == len(rows)
