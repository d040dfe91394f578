"""Command line of the evaluation: ``python -m eval [run|score|check] …`` (see INTERFACES.md)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .queries import SPLITS, EvalInputError, Query, load_queries, load_queries_to_run, load_run, write_jsonl
from .runner import MODES

EVAL_DIR = Path(__file__).resolve().parent
GOLD_PATH = EVAL_DIR / "gold.jsonl"
REPORTS_DIR = EVAL_DIR / "reports"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m eval`` parser; without a command it runs the bundled gold set through every mode."""
    parser = _Parser(prog="python -m eval", description="Evaluate the clause search on a gold query set.")
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all", help="which gold split to report")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"comma-separated retrieval modes to compare (default {','.join(MODES)})",
    )
    parser.add_argument("--queries", type=Path, default=GOLD_PATH, help=argparse.SUPPRESS)
    parser.add_argument("--reports", type=Path, default=REPORTS_DIR, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = commands.add_parser("run", help="run every query of a file through the app's search")
    run.add_argument("--queries", type=Path, required=True, help="query file (JSONL)")
    run.add_argument("--output", type=Path, required=True, help="run file to write (JSONL)")
    run.add_argument("--top-k", type=int, default=10, help="results per query (default 10)")
    run.add_argument("--mode", choices=MODES, default="final", help=argparse.SUPPRESS)

    score = commands.add_parser("score", help="print the metrics table of a run")
    score.add_argument("--queries", type=Path, required=True, help="query file with labels (JSONL)")
    score.add_argument("--run", type=Path, required=True, help="run file (JSONL)")

    check = commands.add_parser("check", help="check a query file's labels against the corpus")
    check.add_argument("--queries", type=Path, default=GOLD_PATH, help="query file (default: the gold set)")
    return parser


def parse_modes(text: str) -> list[str]:
    """The modes named in a comma-separated list, each one known."""
    modes = [mode.strip() for mode in text.split(",") if mode.strip()]
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown or not modes:
        raise EvalInputError(f"unknown mode {', '.join(unknown) or '(none)'} (one of {', '.join(MODES)})")
    return modes


def command_run(queries_path: Path, output: Path, top_k: int, mode: str, searcher=None) -> int:
    """``run``: write the run file of a query file."""
    from .runner import open_app_searcher, run_queries

    if top_k < 1:
        raise EvalInputError(f"--top-k must be at least 1, not {top_k}")
    queries, warnings = load_queries_to_run(queries_path)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    entries = run_queries(searcher or open_app_searcher(), queries, top_k, mode)
    write_jsonl(output, entries)
    print(f"{len(entries)} queries → {output}")
    return 0


def _regions(queries: Sequence[Query]) -> dict[str, str]:
    from assistant.regions import Gazetteer

    from .corpus import load_corpus
    from .metrics import query_region

    corpus = load_corpus()
    resolve = Gazetteer.from_regions(corpus.regions.values()).resolve
    return {
        query.query_id: query_region(query, corpus.region_of, corpus.region_of_document, resolve)
        for query in queries
    }


def command_score(queries_path: Path, run_path: Path) -> int:
    """``score``: print the metrics of a run, overall and by type, region and split."""
    from .metrics import breakdown, score_run
    from .report import breakdown_tables

    queries = load_queries(queries_path)
    labelled = [query for query in queries if query.labels]
    if not labelled:
        raise EvalInputError(f'{queries_path}: no query has labels ("relevant"); there is nothing to score')
    if len(labelled) < len(queries):
        # As in trec_eval: a query nobody judged has no score, rather than a score of 0.
        print(
            f"note: {len(queries) - len(labelled)} queries have no labels; left out of the scores",
            file=sys.stderr,
        )
    queries = labelled
    run = load_run(run_path)
    scores, missing = score_run(queries, run)
    if missing:
        print(f"note: {len(missing)} queries have no line in {run_path}; scored as empty", file=sys.stderr)
    print(f"## {run_path.name} on {queries_path.name}\n")
    print(breakdown_tables(breakdown(queries, scores, _regions(queries))))
    return 0


def command_report(queries_path: Path, reports_dir: Path, split: str, modes: list[str], searcher=None) -> int:
    """No command: run the gold set through each mode, print and write the comparison report and chart."""
    from .metrics import breakdown, mean_scores, score_run
    from .report import breakdown_tables, markdown_table, write_ndcg_chart, write_text
    from .runner import open_app_searcher, run_queries

    queries = [query for query in load_queries(queries_path) if split == "all" or query.split == split]
    if not queries:
        raise EvalInputError(f"{queries_path}: no queries in split {split!r}")
    searcher = searcher or open_app_searcher()
    regions = _regions(queries)
    splits = [name for name in SPLITS if any(query.split == name for query in queries)]
    row_splits = [*splits, "all"] if split == "all" and splits else [split]
    comparison_rows, results = [], {}
    for mode in modes:
        started = time.perf_counter()
        entries = run_queries(searcher, queries, 10, mode)
        seconds = time.perf_counter() - started
        print(f"{mode}: {len(entries)} queries in {seconds:.2f} s", file=sys.stderr)
        write_jsonl(reports_dir / f"run-{mode}.jsonl", entries)
        scores, _ = score_run(queries, {str(entry["id"]): entry["results"] for entry in entries})
        results[mode] = breakdown(queries, scores, regions)
        for name in row_splits:
            members = [scores[query.query_id] for query in queries if name == "all" or query.split == name]
            comparison_rows.append((f"{mode} / {name}", len(members), mean_scores(members)))
    focus = "final" if "final" in modes else modes[-1]
    types = list(results[focus].by_type)
    chart_values = {mode: [results[mode].by_type[name][1][0] for name in types] for mode in modes}
    text = "\n\n".join(
        [
            "# Retrieval evaluation",
            f"Gold set `{queries_path.name}`: {len(queries)} queries (split: {split}); metrics @10 over the "
            "top 10 results. See `eval/metrics.py` for the definitions.",
            "## Modes\n\n" + markdown_table("mode / split", comparison_rows),
            f"## Mode `{focus}` in detail\n\n" + breakdown_tables(results[focus]),
            "## nDCG@10 by type and mode\n\n![nDCG@10 by type and mode](ndcg.png)",
        ]
    )
    print(text)
    write_text(reports_dir / "report.md", text + "\n")
    if types:
        write_ndcg_chart(reports_dir / "ndcg.png", types, chart_values)
    print(f"\nreport → {reports_dir / 'report.md'}, chart → {reports_dir / 'ndcg.png'}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 with a one-line message on bad input)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return command_run(args.queries, args.output, args.top_k, args.mode)
        if args.command == "score":
            return command_score(args.queries, args.run)
        if args.command == "check":
            from .check_labels import main as check_main

            return check_main(args.queries)
        return command_report(args.queries, args.reports, args.split, parse_modes(args.modes))
    except EvalInputError as error:
        print(f"python -m eval: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
