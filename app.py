"""The web app: `python app.py [--host H] [--port P]` serves the clause search in Chinese."""

from __future__ import annotations

import argparse
import sys
from html import escape

import gradio as gr

from assistant.errors import AssistantError
from assistant.search import STATUS_LABELS, Hit, Searcher, SearchResult

ALL_REGIONS = "全部地区"
DEFAULT_TOP_K = 5
APP_CSS = """
.clause-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px; margin: 10px 0; background: #fff;}
.clause-card .meta {color: #57606a; font-size: 0.9em; margin-bottom: 4px;}
.clause-card .region {font-weight: 600; color: #0b5cad; margin-right: 8px;}
.clause-card .badge {display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 0.85em; margin-left: 6px;}
.clause-card .badge.draft {background: #fff1c2; color: #7a5200; border: 1px solid #e6c15c;}
.clause-card .section {color: #24292f; font-weight: 600; margin: 4px 0;}
.clause-card .text {white-space: pre-wrap; line-height: 1.7;}
.clause-card mark {background: #ffe58f; padding: 0 1px;}
.clause-card .citation {color: #57606a; font-size: 0.85em; margin-top: 6px;}
.notice {color: #7a5200;}
"""


def render_hit(rank: int, hit: Hit) -> str:
    """One clause card: region, document, issuer, date, draft badge, section path, highlighted text."""
    doc = hit.document
    badge = f'<span class="badge draft">{STATUS_LABELS["draft"]}</span>' if doc.is_draft else ""
    source = " · ".join(escape(part) for part in (doc.issuer or "发布机构未注明", doc.date or "日期未注明"))
    return (
        f'<div class="clause-card" data-rank="{rank}">'
        f'<div class="meta"><span class="region">{escape(doc.region)}</span>'
        f"《{escape(doc.display_title)}》{badge}<br>{source}</div>"
        f'<div class="section">{escape(hit.clause.section)}</div>'
        f'<div class="text">{hit.highlighted_html()}</div>'
        f'<div class="citation">引用：{escape(hit.citation)}</div>'
        "</div>"
    )


def render_result(result: SearchResult) -> str:
    """All cards of a result, with its notices first."""
    notices = "".join(f'<p class="notice">注意：{escape(n)}</p>' for n in result.notices)
    if not result.hits:
        return notices + "<p>没有找到相关条款。</p>"
    return notices + "".join(render_hit(rank, hit) for rank, hit in enumerate(result.hits, start=1))


def region_choices(searcher: Searcher) -> list[str]:
    """The region filter's options: all regions, then every province, city and district of the corpus."""
    return [ALL_REGIONS, *searcher.gazetteer.paths]


def build_app(searcher: Searcher) -> gr.Blocks:
    """The Gradio app over a loaded searcher (shared read-only by every user)."""

    def search_cards(query: str, region: str) -> str:
        try:
            result = searcher.search(
                query, region=None if region == ALL_REGIONS else region, top_k=DEFAULT_TOP_K
            )
        except AssistantError as error:
            return f'<p class="notice">{escape(str(error))}</p>'
        return render_result(result)

    def search(query: str, region: str = "", top_k: int = DEFAULT_TOP_K, document: str = "") -> dict:
        """Search the clauses: returns {"query", "filters", "results": [...], "notices"} or {"error": "..."}."""
        try:
            region_filter = None if region in ("", ALL_REGIONS) else region
            result = searcher.search(query, region=region_filter, document=document or None, top_k=top_k)
        except AssistantError as error:
            return {"error": str(error)}
        return result.to_json()

    with gr.Blocks(title="政策条款检索助手") as demo:
        gr.Markdown("## 政策条款检索助手\n用自己的话提问，查找各地《质量强国建设纲要》实施意见中的相关条款。")
        with gr.Row():
            question = gr.Textbox(
                label="问题",
                placeholder="例如：广州对生产性服务业的质量提升有什么安排",
                scale=4,
                max_length=200_000,
            )
            region = gr.Dropdown(choices=region_choices(searcher), value=ALL_REGIONS, label="地区", scale=1)
        ask = gr.Button("检索", variant="primary")
        results = gr.HTML(elem_id="results")
        ask.click(search_cards, [question, region], results, api_visibility="private")
        question.submit(search_cards, [question, region], results, api_visibility="private")
        gr.api(search, api_name="search")
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, **kwargs) -> None:
    """Serve the app with its stylesheet."""
    demo.queue(default_concurrency_limit=4).launch(server_name=host, server_port=port, css=APP_CSS, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """Load the model and index (building them on first run) and serve the app."""
    parser = argparse.ArgumentParser(prog="python app.py", description="政策条款检索助手 web app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    from assistant.search import open_searcher

    try:
        searcher = open_searcher(show_progress=True)
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    launch(build_app(searcher), args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
