"""Target extraction against every goal sentence of the five documents (expected values read off the texts)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.index import parse_corpus
from assistant.normalize import to_simplified
from assistant.targets import (
    Target,
    clause_targets,
    comparison_key,
    document_targets,
    extract_targets,
    same_indicator,
    stated_year,
)

# The goals part of each document, as clause addresses (the part or section and everything under it).
GOALS = {
    "qinghai": "一",  # 一、總體要求: 「到2025年」 paragraph, then the 「——」 lines
    "yuyang": "二",  # 二、主要目标 and 专栏1's indicator table
    "guangzhou": "一.（二）",  # 一、（二）工作目标
    "guizhou": "一",  # 一、总体要求 paragraphs
    "shanwei": "一.（二）",  # 一、（二）目标任务
}

# (indicator_key, value, unit, relation, year) of every target stated in the goals parts, in document order.
EXPECTED = {
    "qinghai": [
        ("制造业产品质量合格率", "94", "%", ">=", 2025),
        ("农畜产品监测合格率", "98", "%", ">=", 2025),
        ("食品抽检问题处置率", "100", "%", "=", 2025),
        ("交通建设工程交工验收合格率", "100", "%", "=", 2025),
        ("制修订地方标准", "300", "项", ">=", 2025),
        ("制定团体标准", "100", "项", ">=", 2025),
        ("强制检定项目社会公用计量标准", "12", "项", "increase", 2025),
        ("建标覆盖率", "90", "%", ">=", 2025),
        ("注册商标总量", "7", "万件", "=", 2025),
        ("地理标志商标累计注册量", "45", "件", ">=", 2025),
        ("地理标志保护产品累计注册量", "17", "件", ">=", 2025),
    ],
    "yuyang": [
        ("规模以上工业战略性新兴产业总产值占工业总产值比重", "10", "%", "=", 2025),
        ("每万人口高价值发明专利拥有量", "1.65", "件", "=", 2025),
        ("单位地区生产总值能源消耗降低", "﹝15﹞", "%", "decrease", 2025),
        ("全员劳动生产率", "20", "万元/人", "=", 2025),
        ("农产品质量安全例行监测合格率", "98", "%", ">=", 2025),
        ("食品评价性抽检合格率", "98", "%", ">=", 2025),
        ("制造业产品合格率", "93", "%", "=", 2025),
        ("累计获得省、市质量奖及提名奖", "1", "", "=", 2025),
    ],
    "guangzhou": [
        ("制造业质量竞争力指数", "92", "", ">=", 2025),
        ("农产品质量安全例行监测合格率", "98", "%", ">=", 2025),
        ("食品抽检合格率", "98.5", "%", ">=", 2025),
        ("制造业产品质量合格率", "95", "%", "=", 2025),
    ],
    "guizhou": [
        ("制造业增加值占地区生产总值比重", "25", "%", "=", 2025),
        ("工业战略性新兴产业总产值占工业总产值比重", "22", "%", "=", 2025),
        ("绿色经济占地区生产总值比重", "50", "%", "=", 2025),
        ("数字经济占地区生产总值比重", "50", "%", "≈", 2025),
        ("单位地区生产总值能耗", "13", "%", "decrease", 2025),
        ("每万人口高价值发明专利拥有量", "15", "%", "increase", 2025),
        ("累计建成高标准农田", "2300", "万亩", ">=", 2025),
        ("农产品质量安全监测", "1.5", "批次/千人", "=", 2025),
        ("农产品质量安全监测合格率", "98", "%", "=", 2025),
        ("制造业产品质量合格率", "2", "个百分点", "increase", 2025),
        ("重点工业产品省级监督抽查合格率", "95", "%", ">=", 2025),
        ("药品省级监督抽检合格率", "95", "%", ">=", 2025),
        ("食品安全评价性抽检合格率", "98", "%", ">=", 2025),
        ("建筑工程项目一次性竣工验收合格率", "100", "%", "=", 2025),
        ("农村公路优良中等路率", "75", "%", ">=", 2025),
        ("农村公路交工验收合格率", "100", "%", "=", 2025),
        ("大中型水利工程质量监督覆盖率", "100", "%", "=", 2025),
        ("大中型水利工程一次性竣工验收合格率", "100", "%", "=", 2025),
        ("累计颁发贵州省省长质量奖", "15", "个", "=", 2025),
        ("累计颁发贵州省省长质量奖提名奖", "25", "个", "=", 2025),
        ("全国质量标杆", "5", "个", "=", 2025),
        ("商标有效注册量", "36", "万件", "=", 2025),
        ("地理标志", "410", "件", "=", 2025),
        ("获批全国质量品牌提升示范区", "2", "个", ">=", 2025),
        ("农业产业化国家重点龙头企业", "70", "家", "=", 2025),
        ("累计获中国建设工程鲁班奖(国家优质工程)", "34", "个", "=", 2025),
        ("指导景区申报创建国家5A级景区", "2", "个", "=", 2025),
        ("国家4A级景区", "12", "个", "increase", 2025),
        ("老字号企业", "230", "家", ">=", 2025),
    ],
    "shanwei": [
        ("制造业产品质量合格率", "94.8", "%", "=", 2025),
        ("食品抽检合格率", "98.5", "%", ">=", 2025),
        ("农产品质量安全例行监测合格率", "98", "%", ">=", 2025),
        ("房屋市政工程质量抽查符合率", "90", "%", ">=", 2025),
        ("公路水运工程质量一次验收合格率", "100", "%", "=", 2025),
        ("竣工验收工程质量优良率", "90", "%", ">=", 2025),
        ("水利工程质量抽检合格率", "98", "%", ">=", 2025),
    ],
}

# The indicator every region sets, lined up: region → (value, unit, comparator as printed, relation).
MANUFACTURING_PASS_RATE = {
    "qinghai": ("94", "%", "穩定在…以上", ">="),
    "yuyang": ("93", "%", "", "="),
    "guangzhou": ("95", "%", "达到", "="),
    "guizhou": ("2", "个百分点", "整体提升…以上", "increase"),
    "shanwei": ("94.8", "%", "力争达到", "="),
}


def in_goals(clause) -> bool:
    goals = GOALS[clause.doc_id]
    return clause.address == goals or clause.address.startswith(goals + ".")


@pytest.fixture(scope="module")
def clauses(corpus_documents):
    return parse_corpus(corpus_documents)


@pytest.fixture(scope="module")
def corpus_targets(clauses):
    return document_targets(clauses)


@pytest.fixture(scope="module")
def goal_targets(corpus_targets):
    found: dict[str, list[Target]] = {doc_id: [] for doc_id in GOALS}
    for clause, target in corpus_targets:
        if in_goals(clause):
            found[clause.doc_id].append(target)
    return found


def row(target: Target) -> tuple:
    return (target.indicator_key, target.value, target.unit, target.relation, target.year)


@pytest.mark.parametrize("doc_id", list(EXPECTED))
def test_every_goal_target_is_read(goal_targets, doc_id):
    assert [row(target) for target in goal_targets[doc_id]] == EXPECTED[doc_id]


def test_goal_target_counts(goal_targets):
    counts = {doc_id: len(targets) for doc_id, targets in goal_targets.items()}
    assert counts == {"qinghai": 11, "yuyang": 8, "guangzhou": 4, "guizhou": 29, "shanwei": 7}


def test_every_region_lines_up_on_the_manufacturing_pass_rate(goal_targets):
    lined_up = {}
    for doc_id, targets in goal_targets.items():
        matches = [target for target in targets if same_indicator(target.indicator, "制造业产品质量合格率")]
        assert len(matches) == 1, doc_id
        target = matches[0]
        lined_up[doc_id] = (target.value, target.unit, target.comparator, target.relation)
    assert lined_up == MANUFACTURING_PASS_RATE


def test_shared_indicators_line_up_across_regions(goal_targets):
    regions = {}
    for doc_id, targets in goal_targets.items():
        for target in targets:
            regions.setdefault(comparison_key(target.indicator), {})[doc_id] = target.value
    assert regions["食品抽检合格率"] == {
        "yuyang": "98",
        "guangzhou": "98.5",
        "guizhou": "98",
        "shanwei": "98.5",
    }
    assert regions["农产品监测合格率"] == {
        "qinghai": "98",
        "yuyang": "98",
        "guangzhou": "98",
        "guizhou": "98",
        "shanwei": "98",
    }
    assert regions["注册商标总量"] == {"qinghai": "7", "guizhou": "36"}
    assert regions["单位地区生产总值能耗"] == {"yuyang": "﹝15﹞", "guizhou": "13"}


def test_numbers_and_sentences(goal_targets):
    for targets in goal_targets.values():
        for target in targets:
            assert target.number == float(target.value.strip("﹝﹞"))
    shanwei = goal_targets["shanwei"][4]
    assert shanwei.sentence.endswith(
        "公路水运工程质量一次验收合格率达到 100%,竣工验收工程质量优良率达到90%以上,水利工程质量抽检合格率为98%以上。"
    )
    assert shanwei.comparator == "达到"


def test_sentence_spans_slice_the_clause_text(corpus_targets):
    for clause, target in corpus_targets:
        assert clause.text[target.start : target.end] == target.sentence
        if clause.kind != "table_row":
            assert target.value in target.sentence


@pytest.mark.parametrize(
    ("sentence", "comparator", "relation"),
    [
        ("数字经济占地区生产总值比重达到50%左右。", "达到…左右", "≈"),
        ("每万人口高价值发明专利拥有量年均增长15%左右。", "年均增长…左右", "increase"),
        ("农业产业化国家重点龙头企业力争达70家。", "力争达", "="),
        ("老字号企业突破230家。", "突破", ">="),
        ("保健食品企业不低于20%。", "不低于", ">="),
        ("建标覆蓋率力爭達90%以上。", "力爭達…以上", ">="),
        ("绿色经济占地区生产总值比重提高到50%。", "提高到", "="),
        ("单位地区生产总值能耗较2020年下降13%。", "下降", "decrease"),
        ("新增国家4A级景区12个。", "新增", "increase"),
        ("城镇调查失业率控制在5.5%以内。", "控制在…以内", "<="),
    ],
)
def test_comparators_and_relations(sentence, comparator, relation):
    (target,) = extract_targets(sentence)
    assert (target.comparator, target.relation) == (comparator, relation)


def test_base_year_is_not_the_target_year():
    (target,) = extract_targets("单位地区生产总值能耗较2020年下降13%。")
    assert (target.indicator, target.year) == ("单位地区生产总值能耗", None)
    (target,) = extract_targets("单位地区生产总值能耗较2020年下降13%。", year=2025)
    assert target.year == 2025


def test_year_carries_from_an_earlier_sentence_of_the_same_text():
    text = "到2025年,质量水平稳步提高;制造业产品质量合格率达到95%。到2035年,合格率达到98%。"
    assert [(target.value, target.year) for target in extract_targets(text, year=2030)] == [
        ("95", 2025),
        ("98", 2035),
    ]
    assert stated_year(text) == 2035
    assert stated_year("截至2023年11月5日,公众可提出意见。") is None


@pytest.mark.parametrize(
    "text",
    [
        "联系电话:0660-3361078",
        "联系人:刘先生,联系电话:020-87597270。",
        "邮编:510620,地址:天河路112号。",
        "电子邮箱:swsqsb@126.com",
        "请于2023年10月26日前以邮寄方式反馈。",
        "2024-05-07",
        "现结合《实施意见》(榆政发〔2023〕13号)和我区工作实际。",
        "注:①带﹝﹞指标为“十四五”期间累计数。",
        "全面贯彻省委十三届三次全会精神和“1310”具体部署,奋进“百千万工程”。",
        "围绕“四新”主攻“四化”主战略。",
        "到2025年,全区经济发展质量效益明显提升。",
        "1.聚焦产业发展,提高产业质量竞争力。",
        "专栏1 质量强区建设主要发展指标",
        "争取创建一批4A级以上旅游景区,擦亮省5G产业园。",
        "加快发展“4+2+X”现代农业产业,引领全市“3+2”现代化产业体系。",
        "基本建成“城市15分钟、农村1.5小时”的基本公共服务圈。",
        "落实《国土空间生态修复规划(2021—2035年)》。",
        "依照第3条规定办理。",
    ],
)
def test_not_targets(text):
    assert extract_targets(text) == []


def test_traditional_text_reads_like_its_simplified_form(clauses):
    lines = [clause for clause in clauses if clause.doc_id == "qinghai" and clause.kind == "target"]
    assert lines
    for clause in lines:
        traditional = [row(target) for target in extract_targets(clause.text, year=2025)]
        simplified = [row(target) for target in extract_targets(to_simplified(clause.text), year=2025)]
        assert traditional == simplified
    (trademarks,) = [t for t in extract_targets(lines[3].text) if t.value == "7"]
    assert (trademarks.indicator, trademarks.indicator_key) == ("注冊商標總量", "注册商标总量")
    assert (trademarks.unit, trademarks.comparator) == ("万件", "達到")


def test_full_width_digits_and_traditional_comparators():
    (target,) = extract_targets("到2025年，制造業產品質量合格率達到９４．８％以上。")
    assert (target.indicator_key, target.value, target.number, target.unit) == (
        "制造业产品质量合格率",
        "９４．８",
        94.8,
        "%",
    )
    assert (target.comparator, target.relation, target.year) == ("達到…以上", ">=", 2025)


def test_enumerations_sharing_one_verb():
    both = extract_targets("重点工业产品省级监督抽查合格率和药品省级监督抽检合格率均在95%以上。")
    assert [(t.indicator, t.value, t.relation) for t in both] == [
        ("重点工业产品省级监督抽查合格率", "95", ">="),
        ("药品省级监督抽检合格率", "95", ">="),
    ]
    listed = extract_targets("甲市、乙市分别达到90%、95%。")
    assert [(t.indicator, t.value) for t in listed] == [("甲市", "90"), ("乙市", "95")]
    rates = extract_targets("智慧工地覆盖率、绿色建筑占比达到100%。")
    assert [t.indicator for t in rates] == ["智慧工地覆盖率", "绿色建筑占比"]
    joint = extract_targets("累计认证绿色、有机农产品和地理标志农产品1000个以上。")
    assert [(t.indicator, t.value, t.relation) for t in joint] == [
        ("累计认证绿色、有机农产品和地理标志农产品", "1000", ">=")
    ]


def test_a_bare_measure_inherits_its_subject():
    found = extract_targets("农产品质量安全监测1.5批次/千人,合格率98%。")
    assert [(t.indicator, t.value, t.unit) for t in found] == [
        ("农产品质量安全监测", "1.5", "批次/千人"),
        ("农产品质量安全监测合格率", "98", "%"),
    ]
    awards = extract_targets("累计颁发贵州省省长质量奖15个、提名奖25个。")
    assert [t.indicator for t in awards] == ["累计颁发贵州省省长质量奖", "累计颁发贵州省省长质量奖提名奖"]


def test_table_rows_read_their_cells(clauses):
    rows = {c.address: c for c in clauses if c.doc_id == "yuyang" and c.kind == "table_row"}
    (energy,) = clause_targets(rows["二.专栏1.表3"])
    assert (energy.indicator, energy.value, energy.number, energy.unit) == (
        "单位地区生产总值能源消耗降低",
        "﹝15﹞",
        15.0,
        "%",
    )
    (food,) = clause_targets(rows["二.专栏1.表6"])
    assert (food.comparator, food.relation, food.year) == ("≥", ">=", 2025)
    assert food.sentence == rows["二.专栏1.表6"].text


def test_the_section_year_reaches_lines_without_one_but_no_further(clauses, corpus_targets):
    line = next(c for c in clauses if c.doc_id == "qinghai" and c.address == "一.目标2")
    assert {target.year for target in clause_targets(line)} == {None}
    assert {target.year for target in clause_targets(line, year=2025)} == {2025}
    later = {
        target.year
        for clause, target in corpus_targets
        if clause.doc_id == "qinghai" and not in_goals(clause)
    }
    assert later == {None}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("制造业产品质量合格率", "制造业产品合格率(%)", True),
        ("制造業產品質量合格率", "制造业产品质量合格率", True),
        ("食品抽检合格率", "食品评价性抽检合格率", True),
        ("食品安全评价性抽检合格率", "食品抽检合格率", True),
        ("农畜产品监测合格率", "农产品质量安全例行监测合格率", True),
        ("注册商标总量", "商标有效注册量", True),
        ("单位地区生产总值能耗", "单位地区生产总值能源消耗降低(%)", True),
        ("食品抽检问题处置率", "食品抽检合格率", False),
        ("制造业质量竞争力指数", "制造业产品质量合格率", False),
        ("消费品质量合格率", "制造业产品质量合格率", False),
        ("地理标志商标累计注册量", "注册商标总量", False),
        ("合格率", "制造业产品合格率", False),
        ("", "", False),
    ],
)
def test_same_indicator(a, b, same):
    assert same_indicator(a, b) is same
    assert same_indicator(b, a) is same


TEXT_ALPHABET = [
    *"0123456789.%％、，,。；;达到以上左右年月个件万项率合格均和分别较下降增长力争﹝﹞〔〕≥（）()“” \n—-第5A",
    "制造業產品質量合格率",
    "不低於",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(TEXT_ALPHABET), max_size=40).map("".join)))
def test_never_raises_and_spans_hold(text):
    for target in extract_targets(text, year=2025):
        assert text[target.start : target.end] == target.sentence
        assert target.value in target.sentence
        assert target.relation in {">=", "<=", "=", "≈", "increase", "decrease"}
        assert target.number is None or target.number >= 0
