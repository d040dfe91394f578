"""The web app: `python app.py [--host H] [--port P]` serves the assistant in Chinese.

Four tabs: 问答 (chat that follows the conversation), 先例检索 (precedents for a draft paragraph, by region),
地区对比 (one topic across regions, with numeric targets), 文档库 (documents, structure, add and delete).
Named API endpoints `search`, `precedent` and `compare` answer `gradio_client` with JSON.
"""

from __future__ import annotations

import argparse
import hmac
import os
import sys
import tempfile
from html import escape
from pathlib import Path

import gradio as gr

from assistant.compare import TABLE_HEADER, compare_regions, table_rows, to_csv
from assistant.conversation import Turn, resolve_turn
from assistant.errors import AssistantError
from assistant.precedent import MAX_DRAFT_CHARS, PrecedentResult, find_precedents, to_docx, to_markdown
from assistant.regions import split_region
from assistant.search import STATUS_LABELS, Hit, Searcher, SearchResult
from assistant.workspace import Workspace

ALL_REGIONS = "全部地区"
ALL_DOCUMENTS = "全部文档"
ALL_STATUSES = "全部状态"
DEFAULT_TOP_K = 5
MAX_UPLOAD = "6mb"
ADMIN_USER_ENV, ADMIN_PASSWORD_ENV = "ASSISTANT_ADMIN_USER", "ASSISTANT_ADMIN_PASSWORD"

APP_CSS = """
.clause-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px; margin: 10px 0; background: #fff;}
.clause-card .meta {color: #57606a; font-size: 0.9em; margin-bottom: 4px;}
.clause-card .region {font-weight: 600; color: #0b5cad; margin-right: 8px;}
.badge {display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 0.85em; margin-left: 6px;}
.badge.draft {background: #fff1c2; color: #7a5200; border: 1px solid #e6c15c;}
.clause-card .section {color: #24292f; font-weight: 600; margin: 4px 0;}
.clause-card .text {white-space: pre-wrap; line-height: 1.7;}
.clause-card mark {background: #ffe58f; padding: 0 1px;}
.clause-card mark.same {background: #c8f0c8;}
.clause-card .citation {color: #57606a; font-size: 0.85em; margin-top: 6px;}
.copy-citation {margin-left: 8px; font-size: 0.85em; cursor: pointer; border: 1px solid #d0d7de; border-radius: 4px;
  background: #f6f8fa; padding: 1px 8px;}
.region-columns {display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px;}
.region-column h3 {margin: 6px 0; color: #0b5cad;}
.notice {color: #7a5200;}
.lead {font-size: 1.05em; margin: 6px 0;}
#library-tree .wrap {flex-direction: column; align-items: flex-start; gap: 2px;}
#library-tree label {white-space: pre;}
"""

# Copies the citation of the card whose 复制引用 button was clicked; says so on the button.
COPY_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-citation]');
  if (!button) return;
  const text = button.getAttribute('data-citation');
  const done = () => { button.textContent = '已复制'; setTimeout(() => { button.textContent = '复制引用'; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, done);
  } else {
    const area = document.createElement('textarea');
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); } catch (e) {}
    area.remove(); done();
  }
});
"""


# --- rendering (text from documents and users is always escaped) -------------------------------------------


def _badge(hit: Hit) -> str:
    return f'<span class="badge draft">{STATUS_LABELS["draft"]}</span>' if hit.document.is_draft else ""


def _copy_button(citation: str) -> str:
    return f'<button class="copy-citation" data-citation="{escape(citation)}">复制引用</button>'


def render_hit(rank: int, hit: Hit, body_html: str | None = None) -> str:
    """One clause card: region, document, issuer, date, draft badge, section path, marked text, citation."""
    doc = hit.document
    source = " · ".join(escape(part) for part in (doc.issuer or "发布机构未注明", doc.date or "日期未注明"))
    body = body_html if body_html is not None else hit.highlighted_html()
    return (
        f'<div class="clause-card" data-rank="{rank}" data-clause="{escape(hit.clause.clause_id)}">'
        f'<div class="meta"><span class="region">{escape(doc.region)}</span>'
        f"《{escape(doc.display_title)}》{_badge(hit)}<br>{source}</div>"
        f'<div class="section">{escape(hit.clause.section)}</div>'
        f'<div class="text">{body}</div>'
        f'<div class="citation">引用：{escape(hit.citation)}{_copy_button(hit.citation)}</div>'
        "</div>"
    )


def _notices(notices) -> str:
    return "".join(f'<p class="notice">注意：{escape(n)}</p>' for n in notices)


def render_result(result: SearchResult) -> str:
    """All cards of a result, with its notices first."""
    if not result.hits:
        return _notices(result.notices) + "<p>没有找到相关条款。</p>"
    return _notices(result.notices) + "".join(
        render_hit(rank, hit) for rank, hit in enumerate(result.hits, 1)
    )


def render_precedents(result: PrecedentResult) -> str:
    """Regions side by side, each with its best clauses; text shared with the draft marked green."""
    if not result.groups:
        return _notices(result.notices) + "<p>其他地区没有与草稿相符的条款。</p>"
    columns = []
    for group in result.groups:
        cards = "".join(
            render_hit(
                rank,
                precedent.hit,
                "".join(
                    f'<mark class="same">{escape(s.text)}</mark>' if s.matched else escape(s.text)
                    for s in precedent.segments
                ),
            )
            for rank, precedent in enumerate(group.precedents, 1)
        )
        columns.append(f'<div class="region-column"><h3>{escape(group.region)}</h3>{cards}</div>')
    return _notices(result.notices) + f'<div class="region-columns">{"".join(columns)}</div>'


def region_choices(searcher: Searcher) -> list[tuple[str, str]]:
    """The region filter as a tree: every province, then its cities and districts, indented."""
    choices = [(ALL_REGIONS, ALL_REGIONS)]
    for path in sorted(searcher.gazetteer.paths):
        depth = len(split_region(path)) - 1
        choices.append(("\u3000" * depth + split_region(path)[-1], path))
    return choices


def library_choices(searcher: Searcher) -> list[tuple[str, str]]:
    """Every document by region and title, for picking one."""
    return [(f"{d.region}｜{d.display_title}", d.doc_id) for d in searcher.documents]


def document_choices(searcher: Searcher) -> list[tuple[str, str]]:
    """The document filter: all documents, then each by region and title."""
    return [(ALL_DOCUMENTS, ALL_DOCUMENTS), *library_choices(searcher)]


STATUS_CHOICES = [(ALL_STATUSES, ALL_STATUSES), ("有效", "effective"), ("征求意见稿", "draft")]


def _filters(region: str, document: str, status: str) -> dict:
    return {
        "region": None if region in (None, "", ALL_REGIONS) else region,
        "document": None if document in (None, "", ALL_DOCUMENTS) else document,
        "status": None if status in (None, "", ALL_STATUSES) else status,
    }


def chat_answer(searcher: Searcher, turn: Turn, result: SearchResult) -> str:
    """The chat reply: a one-line extractive lead (best sentence and its region), then the citations."""
    if not result.hits:
        return "没有找到相关条款。可以换个说法，或放宽地区、文档筛选。"
    top = result.hits[0]
    lines = [f"**{escape(top.document.region)}**：{escape(top.passage.body.strip())}", ""]
    if turn.follow_up:
        lines.insert(0, f"（沿用上一问的主题：{escape(turn.topic)}）")
    for rank, hit in enumerate(result.hits, 1):
        lines.append(
            f"{rank}. {escape(hit.document.region)} {escape(hit.citation)} {escape(hit.clause.title)}"
        )
    return "\n".join(lines)


def document_rows(searcher: Searcher) -> list[list]:
    """The library table: one row per document with its metadata and clause count."""
    counts: dict[str, int] = {}
    for clause in searcher.index.clauses:
        if not clause.is_furniture:
            counts[clause.doc_id] = counts.get(clause.doc_id, 0) + 1
    return [
        [
            d.doc_id,
            d.display_title,
            d.region,
            d.issuer or "未注明",
            d.date or "未注明",
            STATUS_LABELS.get(d.status, d.status),
            counts.get(d.doc_id, 0),
        ]
        for d in searcher.documents
    ]


STRUCTURE_KINDS = ("part", "section", "item", "box")


def structure_choices(searcher: Searcher, doc_id: str | None) -> list[tuple[str, str]]:
    """A document's structure tree (parts → sections → items, boxes) as indented, clickable nodes."""
    nodes = []
    for clause in searcher.index.clauses:
        if clause.doc_id != doc_id or clause.kind not in STRUCTURE_KINDS:
            continue
        depth = len(clause.heading_path)
        nodes.append(("\u3000" * depth + f"{clause.number or clause.label}{clause.title}", clause.clause_id))
    return nodes


def render_clause(searcher: Searcher, clause_id: str | None) -> str:
    """One clause of the library as a card."""
    clause = searcher.index.clause_by_id.get(clause_id or "")
    if clause is None:
        return ""
    document = searcher.index.documents[clause.doc_id]
    passage = next(p for p in searcher.index.passages if p.clause_id == clause.clause_id)
    hit = Hit(clause=clause, document=document, score=0.0, passage=passage)
    return render_hit(1, hit, escape(clause.text))


def _admin_credentials() -> tuple[str, str] | None:
    user, password = os.environ.get(ADMIN_USER_ENV), os.environ.get(ADMIN_PASSWORD_ENV)
    return (user, password) if user and password else None


def check_login(user: str, password: str) -> bool:
    """Whether the credentials match the administrator set in the environment (constant-time)."""
    expected = _admin_credentials()
    if expected is None:
        return False
    return hmac.compare_digest((user or "").encode(), expected[0].encode()) and hmac.compare_digest(
        (password or "").encode(), expected[1].encode()
    )


# --- the app ------------------------------------------------------------------------------------------------


def build_app(source: Searcher | Workspace) -> gr.Blocks:
    """The Gradio app over a searcher (read-only) or a workspace (documents can be added and deleted)."""
    workspace = source if isinstance(source, Workspace) else Workspace(source)

    def current() -> Searcher:
        return workspace.searcher

    # -- API endpoints (JSON for gradio_client) --

    def search(query: str, region: str = "", top_k: int = DEFAULT_TOP_K, document: str = "") -> dict:
        """Search the clauses: {"query", "filters", "results": [...], "notices"} or {"error": "..."}."""
        try:
            filters = _filters(region, document, "")
            result = current().search(
                query, region=filters["region"], document=filters["document"], top_k=top_k
            )
        except AssistantError as error:
            return {"error": str(error)}
        return result.to_json()

    def precedent(draft: str, exclude_region: str = "", per_region: int = 3) -> dict:
        """Matching clauses of every region for a draft paragraph, grouped by region, with citations."""
        try:
            result = find_precedents(
                current(), draft, per_region=per_region, exclude_region=exclude_region or None
            )
        except AssistantError as error:
            return {"error": str(error)}
        return {
            "notices": list(result.notices),
            "groups": [
                {
                    "region": group.region,
                    "clauses": [
                        {**p.hit.to_json(rank), "overlap": round(p.overlap, 3)}
                        for rank, p in enumerate(group.precedents, 1)
                    ],
                }
                for group in result.groups
            ],
        }

    def compare(topic: str) -> dict:
        """One row per region for a topic: best clause, key sentence, numeric targets (or no matching clause)."""
        try:
            comparison = compare_regions(current(), topic)
        except AssistantError as error:
            return {"error": str(error)}
        return {
            "topic": comparison.topic,
            "columns": list(TABLE_HEADER),
            "rows": table_rows(comparison),
            "notices": list(comparison.notices),
        }

    # -- UI handlers --

    def on_chat(message: str, history: list, turn: Turn | None, region: str, document: str, status: str):
        history = list(history or [])
        searcher = current()
        if not (message or "").strip():
            return "", history, turn, '<p class="notice">请输入问题。</p>'
        next_turn = resolve_turn(message[:2000], turn, searcher.gazetteer)
        filters = _filters(region, document, status)
        try:
            result = searcher.search(
                next_turn.topic,
                region=filters["region"] or next_turn.region,
                document=filters["document"],
                status=filters["status"],
                top_k=DEFAULT_TOP_K,
            )
        except AssistantError as error:
            history += [
                {"role": "user", "content": message},
                {"role": "assistant", "content": escape(str(error))},
            ]
            return "", history, turn, f'<p class="notice">{escape(str(error))}</p>'
        answer = chat_answer(searcher, next_turn, result)
        history += [{"role": "user", "content": escape(message)}, {"role": "assistant", "content": answer}]
        return "", history, next_turn, render_result(result)

    def on_clear():
        return [], None, ""

    def on_precedent(draft: str, exclude_region: str):
        try:
            result = find_precedents(
                current(), draft, exclude_region=None if exclude_region == ALL_REGIONS else exclude_region
            )
        except AssistantError as error:
            return f'<p class="notice">{escape(str(error))}</p>', None, gr.update(choices=[], value=[]), None
        choices = [
            (f"{p.hit.document.region} {p.hit.citation}", p.hit.clause.clause_id) for p in result.precedents
        ]
        return (
            render_precedents(result),
            result,
            gr.update(choices=choices, value=[value for _, value in choices]),
            None,
        )

    def on_export(result: PrecedentResult | None, selected: list[str], kind: str):
        if result is None:
            return None
        try:
            content = (
                to_docx(result, selected or []) if kind == "docx" else to_markdown(result, selected or [])
            )
        except AssistantError as error:
            gr.Warning(str(error))
            return None
        path = Path(tempfile.mkdtemp(prefix="precedents-")) / f"先例条款.{'docx' if kind == 'docx' else 'md'}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    def on_compare(topic: str):
        try:
            comparison = compare_regions(current(), topic)
        except AssistantError as error:
            return f'<p class="notice">{escape(str(error))}</p>', gr.update(value=[]), None
        folder = Path(tempfile.mkdtemp(prefix="compare-"))
        csv_path = folder / "地区对比.csv"
        csv_path.write_text(to_csv(comparison), encoding="utf-8")
        matched = sum(row.hit is not None for row in comparison.rows)
        summary = f"<p>“{escape(comparison.topic)}”：{matched} 个地区有相关条款，{len(comparison.rows) - matched} 个地区没有。</p>"
        return _notices(comparison.notices) + summary, table_rows(comparison), str(csv_path)

    def on_pick_document(doc_id: str):
        choices = structure_choices(current(), doc_id)
        return gr.update(choices=choices, value=None), ""

    def on_pick_node(clause_id: str):
        return render_clause(current(), clause_id)

    def on_login(user: str, password: str):
        if _admin_credentials() is None:
            return False, f"未配置管理员账号（设置环境变量 {ADMIN_USER_ENV} 和 {ADMIN_PASSWORD_ENV}）。"
        if check_login(user, password):
            return True, "已登录，可以添加和删除文档。"
        return False, "用户名或密码不正确。"

    def on_read_upload(path: str | None, logged_in: bool):
        from assistant.library import guess_metadata, read_upload

        empty = ("", "", "", "", "", "effective")
        if not logged_in:
            return ("请先登录。", *empty)
        if not path:
            return ("请选择文件。", *empty)
        try:
            data = Path(path).read_bytes()
            text = read_upload(Path(path).name, data)
            draft = guess_metadata(text, Path(path).name, [d.doc_id for d in current().documents])
        except AssistantError as error:
            return (escape(str(error)), *empty)
        return (
            f"已读取 {len(text)} 字，请核对以下信息后保存。",
            draft.doc_id,
            draft.title or "",
            draft.region or "",
            draft.issuer or "",
            draft.date or "",
            draft.status or "effective",
        )

    def on_save(path, logged_in, doc_id, title, region, issuer, date, status, progress=gr.Progress()):
        from assistant.library import DocumentDraft

        if not logged_in:
            return "请先登录。", gr.update(), gr.update(), gr.update()
        if not path:
            return "请选择文件。", gr.update(), gr.update(), gr.update()
        metadata = DocumentDraft(
            doc_id=(doc_id or "").strip(),
            title=(title or "").strip() or None,
            region=(region or "").strip() or None,
            issuer=(issuer or "").strip() or None,
            date=(date or "").strip() or None,
            status=status or "effective",
        )
        try:
            document = workspace.add(
                Path(path).name,
                Path(path).read_bytes(),
                metadata,
                on_progress=lambda done, total: progress((done, total), desc="正在建立索引"),
            )
        except AssistantError as error:
            return f"未添加：{escape(str(error))}", gr.update(), gr.update(), gr.update()
        searcher = current()
        return (
            f"已添加《{escape(document.display_title)}》，现在可以检索。",
            document_rows(searcher),
            gr.update(choices=library_choices(searcher)),
            gr.update(choices=document_choices(searcher)),
        )

    def on_delete(doc_id: str, logged_in: bool, progress=gr.Progress()):
        if not logged_in:
            return "请先登录。", gr.update(), gr.update(), gr.update()
        try:
            workspace.delete(
                doc_id, on_progress=lambda done, total: progress((done, total), desc="正在更新索引")
            )
        except AssistantError as error:
            return f"未删除：{escape(str(error))}", gr.update(), gr.update(), gr.update()
        searcher = current()
        return (
            f"已删除文档 {escape(doc_id)}。",
            document_rows(searcher),
            gr.update(choices=library_choices(searcher), value=None),
            gr.update(choices=document_choices(searcher)),
        )

    searcher = current()
    documents_to_pick = library_choices(searcher)
    with gr.Blocks(title="政策条款检索助手") as demo:
        gr.Markdown(
            "## 政策条款检索助手\n各地《质量强国建设纲要》实施意见的条款检索：问答、先例检索、地区对比。"
        )
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                turn_state = gr.State(None)
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="对话", height=360, elem_id="chatbot")
                        question = gr.Textbox(
                            label="问题",
                            placeholder="例如：广州怎么推进智能建造？  追问：那贵州呢？",
                            elem_id="chat-question",
                            max_length=200_000,
                        )
                        with gr.Row():
                            ask = gr.Button("提问", variant="primary", elem_id="chat-ask")
                            clear = gr.Button("新对话", elem_id="chat-clear")
                    with gr.Column(scale=1):
                        region = gr.Dropdown(
                            choices=region_choices(searcher),
                            value=ALL_REGIONS,
                            label="地区",
                            elem_id="chat-region",
                        )
                        document = gr.Dropdown(
                            choices=document_choices(searcher), value=ALL_DOCUMENTS, label="文档"
                        )
                        status = gr.Dropdown(choices=STATUS_CHOICES, value=ALL_STATUSES, label="状态")
                cards = gr.HTML(elem_id="chat-cards", js_on_load=COPY_JS)
                chat_inputs = [question, chatbot, turn_state, region, document, status]
                chat_outputs = [question, chatbot, turn_state, cards]
                ask.click(on_chat, chat_inputs, chat_outputs, api_visibility="private")
                question.submit(on_chat, chat_inputs, chat_outputs, api_visibility="private")
                clear.click(on_clear, None, [chatbot, turn_state, cards], api_visibility="private")

            with gr.Tab("先例检索", id="precedent"):
                precedent_state = gr.State(None)
                draft = gr.Textbox(
                    label=f"草稿段落（最多比对 {MAX_DRAFT_CHARS} 字）",
                    lines=6,
                    placeholder="粘贴您起草的一段文字，查找其他地区的对应条款",
                    elem_id="precedent-draft",
                    max_length=2_000_000,
                )
                with gr.Row():
                    own_region = gr.Dropdown(
                        choices=[
                            (("不排除任何地区" if v == ALL_REGIONS else label), v)
                            for label, v in region_choices(searcher)
                        ],
                        value=ALL_REGIONS,
                        label="排除本地区",
                    )
                    find = gr.Button("查找先例", variant="primary", elem_id="precedent-find")
                precedent_cards = gr.HTML(elem_id="precedent-results", js_on_load=COPY_JS)
                selection = gr.CheckboxGroup(label="导出所选条款", choices=[], elem_id="precedent-selection")
                with gr.Row():
                    export_docx = gr.Button("导出 Word (.docx)")
                    export_md = gr.Button("导出 Markdown")
                export_file = gr.File(label="下载", interactive=False, elem_id="precedent-export")
                find.click(
                    on_precedent,
                    [draft, own_region],
                    [precedent_cards, precedent_state, selection, export_file],
                    api_visibility="private",
                )
                export_docx.click(
                    lambda r, s: on_export(r, s, "docx"),
                    [precedent_state, selection],
                    export_file,
                    api_visibility="private",
                )
                export_md.click(
                    lambda r, s: on_export(r, s, "md"),
                    [precedent_state, selection],
                    export_file,
                    api_visibility="private",
                )

            with gr.Tab("地区对比", id="compare"):
                with gr.Row():
                    topic = gr.Textbox(
                        label="主题",
                        placeholder="例如：制造业产品质量合格率",
                        scale=3,
                        elem_id="compare-topic",
                    )
                    run_compare = gr.Button("对比", variant="primary", scale=1, elem_id="compare-run")
                gr.Examples(
                    [["制造业产品质量合格率"], ["食品抽检合格率"], ["质量基础设施"], ["品牌建设"]],
                    inputs=[topic],
                )
                compare_summary = gr.HTML()
                compare_table = gr.Dataframe(
                    headers=list(TABLE_HEADER), interactive=False, wrap=True, elem_id="compare-table"
                )
                compare_csv = gr.File(label="下载 CSV", interactive=False)
                run_compare.click(
                    on_compare, topic, [compare_summary, compare_table, compare_csv], api_visibility="private"
                )
                topic.submit(
                    on_compare, topic, [compare_summary, compare_table, compare_csv], api_visibility="private"
                )

            with gr.Tab("文档库", id="library"):
                documents_table = gr.Dataframe(
                    value=document_rows(searcher),
                    headers=["编号", "标题", "地区", "发布机构", "日期", "状态", "条款数"],
                    interactive=False,
                    wrap=True,
                    elem_id="library-table",
                )
                with gr.Row():
                    with gr.Column(scale=2):
                        library_doc = gr.Dropdown(
                            choices=documents_to_pick, label="查看文档结构", elem_id="library-doc"
                        )
                        tree = gr.Radio(choices=[], label="结构（点击查看条款）", elem_id="library-tree")
                    with gr.Column(scale=3):
                        clause_view = gr.HTML(elem_id="library-clause", js_on_load=COPY_JS)
                library_doc.change(
                    on_pick_document, library_doc, [tree, clause_view], api_visibility="private"
                )
                tree.change(on_pick_node, tree, clause_view, api_visibility="private")

                gr.Markdown("### 管理文档（需登录）")
                logged_in = gr.State(False)
                with gr.Row():
                    user = gr.Textbox(label="用户名", scale=1)
                    password = gr.Textbox(label="密码", type="password", scale=1)
                    login = gr.Button("登录", scale=1)
                login_status = gr.Markdown()
                login.click(on_login, [user, password], [logged_in, login_status], api_visibility="private")
                upload = gr.File(
                    label="添加文档（.txt .md .docx .pdf .html；UTF-8、GBK、GB18030、Big5）",
                    file_types=[".txt", ".md", ".docx", ".pdf", ".html", ".htm"],
                    type="filepath",
                    elem_id="library-upload",
                )
                read_button = gr.Button("读取并预填信息")
                upload_status = gr.Markdown()
                with gr.Row():
                    meta_id = gr.Textbox(label="编号")
                    meta_title = gr.Textbox(label="标题")
                    meta_region = gr.Textbox(label="地区（如 广东省广州市）")
                with gr.Row():
                    meta_issuer = gr.Textbox(label="发布机构")
                    meta_date = gr.Textbox(label="日期（YYYY-MM-DD）")
                    meta_status = gr.Radio(choices=STATUS_CHOICES[1:], value="effective", label="状态")
                save = gr.Button("保存并建立索引", variant="primary")
                read_button.click(
                    on_read_upload,
                    [upload, logged_in],
                    [upload_status, meta_id, meta_title, meta_region, meta_issuer, meta_date, meta_status],
                    api_visibility="private",
                )
                with gr.Row():
                    delete_doc = gr.Dropdown(choices=documents_to_pick, label="删除文档")
                    delete = gr.Button("删除", variant="stop")
                save.click(
                    on_save,
                    [
                        upload,
                        logged_in,
                        meta_id,
                        meta_title,
                        meta_region,
                        meta_issuer,
                        meta_date,
                        meta_status,
                    ],
                    [upload_status, documents_table, delete_doc, document],
                    api_visibility="private",
                )
                delete.click(
                    on_delete,
                    [delete_doc, logged_in],
                    [upload_status, documents_table, delete_doc, document],
                    api_visibility="private",
                )

        gr.api(search, api_name="search")
        gr.api(precedent, api_name="precedent")
        gr.api(compare, api_name="compare")
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, **kwargs) -> None:
    """Serve the app with its stylesheet; several users at once, uploads limited in size."""
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, css=APP_CSS, max_file_size=MAX_UPLOAD, **kwargs
    )


def main(argv: list[str] | None = None) -> int:
    """Load the model and index (building them on first run) and serve the app."""
    parser = argparse.ArgumentParser(prog="python app.py", description="政策条款检索助手 web app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    from assistant.config import Config
    from assistant.search import open_searcher

    config = Config.from_env()
    try:
        searcher = open_searcher(config, show_progress=True)
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    launch(build_app(Workspace(searcher, config)), args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
