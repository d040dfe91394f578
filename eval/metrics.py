"""Retrieval metrics over labelled queries: nDCG@10, MRR@10, Hit@1, Recall@5 and Recall@10.

A result satisfies a label when its normalised ``text`` contains the label's normalised ``contains``
(see ``corpus.normalize``). One result may satisfy several labels; a label is credited once, at the
first result that satisfies it.

- nDCG@10: gain = the label's grade, credited at the rank where the label is first satisfied, discounted
  by log2(rank + 1); the ideal DCG places the query's labels one per rank, highest grade first. When one
  result holds several labels (two labelled lines merged into one clause) DCG can exceed that ideal, so
  nDCG is capped at 1.
- "Relevant" for MRR@10, Hit@1 and Recall@k means satisfying a grade-2 label: MRR@10 is 1/rank of the first
  such result in the top 10 (0 if none), Hit@1 whether the first result is one, and Recall@k the fraction
  of the query's grade-2 labels satisfied in the top k (0 when the query has none).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .corpus import normalize
from .queries import Label, Query

METRIC_NAMES = ("nDCG@10", "MRR@10", "Hit@1", "R@5", "R@10")
MULTI_REGION = "多地区"  # the region group of a query whose grade-2 labels lie in several regions


@dataclass(frozen=True)
class QueryScores:
    """The metrics of one query."""

    ndcg_10: float
    mrr_10: float
    hit_1: float
    recall_5: float
    recall_10: float

    def as_row(self) -> tuple[float, ...]:
        """Values in METRIC_NAMES order."""
        return (self.ndcg_10, self.mrr_10, self.hit_1, self.recall_5, self.recall_10)


def credit_ranks(labels: Sequence[Label], texts: Sequence[str]) -> list[int | None]:
    """For each label, the 1-based rank of the first result whose text satisfies it (None if none does)."""
    normalised_texts = [normalize(text) for text in texts]
    ranks: list[int | None] = []
    for label in labels:
        needle = normalize(label.contains)
        ranks.append(next((rank for rank, text in enumerate(normalised_texts, 1) if needle in text), None))
    return ranks


def ndcg_at(labels: Sequence[Label], ranks: Sequence[int | None], k: int) -> float:
    """Graded nDCG@k from the ranks at which labels were credited."""
    dcg = sum(
        label.grade / math.log2(rank + 1)
        for label, rank in zip(labels, ranks, strict=True)
        if rank is not None and rank <= k
    )
    ideal_grades = sorted((label.grade for label in labels), reverse=True)[:k]
    idcg = sum(grade / math.log2(position + 1) for position, grade in enumerate(ideal_grades, 1))
    return min(1.0, dcg / idcg) if idcg > 0 else 0.0


def score_query(labels: Sequence[Label], texts: Sequence[str]) -> QueryScores:
    """Every metric of one query, given its labels and its result texts, best first."""
    ranks = credit_ranks(labels, texts)
    relevant_ranks = [rank for label, rank in zip(labels, ranks, strict=True) if label.grade == 2]
    found = [rank for rank in relevant_ranks if rank is not None]
    first = min((rank for rank in found if rank <= 10), default=None)

    def recall(k: int) -> float:
        return sum(rank <= k for rank in found) / len(relevant_ranks) if relevant_ranks else 0.0

    return QueryScores(
        ndcg_10=ndcg_at(labels, ranks, 10),
        mrr_10=1.0 / first if first is not None else 0.0,
        hit_1=1.0 if 1 in found else 0.0,
        recall_5=recall(5),
        recall_10=recall(10),
    )


def mean_scores(scores: Iterable[QueryScores]) -> tuple[float, ...]:
    """Mean of each metric, in METRIC_NAMES order (zeros for no queries)."""
    rows = [score.as_row() for score in scores]
    if not rows:
        return tuple(0.0 for _ in METRIC_NAMES)
    return tuple(sum(column) / len(rows) for column in zip(*rows, strict=True))


def query_region(
    query: Query,
    region_of_label: Callable[[str], str | None],
    region_of_document: Callable[[str], str | None],
    resolve_region: Callable[[str], str | None],
) -> str:
    """The region a query is reported under.

    Rule: the region of ``filters.document`` if given (``region_of_document``: by id, file or title); else
    ``filters.region`` as the full path it stands for (``resolve_region``: 廣東省 and 广东 are both 广东省), as
    written when it stands for none; else the one region that holds all of the query's grade-2 labels; else
    ``多地区`` (labels in several regions, or unknown).
    """
    document_region = region_of_document(query.filters["document"]) if query.filters.get("document") else None
    if document_region:
        return document_region
    if query.filters.get("region"):
        return resolve_region(query.filters["region"]) or query.filters["region"]
    regions = {region_of_label(label.contains) for label in query.labels if label.grade == 2}
    if len(regions) == 1 and None not in regions:
        return regions.pop()
    return MULTI_REGION


@dataclass(frozen=True)
class Breakdown:
    """Mean metrics of a run: overall and by query type, region and split (group → (count, means))."""

    overall: tuple[int, tuple[float, ...]]
    by_type: dict[str, tuple[int, tuple[float, ...]]]
    by_region: dict[str, tuple[int, tuple[float, ...]]]
    by_split: dict[str, tuple[int, tuple[float, ...]]]


def breakdown(queries: Sequence[Query], scores: dict[str, QueryScores], regions: dict[str, str]) -> Breakdown:
    """Group per-query scores by type, region and split (groups in first-seen order)."""

    def grouped(key: Callable[[Query], str | None]) -> dict[str, tuple[int, tuple[float, ...]]]:
        groups: dict[str, list[QueryScores]] = {}
        for query in queries:
            name = key(query)
            if name is not None:
                groups.setdefault(name, []).append(scores[query.query_id])
        return {name: (len(members), mean_scores(members)) for name, members in groups.items()}

    return Breakdown(
        overall=(len(queries), mean_scores(scores[query.query_id] for query in queries)),
        by_type=grouped(lambda query: query.query_type),
        by_region=grouped(lambda query: regions.get(query.query_id)),
        by_split=grouped(lambda query: query.split),
    )


def score_run(
    queries: Sequence[Query], run: dict[str, list[dict]]
) -> tuple[dict[str, QueryScores], list[str]]:
    """Score every query against its run line; also the ids the run lacks (scored as no results)."""
    missing = [query.query_id for query in queries if query.query_id not in run]
    scores = {
        query.query_id: score_query(query.labels, [result["text"] for result in run.get(query.query_id, [])])
        for query in queries
    }
    return scores, missing
