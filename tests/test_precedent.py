"""Precedents for a pasted draft: regions side by side, shared text marked, thresholds, export to Markdown/.docx."""

from __future__ import annotations

from io import BytesIO

import docx
import pytest

from assistant.config import Config
from assistant.errors import QueryError
from assistant.normalize import for_matching
from assistant.precedent import (
    MAX_DRAFT_CHARS,
    MAX_SEARCHES,
    REGION_MIN_RATIO,
    find_precedents,
    to_docx,
    to_markdown,
)
from assistant.search import MAX_QUERY_CHARS, Hit, SearchResult, open_searcher
from tests.conftest import write_corpus

# A drafter's paragraph on quality infrastructure services, in the register of the documents.
INFRASTRUCTURE_DRAFT = (
    "加快构建质量基础设施一站式服务体系，在产业园区和重点产业集群布局服务站点，整合计量、标准、检验检测、"
    "认证认可等资源，建立需求调查、上门指导和跟踪服务机制，为中小企业提供全链条技术支持。"
)
# Only Guangzhou's plan speaks of cosmetics (化妆品) and of 番禺区 / 白云区.
COSMETICS_DRAFT = "支持番禺区、白云区化妆品产业集聚发展，完善化妆品质量基础设施服务。"
QINGHAI_CLAUSE = "qinghai:二.（五）.21"  # 21.推動質量基礎設施協同服務。建立健全計量、標準、認證認可…


@pytest.fixture(scope="module")
def infrastructure(hashing_searcher):
    return find_precedents(hashing_searcher, INFRASTRUCTURE_DRAFT)


def test_a_draft_paragraph_finds_several_regions_best_first(infrastructure):
    groups = infrastructure.groups
    assert len(groups) >= 3
    assert len({g.region for g in groups}) == len(groups)
    bests = [g.precedents[0].hit.score for g in groups]
    assert bests == sorted(bests, reverse=True)
    for group in groups:
        assert 1 <= len(group.precedents) <= 3
        scores = [p.hit.score for p in group.precedents]
        assert scores == sorted(scores, reverse=True)
        assert all(p.hit.document.region == group.region for p in group.precedents)
        assert not any(p.hit.clause.is_furniture for p in group.precedents)
    shown = {p.hit.clause.clause_id for p in infrastructure.precedents}
    assert {"guangzhou:二.（七）.4", "shanwei:八.（二十四）"} <= shown


def test_segments_rebuild_the_clause_and_matched_runs_occur_in_the_draft(infrastructure):
    draft = for_matching(infrastructure.draft)
    matched_somewhere = False
    for precedent in infrastructure.precedents:
        assert "".join(s.text for s in precedent.segments) == precedent.hit.clause.text
        matched = [s.text for s in precedent.segments if s.matched]
        for text in matched:
            assert len(text) >= 4 and for_matching(text) in draft, text
        matched_somewhere |= bool(matched)
        non_space = len("".join(precedent.hit.clause.text.split()))
        assert precedent.overlap == pytest.approx(len("".join("".join(matched).split())) / non_space)
    assert matched_somewhere
    assert "".join(s.text for s in infrastructure.draft_segments) == infrastructure.draft
    marked = "".join(s.text for s in infrastructure.draft_segments if s.matched)
    assert "计量、标准、检验检测、认证认可" in marked and "一站式" not in marked  # the corpus writes “一站式”


def test_traditional_clause_is_matched_against_a_simplified_draft(hashing_searcher):
    draft = "建立健全计量、标准、认证认可、检验检测、质量管理等要素协同服务流程与机制，探索构建质量基础设施服务新模式。"
    result = find_precedents(hashing_searcher, draft)
    qinghai = next(g for g in result.groups if g.region == "青海省")
    precedent = qinghai.precedents[0]
    assert precedent.hit.clause.clause_id == QINGHAI_CLAUSE
    matched = "".join(s.text for s in precedent.segments if s.matched)
    assert (
        "計量、標準、認證認可、檢驗檢測、質量管理等要素協同服務流程與機制" in matched
    )  # original characters
    assert precedent.overlap > 0.1


def test_excluding_a_province_drops_all_its_cities(hashing_searcher):
    regions = {g.region for g in find_precedents(hashing_searcher, INFRASTRUCTURE_DRAFT).groups}
    assert {"广东省广州市", "广东省汕尾市"} <= regions
    for own in ("广东省", "广东"):
        kept = {
            g.region
            for g in find_precedents(hashing_searcher, INFRASTRUCTURE_DRAFT, exclude_region=own).groups
        }
        assert kept and not any(region.startswith("广东省") for region in kept), own
    city = {
        g.region
        for g in find_precedents(hashing_searcher, INFRASTRUCTURE_DRAFT, exclude_region="汕尾").groups
    }
    assert "广东省广州市" in city and "广东省汕尾市" not in city


def test_region_filter_keeps_one_region_path(hashing_searcher):
    result = find_precedents(hashing_searcher, INFRASTRUCTURE_DRAFT, region="广东省")
    shown = {g.region for g in result.groups}
    # Both cities of the province are searched: each is shown, or named as having no clause close enough (which
    # of the two happens to Guangzhou depends on the embedder's scores; the filter's reach does not).
    named = {
        region for region in ("广东省广州市", "广东省汕尾市") if any(region in n for n in result.notices)
    }
    assert "广东省汕尾市" in shown
    assert shown | named == {"广东省广州市", "广东省汕尾市"}
    assert not any(other in n for n in result.notices for other in ("青海", "贵州", "榆阳"))
    with pytest.raises(QueryError, match="上海"):
        find_precedents(hashing_searcher, INFRASTRUCTURE_DRAFT, exclude_region="上海市")


def test_a_short_draft_naming_its_own_city_still_shows_other_regions(hashing_searcher):
    # The searcher lifts a place named in a short question above everything else; a draft is not a question.
    result = find_precedents(hashing_searcher, "汕尾市要推进质量基础设施一站式服务")
    assert len({g.region for g in result.groups} - {"广东省汕尾市"}) >= 2


def test_a_region_without_a_counterpart_is_left_out_and_named(hashing_searcher):
    result = find_precedents(hashing_searcher, COSMETICS_DRAFT)
    assert [g.region for g in result.groups] == ["广东省广州市"]
    assert result.groups[0].precedents[0].hit.clause.clause_id == "guangzhou:二.（七）.4"
    assert any("未显示" in notice and "青海省" in notice for notice in result.notices)


class CountingSearcher:
    """A searcher that records every query it is asked."""

    def __init__(self, real) -> None:
        self.real = real
        self.gazetteer = real.gazetteer
        self.resolve_region = real.resolve_region
        self.calls: list[str] = []

    def search(self, query, **filters):
        self.calls.append(query)
        return self.real.search(query, **filters)


class ScriptedSearcher:
    """A searcher answering every query with the given clause scores (for exact threshold checks)."""

    def __init__(self, real, scores: dict[str, float]) -> None:
        self.gazetteer = real.gazetteer
        self.resolve_region = real.resolve_region
        passage_of = {}
        for passage in real.index.passages:
            passage_of.setdefault(passage.clause_id, passage)
        clauses = {clause.clause_id: clause for clause in real.index.clauses}
        self.hits = sorted(
            (
                Hit(clauses[cid], real.index.documents[clauses[cid].doc_id], score, passage_of[cid])
                for cid, score in scores.items()
            ),
            key=lambda hit: -hit.score,
        )

    def search(self, query, region=None, document=None, top_k=10, mode="final"):
        return SearchResult(query, {}, self.hits[:top_k])


def test_thresholds_within_and_across_regions(hashing_searcher):
    furniture = next(c.clause_id for c in hashing_searcher.index.clauses if c.is_furniture)
    scores = {
        furniture: 0.99,  # never shown, and not the overall best either
        "guangzhou:二.（七）.4": 0.90,
        "guangzhou:二.（七）.3": 0.73,  # ≥ 0.8 × 0.90: shown second
        "guangzhou:二.（七）.2": 0.71,  # < 0.8 × 0.90: a weak match, not shown
        "shanwei:八.（二十四）": 0.90 * REGION_MIN_RATIO + 0.01,  # a region just close enough
        QINGHAI_CLAUSE: 0.90 * REGION_MIN_RATIO - 0.01,  # a region with no real match
    }
    searcher = ScriptedSearcher(hashing_searcher, scores)
    result = find_precedents(searcher, INFRASTRUCTURE_DRAFT)
    shown = [(g.region, [p.hit.clause.clause_id for p in g.precedents]) for g in result.groups]
    assert shown == [
        ("广东省广州市", ["guangzhou:二.（七）.4", "guangzhou:二.（七）.3"]),
        ("广东省汕尾市", ["shanwei:八.（二十四）"]),
    ]
    assert any("青海省" in notice for notice in result.notices)
    assert [
        len(g.precedents) for g in find_precedents(searcher, INFRASTRUCTURE_DRAFT, per_region=1).groups
    ] == [1, 1]
    loose = find_precedents(searcher, INFRASTRUCTURE_DRAFT, min_score_ratio=0.3)
    assert [len(g.precedents) for g in loose.groups] == [3, 1]


def test_a_hundred_thousand_character_draft_is_cut_with_a_notice_and_answered(hashing_searcher):
    draft = (INFRASTRUCTURE_DRAFT * (100_000 // len(INFRASTRUCTURE_DRAFT) + 1))[:100_000]
    counting = CountingSearcher(hashing_searcher)
    result = find_precedents(counting, draft)
    assert result.notices[0] == f"草稿过长（100000 字），只比对了前 {MAX_DRAFT_CHARS} 字"
    assert len(result.draft) == MAX_DRAFT_CHARS
    assert "".join(s.text for s in result.draft_segments) == result.draft
    assert 1 <= len(counting.calls) <= MAX_SEARCHES
    assert all(len(query) <= MAX_QUERY_CHARS for query in counting.calls)
    assert not any("查询过长" in notice for notice in result.notices)
    assert len(result.groups) >= 3 and "shanwei:八.（二十四）" in {
        p.hit.clause.clause_id for p in result.precedents
    }


def test_the_part_of_a_long_draft_past_the_query_limit_is_searched_too(hashing_searcher):
    small_talk = "今天天气很好，我们去公园散步。" * 200  # 3000 characters that match no policy
    draft = small_talk + COSMETICS_DRAFT * 55
    assert MAX_QUERY_CHARS < len(draft) <= MAX_DRAFT_CHARS
    result = find_precedents(hashing_searcher, draft)
    assert "guangzhou:二.（七）.4" in {p.hit.clause.clause_id for p in result.precedents}


def test_an_empty_draft_is_refused(hashing_searcher):
    for draft in ("", "   \n\t", None):
        with pytest.raises(QueryError, match="草稿为空"):
            find_precedents(hashing_searcher, draft)


def test_markdown_has_a_heading_per_region_citations_and_bold_shared_text(infrastructure):
    markdown = to_markdown(infrastructure)
    for group in infrastructure.groups:
        assert f"## {group.region}" in markdown
        for precedent in group.precedents:
            assert f"### {precedent.hit.citation}" in markdown
    assert "征求意见稿" in markdown and "**计量、标准、检验检测、认证认可**" in markdown
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt().render(markdown)
    assert "<strong>计量、标准、检验检测、认证认可</strong>" in html
    assert html.count("<strong>") >= len(infrastructure.precedents)


def test_export_keeps_only_the_selected_clauses(infrastructure):
    first = infrastructure.groups[0].precedents[0]
    other = infrastructure.groups[1].precedents[0]
    markdown = to_markdown(infrastructure, selected=[first.hit.clause.clause_id])
    assert first.hit.citation in markdown and other.hit.citation not in markdown
    with pytest.raises(QueryError, match="nope:一"):
        to_markdown(infrastructure, selected=["nope:一"])


def test_docx_opens_with_citations_and_bold_shared_runs(infrastructure):
    document = docx.Document(BytesIO(to_docx(infrastructure)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert infrastructure.draft in text
    for precedent in infrastructure.precedents:
        assert precedent.hit.citation in text
        assert precedent.hit.clause.text in text
    bold = {run.text for p in document.paragraphs for run in p.runs if run.bold}
    shared = {s.text for p in infrastructure.precedents for s in p.segments if s.matched}
    assert shared and shared <= bold
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert [g.region for g in infrastructure.groups] == [h for h in headings if not h.startswith("草稿")]


def test_markup_in_a_clause_stays_literal_text(tmp_path):
    evil = "一、总体要求\n（一）加强质量基础设施建设<script>alert(1)</script>，推动**计量服务**体系 [链接](x) 完善。\n"
    documents = write_corpus(tmp_path / "documents", {"evil": evil})
    searcher = open_searcher(Config(documents_dir=documents, index_dir=tmp_path / "index", model="hashing"))
    result = find_precedents(searcher, "加强质量基础设施建设，推动计量服务体系完善。")
    clause = result.precedents[0].hit.clause
    assert "<script>" in clause.text
    literal = "（一）加强质量基础设施建设<script>alert(1)</script>，推动**计量服务**体系 [链接](x) 完善。"
    text = "\n".join(p.text for p in docx.Document(BytesIO(to_docx(result))).paragraphs)
    assert literal in text
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt().render(to_markdown(result))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "**<strong>计量服务</strong>**" in html and "<a " not in html  # the clause's own ** stay literal
    assert "<strong>加强质量基础设施建设</strong>" in html


# Paraphrased: says what a one-stop quality-infrastructure service does without the corpus's words for it.
ONE_STOP_DRAFT = (
    "我区将在产业园区和重点产业链集聚地布点建设质量技术服务站，把计量、标准化、检验检测、认证认可等服务资源"
    "集中到同一个窗口，企业只需对接一次就能获得从问题诊断到整改提升的全流程技术帮扶，并定期回访跟踪成效，"
    "切实降低中小微企业获取质量技术服务的成本。"
)
ONE_STOP_CLAUSES = {
    "guangzhou:二.（七）.4",  # 为产业集群、产业链质量升级提供“一站式”服务
    "guizhou:八.（十八）",  # 推进全省质量基础设施“一站式”服务平台建设
    "guizhou:八.（十九）",  # 在产业集聚区、重点园区开展质量基础设施“一站式”服务
    "shanwei:八.（二十四）",  # 提供“一站式”服务
    "yuyang:三.（三）.3",  # 质量基础设施“一站式”服务
    QINGHAI_CLAUSE,  # 要素协同服务流程与机制
}


@pytest.mark.model
def test_paraphrased_draft_finds_the_one_stop_clause_in_three_regions(real_searcher):
    assert 100 <= len(ONE_STOP_DRAFT) <= 200
    result = find_precedents(real_searcher, ONE_STOP_DRAFT)
    found = {
        group.region
        for group in result.groups
        if any(p.hit.clause.clause_id in ONE_STOP_CLAUSES for p in group.precedents)
    }
    assert len(found) >= 3, [
        (g.region, [p.hit.clause.clause_id for p in g.precedents]) for g in result.groups
    ]


@pytest.mark.model
def test_a_province_filter_shows_the_precedents_of_both_its_cities(real_searcher):
    result = find_precedents(real_searcher, INFRASTRUCTURE_DRAFT, region="广东省")
    assert {g.region for g in result.groups} == {"广东省广州市", "广东省汕尾市"}
    assert not result.notices
