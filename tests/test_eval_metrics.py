"""Metrics of the evaluation: hand-computed cases and agreement with ranx (the reference implementation)."""

from __future__ import annotations

import math
import random

import pytest

from eval.metrics import (
    MULTI_REGION,
    QueryScores,
    breakdown,
    mean_scores,
    query_region,
    score_query,
    score_run,
)
from eval.queries import Label, Query

A, B, C = "甲子甲子", "乙丑乙丑", "丙寅丙寅"


def test_graded_ndcg_mrr_recall_by_hand():
    labels = [Label(A, 2), Label(B, 1), Label(C, 2)]
    texts = ["无关条款", f"前文{A}后文", f"{C}与{B}同在一条", f"又一次{A}", "无关"]
    scores = score_query(labels, texts)
    # A is credited at rank 2 (not again at rank 4); C and B both at rank 3.
    # DCG = 2/log2(3) + 2/log2(4) + 1/log2(4) = 1.26186 + 1 + 0.5 = 2.76186
    # IDCG (grades 2, 2, 1 at ranks 1..3) = 2/log2(2) + 2/log2(3) + 1/log2(4) = 2 + 1.26186 + 0.5 = 3.76186
    dcg = 2 / math.log2(3) + 2 / math.log2(4) + 1 / math.log2(4)
    idcg = 2 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert scores.ndcg_10 == pytest.approx(dcg / idcg)
    assert scores.ndcg_10 == pytest.approx(0.73417, abs=1e-5)
    assert scores.mrr_10 == 0.5  # first grade-2 hit (A) at rank 2
    assert scores.hit_1 == 0.0
    assert scores.recall_5 == 1.0  # both grade-2 labels (A, C) in the top 5
    assert scores.recall_10 == 1.0


def test_recall_cutoffs_and_hit_at_one():
    labels = [Label(A, 2), Label(B, 2), Label(C, 2)]
    texts = [C, "x1", "x2", "x3", "x4", A] + ["y"] * 10  # C at rank 1, A at rank 6, B never
    scores = score_query(labels, texts)
    assert scores.hit_1 == 1.0
    assert scores.mrr_10 == 1.0
    assert scores.recall_5 == pytest.approx(1 / 3)  # only C within 5
    assert scores.recall_10 == pytest.approx(2 / 3)  # C and A within 10
    # DCG = 2/log2(2) + 2/log2(7) = 2 + 0.71241; IDCG = 2 + 2/log2(3) + 2/log2(4) = 2 + 1.26186 + 1
    assert scores.ndcg_10 == pytest.approx((2 + 2 / math.log2(7)) / (2 + 2 / math.log2(3) + 1))


def test_results_after_rank_ten_do_not_count():
    labels = [Label(A, 2)]
    scores = score_query(labels, ["x"] * 10 + [A])
    assert scores == QueryScores(0.0, 0.0, 0.0, 0.0, 0.0)


def test_one_result_holding_two_labels_is_capped_at_one():
    labels = [Label(A, 2), Label(C, 2)]
    # DCG = (2 + 2)/log2(2) = 4 exceeds IDCG = 2 + 2/log2(3) = 3.26 because one clause holds both labels
    scores = score_query(labels, [f"{A}{C}"])
    assert scores.ndcg_10 == 1.0
    assert scores.recall_5 == 1.0


def test_matching_normalises_script_width_and_whitespace():
    labels = [Label("質量強省建設", 2), Label("ＡＢ１２號", 1)]
    texts = ["深化质量 强省\n建设", "编号AB12号"]
    scores = score_query(labels, texts)
    # both credited: 2/log2(2) + 1/log2(3) equals the ideal
    assert scores.ndcg_10 == pytest.approx(1.0)
    assert scores.hit_1 == 1.0


def test_query_without_grade_two_labels_scores_zero_on_binary_metrics():
    scores = score_query([Label(A, 1)], [A])
    assert scores.ndcg_10 == 1.0
    assert (scores.mrr_10, scores.hit_1, scores.recall_5, scores.recall_10) == (0.0, 0.0, 0.0, 0.0)


def test_empty_run_scores_zero():
    assert score_query([Label(A, 2)], []) == QueryScores(0.0, 0.0, 0.0, 0.0, 0.0)


def test_score_run_reports_missing_queries_and_means():
    queries = [Query("q1", "问", labels=(Label(A, 2),)), Query("q2", "问", labels=(Label(B, 2),))]
    scores, missing = score_run(queries, {"q1": [{"text": A}]})
    assert missing == ["q2"]
    assert mean_scores(scores.values()) == (0.5, 0.5, 0.5, 0.5, 0.5)


def test_query_region_rule():
    regions_of_labels = {A: "青海省", B: "贵州省", C: "青海省"}
    documents = {"guizhou": "贵州省"}
    region_of = regions_of_labels.get

    def region(resolve=None, **fields) -> str:
        return query_region(Query("q", "问", **fields), region_of, documents.get, resolve or {}.get)

    assert region(filters={"document": "guizhou"}, labels=(Label(A, 2),)) == "贵州省"
    assert (
        region(filters={"document": "nope"}, labels=(Label(A, 2),)) == "青海省"
    )  # unknown: as if unfiltered
    assert region(filters={"region": "广东省"}, labels=(Label(A, 2),)) == "广东省"
    # a filter is grouped under the full path it stands for, when it stands for one
    assert region(filters={"region": "廣東"}, resolve={"廣東": "广东省"}.get) == "广东省"
    assert region(filters={"region": "火星"}) == "火星"
    assert region(labels=(Label(A, 2), Label(C, 2), Label(B, 1))) == "青海省"  # grade-1 labels do not count
    assert region(labels=(Label(A, 2), Label(B, 2))) == MULTI_REGION


def test_breakdown_groups_by_type_region_and_split():
    queries = [
        Query("q1", "问", labels=(Label(A, 2),), query_type="staff", split="dev"),
        Query("q2", "问", labels=(Label(B, 2),), query_type="staff", split="test"),
        Query("q3", "问", labels=(Label(C, 2),), query_type="table", split="dev"),
    ]
    scores, _ = score_run(queries, {"q1": [{"text": A}], "q2": [], "q3": [{"text": "x"}, {"text": C}]})
    result = breakdown(queries, scores, {"q1": "青海省", "q2": "贵州省", "q3": "青海省"})
    assert result.overall[0] == 3
    assert result.by_type["staff"] == (2, (0.5, 0.5, 0.5, 0.5, 0.5))
    assert result.by_split["dev"][1][1] == pytest.approx((1 + 0.5) / 2)  # MRR of q1 (1) and q3 (1/2)
    assert result.by_region["青海省"][0] == 2


# ---------------------------------------------------------------- agreement with ranx


def _synthetic_case(seed: int = 7, queries: int = 40):
    """Random graded labels and runs where every label is its own document (so ranx can judge it)."""
    rng = random.Random(seed)
    cases = []
    for number in range(queries):
        qid = f"q{number:03d}"
        relevant = {f"〔{number:03d}-{i:03d}〕": rng.choice((1, 2)) for i in range(rng.randint(1, 6))}
        others = [f"〔{number:03d}-n{j:03d}〕" for j in range(12)]
        pool = list(relevant) + others
        rng.shuffle(pool)
        ranking = pool[: rng.randint(1, min(15, len(pool)))]
        cases.append((qid, relevant, ranking))
    return cases


def test_agrees_with_ranx():
    ranx = pytest.importorskip("ranx")
    cases = _synthetic_case()
    qrels = ranx.Qrels({qid: dict(relevant) for qid, relevant, _ in cases})
    run = ranx.Run(
        {qid: {doc: 1.0 / rank for rank, doc in enumerate(ranking, 1)} for qid, _, ranking in cases}
    )
    metrics = ["ndcg@10", "mrr@10-l2", "hit_rate@1-l2", "precision@1-l2", "recall@5-l2", "recall@10-l2"]
    reference = ranx.evaluate(qrels, run, metrics, return_mean=False)
    order = sorted(qid for qid, _, _ in cases)  # ranx keeps queries in sorted id order
    ours = {
        qid: score_query(
            [Label(doc, grade) for doc, grade in relevant.items()], [f"正文{doc}" for doc in ranking]
        )
        for qid, relevant, ranking in cases
    }
    for position, qid in enumerate(order):
        mine = ours[qid]
        assert mine.ndcg_10 == pytest.approx(reference["ndcg@10"][position])
        assert mine.mrr_10 == pytest.approx(reference["mrr@10-l2"][position])
        assert mine.hit_1 == pytest.approx(reference["hit_rate@1-l2"][position])
        assert mine.hit_1 == pytest.approx(reference["precision@1-l2"][position])
        assert mine.recall_5 == pytest.approx(reference["recall@5-l2"][position])
        assert mine.recall_10 == pytest.approx(reference["recall@10-l2"][position])


def test_a_document_filter_naming_the_seed_file_is_reported_under_its_region():
    from eval.corpus import load_corpus

    corpus = load_corpus()
    assert corpus.region_of_document("001_28807bd3d165b8d1.txt") == "陕西省榆林市榆阳区"
    assert corpus.region_of_document("yuyang") == "陕西省榆林市榆阳区"
    assert corpus.region_of_document("nope") is None
