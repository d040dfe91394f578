"""Running a query file through the app's search, the same call the app makes, into a run file."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.search import RETRIEVER_MODES, open_searcher

from .queries import EvalInputError, Query

if TYPE_CHECKING:
    from assistant.search import Searcher

MODES = RETRIEVER_MODES


def open_app_searcher() -> Searcher:
    """The app's own searcher (loads or builds the model and index; slow the first time)."""
    try:
        return open_searcher()
    except AssistantError as error:
        raise EvalInputError(f"cannot open the searcher: {error}") from None


def run_query(searcher: Searcher, query: Query, top_k: int = 10, mode: str = "final") -> dict:
    """One run-file line: the query id and its results as the app reports them, best first."""
    try:
        result = searcher.search(
            query.text,
            region=query.filters.get("region"),
            document=query.filters.get("document"),
            top_k=top_k,
            mode=mode,
            status=query.filters.get("status"),
        )
    except AssistantError as error:
        # One unanswerable query (an empty text, a filter naming a place outside the corpus) must not cost
        # the whole run: it is written with no results, so it scores zero, and said on stderr.
        print(f"warning: query {query.query_id}: {error}; written with no results", file=sys.stderr)
        return {"id": query.echo_id, "results": []}
    return {"id": query.echo_id, "results": [hit.to_json(rank) for rank, hit in enumerate(result.hits, 1)]}


def run_queries(
    searcher: Searcher, queries: Sequence[Query], top_k: int = 10, mode: str = "final"
) -> list[dict]:
    """Run every query; the run file's lines, in query-file order."""
    if mode not in MODES:
        raise EvalInputError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
    if top_k < 1:
        raise EvalInputError(f"--top-k must be at least 1, not {top_k}")
    return [run_query(searcher, query, top_k, mode) for query in queries]
