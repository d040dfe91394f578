"""Benchmark the pipeline with the real model: cold index build, search latency in-process and via the API,
peak memory of the serving process. Run: .venv/bin/python bench/bench_pipeline.py [--queries N]"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Config
from assistant.embedding import load_embedder
from assistant.index import build_index
from assistant.search import open_searcher

QUESTIONS = [
    "广州对生产性服务业的质量提升有什么安排",
    "青海的生态旅游质量怎么提升？",
    "各地制造业产品质量合格率的目标是多少",
    "怎么让游客玩得放心",
    "榆阳区的质量奖励激励机制",
    "贵州白酒产业质量品牌",
    "汕尾征求意见截止到什么时候",
    "計量測試服務體系怎麼完善",
    "知识产权保护和专利转化",
    "食品药品安全监管要求",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_app(index_dir: Path, queries: int) -> dict[str, object]:
    """Serve `python app.py` in its own process; time /search through gradio_client and read its peak memory."""
    from gradio_client import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "ASSISTANT_INDEX": str(index_dir)}
    began = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:  # not listening yet
                time.sleep(0.2)
        startup = time.perf_counter() - began
        client.predict(QUESTIONS[0], api_name="/search")
        latencies = []
        for i in range(min(queries, 100)):
            start = time.perf_counter()
            client.predict(QUESTIONS[i % len(QUESTIONS)], api_name="/search")
            latencies.append((time.perf_counter() - start) * 1000)
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "app_startup_s": round(startup, 1),
        "api_search_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p95": round(percentile(latencies, 0.95), 1),
        },
        "app_peak_rss_mb": round(peak_kb / 1024, 1),
    }


DRAFT = (
    "加快构建覆盖计量、标准、认证认可、检验检测的质量基础设施一站式服务体系，在产业集聚区布设服务站点，"
    "为中小企业提供全链条技术帮扶。推动检验检测机构市场化改革，培育一批技术能力强、服务水平高、规模效益好的"
    "检验检测集团。完善质量基础设施协同服务平台，推进计量、标准、认证、检测数据互联互通，"
)


def measure_precedent(searcher, calls: int = 20) -> dict[str, float]:
    """find_precedents for a draft of about 500 characters, p50/p95 in milliseconds."""
    from assistant.precedent import find_precedents

    draft = (DRAFT * 4)[:500]
    find_precedents(searcher, draft)
    latencies = []
    for _ in range(calls):
        searcher.clear_query_cache()
        began = time.perf_counter()
        find_precedents(searcher, draft)
        latencies.append((time.perf_counter() - began) * 1000)
    return {"p50": round(statistics.median(latencies), 1), "p95": round(percentile(latencies, 0.95), 1)}


def measure_upload(searcher, scratch: Path) -> float:
    """Seconds from handing a 30 KB document to the library until a search finds it."""
    import shutil

    from assistant.library import DocumentDraft
    from assistant.workspace import Workspace

    documents = scratch / "documents"
    shutil.copytree(Config.from_env().documents_dir, documents)
    config = Config.from_env(documents_dir=documents, index_dir=scratch / "index")
    workspace = Workspace(searcher, config)
    source = (Path(config.documents_dir) / "shanwei.txt").read_text(encoding="utf-8")
    # every sentence made new, so no vector is reused: the whole document is embedded
    body = source.replace("汕尾", "潮州").replace("。", "（潮州）。")[:10_600]
    data = body.encode("utf-8")
    began = time.perf_counter()
    workspace.add(
        "chaozhou.txt",
        data,
        DocumentDraft(doc_id="chaozhou", title="潮州测试文档", region="广东省潮州市", status="draft"),
    )
    hits = workspace.searcher.search("潮州 质量基础设施", region="广东省潮州市", top_k=1).hits
    assert hits and hits[0].document.doc_id == "chaozhou"
    seconds = time.perf_counter() - began
    print(f"upload: {len(data) / 1024:.1f} KB document searchable after {seconds:.1f} s", file=sys.stderr)
    return round(seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200, help="searches per latency measurement")
    args = parser.parse_args()
    report: dict[str, object] = {}
    config = Config.from_env()

    started = time.perf_counter()
    embedder = load_embedder(config)
    report["model_load_s"] = round(time.perf_counter() - started, 2)

    with tempfile.TemporaryDirectory() as scratch:
        build = build_index(config.documents_dir, Path(scratch) / "index", embedder, rebuild=True)
        report["cold_index_build_s"] = round(build.seconds, 2)
        report["passages"] = build.passages
        report["clauses"] = build.clauses
        searcher = open_searcher(Config.from_env(index_dir=Path(scratch) / "index"))

        for mode in ("bm25", "dense", "final"):
            latencies = []
            for i in range(args.queries):
                searcher.clear_query_cache()  # time the model on every query, as for a new question
                began = time.perf_counter()
                searcher.search(QUESTIONS[i % len(QUESTIONS)], top_k=10, mode=mode)
                latencies.append((time.perf_counter() - began) * 1000)
            report[f"search_{mode}_ms"] = {
                "p50": round(statistics.median(latencies), 1),
                "p95": round(percentile(latencies, 0.95), 1),
            }

        report["precedent_500_chars_ms"] = measure_precedent(searcher)
        # the app before the upload: after it the scratch index holds a document the app's folder lacks, and
        # the app would start by rebuilding the index
        report.update(measure_app(Path(scratch) / "index", args.queries))
        report["upload_30kb_to_searchable_s"] = measure_upload(searcher, Path(scratch))
    report["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
