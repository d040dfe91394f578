"""Comparing regions on one topic: each region's best clause, its key sentence and the numeric targets it states."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .normalize import for_labels
from .search import REGION_ANSWER_RATIO, Hit, Searcher, clean_query
from .targets import Target, comparison_key, document_targets

# A region's best clause is shown when it scores at least REGION_ANSWER_RATIO of the best region's clause (the
# share the search uses to put each region's answer first), or when it contains the topic word for word; otherwise
# the region "has no matching clause" rather than a weak match. (Final-mode scores are scaled over the whole
# corpus before filtering, so they compare across regions.)
MAX_TARGETS = 6


@dataclass(frozen=True)
class RegionRow:
    """One region of a comparison: its best clause (None when it has no real match) and what it states."""

    region: str
    document: str
    hit: Hit | None
    key_sentence: str
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Comparison:
    """A topic compared across every region of the corpus."""

    topic: str
    rows: tuple[RegionRow, ...]
    notices: tuple[str, ...] = ()


def _relevant_targets(targets: list[Target], topic: str) -> tuple[Target, ...]:
    """Targets whose indicator the topic names; all of them (capped) when the topic names none."""
    topic_key = comparison_key(topic)
    named = [
        t for t in targets if (key := comparison_key(t.indicator)) and (key in topic_key or topic_key in key)
    ]
    return tuple((named or targets)[:MAX_TARGETS])


def _targets_with_years(searcher: Searcher, hit: Hit) -> list[Target]:
    """The clause's targets, the target year taken from its section where the clause itself states none."""
    clauses = [c for c in searcher.index.clauses if c.doc_id == hit.clause.doc_id]
    return [
        target for clause, target in document_targets(clauses) if clause.clause_id == hit.clause.clause_id
    ]


def compare_regions(searcher: Searcher, topic: str) -> Comparison:
    """Each document's region with its best clause on the topic, or None where nothing really matches."""
    topic, notices = clean_query(topic)
    best: list[tuple[str, str, Hit | None]] = []
    for document in searcher.documents:
        hits = searcher.search(topic, document=document.doc_id, top_k=5).hits
        hit = next((h for h in hits if not h.clause.is_furniture), None)
        best.append((document.region, document.doc_id, hit))
    top_score = max((hit.score for _, _, hit in best if hit is not None), default=0.0)
    rows = []
    for region, doc_id, hit in sorted(best, key=lambda row: -(row[2].score if row[2] else float("-inf"))):
        literal = hit is not None and for_labels(topic) in for_labels(hit.clause.text)
        if hit is None or (hit.score < REGION_ANSWER_RATIO * top_score and not literal):
            rows.append(RegionRow(region, doc_id, None, "", ()))
            continue
        targets = _relevant_targets(_targets_with_years(searcher, hit), topic)
        key_sentence = targets[0].sentence.strip() if targets else hit.passage.body.strip()
        rows.append(RegionRow(region, doc_id, hit, key_sentence, targets))
    return Comparison(topic, tuple(rows), notices)


def format_target(target: Target) -> str:
    """A target as a table cell: 制造业产品质量合格率 ≥94%（2025年）."""
    relation = {">=": "≥", "<=": "≤", "=": "", "≈": "约", "increase": "提高", "decrease": "降低"}.get(
        target.relation, target.relation
    )
    year = f"（{target.year}年）" if target.year else ""
    return f"{target.indicator} {relation}{target.value}{target.unit}{year}"


TABLE_HEADER = ("地区", "数值目标", "条款", "标题", "关键句")


def table_rows(comparison: Comparison) -> list[list[str]]:
    """The comparison as rows of plain text, one per region, in the order of TABLE_HEADER."""
    rows = []
    for row in comparison.rows:
        if row.hit is None:
            rows.append([row.region, "", "（无相关条款）", "", ""])
            continue
        targets = "；".join(format_target(t) for t in row.targets)
        rows.append([row.region, targets, row.hit.citation, row.hit.clause.title, row.key_sentence])
    return rows


def to_csv(comparison: Comparison) -> str:
    """The comparison table as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TABLE_HEADER)
    writer.writerows(table_rows(comparison))
    return "\ufeff" + buffer.getvalue()
