"""The web app in a real browser (Playwright driving Debian's Chromium): each tab as a person uses it.

Screenshots go to $ASSISTANT_SCREENSHOTS (`make screenshots` sets docs/screenshots), else a temporary folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import app
from assistant.workspace import Workspace
from tests.test_app import free_port

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def base_url(real_searcher):
    demo = app.build_app(Workspace(real_searcher))
    port = free_port()
    app.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("ASSISTANT_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def page(base_url):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
        page = context.new_page()
        page.goto(base_url)
        page.wait_for_selector("#chat-question textarea", timeout=WAIT_MS)
        yield page
        browser.close()


def ask(page, question: str, expect: str) -> None:
    page.fill("#chat-question textarea", question)
    page.press("#chat-question textarea", "Enter")
    page.wait_for_function(
        "([text]) => (document.querySelector('#chat-cards')?.innerText ?? '').includes(text)",
        arg=[expect],
        timeout=WAIT_MS,
    )


def test_chat_follows_the_conversation_and_copies_a_citation(page, screenshots):
    ask(page, "广州怎么推进智能建造？", "广东省广州市")
    cards = page.inner_text("#chat-cards")
    assert "广州市质量强市建设实施方案（征求意见稿）" in cards and "征求意见稿" in cards
    ask(page, "那贵州呢？", "贵州省")
    cards = page.locator("#chat-cards .clause-card")
    assert cards.count() >= 3
    assert all(region == "贵州省" for region in cards.locator(".region").all_inner_texts())
    assert "沿用上一问的主题" in page.inner_text("#chatbot")
    assert "建造" in cards.first.inner_text() or "建筑" in cards.first.inner_text()  # still on the same topic
    button = cards.first.locator(".copy-citation")
    citation = button.get_attribute("data-citation")
    assert citation.startswith("《关于贯彻落实〈质量强国建设纲要〉深化质量强省建设的实施意见》")
    button.click()
    page.wait_for_function("document.querySelector('#chat-cards .copy-citation')?.innerText === '已复制'")
    page.screenshot(path=str(screenshots / "chat.png"), full_page=True)


def test_two_people_at_once_keep_their_own_conversations(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first, second = (browser.new_context(locale="zh-CN").new_page() for _ in range(2))
        for page in (first, second):
            page.goto(base_url)
            page.wait_for_selector("#chat-question textarea", timeout=WAIT_MS)
        ask(first, "广州怎么推进智能建造？", "广东省广州市")
        ask(second, "青海的生态旅游质量怎么提升？", "青海省")
        ask(first, "那贵州呢？", "贵州省")
        first_chat, second_chat = first.inner_text("#chatbot"), second.inner_text("#chatbot")
        browser.close()
    assert "沿用上一问的主题：怎么推进智能建造" in first_chat  # not the other person's 生态旅游
    assert "智能建造" not in second_chat and "那贵州呢" not in second_chat
    assert "生态旅游" not in first_chat


def test_precedent_finder_shows_regions_side_by_side(page, screenshots):
    page.get_by_role("tab", name="先例检索").click()
    page.fill(
        "#precedent-draft textarea",
        "加快构建覆盖计量、标准、认证认可、检验检测的质量基础设施一站式服务体系，在产业集聚区布设服务站点，"
        "为中小企业提供全链条技术帮扶。",
    )
    page.click("#precedent-find")
    page.wait_for_selector("#precedent-results .region-column", timeout=WAIT_MS)
    regions = page.locator("#precedent-results .region-column h3").all_inner_texts()
    assert len(regions) >= 3 and len(set(regions)) == len(regions)
    assert page.locator("#precedent-results mark.same").count() > 0
    assert "引用：《" in page.inner_text("#precedent-results")
    page.get_by_role("button", name="导出 Word (.docx)").click()
    page.wait_for_function(
        "(document.querySelector('#precedent-export')?.innerText ?? '').includes('.docx')", timeout=WAIT_MS
    )
    with page.expect_download() as download:
        page.locator("#precedent-export a").first.click()
    from docx import Document as WordDocument

    word = WordDocument(download.value.path())
    text = "\n".join(paragraph.text for paragraph in word.paragraphs)
    assert regions[0] in text and "《" in text
    page.screenshot(path=str(screenshots / "precedent.png"), full_page=True)


def test_comparison_table_lists_every_region_with_its_target(page, screenshots):
    page.get_by_role("tab", name="地区对比").click()
    page.fill("#compare-topic textarea", "制造业产品质量合格率")
    page.click("#compare-run")
    page.wait_for_function(
        "(document.querySelector('#compare-table')?.innerText ?? '').includes('94.8%')", timeout=WAIT_MS
    )
    table = page.inner_text("#compare-table")
    for region in ("青海省", "陕西省榆林市榆阳区", "广东省广州市", "贵州省", "广东省汕尾市"):
        assert region in table
    assert "95%" in table and "≥94%" in table
    page.screenshot(path=str(screenshots / "compare.png"), full_page=True)


def test_library_lists_documents_and_opens_a_clause_from_the_tree(page, screenshots):
    page.get_by_role("tab", name="文档库").click()
    table = page.inner_text("#library-table")
    assert "广州市质量强市建设实施方案（征求意见稿）" in table and "榆林市榆阳区人民政府办公室" in table
    page.click("#library-doc input")
    page.get_by_role("option", name="广东省广州市｜广州市质量强市建设实施方案（征求意见稿）").click()
    page.get_by_text("1.推动生产性服务高端化专业化发展").click()
    page.wait_for_selector("#library-clause .clause-card", timeout=WAIT_MS)
    assert "全面提升金融业发展质量" in page.inner_text("#library-clause")
    page.screenshot(path=str(screenshots / "library.png"), full_page=True)


def test_staff_log_in_upload_a_gbk_document_and_find_it(tmp_path, monkeypatch, screenshots):
    from playwright.sync_api import sync_playwright

    from assistant.config import Config
    from assistant.search import open_searcher
    from tests.conftest import copy_corpus

    monkeypatch.setenv(app.ADMIN_USER_ENV, "admin")
    monkeypatch.setenv(app.ADMIN_PASSWORD_ENV, "s3cret")
    config = Config(
        documents_dir=copy_corpus(tmp_path / "documents"), index_dir=tmp_path / "index", model="hashing"
    )
    demo = app.build_app(Workspace(open_searcher(config), config))
    port = free_port()
    app.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    upload = tmp_path / "深圳质量强市实施意见.txt"
    upload.write_bytes(
        (
            "深圳市关于推进质量强市建设的实施意见\n一、总体要求\n"
            "（一）发展低空经济质量。建设无人机产品质量检验检测中心。\n"
            "深圳市市场监督管理局\n2024年3月1日\n"
        ).encode("gbk")
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name="文档库").click()
            page.get_by_label("用户名").fill("admin")
            page.get_by_label("密码").fill("wrong")
            page.get_by_role("button", name="登录").click()
            page.get_by_text("用户名或密码不正确").wait_for(timeout=WAIT_MS)
            page.get_by_label("密码").fill("s3cret")
            page.get_by_role("button", name="登录").click()
            page.get_by_text("已登录").wait_for(timeout=WAIT_MS)
            page.locator("#library-upload input[type=file]").set_input_files(str(upload))
            page.get_by_role("button", name="读取并预填信息").click()
            page.get_by_text("请核对以下信息后保存").wait_for(timeout=WAIT_MS)
            assert page.get_by_label("地区（如 广东省广州市）").input_value() == "广东省深圳市"
            assert page.get_by_label("发布机构").input_value() == "深圳市市场监督管理局"
            assert page.get_by_label("日期（YYYY-MM-DD）").input_value() == "2024-03-01"
            page.get_by_role("button", name="保存并建立索引").click()
            page.get_by_text("现在可以检索").wait_for(timeout=WAIT_MS)
            assert "深圳市关于推进质量强市建设的实施意见" in page.inner_text("#library-table")
            page.screenshot(path=str(screenshots / "library-upload.png"), full_page=True)
            page.get_by_role("tab", name="问答").click()
            ask(page, "无人机检测中心", "广东省深圳市")
            browser.close()
    finally:
        demo.close()
