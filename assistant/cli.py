"""The command line: `python -m assistant index | search | clauses | adapt` (INTERFACES.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import AssistantError


def _clip(text: str, width: int) -> str:
    """One line of at most width characters (CJK text has no spaces to break at)."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="政策条款检索助手: clause search over Chinese policy documents.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="build or update the index from the documents folder")
    index.add_argument(
        "--documents", type=Path, help="documents folder with catalog.json (default: documents/)"
    )
    index.add_argument("--index", type=Path, help="index folder (default: index/)")
    index.add_argument("--rebuild", action="store_true", help="re-embed everything instead of updating")
    index.add_argument("--model", help="sentence-transformers model id or folder (default: bundled e5-small)")

    search = commands.add_parser("search", help="print the clauses that best answer a query")
    search.add_argument("query", help="a question or a pasted paragraph")
    search.add_argument("--region", help="region filter, e.g. 广东省 (covers 广州 and 汕尾)")
    search.add_argument("--document", help="document filter: its id (e.g. guangzhou), file name or title")
    search.add_argument("--top-k", type=int, default=5, help="how many clauses (default 5)")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument("--mode", default="final", help=argparse.SUPPRESS)
    search.add_argument("--documents", type=Path, help=argparse.SUPPRESS)
    search.add_argument("--index", type=Path, help="index folder (default: index/)")
    search.add_argument("--model", help="sentence-transformers model id or folder")

    clauses = commands.add_parser("clauses", help="print every clause of the corpus")
    clauses.add_argument("--document", help="only this document (its id, file name or title)")
    clauses.add_argument("--json", action="store_true", help="one JSON object a line")
    clauses.add_argument("--documents", type=Path, help="documents folder (default: documents/)")

    adapt = commands.add_parser(
        "adapt", help="re-train the default model's bank adapter from documents/questions.jsonl (~10 min)"
    )
    adapt.add_argument("--documents", type=Path, help="documents folder (default: documents/)")
    adapt.add_argument("--output", type=Path, help="adapter file (default: the one the default model uses)")
    adapt.add_argument("--epochs", type=int, default=2, help="passes over the bank (default 2)")
    return parser


def _config(args: argparse.Namespace):
    from .config import Config

    return Config.from_env(
        documents_dir=getattr(args, "documents", None),
        index_dir=getattr(args, "index", None),
        model=getattr(args, "model", None),
    )


def _run_index(args: argparse.Namespace) -> None:
    from .documents import load_catalog
    from .embedding import load_embedder
    from .index import build_index, catalog_warnings

    config = _config(args)
    for warning in catalog_warnings(load_catalog(config.documents_dir)):
        print(f"warning: {warning}", file=sys.stderr)
    embedder = load_embedder(config)
    report = build_index(
        config.documents_dir, config.index_dir, embedder, rebuild=args.rebuild, show_progress=True
    )
    print(report.summary())


def _run_search(args: argparse.Namespace) -> None:
    from .search import STATUS_LABELS, open_searcher

    searcher = open_searcher(_config(args), show_progress=not args.json)
    result = searcher.search(
        args.query, region=args.region, document=args.document, top_k=args.top_k, mode=args.mode
    )
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return
    for notice in result.notices:
        print(f"注意：{notice}", file=sys.stderr)
    if not result.hits:
        print("没有找到相关条款。")
    for rank, hit in enumerate(result.hits, start=1):
        doc = hit.document
        source = "，".join(
            part for part in (doc.issuer, doc.date, STATUS_LABELS.get(doc.status, doc.status)) if part
        )
        print(f"{rank}. [{doc.region}] 《{doc.display_title}》（{source}）")
        print(f"   {hit.clause.section}")
        print(f"   {_clip(hit.clause.text, 160)}")
        print(f"   引用：{hit.citation}")


def _run_clauses(args: argparse.Namespace) -> None:
    from .documents import find_document, load_catalog
    from .errors import QueryError
    from .index import parse_corpus
    from .search import clause_record

    config = _config(args)
    documents = load_catalog(config.documents_dir)
    if args.document:
        found = find_document(documents, args.document)
        if found is None:
            raise QueryError(f"no document {args.document!r}; ids: {', '.join(d.doc_id for d in documents)}")
        documents = [found]
    by_id = {d.doc_id: d for d in documents}
    for clause in parse_corpus(documents):
        if args.json:
            print(json.dumps(clause_record(clause, by_id[clause.doc_id]), ensure_ascii=False))
        else:
            print(f"{clause.clause_id}\t{clause.kind}\t{_clip(clause.text, 80)}")


def _run_adapt(args: argparse.Namespace) -> None:
    from .adapter import ADAPTER_FILE, train_adapter
    from .default_model import ensure_default_model

    config = _config(args)
    base = ensure_default_model(config.cache_dir)
    output = train_adapter(base, config.documents_dir, args.output or ADAPTER_FILE, epochs=args.epochs)
    print(f"bank adapter → {output} (the next start merges it into the default model and rebuilds the index)")


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors become one line on stderr and a non-zero status."""
    args = _parser().parse_args(argv)
    runners = {"index": _run_index, "search": _run_search, "clauses": _run_clauses, "adapt": _run_adapt}
    try:
        runners[args.command](args)
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
