"""The everyday-words glossary: for the corpus's policy terms, the words people say instead.

A resident asks whether 公平秤 and 加油机 are checked; the clause says 诚信计量 and 强制检定. BM25 matches words
and the encoder knows few such pairs, so, as document expansion does (doc2query, and thesaurus expansion before
it), every text BM25 searches also carries the everyday words of the glossary terms it holds: a window that
says 家政服务 is found by 月嫂 and 保姆 too. The expansion is on the documents' side, where a term is matched
whole; on the question's side a short everyday word would be matched inside longer ones and add noise.

The glossary lives beside the documents (`documents/glossary.jsonl`), one JSON object a line, the term as the
document writes it (traditional characters too) and the everyday words:

    {"term": "城市更新", "everyday": ["老小区改造", "旧房翻新", "拆旧建新", "老街改造", "加装电梯"]}

It was written from the documents alone, by two writers per document working apart, never from the evaluation's
gold set.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .documents import file_digest, json_lines
from .errors import DocumentError
from .normalize import for_matching

GLOSSARY_NAME = "glossary.jsonl"
# A term held by more than this share of the texts is too common to tell them apart (施工, 品牌 …), and its
# everyday words are not added (development half: 0.9164 at 5 %, 0.9147 at 3 % and at 8 %).
MAX_TERM_SHARE = 0.05


@dataclass(frozen=True)
class GlossaryEntry:
    """A term of the documents and the everyday words for it."""

    term: str
    everyday: tuple[str, ...]

    def to_json(self) -> dict:
        """The glossary line of this entry."""
        return {"term": self.term, "everyday": list(self.everyday)}


def glossary_path(documents_dir: Path) -> Path:
    """Where a documents folder keeps its glossary."""
    return Path(documents_dir) / GLOSSARY_NAME


def glossary_hash(documents_dir: Path) -> str:
    """A digest of the glossary file ('' when the folder has none), so the index knows when it changed."""
    return file_digest(glossary_path(documents_dir))


def read_glossary(documents_dir: Path) -> list[GlossaryEntry]:
    """Every entry of the glossary (none when the folder has none); a malformed line is an error naming it."""
    path = glossary_path(documents_dir)
    entries = []
    for number, entry in json_lines(path, "glossary"):
        term, everyday = entry.get("term"), entry.get("everyday")
        if (
            not isinstance(term, str)
            or not term.strip()
            or not isinstance(everyday, list)
            or not all(isinstance(word, str) for word in everyday)
        ):
            raise DocumentError(f"{path}:{number}: an entry needs a term and a list of everyday words")
        words = tuple(dict.fromkeys(word.strip() for word in everyday if word.strip()))
        if words:
            entries.append(GlossaryEntry(term.strip(), words))
    return entries


def usable_entries(entries: Iterable[GlossaryEntry], texts: Iterable[str]) -> list[GlossaryEntry]:
    """The entries whose term the corpus holds; the others (a document was edited) are left out, and said
    once on stderr."""
    corpus = "\n".join(for_matching(text) for text in texts)
    usable, unknown = [], []
    for entry in entries:
        (usable if for_matching(entry.term) in corpus else unknown).append(entry)
    if unknown:
        shown = "、".join(entry.term for entry in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        print(f"warning: the glossary names {len(unknown)} terms the corpus lacks ({shown})", file=sys.stderr)
    return usable


def everyday_words(texts: list[str], entries: Iterable[GlossaryEntry]) -> list[str]:
    """For each text, the everyday words of the glossary terms it holds (matched in simplified form), '' for
    none; a term that more than MAX_TERM_SHARE of the texts (and more than one) hold adds nothing."""
    matched = [for_matching(text) for text in texts]
    words: dict[str, list[str]] = {}
    for entry in entries:
        term = for_matching(entry.term)
        words.setdefault(term, []).extend(for_matching(word) for word in entry.everyday)
    limit = max(1.0, MAX_TERM_SHARE * len(texts))  # a term of one text alone always tells
    added: list[list[str]] = [[] for _ in texts]
    for term, said in words.items():
        holders = [row for row, text in enumerate(matched) if term in text]
        if len(holders) <= limit:
            for row in holders:
                added[row].extend(said)
    return [" ".join(dict.fromkeys(row)) for row in added]
