"""The evaluation's view of the corpus: text normalisation and where a label's substring lies."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DOCUMENTS_DIR = Path(__file__).resolve().parent.parent / "documents"

_WHITESPACE = re.compile(r"\s+")
# A region path cut into its administrative levels: province, city (prefecture), district (county).
_REGION_PATH = re.compile(
    r"^(?P<province>.+?(?:省|自治区|特别行政区))?(?P<city>.+?(?:市|自治州|地区|盟))?(?P<district>.+?(?:区|县|市|旗))?$"
)


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Text as labels are matched: NFKC, traditional → simplified, whitespace removed."""
    return _WHITESPACE.sub("", _t2s().convert(unicodedata.normalize("NFKC", text)))


def region_prefixes(region: str) -> list[str]:
    """Every filter that matches a region: its path cut at each administrative boundary."""
    match = _REGION_PATH.match(region)
    if not match:
        return [region]
    levels = [level for level in match.group("province", "city", "district") if level]
    return ["".join(levels[: i + 1]) for i in range(len(levels))]


def region_matches(filter_region: str, region: str) -> bool:
    """True when a region filter (a prefix at an administrative boundary) covers a region."""
    return filter_region in region_prefixes(region)


@dataclass(frozen=True)
class Place:
    """Where a normalised substring lies: document, 1-based line and that line's normalised text."""

    doc_id: str
    region: str
    line_number: int
    line: str


@dataclass(frozen=True)
class Corpus:
    """The documents of the catalog, normalised line by line for label look-ups."""

    regions: dict[str, str]  # doc_id → region
    lines: dict[str, tuple[str, ...]]  # doc_id → normalised lines (1-based numbering = index + 1)
    texts: dict[str, str]  # doc_id → whole normalised text

    def count(self, contains: str) -> int:
        """How many times a normalised substring occurs in the whole corpus (overlaps counted)."""
        needle = normalize(contains)
        if not needle:
            return 0
        total = 0
        for text in self.texts.values():
            start = text.find(needle)
            while start != -1:
                total += 1
                start = text.find(needle, start + 1)
        return total

    def places(self, contains: str) -> list[Place]:
        """Every line that contains the normalised substring."""
        needle = normalize(contains)
        return [
            Place(doc_id, self.regions[doc_id], number, line)
            for doc_id, lines in self.lines.items()
            for number, line in enumerate(lines, start=1)
            if needle and needle in line
        ]

    def region_of(self, contains: str) -> str | None:
        """The region of the one document holding a label, or None when not exactly one."""
        doc_ids = {doc_id for doc_id, text in self.texts.items() if normalize(contains) in text}
        return self.regions[doc_ids.pop()] if len(doc_ids) == 1 else None


def load_corpus(documents_dir: Path = DOCUMENTS_DIR) -> Corpus:
    """Read the catalog's documents and normalise them."""
    from assistant.documents import load_catalog

    documents = load_catalog(documents_dir)
    lines = {doc.doc_id: tuple(normalize(line) for line in doc.text.splitlines()) for doc in documents}
    return Corpus(
        regions={doc.doc_id: doc.region for doc in documents},
        lines=lines,
        texts={doc_id: "".join(doc_lines) for doc_id, doc_lines in lines.items()},
    )
