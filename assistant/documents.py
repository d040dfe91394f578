"""Documents of the corpus: the catalog, reading text files in any common Chinese encoding."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import DocumentError

CATALOG_NAME = "catalog.json"
STATUSES = ("effective", "draft")
LEVELS = ("province", "city", "district")


@dataclass(frozen=True)
class Document:
    """One policy document with its catalog metadata and its verbatim text."""

    doc_id: str
    file: str
    title: str | None
    name: str
    region: str
    level: str | None
    issuer: str | None
    date: str | None
    status: str
    script: str
    text: str
    note: str | None = None
    source: str | None = None  # the file the text came from (a seed's or an upload's name), for provenance

    @property
    def display_title(self) -> str:
        """The official title where the text gives one, else the catalog's descriptive name."""
        return self.title or self.name

    @property
    def is_draft(self) -> bool:
        """True for a draft for comment (征求意见稿)."""
        return self.status == "draft"

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a user may give this document by: its id, its file, the file it came from (with or
        without the extension), its title and its descriptive name."""
        files = [name for name in (self.file, self.source) if name]
        stems = [Path(name).stem for name in files]
        return tuple(dict.fromkeys(n for n in (self.doc_id, *files, *stems, self.title, self.name) if n))

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text, the key for re-embedding only what changed."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def metadata(self) -> dict:
        """Catalog fields as a JSON-ready dict (without the text)."""
        fields = asdict(self)
        fields.pop("text")
        return fields


_UNLIKELY = re.compile(r"[\ue000-\uf8ff\u3040-\u30ff\uac00-\ud7af\ufffd]")  # private use, kana, hangul


def file_digest(path: Path) -> str:
    """A digest of a file beside the documents ('' when there is none), so the index knows when it changed."""
    if not path.is_file():
        return ""
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError as error:
        raise DocumentError(f"{path}: unreadable ({error.strerror or error})") from error


def json_lines(path: Path, kind: str) -> Iterator[tuple[int, dict]]:
    """The JSON objects of a JSON-lines file beside the documents (the question bank, the glossary), each with
    its line number, blank lines skipped; none when there is no file. An unreadable file, or a line that is not
    a JSON object, is an error naming it."""
    if not path.is_file():
        return
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DocumentError(f"{path}: unreadable {kind} file ({error})") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise DocumentError(f"{path}:{number}: not a {kind} line ({error})") from error
        if not isinstance(entry, dict):
            raise DocumentError(f"{path}:{number}: not a {kind} line (not a JSON object)")
        yield number, entry


def decode_text(data: bytes, source: str = "<bytes>") -> str:
    """Decode a text file that may be UTF-8 (with or without BOM), GB18030/GBK or Big5."""
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{source}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # GB18030 accepts almost any bytes, so Big5 text decodes "successfully" into private-use and kana
    # characters: prefer the candidate with the fewest characters a Chinese document would not contain.
    candidates = []
    for order, encoding in enumerate(("gb18030", "big5")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((len(_UNLIKELY.findall(text)), order, text))
    if candidates:
        return min(candidates)[2]
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError(f"{source}: cannot tell the text encoding (expected UTF-8, GBK, GB18030 or Big5)")
    return str(best)


def read_text(path: Path) -> str:
    """Read a text file of the corpus, whatever common Chinese encoding it uses."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(f"{path}: cannot read ({error.strerror})") from error
    return decode_text(data, str(path))


def load_catalog(documents_dir: Path) -> list[Document]:
    """Read the catalog and every document it lists, in catalog order."""
    catalog_path = documents_dir / CATALOG_NAME
    if not catalog_path.is_file():
        raise DocumentError(f"{catalog_path}: catalog not found")
    try:
        entries = json.loads(catalog_path.read_text(encoding="utf-8"))["documents"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DocumentError(f"{catalog_path}: not a valid catalog ({error})") from error
    documents = []
    seen: set[str] = set()
    for entry in entries:
        doc_id = entry.get("id")
        if not doc_id or doc_id in seen:
            raise DocumentError(f"{catalog_path}: missing or repeated document id {doc_id!r}")
        seen.add(doc_id)
        if entry.get("status") not in STATUSES:
            raise DocumentError(f"{catalog_path}: {doc_id}: status must be one of {', '.join(STATUSES)}")
        text = read_text(documents_dir / entry["file"])
        documents.append(
            Document(
                doc_id=doc_id,
                file=entry["file"],
                title=entry.get("title"),
                name=entry.get("name") or entry.get("title") or doc_id,
                region=entry["region"],
                level=entry.get("level"),
                issuer=entry.get("issuer"),
                date=entry.get("date"),
                status=entry["status"],
                script=entry.get("script", "simplified"),
                text=text,
                note=entry.get("note"),
                source=entry.get("source"),
            )
        )
    return documents


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def find_document(documents: Iterable[Document], name: str) -> Document | None:
    """The one document a name stands for (see ``Document.names``; case, width and spaces aside), or None
    when no document, or more than one, has that name. An id always wins over another document's other name."""
    key = _name_key(name)
    documents = list(documents)
    by_id = [document for document in documents if _name_key(document.doc_id) == key]
    if len(by_id) == 1:
        return by_id[0]
    named = [document for document in documents if key in {_name_key(n) for n in document.names}]
    return named[0] if len(named) == 1 else None
