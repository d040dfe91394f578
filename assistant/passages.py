"""Passages: clauses cut to the encoder's window (with context), and their single sentences.

Two granularities feed search: *windows* (up to MAX_PASSAGE_CHARS of a clause, prefixed with the clause's
region, document, heading path and title) carry the clause's topic; *sentences* (one sentence each, bare)
let a question that matches one measure of a long clause find it. Neither ever crosses a clause boundary.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .clauses import Clause
from .documents import Document

MAX_PASSAGE_CHARS = 300
PASSAGE_OVERLAP_CHARS = 60
SENTENCE_SEPARATORS = ["\n", "。", "；", ";", "！", "？", "，", ",", "、", ""]
MIN_SENTENCE_CHARS = 6
WINDOW, SENTENCE, ROW = "window", "sentence", "row"
_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]*")


@dataclass(frozen=True)
class Passage:
    """A piece of one clause (never crossing a clause boundary) and the context it is embedded with."""

    passage_id: str
    clause_id: str
    doc_id: str
    position: int  # 0 for the clause's first passage
    body: str  # verbatim slice of the clause text
    start: int  # span of body inside the clause text
    end: int
    context: str  # region, document, heading path and title; for a ROW, the row read with its column names
    # WINDOW (context + body), SENTENCE (the bare sentence) or ROW (a table row, the sentence-level unit of a table)
    granularity: str = WINDOW

    @property
    def embed_text(self) -> str:
        """What the encoder sees: context then body for a window, the sentence alone for a sentence, and for a
        table row the row read out with its table's title and column names."""
        if self.granularity == SENTENCE:
            return self.body
        if self.granularity == ROW:
            return self.context
        return f"{self.context}\n{self.body}"

    @property
    def content_hash(self) -> str:
        """Key for reusing an embedding when nothing about the passage changed."""
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()[:32]

    def to_json(self) -> dict:
        """JSON-ready fields."""
        return asdict(self)


def clause_context(clause: Clause, document: Document) -> str:
    """The context line a passage is embedded with: where the clause stands and what it is called."""
    path = " > ".join(clause.heading_path)
    own = f"{clause.label}{clause.title}".strip()
    place = " > ".join(part for part in (path, own) if part)
    return " ".join(part for part in (document.region, document.display_title, place) if part)


def _splitter(max_chars: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=overlap,
        separators=SENTENCE_SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def split_clause(text: str, max_chars: int = MAX_PASSAGE_CHARS, overlap: int = PASSAGE_OVERLAP_CHARS):
    """Spans (start, end) of the pieces of a clause text, cut on Chinese sentence boundaries."""
    if len(text) <= max_chars:
        return [(0, len(text))] if text.strip() else []
    spans = []
    for piece in _splitter(max_chars, overlap).create_documents([text]):
        start = piece.metadata["start_index"]
        if start < 0:  # the splitter could not place the piece; find it after the previous one
            start = text.find(piece.page_content, spans[-1][0] if spans else 0)
        spans.append((start, start + len(piece.page_content)))
    return spans


def split_sentences(text: str, max_chars: int = MAX_PASSAGE_CHARS) -> list[tuple[int, int]]:
    """Spans of the sentences of a clause text (ended by 。；！？ or a line break), long ones cut to max_chars."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        if end - start < MIN_SENTENCE_CHARS:
            continue
        spans.extend((start + s, start + e) for s, e in split_clause(text[start:end], max_chars, 0))
    return spans


def read_row(clause: Clause) -> str:
    """A table row as one line of text: its table's title, then each named cell as column and value
    ("专栏1质量强区建设主要发展指标：指标名称 单位地区生产总值能源消耗降低(%)；2025年 ﹝15﹞*；属性 约束性")."""
    table = clause.heading_path[-1] if clause.heading_path else ""
    cells = "；".join(f"{column} {value}" for column, value in clause.cells if value and column != "序号")
    return f"{table}：{cells}" if table else cells


def make_passages(
    clauses: Iterable[Clause],
    documents: dict[str, Document],
    max_chars: int = MAX_PASSAGE_CHARS,
    overlap: int = PASSAGE_OVERLAP_CHARS,
) -> list[Passage]:
    """Every clause's windows (no longer than max_chars) then its sentences (a table row: the row itself), in
    corpus order."""
    passages = []
    for clause in clauses:
        context = clause_context(clause, documents[clause.doc_id])
        windows = split_clause(clause.text, max_chars, overlap)
        if clause.cells:
            # A table row is one record: cut into sentences it falls apart into cells ("10 |", "约束性 |") that
            # say nothing alone, so its sentence-level unit is the whole row, read with its column names (the
            # reading, not the body, holds the whole row when it is longer than a passage).
            small = (ROW, [(0, min(len(clause.text), max_chars))], read_row(clause))
        else:
            small = (SENTENCE, split_sentences(clause.text, max_chars), context)
        for granularity, spans, passage_context in ((WINDOW, windows, context), small):
            marker = "#" if granularity == WINDOW else "~"
            for position, (start, end) in enumerate(spans):
                passages.append(
                    Passage(
                        passage_id=f"{clause.clause_id}{marker}{position}",
                        clause_id=clause.clause_id,
                        doc_id=clause.doc_id,
                        position=position,
                        body=clause.text[start:end],
                        start=start,
                        end=end,
                        context=passage_context,
                        granularity=granularity,
                    )
                )
    return passages
