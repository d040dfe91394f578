"""Structure parsing: a document's text becomes an ordered list of addressed clauses."""

from __future__ import annotations

import re
from dataclasses import dataclass

PARSER_VERSION = "0.1"

# What a clause is, in the order a reader meets them in a policy document.
CLAUSE_KINDS = (
    "preamble",  # text before the first numbered heading (不含通知)
    "notice",  # comment-solicitation or cover notice around the policy itself
    "part",  # 一、
    "section",  # （一） / (一)
    "item",  # 1. / 1． / 1、
    "target",  # ——… target statements under 主要目标
    "box",  # 专栏N title line
    "box_line",  # —— action line inside a 专栏 box
    "table_row",  # one reassembled row of an indicator table
    "paragraph",  # an unnumbered paragraph (fallback for shapeless text)
    "signature",  # issuer / date lines
    "furniture",  # page furniture: breadcrumbs, credits, share prompts
)

FURNITURE_KINDS = frozenset({"furniture"})


@dataclass(frozen=True)
class Clause:
    """One clause of a document: its address, kind, place in the hierarchy and verbatim text."""

    doc_id: str
    address: str  # hierarchical number, unique in the document, e.g. "二.（三）.1"
    kind: str
    label: str  # the number as cited, e.g. "二、（三）1."; "" where the clause has none
    title: str  # its own title: the lead phrase ending in 。, or the heading text
    heading_path: tuple[str, ...]  # full headings of every parent, outermost first
    text: str  # verbatim, in the document's own script
    start: int  # character span in the source text: text == source[start:end]
    end: int
    units: tuple[str, ...] = ()  # responsible units named in the text
    order: int = 0  # position in the document

    @property
    def clause_id(self) -> str:
        """Corpus-unique id: document id and address."""
        return f"{self.doc_id}:{self.address}"

    @property
    def section(self) -> str:
        """The heading path down to this clause, as shown to users."""
        own = f"{self.label}{self.title}" if self.kind in ("part", "section", "item", "box") else self.label
        parts = [*self.heading_path, own] if own else list(self.heading_path)
        return " > ".join(parts)

    @property
    def is_furniture(self) -> bool:
        """Page furniture is kept for completeness but never shown as policy."""
        return self.kind in FURNITURE_KINDS


_PART = re.compile(r"^\s*([一二三四五六七八九十]+)、")
_SECTION = re.compile(r"^\s*[（(]([一二三四五六七八九十]+)[）)]")
_ITEM = re.compile(r"^\s*(\d{1,2})[.．、](?!\d)")


def parse_clauses(text: str, doc_id: str) -> list[Clause]:
    """Split a document into clauses along its 一、/（一）/1. hierarchy (one clause per line-started heading)."""
    clauses: list[Clause] = []
    path: dict[str, str] = {}
    numbers: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    position = 0
    for line in text.splitlines(keepends=True):
        start, end = position, position + len(line)
        position = end
        if line.strip():
            spans.append((start, end))
    current: list = []

    def flush() -> None:
        if not current:
            return
        kind, address, label, title, parents, first, last = current
        body = text[first:last]
        stripped_start = first + (len(body) - len(body.lstrip()))
        stripped_end = first + len(body.rstrip())
        clauses.append(
            Clause(
                doc_id=doc_id,
                address=address,
                kind=kind,
                label=label,
                title=title,
                heading_path=parents,
                text=text[stripped_start:stripped_end],
                start=stripped_start,
                end=stripped_end,
                order=len(clauses),
            )
        )
        current.clear()

    used: set[str] = set()
    for start, end in spans:
        line = text[start:end].strip()
        for kind, pattern in (("part", _PART), ("section", _SECTION), ("item", _ITEM)):
            match = pattern.match(line)
            if match:
                break
        else:
            if current:
                current[6] = end
                continue
            kind, match = "preamble", None
        flush()
        if match is None:
            address, label, title, parents = "序", "", "", ()
        else:
            number = match.group(1)
            label = match.group(0).strip()
            heading = line[match.end() :]
            title = heading.split("。", 1)[0]
            level = ("part", "section", "item").index(kind)
            for lower in ("part", "section", "item")[level:]:
                path.pop(lower, None)
                numbers.pop(lower, None)
            numbers[kind] = f"（{number}）" if kind == "section" else number
            parents = tuple(path[k] for k in ("part", "section") if k in path)
            address = ".".join(numbers[k] for k in ("part", "section", "item") if k in numbers)
            path[kind] = f"{label}{title}"
        base, suffix = address, 2
        while address in used:
            address, suffix = f"{base}#{suffix}", suffix + 1
        used.add(address)
        current[:] = [kind, address, label, title, parents, start, end]
    flush()
    return clauses
