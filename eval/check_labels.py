"""Check a query file's labels against the corpus: every label verbatim, unique, and well formed."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.regions import region_matches

from .corpus import Corpus, load_corpus, normalize
from .queries import QUERY_TYPES, SPLITS, EvalInputError, Query, parse_query, read_jsonl

PRECEDENT_LENGTH = (40, 150)  # characters of a drafter's paragraph


@dataclass(frozen=True)
class ParsedClause:
    """A clause as the app's parser cuts it, with its text normalised for label matching."""

    clause_id: str
    kind: str
    text: str


def parse_corpus_clauses(raw_texts: dict[str, str]) -> list[ParsedClause]:
    """Every clause of the corpus, cut by the app's own parser."""
    from assistant.clauses import FURNITURE_KINDS, parse_clauses

    return [
        ParsedClause(
            clause.clause_id,
            "furniture" if clause.kind in FURNITURE_KINDS else clause.kind,
            normalize(clause.text),
        )
        for doc_id, text in raw_texts.items()
        for clause in parse_clauses(text, doc_id)
    ]


def check_query(
    query: Query, corpus: Corpus, raw_texts: dict[str, str], clauses: list[ParsedClause] | None = None
) -> list[str]:
    """Every problem of one query, each as a short message (without the file position)."""
    problems = []
    if query.query_type is not None and query.query_type not in QUERY_TYPES:
        problems.append(f"unknown type {query.query_type!r} (one of {', '.join(QUERY_TYPES)})")
    if query.split is not None and query.split not in SPLITS:
        problems.append(f"unknown split {query.split!r} (one of {', '.join(SPLITS)})")
    if query.query_type == "precedent" and not (
        PRECEDENT_LENGTH[0] <= len(query.text) <= PRECEDENT_LENGTH[1]
    ):
        problems.append(f"precedent text is {len(query.text)} characters, not {PRECEDENT_LENGTH[0]}–150")
    allowed = set(corpus.regions)
    region, document = query.filters.get("region"), query.filters.get("document")
    if region is not None:
        matching = {doc_id for doc_id, name in corpus.regions.items() if region_matches(region, name)}
        if not matching:
            problems.append(f"filter region {region!r} is no catalog region or its prefix")
        allowed &= matching
    if document is not None:
        if document not in corpus.regions:
            problems.append(f"filter document {document!r} is not a catalog id")
        allowed &= {document}
    if not query.labels:
        problems.append("no labels")
    elif not any(label.grade == 2 for label in query.labels):
        problems.append("no grade-2 label")
    seen_needles: set[str] = set()
    seen_lines: dict[tuple[str, int], str] = {}
    seen_clauses: dict[str, str] = {}
    for label in query.labels:
        needle = normalize(label.contains)
        shown = label.contains if len(label.contains) <= 30 else label.contains[:30] + "…"
        if needle in seen_needles:
            problems.append(f"label {shown!r} repeated")
            continue
        seen_needles.add(needle)
        count = corpus.count(label.contains)
        if count != 1:
            problems.append(
                f"label {shown!r} " + ("not found in the corpus" if count == 0 else f"occurs {count} times")
            )
            continue
        places = corpus.places(label.contains)
        if not places:
            problems.append(f"label {shown!r} spans several lines of its document")
            continue
        place = places[0]
        raw_line = raw_texts[place.doc_id].splitlines()[place.line_number - 1]
        if label.contains not in raw_line:
            problems.append(
                f"label {shown!r} is not verbatim in {place.doc_id}:{place.line_number} "
                "(script, punctuation or spacing differs)"
            )
        if place.doc_id not in allowed:
            problems.append(f"label {shown!r} is in {place.doc_id}, outside the query's filters")
        key = (place.doc_id, place.line_number)
        same_line = key in seen_lines
        if same_line:
            problems.append(f"labels {seen_lines[key]!r} and {shown!r} mark the same clause")
        seen_lines.setdefault(key, shown)
        if clauses is None:
            continue
        holding = [clause for clause in clauses if needle in clause.text]
        if len(holding) != 1:
            problems.append(f"label {shown!r} lies across {len(holding) or 'no'} clauses of the app's parser")
            continue
        clause = holding[0]
        if clause.kind == "furniture":
            problems.append(
                f"label {shown!r} is in page furniture ({clause.clause_id}), which search never shows"
            )
        if clause.clause_id in seen_clauses and not same_line:
            problems.append(f"labels {seen_clauses[clause.clause_id]!r} and {shown!r} mark one parsed clause")
        seen_clauses.setdefault(clause.clause_id, shown)
    return problems


def check_file(
    path: Path,
    corpus: Corpus | None = None,
    raw_texts: dict[str, str] | None = None,
    clauses: list[ParsedClause] | None = None,
) -> list[str]:
    """Every problem of a query file, one line each, prefixed with file:line.

    Without arguments it checks against the bundled corpus and the app's clause parser.
    """
    if corpus is None or raw_texts is None:
        from assistant.documents import load_catalog

        from .corpus import DOCUMENTS_DIR

        corpus = load_corpus()
        raw_texts = {doc.doc_id: doc.text for doc in load_catalog(DOCUMENTS_DIR)}
        clauses = parse_corpus_clauses(raw_texts)
    problems = []
    seen_ids: dict[str, int] = {}
    for number, entry in read_jsonl(path):
        where = f"{path}:{number}"
        try:
            query = parse_query(entry, where, number)
        except EvalInputError as error:
            problems.append(str(error))
            continue
        if query.query_id in seen_ids:
            problems.append(f"{where}: {query.query_id}: id already used on line {seen_ids[query.query_id]}")
        seen_ids.setdefault(query.query_id, number)
        problems.extend(
            f"{where}: {query.query_id}: {problem}"
            for problem in check_query(query, corpus, raw_texts, clauses)
        )
    if not seen_ids and not problems:
        problems.append(f"{path}: no queries")
    return problems


def main(path: Path) -> int:
    """Print every problem of a query file; 0 when clean, 1 otherwise (2 when the file cannot be read)."""
    try:
        problems = check_file(path)
    except EvalInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {path}")
        return 1
    labels = queries = 0
    for _, entry in read_jsonl(path):
        queries += 1
        labels += len(entry.get("relevant") or [])
    print(f"{path}: {queries} queries, {labels} labels, all labels verbatim and unique")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "gold.jsonl"))
