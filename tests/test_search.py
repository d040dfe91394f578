"""Search behaviour a user notices: filters, bad queries, result fields; real-model retrieval per document."""

from __future__ import annotations

import re

import numpy as np
import pytest

from assistant.errors import QueryError
from assistant.normalize import for_matching
from assistant.search import MAX_QUERY_CHARS, RETRIEVER_MODES
from tests.conftest import RUN_RESULT_FIELDS

GUANGZHOU_QUESTION = "广州对生产性服务业的质量提升有什么安排"


def test_empty_or_blank_query_gets_a_friendly_error(hashing_searcher):
    for query in ("", "   ", "\n\t"):
        with pytest.raises(QueryError, match="请输入"):
            hashing_searcher.search(query)


def test_one_megabyte_query_is_cut_with_a_notice(hashing_searcher):
    result = hashing_searcher.search("质量基础设施" * 200_000)
    assert len(result.query) == MAX_QUERY_CHARS
    assert result.notices and "查询过长" in result.notices[0]
    assert result.hits


def test_province_filter_covers_its_cities(hashing_searcher):
    result = hashing_searcher.search("质量强市建设", region="广东省", top_k=30)
    regions = {hit.document.region for hit in result.hits}
    assert regions == {"广东省广州市", "广东省汕尾市"}


def test_short_region_names_and_traditional_script_resolve(hashing_searcher):
    assert hashing_searcher.search("计量", region="广州").filters["region"] == "广东省广州市"
    assert hashing_searcher.search("计量", region="陝西").filters["region"] == "陕西省"
    assert {
        h.document.doc_id for h in hashing_searcher.search("计量", region="陕西省榆林市", top_k=20).hits
    } == {"yuyang"}


def test_unknown_region_or_document_is_an_error_listing_the_known_ones(hashing_searcher):
    with pytest.raises(QueryError, match="广东省广州市"):
        hashing_searcher.search("计量", region="上海市")
    with pytest.raises(QueryError, match="guizhou"):
        hashing_searcher.search("计量", document="nope")


def test_document_filter(hashing_searcher):
    hits = hashing_searcher.search("质量", document="qinghai", top_k=50).hits
    assert hits and {h.document.doc_id for h in hits} == {"qinghai"}


def test_document_filter_by_seed_file_or_title_is_reported_as_the_id(hashing_searcher):
    by_seed = hashing_searcher.search("质量", document="000_3a014577079f14a2.txt", top_k=50)
    assert by_seed.filters == {"document": "qinghai"}
    assert {h.document.doc_id for h in by_seed.hits} == {"qinghai"}
    by_title = hashing_searcher.search("质量", document="广州市质量强市建设实施方案（征求意见稿）")
    assert {h.document.doc_id for h in by_title.hits} == {"guangzhou"}


def test_every_mode_returns_distinct_clauses(hashing_searcher):
    for mode in RETRIEVER_MODES:
        hits = hashing_searcher.search("食品安全抽检合格率", mode=mode, top_k=10).hits
        ids = [h.clause.clause_id for h in hits]
        assert len(ids) == len(set(ids)) == 10, mode
    with pytest.raises(QueryError, match="unknown retriever mode"):
        hashing_searcher.search("计量", mode="magic")


def test_result_carries_source_and_whole_clause(hashing_searcher):
    hit = hashing_searcher.search(GUANGZHOU_QUESTION, top_k=1).hits[0]
    record = hit.to_json(1)
    assert set(record) >= RUN_RESULT_FIELDS
    assert record["text"] == hit.clause.text
    assert hit.passage.body in hit.clause.text
    assert record["citation"].startswith(f"《{hit.document.display_title}》")


def test_highlight_is_escaped(hashing_searcher):
    hit = hashing_searcher.search("质量", top_k=1).hits[0]
    html = hit.highlighted_html()
    assert "<script" not in html


def test_furniture_is_ranked_last(hashing_searcher):
    hits = hashing_searcher.search(
        "来源 贵州省人民政府网微信公众号 监制 审校", document="guizhou", top_k=100
    ).hits
    furniture = [i for i, h in enumerate(hits) if h.clause.is_furniture]
    policy = [i for i, h in enumerate(hits) if not h.clause.is_furniture]
    assert furniture and policy and max(policy) < min(furniture)


@pytest.mark.model
def test_guangzhou_question_finds_guangzhou_at_rank_one(real_searcher):
    hit = real_searcher.search(GUANGZHOU_QUESTION, top_k=5).hits[0]
    assert hit.document.region == "广东省广州市"
    assert "生产性服务" in hit.clause.text
    assert hit.document.status == "draft" and hit.clause.title


# One paraphrased question per seed document, with a phrase of the clause that answers it.
PARAPHRASES = [
    ("青海怎么把盐湖资源的产业做强做优", "qinghai", "鹽湖"),
    ("榆阳区对农产品质量安全监管有什么要求", "yuyang", "提高农产品质量安全水平"),
    ("广州征求意见可以通过哪些方式反馈，截止到什么时候", "guangzhou", "2023年11月5日"),
    ("贵州的白酒产业怎么打造质量品牌", "guizhou", "酱香"),
    ("汕尾对意见反馈的截止日期和联系电话", "shanwei", "0660-3361078"),
]


@pytest.mark.model
@pytest.mark.parametrize(("question", "doc_id", "phrase"), PARAPHRASES)
def test_paraphrased_question_finds_the_clause(real_searcher, question, doc_id, phrase):
    hits = real_searcher.search(question, top_k=5).hits
    assert any(h.document.doc_id == doc_id and phrase in h.clause.text for h in hits), [
        (h.clause.clause_id, h.clause.text[:30]) for h in hits
    ]


def test_a_repeated_query_reuses_its_embedding(hashing_searcher):
    calls = []
    embedder = hashing_searcher.embedder
    original = embedder.embed_queries_with_tokens

    def counting(texts):
        calls.append(texts)
        return original(texts)

    hashing_searcher.clear_query_cache()
    embedder.embed_queries_with_tokens = counting
    try:
        first = hashing_searcher.search("检验检测机构监管", top_k=5)
        again = hashing_searcher.search("检验检测机构监管", region="广东省", top_k=5)
    finally:
        del embedder.embed_queries_with_tokens
    assert len(calls) == 1
    assert first.hits and again.hits
    assert all(h.document.region.startswith("广东省") for h in again.hits)


def test_unnumbered_clauses_are_cited_readably():
    from assistant.search import readable_address

    assert readable_address("二.专栏1.表7") == "二、专栏1表第7行"
    assert readable_address("三.（一）.专栏2.3") == "三、（一）专栏2第3条"
    assert readable_address("一.目标2") == "一、目标2"
    assert readable_address("通知.3") == "通知第3段"
    assert readable_address("一.（二）.段2") == "一、（二）第2段"


def test_a_table_row_citation_names_its_box_and_row(hashing_searcher):
    hit = next(
        h
        for h in hashing_searcher.search("制造业产品合格率", document="yuyang", top_k=20).hits
        if h.clause.kind == "table_row"
    )
    assert hit.citation.startswith("《榆阳区关于贯彻落实〈质量强国建设纲要〉的实施意见》二、专栏1表第")


def test_late_interaction_scores_passages_by_their_best_token_matches():
    from types import SimpleNamespace

    import numpy as np

    from assistant.search import _ClauseTokens

    tokens = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float16)
    index = SimpleNamespace(
        token_offsets=np.array([0, 2, 3, 3]),  # passage 0: tokens 0-1; passage 1: token 2; passage 2: none
        passages=[None, None, None],
        clauses=[None, None],
        manifest=SimpleNamespace(dim=2),
        passage_tokens=lambda row: tokens[index.token_offsets[row] : index.token_offsets[row + 1]],
    )
    layout = _ClauseTokens(index, passage_clause=np.array([0, 1, 0]))
    query = np.array([[1, 0], [0, 1]], dtype=np.float32)
    scores = layout.scores(query, np.array([0, 1]))
    assert scores[0] == pytest.approx(1.0)  # each query token finds itself
    assert scores[1] == pytest.approx((0.6 + 0.8) / 2, abs=5e-3)  # token vectors are stored in float16
    assert scores[2] == -np.inf  # a passage without word tokens is not scored
    only_second = layout.scores(query, np.array([1]))
    assert only_second[0] == -np.inf and only_second[1] == pytest.approx(0.7, abs=5e-3)
    assert (layout.scores(query[:0], np.array([0, 1])) == -np.inf).all()  # a question of punctuation alone


def test_late_interaction_agrees_with_a_direct_computation(hashing_searcher):
    import numpy as np

    index = hashing_searcher.index
    _, query_tokens = hashing_searcher.query_embedding("质量基础设施一站式服务")
    rows = np.arange(0, len(index.clauses), 7)
    scores = hashing_searcher._tokens.scores(query_tokens, rows)
    wanted = {index.clause_by_id[index.clauses[row].clause_id].clause_id for row in rows}
    checked = 0
    for row, passage in enumerate(index.passages):
        passage_tokens = index.passage_tokens(row).astype(np.float32)
        if passage.clause_id not in wanted or not len(passage_tokens):
            assert scores[row] == -np.inf
            continue
        direct = (query_tokens @ passage_tokens.T).max(axis=1).mean()
        assert scores[row] == pytest.approx(direct, abs=1e-5)
        checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "question",
    ["质量基础设施一站式服务", "怎么让游客玩得放心", "制造业产品质量合格率", "广州市场监督管理局邮箱"],
)
def test_final_scores_fall_with_rank_even_past_the_reranked_clauses(hashing_searcher, question):
    hits = hashing_searcher.search(question, top_k=100).hits
    scores = [hit.score for hit in hits]
    assert len(hits) == 100
    assert scores == sorted(scores, reverse=True)


def test_a_filter_keeps_the_order_of_the_clauses_it_keeps(hashing_searcher):
    question = "推进检验检测机构市场化改革，提升认证认可服务能力"
    province = [
        h.clause.clause_id
        for h in hashing_searcher.search(question, region="广东省", top_k=20).hits
        if h.document.region == "广东省广州市"
    ]
    city = [h.clause.clause_id for h in hashing_searcher.search(question, region="广州", top_k=100).hits]
    assert len(province) >= 5
    assert [clause for clause in city if clause in province] == province


def test_a_question_naming_no_place_shows_each_regions_best_clause_first(hashing_searcher):
    question = "推进检验检测机构市场化改革，提升认证认可服务能力"
    from assistant.search import REGION_ANSWER_RATIO

    hits = hashing_searcher.search(question, top_k=40).hits
    firsts: dict[str, int] = {}
    for position, hit in enumerate(hits):
        firsts.setdefault(hit.document.region, position)
    close = [p for p in firsts.values() if hits[p].score >= REGION_ANSWER_RATIO * hits[0].score]
    assert len(close) >= 3
    assert sorted(close) == list(range(len(close)))  # each close region's best clause, then the rest
    assert len({h.document.region for h in hits[: len(close)]}) == len(close)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    named = hashing_searcher.search("广州" + question, top_k=5).hits
    assert {h.document.region for h in named} == {"广东省广州市"}  # a named place is not diluted
    filtered = hashing_searcher.search(question, region="广东省", top_k=5).hits
    assert all(h.document.region.startswith("广东省") for h in filtered)


def test_each_region_first_lifts_close_leaders_only_and_keeps_the_score_values(hashing_searcher):
    import numpy as np

    rows = {}
    for row, clause in enumerate(hashing_searcher.index.clauses):
        rows.setdefault(clause.doc_id, []).append(row)
    qinghai_1, qinghai_2 = rows["qinghai"][5:7]
    guizhou, shanwei = rows["guizhou"][5], rows["shanwei"][5]
    scores = np.full(len(hashing_searcher.index.clauses), -np.inf)
    scores[[qinghai_1, qinghai_2, guizhou, shanwei]] = [0.9, 0.85, 0.7, 0.4]  # 0.4 < 0.6 × 0.9
    reordered = hashing_searcher._each_region_first(scores, 0.6)
    order = [int(row) for row in np.argsort(-reordered)[:4]]
    assert order == [qinghai_1, guizhou, qinghai_2, shanwei]
    assert sorted(reordered[order]) == sorted([0.9, 0.85, 0.7, 0.4])
    every = hashing_searcher._each_region_first(scores, 0.0)  # a comparison: the weak region's best too
    assert [int(row) for row in np.argsort(-every)[:4]] == [qinghai_1, guizhou, shanwei, qinghai_2]


def test_a_question_asking_how_places_compare_shows_every_regions_best_first(hashing_searcher):
    question = "推进检验检测机构市场化改革，提升认证认可服务能力"
    for asked in ("各地怎么" + question, question + "，几个地方有什么不同"):
        hits = hashing_searcher.search(asked, top_k=10).hits
        assert len({h.document.region for h in hits[:5]}) == 5, asked
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("汕尾收意见的电子邮箱是什么？", r"@\w+\.com"),
        ("广州的意见寄到哪个地址？", r"天河路112号"),
        ("汕尾市场监管局的联系电话是多少？", r"\d{4}-\d{7}"),
        ("汕尾征求意见截止到哪天？", r"10月26日前"),
        ("榆阳区的实施意见发给哪些单位？", r"^各乡镇人民政府"),
    ],
)
@pytest.mark.model
def test_a_question_asking_for_a_fact_finds_the_clause_stating_one(real_searcher, question, fact):
    without = real_searcher.search(question, top_k=50, mode="hybrid").hits
    hits = real_searcher.search(question, top_k=2).hits
    assert any(re.search(fact, h.clause.text, re.MULTILINE) for h in hits), [h.clause.text[:30] for h in hits]
    assert not all(re.search(fact, h.clause.text, re.MULTILINE) for h in without[:3])  # the rule, not luck


def test_answer_types_stay_out_of_ordinary_questions():
    from assistant.search import ANSWER_TYPES

    asks = [re.compile(question) for question, _ in ANSWER_TYPES.values()]
    for question in ("青海的生态旅游质量怎么提升？", "制造业产品质量合格率的目标", "怎么让游客玩得放心"):
        assert not any(pattern.search(question) for pattern in asks)


def test_feedback_takes_the_clause_tokens_closest_to_the_question_but_not_its_own_words():
    from types import SimpleNamespace

    import numpy as np

    from assistant.search import _ClauseTokens

    tokens = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1], [0, 0.6, 0.8]], dtype=np.float16)
    index = SimpleNamespace(
        token_offsets=np.array([0, 4]),
        passages=[None],
        clauses=[None],
        manifest=SimpleNamespace(dim=3),
        passage_tokens=lambda row: tokens,
    )
    layout = _ClauseTokens(index, passage_clause=np.array([0]))
    question = np.array([[1, 0, 0]], dtype=np.float32)
    chosen = layout.feedback(question, 0, 2)
    # [1, 0, 0] is the question's own word; then the closest: [0.8, 0.6, 0] (0.8), then [0, 0.6, 0.8] / [0, 0, 1] (0)
    assert chosen.shape == (2, 3)
    assert np.allclose(chosen[0], [0.8, 0.6, 0], atol=1e-2)
    assert not any(np.allclose(row, [1, 0, 0], atol=1e-2) for row in chosen)
    assert layout.feedback(question[:0], 0, 2).shape == (0, 3)


def test_feedback_changes_the_ranking_only_through_the_best_clause(hashing_searcher, monkeypatch):
    import assistant.search as search

    question = "推进检验检测机构市场化改革，提升认证认可服务能力"
    with_feedback = [h.clause.clause_id for h in hashing_searcher.search(question, top_k=10).hits]
    monkeypatch.setattr(search, "FEEDBACK_TOKENS", 0)
    without = [h.clause.clause_id for h in hashing_searcher.search(question, top_k=10).hits]
    assert with_feedback[0] == without[0]  # the clause the feedback comes from stays first
    assert set(with_feedback) != set(without) or with_feedback != without


@pytest.mark.parametrize("question", ["榆阳和汕尾分别怎么培育品牌", "廣州、青海的質量獎有什麼不同"])
def test_a_question_naming_two_places_shows_each_ones_best_clause_first(hashing_searcher, question):
    places = hashing_searcher.gazetteer.mentions(question)
    hits = hashing_searcher.search(question, top_k=10).hits
    assert len(places) == 2
    assert {h.document.region for h in hits[:2]} == set(places)
    assert all(h.document.region in places for h in hits)  # no other region is mixed in
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_bare_heading_follows_every_clause_with_content(hashing_searcher):
    hits = hashing_searcher.search("五、保障措施", document="yuyang", top_k=100).hits
    shown = [hit for hit in hits if not hit.clause.is_furniture]  # page furniture stays below everything
    bare = [rank for rank, hit in enumerate(shown) if hit.clause.is_bare_heading]
    assert len(bare) > 3 and any(shown[rank].clause.text == "五、保障措施" for rank in bare)
    assert bare == list(range(len(shown) - len(bare), len(shown)))  # all of them after the content
    assert not hits[0].clause.is_bare_heading


def test_bare_headings_are_heading_lines_alone():
    from assistant.clauses import parse_clauses

    clauses = parse_clauses("五、保障措施\n（一）加强党的领导。坚持党对质量工作的全面领导。\n", "d")
    assert [clause.is_bare_heading for clause in clauses] == [True, False]


def test_a_question_repeating_a_rare_phrase_of_a_clause_title_lifts_that_clause(hashing_searcher):
    from assistant.search import TITLE_PHRASE_BOOST, TITLE_PHRASE_MAX_CLAUSES

    clauses = hashing_searcher.index.clauses
    rules = hashing_searcher._question_rules(GUANGZHOU_QUESTION, None, None)
    lifted = {clauses[row].clause_id: for_matching(clauses[row].title) for row in np.flatnonzero(rules.lift)}
    assert "guangzhou:二.（五）.1" in lifted  # 「推动生产性服务高端化专业化发展」
    assert set(rules.lift[rules.lift > 0]) == {TITLE_PHRASE_BOOST}
    assert all("性服务" in title for title in lifted.values())  # 生产性服务业, 生活性服务业
    # a phrase that many clauses use says nothing about one of them
    assert sum("质量提升" in for_matching(c.text) for c in clauses) > TITLE_PHRASE_MAX_CLAUSES
    assert not hashing_searcher._question_rules("质量提升的安排", None, None).lift.any()
