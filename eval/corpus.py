"""The evaluation's view of the corpus: text normalisation and where a label's substring lies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.documents import Document, find_document, load_catalog
from assistant.normalize import for_labels
from assistant.regions import split_region

DOCUMENTS_DIR = Path(__file__).resolve().parent.parent / "documents"

# Labels are matched exactly as the app normalises text, and region filters follow the app's own rule.
normalize = for_labels


def region_prefixes(region: str) -> list[str]:
    """Every filter that matches a region: its path cut at each administrative boundary."""
    levels = split_region(region)
    return ["".join(levels[: i + 1]) for i in range(len(levels))]


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
    documents: tuple[Document, ...] = ()

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

    def region_of_document(self, name: str) -> str | None:
        """The region of the document a filter names (its id, file or title), or None for no such document."""
        found = find_document(self.documents, name)
        return found.region if found else None

    def region_of(self, contains: str) -> str | None:
        """The region of the one document holding a label, or None when not exactly one."""
        doc_ids = {doc_id for doc_id, text in self.texts.items() if normalize(contains) in text}
        return self.regions[doc_ids.pop()] if len(doc_ids) == 1 else None


def load_corpus(documents_dir: Path = DOCUMENTS_DIR) -> Corpus:
    """Read the catalog's documents and normalise them."""
    documents = load_catalog(documents_dir)
    lines = {doc.doc_id: tuple(normalize(line) for line in doc.text.splitlines()) for doc in documents}
    return Corpus(
        regions={doc.doc_id: doc.region for doc in documents},
        lines=lines,
        texts={doc_id: "".join(doc_lines) for doc_id, doc_lines in lines.items()},
        documents=tuple(documents),
    )
