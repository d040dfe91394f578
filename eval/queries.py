"""Query files and run files (JSONL, formats fixed in INTERFACES.md): reading, validating and writing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

QUERY_TYPES = (
    "staff",
    "precedent",
    "numeric",
    "cross_script",
    "region_filtered",
    "paraphrase",
    "comparison",
    "notice",
    "table",
)
SPLITS = ("dev", "test")
GRADES = (1, 2)
FILTER_KEYS = ("region", "document", "status")


class EvalInputError(Exception):
    """A query or run file cannot be read; the message is one line naming the file (and line)."""


@dataclass(frozen=True)
class Label:
    """A verbatim substring of an answering clause and how well that clause answers (2 full, 1 partial)."""

    contains: str
    grade: int


@dataclass(frozen=True)
class Query:
    """One line of a query file."""

    query_id: str
    text: str
    filters: dict[str, str] = field(default_factory=dict)
    labels: tuple[Label, ...] = ()
    query_type: str | None = None
    split: str | None = None
    line_number: int = 0
    written_id: object = None  # the id as the file wrote it (a run file echoes it): a string or an integer

    @property
    def echo_id(self) -> object:
        return self.query_id if self.written_id is None else self.written_id


def fingerprint(queries: Iterable[Query]) -> str:
    """A short digest of the queries' ids, texts, filters and labels, in id order: a recorded score belongs to
    the set it was measured on, and the digest tells when that set has changed."""
    content = sorted(
        (q.query_id, q.text, sorted(q.filters.items()), [(label.contains, label.grade) for label in q.labels])
        for q in queries
    )
    return hashlib.blake2b(json.dumps(content, ensure_ascii=False).encode("utf-8"), digest_size=8).hexdigest()


def _lines(path: Path) -> list[tuple[int, str]]:
    """(1-based line number, text) of every non-blank line of a UTF-8 text file."""
    try:
        # utf-8-sig: a leading byte-order mark, as Windows editors save one, is skipped
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalInputError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise EvalInputError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except OSError as error:
        raise EvalInputError(f"{path}: cannot read ({error})") from None
    return [(number, line) for number, line in enumerate(content.splitlines(), start=1) if line.strip()]


def _decode(line: str, where: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise EvalInputError(f"{where}: bad JSON ({error.msg})") from None


def read_jsonl(path: Path) -> Iterator[tuple[int, object]]:
    """Yield (1-based line number, decoded JSON value) for every non-blank line of a JSONL file."""
    for number, line in _lines(path):
        yield number, _decode(line, f"{path}:{number}")


def _query_id(entry: dict, where: str) -> str:
    """A query's id as a string: written as a string, or as an integer (`"id": 7`), which other tools use."""
    query_id = entry.get("id")
    if isinstance(query_id, int) and not isinstance(query_id, bool):
        return str(query_id)
    if not isinstance(query_id, str) or not query_id:
        raise EvalInputError(f"{where}: missing or non-string 'id'")
    return query_id


def _read_filters(filters: object) -> tuple[dict[str, str], list[tuple[str | None, object]]]:
    """A query line's filters as (the ones understood, the ones not: (key, value) pairs, or one (None, value)
    when `filters` is no object). A filter written as null or "" is no filter, neither kept nor rejected."""
    if not filters:
        return {}, []
    if not isinstance(filters, dict):
        return {}, [(None, filters)]
    kept, rejected = {}, []
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if key in FILTER_KEYS and isinstance(value, str):
            kept[key] = value
        else:
            rejected.append((key, value))
    return kept, rejected


def parse_query(entry: object, where: str, line_number: int = 0) -> Query:
    """Turn one decoded query line into a Query, or raise EvalInputError saying what is wrong."""
    if not isinstance(entry, dict):
        raise EvalInputError(f"{where}: a query line must be a JSON object")
    query_id, text = _query_id(entry, where), entry.get("query")
    if not isinstance(text, str) or not text.strip():
        raise EvalInputError(f"{where}: {query_id}: missing or empty 'query'")
    filters, rejected = _read_filters(entry.get("filters"))
    if rejected:
        raise EvalInputError(
            f"{where}: {query_id}: 'filters' must map 'region'/'document'/'status' to strings"
        )
    labels = []
    relevant = entry.get("relevant") or []
    if not isinstance(relevant, list):
        raise EvalInputError(f"{where}: {query_id}: 'relevant' must be a list")
    for label in relevant:
        if not isinstance(label, dict) or not isinstance(label.get("contains"), str):
            raise EvalInputError(f"{where}: {query_id}: each label needs a string 'contains'")
        grade = label.get("grade")
        if grade not in GRADES or isinstance(grade, bool):
            raise EvalInputError(f"{where}: {query_id}: label grade must be 1 or 2, not {grade!r}")
        labels.append(Label(label["contains"], grade))
    return Query(
        query_id=query_id,
        text=text,
        written_id=entry["id"],
        filters=dict(filters),
        labels=tuple(labels),
        query_type=entry.get("type"),
        split=entry.get("split"),
        line_number=line_number,
    )


def load_queries(path: Path) -> list[Query]:
    """Read a query file; ids must be unique."""
    queries, seen = [], set()
    for number, entry in read_jsonl(path):
        query = parse_query(entry, f"{path}:{number}", number)
        if query.query_id in seen:
            raise EvalInputError(f"{path}:{number}: repeated id {query.query_id!r}")
        seen.add(query.query_id)
        queries.append(query)
    if not queries:
        raise EvalInputError(f"{path}: no queries")
    return queries


def load_queries_to_run(path: Path) -> tuple[list[Query], list[str]]:
    """Read a query file to run it, losing no query to another line's fault: a line that is not a query
    object with an id is skipped, an empty query is kept (it is written with no results), and what running
    does not need is set aside — labels, unknown filter keys, filters that are not strings — each with a
    warning; a repeated id is run again. Returns the queries and the warnings, one line each."""
    queries, warnings, seen = [], [], set()
    for number, line in _lines(path):
        where = f"{path}:{number}"
        try:
            entry = _decode(line, where)
            if not isinstance(entry, dict):
                raise EvalInputError(f"{where}: a query line must be a JSON object")
            query_id = _query_id(entry, where)
        except EvalInputError as error:
            warnings.append(f"{error}; line skipped")
            continue
        text = entry.get("query")
        kept, rejected = _read_filters(entry.get("filters"))
        for key, value in rejected:
            if key is None:
                warnings.append(f"{where}: {query_id}: 'filters' is not an object; run without filters")
            else:
                warnings.append(f"{where}: {query_id}: filter {key!r}: {value!r} is not understood; left out")
        if query_id in seen:
            warnings.append(f"{where}: repeated id {query_id!r}; run again")
        seen.add(query_id)
        queries.append(
            Query(
                query_id=query_id,
                text=text if isinstance(text, str) else "",
                filters=kept,
                query_type=entry.get("type"),
                split=entry.get("split"),
                line_number=number,
                written_id=entry["id"],
            )
        )
    if not queries:
        raise EvalInputError(f"{path}: no queries" + (f" ({warnings[0]})" if warnings else ""))
    return queries, warnings


def load_run(path: Path) -> dict[str, list[dict]]:
    """Read a run file: query id → its results, best first."""
    run: dict[str, list[dict]] = {}
    for number, entry in read_jsonl(path):
        if not isinstance(entry, dict):
            raise EvalInputError(f"{path}:{number}: a run line must be an object with a string 'id'")
        query_id = _query_id(entry, f"{path}:{number}")
        results = entry.get("results")
        if not isinstance(results, list) or not all(
            isinstance(result, dict) and isinstance(result.get("text"), str) for result in results
        ):
            raise EvalInputError(f"{path}:{number}: 'results' must be a list of objects with a 'text'")
        if query_id in run:
            raise EvalInputError(f"{path}:{number}: repeated id {query_id!r}")
        run[query_id] = results
    return run


def write_jsonl(path: Path, entries: list[dict]) -> None:
    """Write one JSON object a line, UTF-8, Chinese unescaped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
