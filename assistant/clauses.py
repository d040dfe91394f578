"""Structure parsing: a document's text becomes an ordered list of addressed clauses.

Every non-whitespace character of the source belongs to exactly one clause; each clause's ``text`` is
the verbatim slice ``source[start:end]`` (trimmed of surrounding whitespace), spans are in order and
never overlap. The parser is a single pass over the lines (linear in the length of the text).

Addresses
---------
An address is a dot-separated path, unique within the document and the same on every parse of the
same text. ``clause_id`` is ``doc_id + ":" + address``.

==================  =========  ========================================================================
address             kind       what
==================  =========  ========================================================================
``二``              part       ``二、`` (the document's own Chinese numeral)
``二.（三）``       section    ``（三）`` or ``(三)``; the key always uses full-width brackets
``二.（三）.1``     item       ``1.`` / ``1．`` / ``1、`` (sections or items may be missing: ``二.1``)
``二.（三）.段2``   paragraph  an unnumbered paragraph under a heading; the heading clause itself is
                               段1 (a heading-only line takes the paragraph right after it as its body)
``一.目标3``        target     the 3rd ``——`` line outside a 专栏 box, under its nearest heading
``三.（一）.专栏2`` box        ``专栏2 …`` title line, under the nearest part/section (never an item)
``….专栏2.3``       box_line   the 3rd ``——`` line of that box
``二.专栏1.表3``    table_row  3rd data row of the box's table (cells one per line are reassembled);
                               outside a box: ``<parent>.表<t>.<row>`` and ``<parent>.表<t>.表头``
``二.专栏1.注``     paragraph  a ``注:`` line closing a box
``序``, ``序.段2``  preamble   text before the first heading (after title / notice)
``标题``            title      the document's title lines (consecutive short lines, grouped)
``通知.3``          notice     3rd line of a comment-solicitation or cover notice (its own 一、二、 are
                               notice lines, not parts: label ``一、``, address ``通知.N``)
``署名``            signature  issuer line + date line, grouped (``署名2`` … for later ones)
``页头``            header     the metadata table at the top of a government page (索引号 …)
``页面.2``          furniture  breadcrumbs, credits (来源/监制/…), share prompts, news-wrapper lines
``段3``             paragraph  fallback for text with no recognisable structure: one per line
==================  =========  ========================================================================

A repeated address (e.g. two ``一、`` parts in shapeless input) gets a ``#2``, ``#3`` … suffix.

The news wrapper of a reprinted document (everything up to a ``原文如下:`` line) is page furniture.
``header`` and ``furniture`` clauses are kept (no text is lost) but ``is_furniture`` is True.
A notice runs from its trigger line (征求…意见, an addressee line 各…: or 印发给你们) to the date line
of the signature that closes it; without one, only the trigger and any contact lines after it.

Labels, titles, paths
---------------------
``label`` is the number as cited, built from the parents' own labels in the document's punctuation with
brackets made full-width (``二、（三）1.``, ``三、（一）专栏2``); unnumbered clauses have ``""``.
``title`` is the lead phrase before the first 。 (at most 60 characters), or the whole text of a
heading-only line. ``heading_path`` holds label + title of every parent (``二、重点任务``,
``（三）促进产品质量提档升级``, ``专栏2重点产业…``), outermost first; ``parent`` is the parent's address.
``units`` are read from a closing （…负责） / 【…】 bracket; ``cells`` are a table row's
(column, value) pairs. A heading number out of sequence (not 1 and not the previous + 1) only counts
when the line reads like a heading (short, or a short lead phrase), so 「三、四季度…」 stays prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARSER_VERSION = "1.1"

# What a clause is, in the order a reader meets them in a policy document.
CLAUSE_KINDS = (
    "header",  # metadata table at the top of a government web page (索引号, 发布机构 …)
    "title",  # the document's own title lines
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

FURNITURE_KINDS = frozenset({"furniture", "header"})
HEADING_KINDS = ("part", "section", "item", "box")


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
    cells: tuple[tuple[str, str], ...] = ()  # table rows: (column, value) pairs
    parent: str = ""  # address of the enclosing heading or box; "" at top level
    number: str = ""  # its own number as printed in a heading path, e.g. "2.", "（三）", "专栏2"

    @property
    def clause_id(self) -> str:
        """Corpus-unique id: document id and address."""
        return f"{self.doc_id}:{self.address}"

    @property
    def section(self) -> str:
        """The heading path down to this clause, as shown to users."""
        own = f"{self.number or self.label}{self.title}" if self.kind in HEADING_KINDS else self.label
        parts = [*self.heading_path, own] if own else list(self.heading_path)
        return " > ".join(parts)

    @property
    def is_bare_heading(self) -> bool:
        """A heading line alone (「三、保障措施」, 「专栏2 …」): its content lies in the clauses below it."""
        return self.kind in HEADING_KINDS and "\n" not in self.text.strip() and "。" not in self.text

    @property
    def is_furniture(self) -> bool:
        """Page furniture is kept for completeness but never shown as policy."""
        return self.kind in FURNITURE_KINDS


# ---------------------------------------------------------------------------------------------------------
# Line patterns (applied to a line stripped of surrounding whitespace)

_CN = "一二三四五六七八九十百零〇两"
_PART = re.compile(rf"([{_CN}]{{1,4}})、(?![{_CN}]{{1,3}}、)")
_SECTION = re.compile(rf"[（(]\s*([{_CN}]{{1,4}})\s*[）)](?![至到和及或项條条款（(]|、[（(])")
_ITEM = re.compile(r"(\d{1,3})([.．、])(?![\d.．、%％]|[至到和及或项條条款])")
_BOX = re.compile(rf"专栏\s*(\d{{1,3}}|[{_CN}]{{1,4}})(?![\d{_CN}])|專欄\s*(\d{{1,3}})")
_NOTE = re.compile(r"(?:注|備註|备注)\s*[:：]")
_DATE = re.compile(
    r"(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|[一二三四五六七八九〇零○]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日)"
)
_FURNITURE = re.compile(
    r"(?:当前位置|當前位置|您的位置|你的位置|您现在的位置|您現在的位置)\s*[:：]"
    r"|(?:来源|來源|监制|監製|审校|審校|编辑|編輯|责任编辑|責任編輯|责编|作者|发布时间|發佈時間|浏览次数|瀏覽次數)"
    r"\s*[:：]"
    r"|扫一扫在手机打开当前页|掃一掃在手機打開當前頁|扫一扫在手机上查看当前页面"
    r"|您访问的链接即将离开|您訪問的鏈接即將離開"
    r"|【?(?:打印本页|关闭窗口|打印本頁|關閉窗口)】?$"
)
_WRAPPER_END = re.compile(r"(?:以下为|以下是)?(?:原文|全文|文件全文|通知全文)如下\s*[:：]?$")
_NOTICE = re.compile(r"(?:征求|征集|徵求|徵集).{0,80}?意见(?!稿)|印发给你们|印發給你們")
_ADDRESSEE = re.compile(r"各[^。]{1,80}[:：]$")
_CONTACT = re.compile(
    r"(?:联系人|联系电话|电话|传真|电子邮箱|邮箱|电子邮件|地址|通讯地址|邮编|邮政编码)\s*[:：]"
)
_SEPARATOR_CHARS = frozenset(" \t:：-—")
_UNIT_SUFFIX = re.compile(
    r"(?:等(?:有关|有關)?(?:部门|部門|单位|單位))?"
    r"(?:按(?:照)?(?:职责|職責)(?:分工)?(?:负责|負責)(?:落实|落實)?|(?:牵头|牽頭)(?:负责|負責)?"
    r"|(?:负责|負責)(?:落实|落實)?|配合|参与|參與)$"
)
_UNIT_ETC = re.compile(r"等(?:(?:有关)?(?:部门|部門|单位|單位))?$")
_TRAILING_PUNCT = "。:：;；,，、| \t"

_CN_DIGITS = {
    char: value for value, chars in enumerate("零〇 一 二两 三 四 五 六 七 八 九".split()) for char in chars
}
_LEVELS = ("part", "section", "item")
_TITLE_MAX = 60  # a lead phrase longer than this is a sentence, not a title


def _cn_int(numeral: str) -> int:
    """一 → 1, 十二 → 12, 二十五 → 25, 一百零一 → 101 (only used to check sequences)."""
    total, current = 0, 0
    for char in numeral:
        if char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            current = current * 10 + _CN_DIGITS.get(char, 0)
    return total + current


def _lead(body: str) -> str:
    """The lead phrase of a clause: text up to the first 。 (without it), when short enough to be a title."""
    head = body[: _TITLE_MAX + 1]
    stop = head.find("。")
    if 0 < stop <= _TITLE_MAX:
        return head[:stop].strip()
    return ""


def _heading_title(rest: str) -> tuple[str, bool]:
    """Title of a heading line after its label, and whether the line is heading-only (no body)."""
    bare = rest.strip().rstrip(_TRAILING_PUNCT).strip()
    if "。" not in bare and len(bare) <= _TITLE_MAX:
        return bare, True
    return _lead(rest), False


def _trailing_bracket(text: str) -> str | None:
    """Content of the bracket that closes a text (（…）, (…) or 【…】), nested brackets allowed."""
    tail = text[-600:].rstrip().rstrip("|").rstrip()
    if not tail or tail[-1] not in "）)】":
        return None
    if tail[-1] == "】":
        opening = tail.rfind("【")
        return tail[opening + 1 : -1] if opening >= 0 else None
    depth = 0
    for index in range(len(tail) - 1, -1, -1):
        char = tail[index]
        if char in "）)":
            depth += 1
        elif char in "（(":
            depth -= 1
            if depth == 0:
                return tail[index + 1 : -1]
    return None


def _split_top(text: str, separators: str) -> list[str]:
    """Split at separators that are not inside round brackets."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth = max(0, depth - 1)
        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_units(text: str) -> tuple[str, ...]:
    """Responsible units named in a closing bracket.

    （区工贸局牵头,区发改科技局、区市场监管局等部门按职责分工负责） → 区工贸局, 区发改科技局, 区市场监管局.
    Only groups ending in a responsibility phrase (负责, 牵头, 配合 …) count, so a closing （以下简称…）
    or 以下不再列出 names no unit.
    """
    inner = _trailing_bracket(text)
    if not inner:
        return ()
    units: list[str] = []
    for group in _split_top(inner, ",，;；"):
        group = group.strip()
        if group.count(")") + group.count("）") > group.count("(") + group.count("（"):
            group = group.rstrip(")）").strip()  # a stray closing bracket: 汕尾海关按职责分工负责)
        stripped = _UNIT_SUFFIX.sub("", group)
        if stripped == group:
            continue
        for name in _split_top(stripped, "、"):
            name = _UNIT_ETC.sub("", name.strip()).strip()
            if name and name not in units:
                units.append(name)
    return tuple(units)


def parse_header(text: str) -> dict[str, str]:
    """The metadata table at the top of a government page: {"索引号": …, "发布机构": …, "发文日期": …}.

    Keys are the bracketed cells without brackets or inner spaces; values are stripped ("" when empty).
    Only the leading block of ``|`` lines is read; a text without one gives ``{}``.
    """
    header: dict[str, str] = {}
    for line in _lines(text):
        if "|" not in line.text:
            break
        cells = [cell.strip() for cell in line.text.split("|")]
        for index, cell in enumerate(cells):
            key = re.fullmatch(r"\[\s*(.+?)\s*\]", cell)
            if key is None:
                continue
            name = re.sub(r"\s+", "", key.group(1))
            value = cells[index + 1] if index + 1 < len(cells) else ""
            header[name] = "" if re.fullmatch(r"\[.*\]", value) else value
    return header


_HEADER_STATUS = {"有效": "effective", "征求意见稿": "draft"}


def header_conflicts(text: str, issuer: str | None, date: str | None, status: str | None) -> list[str]:
    """Where a document's own header table (发布机构, 发文日期, 效力状态) disagrees with its catalog entry."""
    header = parse_header(text)
    problems = []
    for key, expected in (("发布机构", issuer), ("发文日期", date)):
        if header.get(key) and header[key] != expected:
            problems.append(f"{key} is {header[key]!r} in the text but {expected!r} in the catalog")
    stated = _HEADER_STATUS.get(header.get("效力状态", ""))
    if stated and stated != status:
        problems.append(f"效力状态 is {header['效力状态']!r} in the text but {status!r} in the catalog")
    return problems


# ---------------------------------------------------------------------------------------------------------
# Lines and drafts


@dataclass(frozen=True)
class _Line:
    start: int  # span of the line's content without surrounding whitespace
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    """Non-empty lines with the span of their stripped content."""
    lines = []
    position = 0
    for raw in text.splitlines(keepends=True):
        begin = position
        position += len(raw)
        content = raw.strip()
        if content:
            start = begin + len(raw) - len(raw.lstrip())
            lines.append(_Line(start, start + len(content), content))
    return lines


@dataclass
class _Draft:
    kind: str
    address: str
    label: str
    title: str
    path: tuple[str, ...]
    start: int
    end: int
    parent: str = ""
    units: bool = True  # look for responsible units in the text
    cells: tuple[tuple[str, str], ...] = ()
    number: str = ""


@dataclass
class _Heading:
    level: str  # part / section / item / box
    key: str  # address component
    address: str
    label: str  # own label, e.g. "二、", "（三）", "1.", "专栏2"
    cited: str  # label as cited, parents included
    heading: str  # own label + title
    path: tuple[str, ...]  # headings of the parents
    number: int = 0


@dataclass
class _Box:
    heading: _Heading
    draft: _Draft
    lines: int = 0
    rows: int = 0
    notes: int = 0


@dataclass
class _Cell:
    value: str
    start: int
    end: int
    line: int


class _Parser:
    def __init__(self, text: str, doc_id: str) -> None:
        self.text = text
        self.doc_id = doc_id
        self.lines = _lines(text)
        self.drafts: list[_Draft] = []
        self.used: set[str] = set()
        self.suffixes: dict[str, int] = {}
        self.counters: dict[str, int] = {}
        self.stack: list[_Heading] = []
        self.last_number = dict.fromkeys(_LEVELS, 0)
        self.box: _Box | None = None
        self.awaiting: _Draft | None = None  # a heading-only clause that takes the next paragraph
        self.tables: dict[str, int] = {}
        self.structured = False

    # -- helpers ---------------------------------------------------------------------------------------

    def count(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def unique(self, address: str) -> str:
        """The address itself, or address#2, #3 … when it is taken (constant time per clause)."""
        candidate = address
        if candidate in self.used:
            suffix = self.suffixes.get(address, 2)
            while f"{address}#{suffix}" in self.used:
                suffix += 1
            self.suffixes[address] = suffix + 1
            candidate = f"{address}#{suffix}"
        self.used.add(candidate)
        return candidate

    def emit(self, kind, address, label, title, path, start, end, parent="", **extra) -> _Draft:
        draft = _Draft(kind, self.unique(address), label, title, path, start, end, parent, **extra)
        self.drafts.append(draft)
        return draft

    def furniture(self, line: _Line) -> None:
        self.emit("furniture", f"页面.{self.count('页面')}", "", "", (), line.start, line.end, units=False)

    def signature(self, first: _Line, last: _Line) -> None:
        number = self.count("署名")
        address = "署名" if number == 1 else f"署名{number}"
        self.emit("signature", address, "", first.text, (), first.start, last.end, units=False)

    def is_signature_start(self, index: int) -> int:
        """How many lines a signature starting here has: 2 (issuer + date), 1 (date) or 0 (none)."""
        line = self.lines[index]
        if _DATE.fullmatch(line.text):
            return 1
        if index + 1 < len(self.lines) and _DATE.fullmatch(self.lines[index + 1].text):
            text = line.text
            if len(text) <= 40 and not re.search(r"[。，,；;：:|]", text) and self.heading(line) is None:
                return 2
        return 0

    # -- headings --------------------------------------------------------------------------------------

    def heading(self, line: _Line):
        """(level, number text, own label, rest) for a valid part/section/item heading line, else None."""
        text = line.text
        for level, pattern in (("part", _PART), ("section", _SECTION), ("item", _ITEM)):
            match = pattern.match(text)
            if match is None:
                continue
            number = match.group(1)
            value = int(number) if level == "item" else _cn_int(number)
            rest = text[match.end() :]
            if level == "part":
                label = f"{number}、"
            elif level == "section":
                label = f"（{number}）"
            else:
                label = f"{number}{match.group(2)}"
            if value in (1, self.last_number[level] + 1) or self.plausible(rest):
                return level, number, value, label, rest
            return None
        return None

    @staticmethod
    def plausible(rest: str) -> bool:
        """Out-of-sequence numbers still count as headings when the line reads like one."""
        stop = rest.find("。", 0, 41)
        if stop > 0:
            return True
        return "。" not in rest and 0 < len(rest) <= 40

    def open_heading(self, line: _Line, level: str, number: str, value: int, label: str, rest: str):
        self.close_box()
        depth = _LEVELS.index(level)
        while self.stack and _LEVELS.index(self.stack[-1].level) >= depth:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        key = f"（{number}）" if level == "section" else number
        address, path, parent_address = self.child(parent, key)
        title, heading_only = _heading_title(rest)
        cited = f"{parent.cited if parent else ''}{label}"
        draft = self.emit(
            level, address, cited, title, path, line.start, line.end, parent_address, number=label
        )
        node = _Heading(level, key, draft.address, label, cited, f"{label}{title}", path, value)
        self.stack.append(node)
        self.last_number[level] = value
        self.awaiting = draft if heading_only else None

    def container(self, boxes: bool = True) -> _Heading | None:
        """The heading new unnumbered clauses hang under: the open box, else the deepest heading."""
        if boxes and self.box is not None:
            return self.box.heading
        return self.stack[-1] if self.stack else None

    def child(self, parent: _Heading | None, key: str) -> tuple[str, tuple[str, ...], str]:
        """(address, heading path, parent address) of an unnumbered child of parent."""
        if parent is None:
            return key, (), ""
        return f"{parent.address}.{key}", (*parent.path, parent.heading), parent.address

    # -- boxes and tables --------------------------------------------------------------------------------

    def open_box(self, line: _Line, match: re.Match) -> None:
        self.close_box()
        parent = None
        for node in reversed(self.stack):
            if node.level != "item":
                parent = node
                break
        number = match.group(1) or match.group(2)
        key = f"专栏{number}"
        label = key
        title = line.text[match.end() :].strip().rstrip(_TRAILING_PUNCT).strip()
        address, path, parent_address = self.child(parent, key)
        cited = f"{parent.cited if parent else ''}{label}"
        draft = self.emit(
            "box",
            address,
            cited,
            title,
            path,
            line.start,
            line.end,
            parent_address,
            units=False,
            number=label,
        )
        node = _Heading("box", key, draft.address, label, cited, f"{label}{title}", path)
        self.box = _Box(node, draft)

    def close_box(self) -> None:
        self.box = None

    def table(self, block: list[_Line]) -> None:
        cells = self.cells(block)
        if not cells:  # only pipes and dashes: keep them as plain lines
            for line in block:
                self.paragraph(line)
            return
        header, rows = self.rows(block, cells)
        names = [cell.value for cell in header]
        box = self.box
        if box is not None:  # rows of a box's table: <box>.表<row>
            owner = box.heading
            base, path, parent = owner.address, (*owner.path, owner.heading), owner.address
            prefix = f"{base}.表"
        else:  # a free-standing table: <parent>.表<t>.<row>
            owner = self.container(boxes=False)
            scope = owner.address if owner else ""
            number = self.count(f"表@{scope}")
            base, path, parent = self.child(owner, f"表{number}")
            path, parent, prefix = (*path, f"表{number}"), base, f"{base}."
        if header:
            if box is not None and self.drafts and self.drafts[-1] is box.draft:
                box.draft.end = header[-1].end  # the column header belongs to the box's title
            else:
                title = " | ".join(names)
                self.emit(
                    "table_row", f"{base}.表头", "", title, path, header[0].start, header[-1].end, parent
                )
        for row in rows:
            if box is not None:
                box.rows += 1
                address = f"{prefix}{box.rows}"
            else:
                address = f"{prefix}{self.count(base)}"
            columns = [names[i] if i < len(names) else f"列{i + 1}" for i in range(len(row))]
            values = tuple(zip(columns, (cell.value for cell in row), strict=True))
            title = next(
                (cell.value for cell in row if not re.fullmatch(r"[\d.．\s]+", cell.value)), row[0].value
            )
            self.emit("table_row", address, "", title, path, row[0].start, row[-1].end, parent, cells=values)

    @staticmethod
    def cells(block: list[_Line]) -> list[_Cell]:
        """Cells of a block of table lines; empty cells and separators are merged into a neighbour."""
        cells: list[_Cell] = []
        pending: int | None = None  # start of filler waiting for the next cell
        for number, line in enumerate(block):
            text = line.text
            position = 0
            line_cells: list[_Cell] = []
            fillers: list[tuple[int, int, int]] = []
            while position <= len(text):
                pipe = text.find("|", position)
                stop = len(text) if pipe < 0 else pipe
                raw = text[position:stop]
                value = raw.strip()
                end = stop + 1 if pipe >= 0 else position + len(raw.rstrip())
                begin = position + len(raw) - len(raw.lstrip())
                if value and not _is_separator(value):
                    line_cells.append(_Cell(value, line.start + begin, line.start + end, number))
                elif end > begin:
                    fillers.append((line.start + begin, line.start + end, len(line_cells)))
                if pipe < 0:
                    break
                position = pipe + 1
            for begin, end, before in fillers:
                if before > 0:  # after a cell of this line: extend it
                    cell = line_cells[before - 1]
                    cell.end = max(cell.end, end)
                elif line_cells:  # leading filler: the line's first cell starts here
                    line_cells[0].start = min(line_cells[0].start, begin)
                elif cells:  # a line of fillers only: the previous cell takes it
                    cells[-1].end = max(cells[-1].end, end)
                else:
                    pending = begin if pending is None else pending
            if line_cells and pending is not None:
                line_cells[0].start = min(line_cells[0].start, pending)
                pending = None
            cells.extend(line_cells)
        return cells

    @staticmethod
    def rows(block: list[_Line], cells: list[_Cell]) -> tuple[list[_Cell], list[list[_Cell]]]:
        """Header cells and data rows: one row a line, or cells one a line reflowed under the header."""
        per_line: dict[int, list[_Cell]] = {}
        for cell in cells:
            per_line.setdefault(cell.line, []).append(cell)
        counts = {len(row) for row in per_line.values()}
        lines = [per_line[key] for key in sorted(per_line)]
        if len(counts) == 1 and counts.pop() >= 2:
            separator_after_first = len(block) > 1 and 1 not in per_line and 0 in per_line
            if separator_after_first:
                return lines[0], lines[1:]
            return [], lines
        first_row = next(
            (i for i, cell in enumerate(cells) if i >= 2 and cell.value in ("1", "1.", "1．")),
            None,
        )
        if first_row is not None:
            header, data = cells[:first_row], cells[first_row:]
            width = len(header)
            return header, [data[i : i + width] for i in range(0, len(data), width)]
        return [], lines

    # -- paragraphs ---------------------------------------------------------------------------------------

    def paragraph(self, line: _Line) -> None:
        if self.awaiting is not None:
            self.awaiting.end = line.end
            self.awaiting = None
            return
        self.close_box()
        parent = self.container(boxes=False)
        scope = parent.address if parent else ""
        number = self.count(f"段@{scope}") + (1 if parent else 0)
        address, path, parent_address = self.child(parent, f"段{number}")
        self.emit("paragraph", address, "", _lead(line.text), path, line.start, line.end, parent_address)

    # -- the passes -----------------------------------------------------------------------------------------

    def run(self) -> list[Clause]:
        index = self.front()
        if index < len(self.lines):
            self.body(index)
        if not self.structured:
            return self.fallback()
        return self.finish()

    def front(self) -> int:
        """Header, wrapper, notice, signature, title and preamble lines before the first heading."""
        lines = self.lines
        count = len(lines)
        wrapper_end = -1
        for index, line in enumerate(lines[:40]):
            if self.heading(line) is not None:
                break
            if _WRAPPER_END.search(line.text):
                wrapper_end = index
                break
        index = 0
        if lines and "|" in lines[0].text and re.search(r"\[[^\]]+\]", lines[0].text):
            while index < count and "|" in lines[index].text:
                index += 1
            self.emit("header", "页头", "", "", (), lines[0].start, lines[index - 1].end, units=False)
        preamble_seen = False
        title_draft: _Draft | None = None
        while index < count:
            line = lines[index]
            text = line.text
            if index <= wrapper_end or _FURNITURE.match(text):
                self.furniture(line)
                title_draft = None
                index += 1
                continue
            if not preamble_seen and (_NOTICE.search(text) or _ADDRESSEE.fullmatch(text)):
                index = self.notice(index)
                title_draft = None
                continue
            signature = self.is_signature_start(index)
            if signature:
                self.signature(line, lines[index + signature - 1])
                title_draft = None
                index += signature
                continue
            if self.structural(line):
                return index
            if not preamble_seen and len(text) <= _TITLE_MAX and "。" not in text and text[-1] not in ":：|":
                if title_draft is None:
                    number = self.count("标题")
                    address = "标题" if number == 1 else f"标题{number}"
                    title_draft = self.emit("title", address, "", "", (), line.start, line.end, units=False)
                title_draft.end = line.end
                if not re.fullmatch(r"附件\s*\d*", text):
                    title_draft.title += text
                index += 1
                continue
            title_draft = None
            preamble_seen = True
            number = self.count("序")
            address = "序" if number == 1 else f"序.段{number}"
            self.emit("preamble", address, "", _lead(text), (), line.start, line.end)
            index += 1
        return index

    def notice(self, index: int) -> int:
        """Notice lines from a trigger to the signature that closes it; returns the next line index."""
        lines = self.lines
        number = self.count("通知")
        prefix = "通知" if number == 1 else f"通知{number}"
        stop = None
        for ahead in range(index + 1, min(index + 41, len(lines))):
            if _DATE.fullmatch(lines[ahead].text):
                stop = ahead
                break
        if stop is None:  # no signature: the trigger line and any contact lines after it
            stop = index + 1
            while stop < len(lines) and _CONTACT.match(lines[stop].text):
                stop += 1
            last, signature_from = stop, stop
        else:
            signature_from = stop - 1 if self.is_signature_start(stop - 1) == 2 and stop - 1 > index else stop
            last = stop + 1
        for position in range(index, signature_from):
            line = lines[position]
            label, title = "", _lead(line.text)
            match = _PART.match(line.text)
            if match is not None:
                label = match.group(0)
                title = _lead(line.text[match.end() :]) or line.text[match.end() :].rstrip(_TRAILING_PUNCT)
            address = f"{prefix}.{self.count(f'{prefix}@')}"
            self.emit("notice", address, label, title, (), line.start, line.end, units=False)
        if signature_from < last:
            self.signature(lines[signature_from], lines[last - 1])
        return last

    def structural(self, line: _Line) -> bool:
        text = line.text
        return (
            self.heading(line) is not None
            or _BOX.match(text) is not None
            or text.startswith("——")
            or text.startswith("|")
            or text.endswith("|")
        )

    def body(self, index: int) -> None:
        lines = self.lines
        count = len(lines)
        self.structured = True
        while index < count:
            line = lines[index]
            text = line.text
            if _FURNITURE.match(text):
                self.awaiting = None
                self.furniture(line)
                index += 1
                continue
            signature = self.is_signature_start(index)
            if signature:
                self.awaiting = None
                self.close_box()
                self.signature(line, lines[index + signature - 1])
                index += signature
                continue
            found = self.heading(line)
            if found is not None:
                self.open_heading(line, *found)
                index += 1
                continue
            box = _BOX.match(text)
            if box is not None or text.startswith("——") or _is_table_line(text):
                self.awaiting = None
            if box is not None:
                self.open_box(line, box)
                index += 1
                continue
            if text.startswith("——"):
                self.dash(line)
                index += 1
                continue
            if _is_table_line(text):
                block = [line]
                index += 1
                while (
                    index < count
                    and _is_table_line(lines[index].text)
                    and not _continues_otherwise(lines[index])
                ):
                    block.append(lines[index])
                    index += 1
                self.table(block)
                continue
            if self.box is not None and _NOTE.match(text):
                self.awaiting = None
                self.box.notes += 1
                key = "注" if self.box.notes == 1 else f"注{self.box.notes}"
                address, path, parent = self.child(self.box.heading, key)
                self.emit("paragraph", address, "", _lead(text), path, line.start, line.end, parent)
                index += 1
                continue
            self.paragraph(line)
            index += 1

    def dash(self, line: _Line) -> None:
        body = line.text.lstrip("—").strip()
        if self.box is not None:
            self.box.lines += 1
            address, path, parent = self.child(self.box.heading, str(self.box.lines))
            self.emit("box_line", address, "", _lead(body), path, line.start, line.end, parent)
            return
        heading = self.container(boxes=False)
        scope = heading.address if heading else ""
        address, path, parent = self.child(heading, f"目标{self.count(f'目标@{scope}')}")
        self.emit("target", address, "", _lead(body), path, line.start, line.end, parent)

    def fallback(self) -> list[Clause]:
        """No structure at all: one paragraph clause a line (page furniture still recognised)."""
        self.drafts, self.used, self.suffixes, self.counters = [], set(), {}, {}
        for line in self.lines:
            if _FURNITURE.match(line.text):
                self.furniture(line)
            else:
                number = self.count("段")
                self.emit("paragraph", f"段{number}", "", _lead(line.text), (), line.start, line.end)
        return self.finish()

    def finish(self) -> list[Clause]:
        clauses = []
        for order, draft in enumerate(self.drafts):
            text = self.text[draft.start : draft.end]
            clauses.append(
                Clause(
                    doc_id=self.doc_id,
                    address=draft.address,
                    kind=draft.kind,
                    label=draft.label,
                    title=draft.title,
                    heading_path=draft.path,
                    text=text,
                    start=draft.start,
                    end=draft.end,
                    units=parse_units(text) if draft.units else (),
                    order=order,
                    cells=draft.cells,
                    parent=draft.parent,
                    number=draft.number,
                )
            )
        return clauses


def _is_separator(value: str) -> bool:
    """A markdown rule cell such as --- or :---:."""
    return "-" in value and all(char in _SEPARATOR_CHARS for char in value)


def _is_table_line(text: str) -> bool:
    return text.startswith("|") or text.endswith("|")


def _continues_otherwise(line: _Line) -> bool:
    """Lines that end with a pipe but open something else (a box title, a —— action line)."""
    return line.text.startswith("——") or _BOX.match(line.text) is not None


def parse_clauses(text: str, doc_id: str) -> list[Clause]:
    """Split a document into addressed clauses along its 一、/（一）/1./专栏 structure (see module docstring)."""
    return _Parser(text, doc_id).run()


__all__ = [
    "CLAUSE_KINDS",
    "FURNITURE_KINDS",
    "PARSER_VERSION",
    "Clause",
    "header_conflicts",
    "parse_clauses",
    "parse_header",
    "parse_units",
]
