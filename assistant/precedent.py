"""Precedents for a draft: the matching clause of every other region, side by side, with shared text marked.

A drafting writer pastes a paragraph of their own draft. It is searched (at most ``MAX_SEARCHES`` searches of
at most ``MAX_QUERY_CHARS`` each, so the whole compared draft is searched), hits are grouped by the region path
of their document, and each shown clause is aligned character by character against the draft so the writer
sees what is shared and what differs. ``to_markdown`` and ``to_docx`` export the selection.

Which clauses are shown
-----------------------
Scores are the searcher's "final" scores: a weighted sum of min-max scaled retriever scores over the whole
corpus (0 = the corpus's worst clause, 1 = best on every retriever), comparable across regions of one search.

* A region is shown only when its best clause scores at least ``REGION_MIN_RATIO`` (0.75) times the best
  clause of any region. In trials with the real model (13 drafts), regions with a counterpart of the draft
  scored 0.72–1.0 of the best, mostly above 0.8; regions without one 0.40–0.71 (drafts on 盐湖, 酱香白酒 or
  化妆品, which only one region has). The cut errs towards leaving a borderline region out, and every region
  left out is named in a notice, so a missing region is never silent.
* Scores cannot tell a draft that matches nothing (every search has a best clause); when no shown clause
  shares a run of ``MIN_MATCH_CHARS`` characters with the draft, a notice says the matches are only in sense.
* Within a region, at most ``per_region`` clauses, each scoring at least ``min_score_ratio`` times the
  region's best, best first. Page furniture is never shown.
* Place names of the corpus are removed from the text that is searched: a draft names its own region, and
  the searcher would otherwise favour that region (for short texts explicitly, for long ones through BM25).

Marking
-------
Both texts are normalised character by character (OpenCC t2s, NFKC where it keeps one character, whitespace
as a space), so a traditional clause matches a simplified draft and every normalised character maps back to
one original character. ``difflib.SequenceMatcher`` (autojunk off) aligns them; matching blocks of at least
``MIN_MATCH_CHARS`` characters are marked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from io import BytesIO
from typing import TYPE_CHECKING

from .errors import QueryError
from .normalize import to_simplified
from .regions import Gazetteer, region_matches
from .search import MAX_QUERY_CHARS, STATUS_LABELS, Hit, Searcher

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

MAX_DRAFT_CHARS = 5000
MAX_SEARCHES = -(-MAX_DRAFT_CHARS // MAX_QUERY_CHARS)  # 3: the whole compared draft is searched
SEARCH_TOP_K = 100  # the searcher's maximum: generous, so the drafter's own region cannot crowd others out
REGION_MIN_RATIO = 0.75
MIN_MATCH_CHARS = 4
_SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;\n]+|[^。！？；!?;\n]+")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~#$])")
_MARKDOWN_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


@dataclass(frozen=True)
class Segment:
    """A run of a text, marked as shared with the other side of the comparison or not."""

    text: str
    matched: bool


@dataclass(frozen=True)
class Precedent:
    """One clause shown for a draft, its text cut into shared and differing runs."""

    hit: Hit
    segments: tuple[Segment, ...]
    overlap: float  # share of the clause's non-whitespace characters inside matched segments


@dataclass(frozen=True)
class RegionGroup:
    """The best clauses of one region (a document's region path), best first."""

    region: str
    precedents: tuple[Precedent, ...]


@dataclass(frozen=True)
class PrecedentResult:
    """Precedents for a draft grouped by region, best region first, with the draft marked by what they share."""

    draft: str  # the compared draft (cut to MAX_DRAFT_CHARS); draft_segments concatenate to it
    groups: tuple[RegionGroup, ...]
    notices: tuple[str, ...]
    draft_segments: tuple[Segment, ...]

    @property
    def precedents(self) -> list[Precedent]:
        """Every shown clause, region by region."""
        return [precedent for group in self.groups for precedent in group.precedents]


def find_precedents(
    searcher: Searcher,
    draft: str,
    per_region: int = 3,
    exclude_region: str | None = None,
    region: str | None = None,
    min_score_ratio: float = 0.8,
) -> PrecedentResult:
    """The clauses of every region (but the drafter's own) that match a draft paragraph, with shared text marked."""
    if draft is None or not str(draft).strip():
        raise QueryError("请粘贴要比对的草稿段落（草稿为空）")
    if per_region < 1:
        raise QueryError(f"per_region must be at least 1, not {per_region}")
    if not 0 <= min_score_ratio <= 1:
        raise QueryError(f"min_score_ratio must be between 0 and 1, not {min_score_ratio}")
    text = str(draft).replace("\x00", "").strip()
    notices: list[str] = []
    if len(text) > MAX_DRAFT_CHARS:
        notices.append(f"草稿过长（{len(text)} 字），只比对了前 {MAX_DRAFT_CHARS} 字")
        text = text[:MAX_DRAFT_CHARS]
    excluded = searcher.resolve_region(exclude_region)
    region_path = searcher.resolve_region(region)

    best: dict[str, Hit] = {}
    for query in _search_queries(text, searcher.gazetteer):
        result = searcher.search(query, region=region_path, top_k=SEARCH_TOP_K, mode="final")
        for notice in result.notices:
            if notice not in notices:
                notices.append(notice)
        for hit in result.hits:
            if hit.clause.is_furniture or (excluded and region_matches(excluded, hit.document.region)):
                continue
            known = best.get(hit.clause.clause_id)
            if known is None or hit.score > known.score:
                best[hit.clause.clause_id] = hit

    by_region: dict[str, list[Hit]] = {}
    for hit in sorted(best.values(), key=lambda h: (-h.score, h.clause.clause_id)):
        by_region.setdefault(hit.document.region, []).append(hit)
    ranked = sorted(by_region.items(), key=lambda item: (-item[1][0].score, item[0]))
    top_score = ranked[0][1][0].score if ranked else 0.0
    shown = [(name, hits) for name, hits in ranked if hits[0].score >= REGION_MIN_RATIO * top_score]
    left_out = [name for name, hits in ranked if hits[0].score < REGION_MIN_RATIO * top_score]
    if left_out:
        notices.append(f"以下地区没有与草稿足够接近的条款，未显示：{'、'.join(left_out)}")

    draft_form = _matching_form(text)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(draft_form)
    draft_ranges: list[tuple[int, int]] = []
    groups = []
    for name, hits in shown:
        floor = min_score_ratio * hits[0].score
        precedents = []
        for hit in [h for h in hits if h.score >= floor][:per_region]:
            clause_text = hit.clause.text
            matcher.set_seq1(_matching_form(clause_text))
            blocks = [b for b in matcher.get_matching_blocks() if b.size >= MIN_MATCH_CHARS]
            clause_ranges = [(b.a, b.a + b.size) for b in blocks]
            draft_ranges.extend((b.b, b.b + b.size) for b in blocks)
            segments = _segments(clause_text, clause_ranges)
            precedents.append(Precedent(hit, segments, _overlap(segments)))
        groups.append(RegionGroup(name, tuple(precedents)))

    if not groups:
        notices.append("没有找到与草稿相近的条款")
    elif not any(p.overlap for group in groups for p in group.precedents):
        notices.append(f"所示条款与草稿没有连续 {MIN_MATCH_CHARS} 字以上相同的文字，只是意思相近")
    return PrecedentResult(text, tuple(groups), tuple(notices), _segments(text, draft_ranges))


def _search_queries(text: str, gazetteer: Gazetteer) -> list[str]:
    """The draft cut on sentence boundaries into at most MAX_SEARCHES queries, without the corpus's place names."""
    chunks = _chunks(text)
    queries = []
    for chunk in chunks:
        query = to_simplified(chunk)
        for name in sorted(gazetteer.names, key=len, reverse=True):
            query = query.replace(name, " ")
        query = query if query.strip() else chunk
        if query.strip():
            queries.append(query)
    return queries


def _chunks(text: str) -> list[str]:
    """Consecutive pieces of at most MAX_QUERY_CHARS, cut after a sentence where possible, at most MAX_SEARCHES."""
    if len(text) <= MAX_QUERY_CHARS:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in _SENTENCE.findall(text):
        for start in range(0, len(sentence), MAX_QUERY_CHARS):
            piece = sentence[start : start + MAX_QUERY_CHARS]
            if len(current) + len(piece) > MAX_QUERY_CHARS:
                chunks.append(current)
                current = ""
            current += piece
    chunks.append(current)
    if len(chunks) > MAX_SEARCHES:  # sentence boundaries wasted too much room: cut at fixed widths instead
        chunks = [text[start : start + MAX_QUERY_CHARS] for start in range(0, len(text), MAX_QUERY_CHARS)]
    return chunks[:MAX_SEARCHES]


@lru_cache(maxsize=8192)
def _matching_char(char: str) -> str:
    """One character in matching form: simplified, NFKC where that stays one character, whitespace as a space."""
    simplified = to_simplified(char)
    char = simplified if len(simplified) == 1 else char
    compatible = unicodedata.normalize("NFKC", char)
    char = compatible if len(compatible) == 1 else char
    return " " if char.isspace() else char


def _matching_form(text: str) -> str:
    """The text normalised for alignment, exactly one character per original character."""
    simplified = to_simplified(text)
    if len(simplified) != len(text):  # a phrase conversion changed the length: convert char by char
        simplified = "".join(_matching_char(char) for char in text)
    return "".join(_matching_char(char) for char in simplified)


def _segments(text: str, ranges: list[tuple[int, int]]) -> tuple[Segment, ...]:
    """The text cut into alternating unmatched and matched runs; ranges may overlap and come in any order."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    segments = []
    position = 0
    for start, end in merged:
        if start > position:
            segments.append(Segment(text[position:start], False))
        segments.append(Segment(text[start:end], True))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:], False))
    return tuple(segments)


def _overlap(segments: tuple[Segment, ...]) -> float:
    """Share of the non-whitespace characters that lie in matched segments."""
    total = sum(len("".join(s.text.split())) for s in segments)
    matched = sum(len("".join(s.text.split())) for s in segments if s.matched)
    return matched / total if total else 0.0


def _selection(result: PrecedentResult, selected: list[str] | None) -> list[tuple[str, list[Precedent]]]:
    """The groups to export, each with its selected clauses (None: all shown); an unknown id is an error."""
    if selected is not None:
        shown = {p.hit.clause.clause_id for p in result.precedents}
        unknown = [clause_id for clause_id in selected if clause_id not in shown]
        if unknown:
            raise QueryError(f"所选条款不在结果中：{'、'.join(unknown)}")
    wanted = None if selected is None else set(selected)
    chosen = []
    for group in result.groups:
        precedents = [p for p in group.precedents if wanted is None or p.hit.clause.clause_id in wanted]
        if precedents:
            chosen.append((group.region, precedents))
    return chosen


def _source_line(precedent: Precedent) -> str:
    """Issuer, date and status of the clause's document, and how much of the clause the draft shares."""
    document = precedent.hit.document
    status = STATUS_LABELS.get(document.status, document.status)
    return (
        f"发布：{document.issuer or '未注明'}｜日期：{document.date or '未注明'}｜状态：{status}"
        f"｜与草稿相同：{precedent.overlap:.0%}"
    )


def _markdown_escape(text: str) -> str:
    """Text that Markdown shows literally inside a line: its special characters backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_line(pieces: list[Segment]) -> str:
    """One line of text with matched pieces in **bold**; punctuation at a piece's edges stays outside the bold."""
    out = []
    for piece in pieces:
        if not piece.matched:
            out.append(_markdown_escape(piece.text))
            continue
        # CommonMark only opens/closes ** next to a non-punctuation character when the other side is a letter.
        start, end = 0, len(piece.text)
        while start < end and _is_edge(piece.text[start]):
            start += 1
        while end > start and _is_edge(piece.text[end - 1]):
            end -= 1
        core = piece.text[start:end]
        bold = f"**{_markdown_escape(core)}**" if core else ""
        out.append(_markdown_escape(piece.text[:start]) + bold + _markdown_escape(piece.text[end:]))
    line = "".join(out).strip()
    line = _MARKDOWN_LIST_NUMBER.sub(r"\1\\\2", line)
    return re.sub(r"^([-+=])", r"\\\1", line)


def _is_edge(char: str) -> bool:
    """True for whitespace, punctuation and symbols, which a bold run must not start or end with."""
    return char.isspace() or unicodedata.category(char)[0] in "PSZ"


def _markdown_block(segments: tuple[Segment, ...], prefix: str = "") -> str:
    """Segments as one Markdown paragraph: lines joined by hard breaks, blank lines dropped."""
    lines: list[list[Segment]] = [[]]
    for segment in segments:
        for index, part in enumerate(segment.text.split("\n")):
            if index:
                lines.append([])
            if part:
                lines[-1].append(Segment(part, segment.matched))
    rendered = [_markdown_line(line) for line in lines]
    return "\\\n".join(prefix + line for line in rendered if line)


def to_markdown(result: PrecedentResult, selected: list[str] | None = None) -> str:
    """The draft and the selected clauses (default: all shown) as Markdown, shared text in bold."""
    parts = ["# 各地条款对照", "", "## 草稿（与各地条款相同的文字加粗）", ""]
    parts += [_markdown_block(result.draft_segments, prefix="> "), ""]
    for region, precedents in _selection(result, selected):
        parts += [f"## {_markdown_escape(region)}", ""]
        for precedent in precedents:
            parts += [
                f"### {_markdown_escape(precedent.hit.citation)}",
                "",
                f"- {_markdown_escape(_source_line(precedent))}",
                f"- 位置：{_markdown_escape(precedent.hit.clause.section)}",
                "",
                _markdown_block(precedent.segments),
                "",
            ]
    return "\n".join(parts).rstrip("\n") + "\n"


def _docx_text(text: str) -> str:
    """Text Word can hold: characters XML forbids are dropped."""
    return _XML_INVALID.sub("", text)


def _docx_paragraph(document: WordDocument, segments: tuple[Segment, ...]) -> None:
    """A paragraph of plain-text runs, the matched ones bold."""
    paragraph = document.add_paragraph()
    for segment in segments:
        run = paragraph.add_run(_docx_text(segment.text))
        run.bold = segment.matched


def to_docx(result: PrecedentResult, selected: list[str] | None = None) -> bytes:
    """The draft and the selected clauses (default: all shown) as a Word document, shared text in bold."""
    import docx

    document = docx.Document()
    document.add_heading("各地条款对照", level=0)
    document.add_heading("草稿（与各地条款相同的文字加粗）", level=1)
    _docx_paragraph(document, result.draft_segments)
    for region, precedents in _selection(result, selected):
        document.add_heading(_docx_text(region), level=1)
        for precedent in precedents:
            document.add_heading(_docx_text(precedent.hit.citation), level=2)
            document.add_paragraph(_docx_text(_source_line(precedent)))
            document.add_paragraph(_docx_text(f"位置：{precedent.hit.clause.section}"))
            _docx_paragraph(document, precedent.segments)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
