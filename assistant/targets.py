"""Numeric targets a clause states: indicator, value, unit, comparator, relation and target year.

「制造业产品质量合格率稳定在94%以上」 becomes ``Target(indicator="制造业产品质量合格率", value="94",
unit="%", comparator="稳定在…以上", relation=">=", year=2025, …)``, so the regions' goals can be lined up.

How a text is read
------------------
The text is matched in a *matching form* of the same length (traditional → simplified and NFKC, one
character at a time), so every span found there slices the verbatim text. Sentences end at 。；!? or a
line break; a sentence splits into segments at top-level ，,、. A *mention* is an Arabic number that is
not part of a code, date, year or ordinal (「2025年」「〔2023〕13号」「020-87597270」「5A级」「1.」 are
not), followed by an optional unit (「%」「个」「万件」「批次/千人」「个百分点」…) and an optional
「以上/以下/左右…」. It is a target when it has a unit, a 「以上」-like suffix, or a comparator verb right
before it (「达到」「稳定在」「不低于」「下降」「≥」…; a bare 「在」「为」 only counts with a unit).
The indicator is the segment's text before the comparator, less lead-ins (「力争」「全省」「到2025年」),
a trailing 「累计」 and a base year (「较2020年」). Shapes handled beyond that:

* a bare measure inherits the subject of the previous target in the sentence:
  「农产品质量安全监测1.5批次/千人,合格率98%」 → 农产品质量安全监测合格率;
  「农村公路优良中等路率75%以上,交工验收合格率100%」 → 农村公路交工验收合格率;
* 「A和B均在95%以上」 and rates after a 、-list (「A、B达到95%」) give one target per indicator;
  a count after a 、-list is one joint target (「认证绿色、有机农产品…1000个」);
* 「A、B分别达到90%、95%」 pairs indicators and values;
* 「指导2个景区申报创建…」 (verb, count, object): the indicator is the verb and the object.

Only Arabic numerals are read: 「十四五」「四新」「百千万工程」 and Chinese-numeral counts are not targets.
The target year is the last 「到/至/截至YYYY年」 (or 「YYYY年前/底前」) before the number in the text, else the
``year`` passed in; base years (「较2020年」) and dates never count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .clauses import HEADING_KINDS, Clause
from .normalize import for_labels, to_simplified

RATE_UNITS = frozenset({"%", "‰", "个百分点", "百分点"})  # values that hold for each indicator of a list

# Longest first, so 「个百分点」 wins over 「个」 and 「万件」 over 「万」.
_UNITS = sorted(
    (
        "个百分点 百分点 批次/千人 万元/人 元/人 % ‰ 万件 万亩 亿亩 亩 万家 家 万个 个 件 项 批次 万人次 人次 "
        "万人 人 名 所 座 条 处 户 套 台 辆 万吨 吨 亿元 万元 元 公里 千米 万平方米 平方米 倍 种 款 次 "
        "篇 张 头 只 株 万 亿"
    ).split(),
    key=len,
    reverse=True,
)
_UNIT = re.compile(r"\s*(" + "|".join(re.escape(unit) for unit in _UNITS) + r")")
_SUFFIX = re.compile(r"\s*(及?(?:以上|以下|以内|之内|左右|上下))")
_NUMBER = re.compile(r"(?<![0-9A-Za-z.\-+/@~_〔\[#—–第])[0-9]+(?:\.[0-9]+)?(?![0-9A-Za-z.\-+/@~_〕\]#—–:])")
_NOT_A_QUANTITY = re.compile(r"\s*(?:年|月|日|号|时|届|级|周岁|岁|分钟|小时|天|周|期|批(?!次)|版|章|节|条款)")
_VERBS = (
    "稳定在|保持在|维持在|控制在|提高到|提升到|增加到|增长到|上升到|下降到|降低到|减少到|提高至|提升至|"
    "增加至|增长至|降低至|下降至|降至|降到|升至|达到|达|不低于|不少于|不超过|不高于|不多于|低于|高于|超过|"
    "突破|增长|增加|提升|提高|上升|下降|降低|减少|接近|约|≥|≤|>=|<=|>|<|在|为"
)
_COMPARATOR = re.compile(
    rf"(?:力争|确保|争取|努力)?(?:年均|年平均|平均|整体|总体|累计|均|都|分别|每年)?(?:{_VERBS})\s*$"
)
_WEAK_VERBS = frozenset({"在", "为"})  # count as a comparator only before a unit
_MODIFIERS = re.compile(r"^(?:力争|确保|争取|努力)?(?:年均|年平均|平均|整体|总体|累计|均|都|分别|每年)?")
_LIST_VERB = re.compile(r"均|都|分别")
_INCREASE = re.compile(r"(?:增长|增加|提升|提高|上升|新增)$")
_DECREASE = re.compile(r"(?:下降|降低|减少)$")
_AT_LEAST = re.compile(r"不低于|不少于|突破|超过|高于|≥|>")
_AT_MOST = re.compile(r"不超过|不高于|不多于|低于|≤|<")
_ABOUT = re.compile(r"接近|约")
_LEAD_IN = re.compile(
    r"(?:\s+|——|—|(?:到|至|截至)[0-9]{4}年(?:底|末)?|同时|其中|力争|确保|争取|努力|"
    r"全省|全市|全区|全县|全州|我省|我市|我区|我县)"
)
_TAIL = re.compile(r"(?:\s|累计|均|都|的)+$")
_BASE_YEAR = re.compile(r"(?:较|比|与|相比)\s*[0-9]{4}\s*年(?:底|末)?(?:相比|比)?\s*$")
_NEW = re.compile(r"新增")
_PREDICATE = re.compile(r"全覆盖|覆盖|并|且|同时|和|及|以|保持|稳定|持续|实现|达到|确保")
_HAS_WORD = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")
_BARE_MEASURE = re.compile(
    r"(?:一次性?|交工|竣工|验收|抽检|监测|抽查|例行)*(?:合格率|优良率|覆盖率|符合率|满意度|达标率|处置率)|提名奖"
)
_MEASURE_END = re.compile(r"(?:率|度|指数|比重|量)$")
_MEASURE_START = re.compile(
    r"优良|质量监督|质量抽查|质量抽检|一次|交工|竣工|验收|合格率|覆盖率|符合率|满意度|达标率"
)
_LEAD_YEAR = re.compile(
    r"(?:到|至|截至|截止到?)\s*([0-9]{4})\s*年(?:底|末)?(?!\s*[0-9]{1,2}\s*月)|([0-9]{4})\s*年(?:底|末)?前"
)
_SENTENCE_END = re.compile(r"[。!?;\n]")
_OPENERS, _CLOSERS = "(〔[【《〈“‘", ")〕]】》〉”’"
_LIST_WORD = re.compile(r"和|及|与")
_VALUE_ONLY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)" + _UNIT.pattern + r"?(?:" + _SUFFIX.pattern + r")?\s*")


@dataclass(frozen=True)
class Target:
    """One numeric target: what is measured, the value aimed at, and how it is to be met."""

    indicator: str  # e.g. 制造业产品质量合格率, in the clause's own script
    value: str  # the number as printed: "94.8", "2300", "﹝15﹞"
    number: float | None  # the parsed value; None where the value is not a number
    unit: str  # normalised (simplified, half-width): "%", "个", "万件", "批次/千人", "个百分点", ""
    comparator: str  # the words as printed: "达到", "稳定在…以上", "年均增长…左右", "≥", ""
    relation: str  # ">=", "<=", "=", "≈", "increase" or "decrease"
    year: int | None  # the year the target is for; None where the text does not say
    sentence: str  # the sentence it came from, verbatim
    start: int  # span of the sentence in the text passed in: text[start:end] == sentence
    end: int

    @property
    def indicator_key(self) -> str:
        """The indicator simplified, NFKC and without whitespace, to match it across regions."""
        return for_labels(self.indicator)


@dataclass(frozen=True)
class _Mention:
    """A number in a segment with what follows it (matching-form spans)."""

    start: int
    end: int  # end of the number
    unit: str
    suffix_start: int
    suffix_end: int  # == suffix_start where there is no suffix
    stop: int  # end of number + unit + suffix


def _one_char(converted: str, original: str) -> str:
    return converted if len(converted) == 1 else original


def _matching_form(text: str) -> str:
    """Simplified, NFKC text with exactly the length of ``text``, so spans carry over."""
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        simplified = "".join(_one_char(to_simplified(char), char) for char in text)
    return "".join(_one_char(unicodedata.normalize("NFKC", char), char) for char in simplified)


def _sentences(matching: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    ends = [match.end() for match in _SENTENCE_END.finditer(matching)]
    for end in [*ends, len(matching)]:
        first, last = start, end
        while first < last and matching[first].isspace():
            first += 1
        while last > first and matching[last - 1].isspace():
            last -= 1
        if first < last:
            spans.append((first, last))
        start = end
    return spans


def _segments(matching: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Top-level pieces of a sentence split at ，,、: (start, end, separator after)."""
    pieces, depth, piece_start = [], 0, start
    for index in range(start, end):
        char = matching[index]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        elif char in ",、" and depth == 0:
            pieces.append((piece_start, index, char))
            piece_start = index + 1
    pieces.append((piece_start, end, ""))
    return pieces


def _mentions(matching: str, start: int, end: int) -> list[_Mention]:
    found = []
    for number in _NUMBER.finditer(matching, start, end):
        if _NOT_A_QUANTITY.match(matching, number.end(), end):
            continue
        stop = number.end()
        unit = _UNIT.match(matching, stop, end)
        unit_text = unit.group(1) if unit else ""
        stop = unit.end() if unit else stop
        suffix = _SUFFIX.match(matching, stop, end)
        suffix_start, suffix_end = (suffix.start(1), suffix.end(1)) if suffix else (stop, stop)
        stop = suffix.end() if suffix else stop
        found.append(_Mention(number.start(), number.end(), unit_text, suffix_start, suffix_end, stop))
    return found


def _trim(matching: str, start: int, end: int) -> tuple[int, int]:
    """Drop lead-ins (「力争」「全省」「到2025年」), a trailing 「累计」/「的」 and a closing base year."""
    while start < end:
        lead = _LEAD_IN.match(matching, start, end)
        if not lead or lead.end() == start:
            break
        start = lead.end()
    base = _BASE_YEAR.search(matching, start, end)
    if base:
        end = base.start()
    tail = _TAIL.search(matching, start, end)
    if tail:
        end = tail.start()
    return start, end


def _relation(verb: str, suffix: str, new: bool) -> str:
    """The normalised relation from the comparator words (matching form)."""
    if new or _INCREASE.search(verb):
        return "increase"
    if _DECREASE.search(verb):
        return "decrease"
    if suffix.endswith("以上"):
        return ">="
    if suffix.endswith(("以下", "以内", "之内")):
        return "<="
    if suffix.endswith(("左右", "上下")):
        return "≈"
    if _AT_LEAST.search(verb):
        return ">="
    if _AT_MOST.search(verb):
        return "<="
    if _ABOUT.search(verb):
        return "≈"
    return "="


def _subject(indicator: str) -> str:
    """What a measure is of: 农村公路优良中等路率 → 农村公路; a count or activity is its own subject."""
    matching = _matching_form(indicator)
    if _MEASURE_END.search(matching):
        start = _MEASURE_START.search(matching)
        if start and start.start() > 0:
            return indicator[: start.start()]
    return indicator


def _is_bare(indicator: str) -> bool:
    return bool(_BARE_MEASURE.fullmatch(_matching_form(indicator)))


def _parse_number(matching_value: str) -> float | None:
    digits = re.search(r"[0-9]+(?:\.[0-9]+)?", matching_value)
    return float(digits.group()) if digits else None


class _SentenceReader:
    """Reads the targets of one sentence, in order."""

    def __init__(self, text: str, matching: str, span: tuple[int, int], year_at: Callable[[int], int | None]):
        self.text, self.matching = text, matching
        self.start, self.end = span
        self.year_at = year_at
        self.found: list[Target] = []

    def read(self) -> list[Target]:
        """Every target of the sentence."""
        body_end = self.end - 1 if _SENTENCE_END.match(self.matching, self.end - 1) else self.end
        segments = _segments(self.matching, self.start, body_end)
        pending: list[tuple[int, int]] = []  # number-less segments chained to the next one by 、
        skip = 0  # segments a 「分别」 list has already read
        for position, (seg_start, seg_end, separator) in enumerate(segments):
            if skip:
                skip -= 1
                continue
            mentions = _mentions(self.matching, seg_start, seg_end)
            if not mentions:
                pending = [*pending, (seg_start, seg_end)] if separator == "、" else []
                continue
            before_start = seg_start
            for index, mention in enumerate(mentions):
                last = index == len(mentions) - 1
                skip = self.mention(
                    mention,
                    before_start,
                    seg_end if last else mention.stop,
                    pending if index == 0 else [],
                    segments[position + 1 :] if last else [],
                )
                before_start = mention.stop
            pending = []
        return self.found

    def mention(self, mention: _Mention, before_start: int, segment_end: int, pending, following) -> int:
        """Add the targets of one number; returns how many following segments it read as values."""
        matching, before_end = self.matching, mention.start
        comparator = _COMPARATOR.search(matching, before_start, before_end)
        verb_start = comparator.start() if comparator else before_end
        verb = matching[verb_start:before_end].strip()
        suffix = matching[mention.suffix_start : mention.suffix_end]
        if not (mention.unit or suffix or (verb and _MODIFIERS.sub("", verb) not in _WEAK_VERBS)):
            return 0
        start, end = _trim(matching, before_start, verb_start)
        printed_verb = self.text[verb_start:before_end].strip()
        new = not verb and _NEW.match(matching, start, end)
        if new:
            printed_verb, start = self.text[new.start() : new.end()], new.end()
        printed_suffix = self.text[mention.suffix_start : mention.suffix_end]
        comparator_text = "…".join(part for part in (printed_verb, printed_suffix) if part)
        relation = _relation(verb, suffix, bool(new))
        trailing = self.trailing(mention.stop, segment_end)
        parts = self.indicators(start, end, trailing, pending, verb, mention.unit)
        values = self.listed_values(mention, following, len(parts)) if "分别" in verb else [mention]
        for index, part in enumerate(parts):
            resolved = self.resolve(part, parts[index - 1] if index else None)
            if resolved:
                value = values[index] if len(values) == len(parts) else mention
                self.add(resolved, value, comparator_text, relation)
        return len(values) - 1

    def indicators(self, start: int, end: int, trailing: str, pending, verb: str, unit: str) -> list[str]:
        """The indicator or indicators one value applies to."""
        listed = bool(_LIST_VERB.search(verb))
        own = [self.clean(start, end) for start, end in self.split_list(start, end)] if listed else []
        if not own:
            own = [self.text[start:end] + trailing]
        if not pending:
            return own
        if listed or unit in RATE_UNITS:  # 「A、B均达到…」, 「A、B达到95%」: the value holds for each
            return [self.clean(*span) for span in pending] + own
        # A count after a 、-list is one joint count: 「绿色、有机农产品1000个」.
        joined_start, _ = _trim(self.matching, pending[0][0], end)
        return [self.text[joined_start:end] + trailing]

    def listed_values(self, mention: _Mention, following, count: int) -> list[_Mention]:
        """「A、B分别达到90%、95%」: the values after the first, when there is one per indicator."""
        values = [mention]
        for seg_start, seg_end, _ in following[: count - 1]:
            value = _VALUE_ONLY.fullmatch(self.matching, seg_start, seg_end)
            if not value:
                break
            stop = value.end()
            values.append(
                _Mention(value.start(1), value.end(1), value.group(2) or mention.unit, stop, stop, stop)
            )
        return values if len(values) == count else [mention]

    def resolve(self, indicator: str, previous: str | None) -> str:
        """An empty indicator repeats the previous one; a bare measure (合格率) takes its subject."""
        if previous is None:
            previous = self.found[-1].indicator if self.found else ""
        if not indicator:
            return previous
        if _is_bare(indicator) and previous and not _is_bare(previous):
            return _subject(previous) + indicator
        return indicator

    def trailing(self, stop: int, segment_end: int) -> str:
        """The object after a count (「指导2个景区申报…」 → 景区申报…), unless it is a predicate (「全覆盖」)."""
        start = stop
        while start < segment_end and (self.matching[start].isspace() or self.matching[start] == "的"):
            start += 1
        if not _HAS_WORD.search(self.matching, start, segment_end):
            return ""
        if _PREDICATE.match(self.matching, start, segment_end):
            return ""
        return self.text[start:segment_end].strip()

    def split_list(self, start: int, end: int) -> list[tuple[int, int]]:
        spans, piece_start = [], start
        for word in _LIST_WORD.finditer(self.matching, start, end):
            spans.append((piece_start, word.start()))
            piece_start = word.end()
        return [*spans, (piece_start, end)]

    def clean(self, start: int, end: int) -> str:
        start, end = _trim(self.matching, start, end)
        return self.text[start:end]

    def add(self, indicator: str, mention: _Mention, comparator: str, relation: str) -> None:
        self.found.append(
            Target(
                indicator=indicator,
                value=self.text[mention.start : mention.end],
                number=_parse_number(self.matching[mention.start : mention.end]),
                unit=mention.unit,
                comparator=comparator,
                relation=relation,
                year=self.year_at(mention.start),
                sentence=self.text[self.start : self.end],
                start=self.start,
                end=self.end,
            )
        )


def _lead_years(matching: str) -> list[tuple[int, int]]:
    years = []
    for match in _LEAD_YEAR.finditer(matching):
        year = int(match.group(1) or match.group(2))
        if 2000 <= year <= 2100:
            years.append((match.start(), year))
    return years


def stated_year(text: str) -> int | None:
    """The last target year a text states (「到2025年」), or None."""
    years = _lead_years(_matching_form(text))
    return years[-1][1] if years else None


def extract_targets(text: str, year: int | None = None) -> list[Target]:
    """The numeric targets a text states, in order; ``year`` is the target year where the text gives none."""
    matching = _matching_form(text)
    leads = _lead_years(matching)

    def year_at(position: int) -> int | None:
        stated = [lead_year for lead_start, lead_year in leads if lead_start < position]
        return stated[-1] if stated else year

    targets: list[Target] = []
    for start, end in _sentences(matching):
        targets.extend(_SentenceReader(text, matching, (start, end), year_at).read())
    return targets


# ---------------------------------------------------------------------------------------------------------
# Table rows: 指标名称 / 2025年 / 属性 columns

_YEAR_COLUMN = re.compile(r"\s*([0-9]{4})\s*年")
_UNIT_NOTE = re.compile(r"[(]([^()]{1,5})[)]\s*$")
_CELL_VALUE = re.compile(
    r"\s*(?P<comparator>≥|≤|>=|<=|>|<|不低于|不少于|不超过|约)?\s*"
    r"(?P<value>〔\s*[0-9]+(?:\.[0-9]+)?\s*〕|[0-9]+(?:\.[0-9]+)?)\s*"
    r"(?P<suffix>及?(?:以上|以下|左右))?\s*[*※]*\s*"
)
_EMPTY_CELL = frozenset({"", "-", "—", "——", "/", "无"})


def _row_targets(clause: Clause, year: int | None) -> list[Target]:
    columns = [(for_labels(column), column, value) for column, value in clause.cells]
    names = [value for key, _, value in columns if "指标" in key and "属性" not in key]
    if not names:
        return []
    name = names[0].strip()
    name_matching = _matching_form(name)
    unit = ""
    note = _UNIT_NOTE.search(name_matching)
    if note:
        unit = note.group(1).strip()
        name = name[: note.start()].rstrip()
        name_matching = name_matching[: note.start()].rstrip()
    targets = []
    for key, _, cell in columns:
        column_year = _YEAR_COLUMN.match(key)
        if not column_year and key not in ("目标值", "目标"):
            continue
        cell_text = cell.strip()
        if cell_text in _EMPTY_CELL:
            continue
        matching = _matching_form(cell_text)
        parsed = _CELL_VALUE.fullmatch(matching)
        if parsed:
            value = cell_text[parsed.start("value") : parsed.end("value")]
            number = _parse_number(parsed.group("value"))
            comparator_parts = [
                cell_text[parsed.start(group) : parsed.end(group)]
                for group in ("comparator", "suffix")
                if parsed.group(group)
            ]
            comparator = "…".join(comparator_parts)
            verb = (parsed.group("comparator") or "") + name_matching[-2:]
            relation = _relation(verb, parsed.group("suffix") or "", False)
        else:
            value, number, comparator, relation = cell_text, None, "", "="
        targets.append(
            Target(
                indicator=name,
                value=value,
                number=number,
                unit=unit,
                comparator=comparator,
                relation=relation,
                year=int(column_year.group(1)) if column_year else year,
                sentence=clause.text,
                start=0,
                end=len(clause.text),
            )
        )
    return targets


def clause_targets(clause: Clause, year: int | None = None) -> list[Target]:
    """The targets of a clause: a table row's cells, else its text; ``year`` where neither states one."""
    if clause.kind == "table_row" and clause.cells:
        return _row_targets(clause, year)
    return extract_targets(clause.text, year)


def document_targets(clauses: Iterable[Clause]) -> list[tuple[Clause, Target]]:
    """The targets of clauses in document order, each defaulting to the year its section last stated.

    A clause that states 「到2025年」 sets the year for the clauses after it under the same heading (and,
    for a heading, for its children): Qinghai's 「——」 goal lines follow a 「到2025年，…」 paragraph.
    """
    parents: dict[tuple[str, str], str] = {}
    years: dict[tuple[str, str], int] = {}
    found: list[tuple[Clause, Target]] = []
    for clause in clauses:
        if clause.is_furniture:
            continue
        parents[(clause.doc_id, clause.address)] = clause.parent
        default, scope, seen = None, clause.parent, set()
        while scope not in seen:
            seen.add(scope)
            if (clause.doc_id, scope) in years:
                default = years[(clause.doc_id, scope)]
                break
            if not scope:
                break
            scope = parents.get((clause.doc_id, scope), "")
        found.extend((clause, target) for target in clause_targets(clause, default))
        stated = stated_year(clause.text)
        if stated is not None:
            own_scope = clause.address if clause.kind in HEADING_KINDS else clause.parent
            years[(clause.doc_id, own_scope)] = stated
    return found


# ---------------------------------------------------------------------------------------------------------
# Matching indicators across regions

# Qualifiers dropped and synonyms merged before two indicator names are compared. Decisions:
# * 食品抽检合格率 ≈ 食品评价性抽检合格率 ≈ 食品安全评价性抽检合格率: the national goal 「食品抽检合格率」
#   is measured by evaluative (评价性) sampling, so regions naming either state the same indicator;
#   食品抽检问题处置率 stays a different indicator.
# * 农产品质量安全例行监测合格率 ≈ 农产品质量安全监测合格率 ≈ 农畜产品监测合格率 (Qinghai's name for the
#   same routine monitoring; 农产品 in the regulations includes livestock products).
# * 制造业产品质量合格率 ≈ 制造业产品合格率; 单位地区生产总值能耗 ≈ …能源消耗降低;
#   注册商标总量 ≈ 商标有效注册量; 规模以上 is dropped (industrial output statistics are 规上 anyway).
# * No containment or edit-distance matching: 合格率 alone must not match every rate.
_SYNONYMS = (
    ("商标有效注册量", "注册商标总量"),
    ("有效注册商标总量", "注册商标总量"),
    ("有效注册商标量", "注册商标总量"),
    ("能源消耗", "能耗"),
    ("农畜产品", "农产品"),
    ("食品安全", "食品"),
    ("质量合格率", "合格率"),
)
_QUALIFIERS = ("质量安全", "例行", "评价性", "规模以上")
_LEADING_VERBS = re.compile(r"^(?:累计|获批|获得|获|颁发|建成|新增)+")
_TRAILING_CHANGE = re.compile(r"(?:降低|下降|减少|增长|提高|提升)$")
_UNIT_NOTE_KEY = re.compile(r"\([^()]{1,5}\)$")


def comparison_key(indicator: str) -> str:
    """The form under which indicators of different regions count as the same (see same_indicator)."""
    key = _UNIT_NOTE_KEY.sub("", for_labels(indicator))
    key = _LEADING_VERBS.sub("", _LEAD_IN_KEY.sub("", key))
    for word, replacement in _SYNONYMS:
        key = key.replace(word, replacement)
    for qualifier in _QUALIFIERS:
        key = key.replace(qualifier, "")
    return _TRAILING_CHANGE.sub("", key)


_LEAD_IN_KEY = re.compile(r"^(?:全省|全市|全区|全县|我省|我市|我区|我县|力争)+")


def same_indicator(a: str, b: str) -> bool:
    """Whether two indicator names (any script) state the same indicator, for a table across regions."""
    key_a, key_b = comparison_key(a), comparison_key(b)
    return bool(key_a) and key_a == key_b
