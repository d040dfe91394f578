"""CI gate: retrieval quality on the held-back test half never falls below the recorded value."""

import json
from pathlib import Path

import pytest

from eval.metrics import mean_scores
from eval.queries import load_queries
from eval.runner import run_query

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"


@pytest.mark.model
def test_test_half_ndcg_does_not_drop(real_searcher):
    from eval.metrics import score_query

    baseline = json.loads((EVAL_DIR / "baseline.json").read_text(encoding="utf-8"))
    queries = [q for q in load_queries(EVAL_DIR / "gold.jsonl") if q.split == baseline["split"]]
    scores = []
    for query in queries:
        line = run_query(real_searcher, query, top_k=10, mode=baseline["mode"])
        scores.append(score_query(query.labels, [result["text"] for result in line["results"]]))
    ndcg = mean_scores(scores)[0]
    print(
        f"{baseline['split']} half, {baseline['mode']}: nDCG@10 {ndcg:.4f} (recorded {baseline['ndcg_10']})"
    )
    assert ndcg >= baseline["ndcg_10"], (
        f"nDCG@10 fell to {ndcg:.4f}, below the recorded {baseline['ndcg_10']}"
    )
