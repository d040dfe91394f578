"""The web app through gradio_client, and what its clause cards show."""

from __future__ import annotations

import socket

import pytest

import app
from assistant.config import Config
from assistant.search import open_searcher
from tests.conftest import write_corpus


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(searcher):
    from gradio_client import Client

    demo = app.build_app(searcher)
    port = free_port()
    app.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    return demo, Client(f"http://127.0.0.1:{port}/", verbose=False)


@pytest.fixture(scope="module")
def client(hashing_searcher):
    demo, client = serve(hashing_searcher)
    yield client
    demo.close()


def test_search_endpoint_answers_with_clauses(client):
    payload = client.predict("广州对生产性服务业的质量提升有什么安排", api_name="/search")
    assert payload["results"][0]["region"] == "广东省广州市"
    assert payload["results"][0]["doc_title"] == "广州市质量强市建设实施方案（征求意见稿）"


def test_search_endpoint_takes_filters_with_defaults(client):
    payload = client.predict("质量强市", "广东省", 4, api_name="/search")
    assert len(payload["results"]) == 4
    assert all(r["region"].startswith("广东省") for r in payload["results"])


def test_search_endpoint_reports_bad_input_as_a_message(client):
    assert "请输入" in client.predict("  ", api_name="/search")["error"]
    assert "查询过长" in client.predict("质" * 1_000_000, api_name="/search")["notices"][0]


def test_cards_show_source_badge_and_escape_document_html(tmp_path):
    documents = write_corpus(
        tmp_path / "documents",
        {"evil": '一、总体要求\n<script>alert("x")</script>加强质量基础设施建设。<b>粗体</b>\n'},
        evil={"status": "draft", "title": "<i>测试</i>方案"},
    )
    searcher = open_searcher(Config(documents_dir=documents, index_dir=tmp_path / "index", model="hashing"))
    html = app.render_result(searcher.search("质量基础设施"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "&lt;i&gt;测试&lt;/i&gt;方案" in html
    assert "征求意见稿" in html and "广东省广州市" in html and "某局" in html
    assert "一、总体要求" in html
    from assistant.conversation import resolve_turn

    turn = resolve_turn("<b>质量基础设施</b>", None, searcher.gazetteer)
    answer = app.chat_answer(searcher, turn, searcher.search(turn.topic))
    assert "<script>" not in answer and "<i>" not in answer and "&lt;" in answer


def test_region_filter_lists_every_level(hashing_searcher):
    choices = app.region_choices(hashing_searcher)
    assert choices[0] == (app.ALL_REGIONS, app.ALL_REGIONS)
    values = [value for _, value in choices]
    assert {"广东省", "广东省广州市", "陕西省", "陕西省榆林市", "陕西省榆林市榆阳区"} <= set(values)
    labels = dict((value, label) for label, value in choices)
    assert labels["广东省广州市"] == "\u3000广州市" and labels["陕西省榆林市榆阳区"] == "\u3000\u3000榆阳区"
    assert values.index("广东省") < values.index("广东省广州市") < values.index("广东省汕尾市")


@pytest.mark.model
def test_app_answers_the_guangzhou_question_with_the_real_model(real_searcher):
    demo, client = serve(real_searcher)
    try:
        top = client.predict("广州对生产性服务业的质量提升有什么安排", api_name="/search")["results"][0]
    finally:
        demo.close()
    assert top["region"] == "广东省广州市" and top["status"] == "draft" and top["title"]


def test_precedent_endpoint_groups_clauses_by_region(client):
    draft = "加快构建覆盖计量、标准、认证认可、检验检测的质量基础设施一站式服务体系，为中小企业提供技术帮扶。"
    payload = client.predict(draft, api_name="/precedent")
    regions = [group["region"] for group in payload["groups"]]
    assert len(regions) >= 2 and len(set(regions)) == len(regions)
    for group in payload["groups"]:
        assert 1 <= len(group["clauses"]) <= 3
        assert all(
            c["region"] == group["region"] and c["citation"].startswith("《") for c in group["clauses"]
        )
    excluded = client.predict(draft, "广东省", api_name="/precedent")
    assert not any(g["region"].startswith("广东省") for g in excluded["groups"])
    assert "草稿为空" in client.predict("   ", api_name="/precedent")["error"]


def test_compare_endpoint_has_a_row_per_region(client, hashing_searcher):
    payload = client.predict("制造业产品质量合格率", api_name="/compare")
    assert payload["columns"][:2] == ["地区", "数值目标"]
    assert sorted(row[0] for row in payload["rows"]) == sorted(d.region for d in hashing_searcher.documents)
    assert "请输入" in client.predict("", api_name="/compare")["error"]


def test_a_long_paste_in_the_precedent_finder_is_cut_with_a_notice(client):
    payload = client.predict("质量基础设施一站式服务。" * 10_000, api_name="/precedent")
    assert any("草稿过长" in notice for notice in payload["notices"])
