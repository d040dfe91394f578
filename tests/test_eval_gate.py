"""CI gate: retrieval quality on the held-back test half never falls below the recorded value."""

import dataclasses
import json
from pathlib import Path

import pytest

from eval.metrics import mean_scores
from eval.queries import Label, Query, fingerprint, load_queries
from eval.runner import run_query

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"


def _baseline() -> dict:
    return json.loads((EVAL_DIR / "baseline.json").read_text(encoding="utf-8"))


def _recorded_half(baseline: dict) -> list[Query]:
    return [q for q in load_queries(EVAL_DIR / "gold.jsonl") if q.split == baseline["split"]]


def test_record_belongs_to_the_current_test_half():
    """A record measured on another set of queries says nothing about this one: when the test half changes, it
    must be measured again and recorded with the new set's fingerprint."""
    baseline = _baseline()
    queries = _recorded_half(baseline)
    assert len(queries) == baseline["queries"]
    assert fingerprint(queries) == baseline["fingerprint"], (
        "the test half changed since the record was measured: run "
        f"`{baseline['command']}` and record its nDCG@10 with the new fingerprint {fingerprint(queries)}"
    )


def test_fingerprint_notices_any_change_to_a_query():
    query = Query("q1", "青海的生态旅游质量怎么提升？", labels=(Label("生态旅游", 2),), split="test")
    same = fingerprint([query])
    assert fingerprint([dataclasses.replace(query, labels=(Label("生态旅游", 1),))]) != same
    assert fingerprint([dataclasses.replace(query, text="贵州呢？")]) != same
    assert fingerprint([dataclasses.replace(query, filters={"region": "青海省"})]) != same
    assert fingerprint([query, dataclasses.replace(query, query_id="q2")]) != same
    assert fingerprint([dataclasses.replace(query, line_number=9)]) == same  # where it sits does not matter


@pytest.mark.model
def test_test_half_ndcg_does_not_drop(real_searcher):
    from eval.metrics import score_query

    baseline = _baseline()
    scores = []
    for query in _recorded_half(baseline):
        line = run_query(real_searcher, query, top_k=10, mode=baseline["mode"])
        scores.append(score_query(query.labels, [result["text"] for result in line["results"]]))
    ndcg = mean_scores(scores)[0]
    print(
        f"{baseline['split']} half, {baseline['mode']}: nDCG@10 {ndcg:.4f} (recorded {baseline['ndcg_10']})"
    )
    assert ndcg >= baseline["ndcg_10"], (
        f"nDCG@10 fell to {ndcg:.4f}, below the recorded {baseline['ndcg_10']}"
    )
