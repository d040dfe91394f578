"""``python -m eval``: run, score and the bundled report, with a fake searcher instead of the model."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import eval.runner
from assistant.errors import QueryError
from eval.__main__ import main
from tests.conftest import RUN_RESULT_FIELDS, write_jsonl

REPO = Path(__file__).resolve().parent.parent

# Clause texts (verbatim from the corpus) the fake searcher returns.
DEADLINE = "公开征求意见时间截至2023年11月5日,公众可通过本页面或以下途径和方式提出有关建议和意见:"
EMAIL = "一、发送邮件。请将有关建议和意见通过电子邮件发送至scjgj_zlc_csl@gz.gov.cn。"
QINGHAI = "17.完善計量測試服務體系。重點圍繞全省經濟社會發展及計量應用需求。"


@dataclass(frozen=True)
class FakeHit:
    clause_id: str
    doc_id: str
    region: str
    text: str
    score: float

    def to_json(self, rank: int) -> dict:
        return {
            "rank": rank,
            "score": self.score,
            "clause_id": self.clause_id,
            "doc_id": self.doc_id,
            "doc_title": f"{self.doc_id} 的标题",
            "region": self.region,
            "issuer": None,
            "date": None,
            "section": "二、重点任务",
            "text": self.text,
            "kind": "item",
        }


@dataclass(frozen=True)
class FakeResult:
    hits: list


class FakeSearcher:
    """Returns the same three clauses for every query and records how it was called."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def search(self, query, region=None, document=None, top_k=10, mode="final", status=None):
        call = {"query": query, "region": region, "document": document, "top_k": top_k, "mode": mode}
        self.calls.append({**call, "status": status} if status else call)
        if not query.strip():  # as the app's searcher does
            raise QueryError("请输入要查询的问题或段落（查询为空）")
        hits = [
            FakeHit("guangzhou:通知.2", "guangzhou", "广东省广州市", DEADLINE, 0.9),
            FakeHit("guangzhou:通知.3", "guangzhou", "广东省广州市", EMAIL, 0.8),
            FakeHit("qinghai:二.（五）.17", "qinghai", "青海省", QINGHAI, 0.1),
        ]
        if mode == "bm25":  # a worse retriever: the email clause first
            hits = [hits[1], hits[0], hits[2]]
        return FakeResult(hits[:top_k])


@pytest.fixture
def searcher(monkeypatch) -> FakeSearcher:
    fake = FakeSearcher()
    monkeypatch.setattr(eval.runner, "open_app_searcher", lambda: fake)
    return fake


def write_queries(path: Path, entries: list[dict]) -> Path:
    return write_jsonl(path, entries)


def write_run(path: Path, results: dict[str, list[str]]) -> Path:
    """A run file: each query id with the texts of its results, best first."""
    entries = [
        {"id": query_id, "results": [{"rank": rank, "text": text} for rank, text in enumerate(texts, 1)]}
        for query_id, texts in results.items()
    ]
    return write_queries(path, entries)


QUERIES = [
    {
        "id": "n1",
        "query": "广州的方案征求意见到什么时候截止",
        "filters": {"region": "广东省"},
        "relevant": [{"contains": "公开征求意见时间截至2023年11月5日", "grade": 2}],
        "type": "notice",
        "split": "dev",
    },
    {
        "id": "n2",
        "query": "广州收意见的邮箱",
        "filters": {"document": "guangzhou"},
        "relevant": [{"contains": "scjgj_zlc_csl@gz.gov.cn", "grade": 2}],
        "type": "notice",
        "split": "test",
    },
    {
        "id": "c1",
        "query": "青海計量",
        "relevant": [
            {"contains": "完善計量測試服務體系", "grade": 2},
            {"contains": "不在结果里的条款", "grade": 1},
        ],
        "type": "cross_script",
        "split": "dev",
    },
]


def test_run_writes_the_interfaces_run_file(tmp_path, searcher, capsys):
    queries = write_queries(tmp_path / "q.jsonl", QUERIES)
    output = tmp_path / "out" / "run.jsonl"
    assert main(["run", "--queries", str(queries), "--output", str(output), "--top-k", "2"]) == 0
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["n1", "n2", "c1"]
    for line in lines:
        assert set(line) == {"id", "results"}
        assert [result["rank"] for result in line["results"]] == [1, 2]
        for result in line["results"]:
            assert set(result) >= RUN_RESULT_FIELDS
    assert lines[0]["results"][0]["text"] == DEADLINE  # the whole clause, as the searcher gave it
    assert "scjgj_zlc_csl@gz.gov.cn" in output.read_text(encoding="utf-8")  # Chinese and ASCII unescaped
    # filters, top-k and the default mode reach the search exactly as written in the query file
    assert searcher.calls[0] == {
        "query": "广州的方案征求意见到什么时候截止",
        "region": "广东省",
        "document": None,
        "top_k": 2,
        "mode": "final",
    }
    assert searcher.calls[1]["document"] == "guangzhou"
    assert "3 queries" in capsys.readouterr().out


def test_filters_written_as_null_are_no_filter_and_a_status_filter_reaches_the_search(tmp_path, searcher):
    queries = write_queries(
        tmp_path / "q.jsonl",
        [
            {"id": "a", "query": "计量", "filters": {"region": None, "document": ""}},
            {"id": "b", "query": "计量", "filters": {"status": "draft"}},
        ],
    )
    assert main(["run", "--queries", str(queries), "--output", str(tmp_path / "r.jsonl")]) == 0
    assert (searcher.calls[0]["region"], searcher.calls[0]["document"]) == (None, None)
    assert searcher.calls[1]["status"] == "draft"


def test_hidden_mode_option_reaches_the_search(tmp_path, searcher):
    queries = write_queries(tmp_path / "q.jsonl", QUERIES[:1])
    assert (
        main(["run", "--queries", str(queries), "--output", str(tmp_path / "r.jsonl"), "--mode", "bm25"]) == 0
    )
    assert searcher.calls[0]["mode"] == "bm25"


def test_score_prints_overall_type_region_and_split_tables(tmp_path, searcher, capsys):
    queries = write_queries(tmp_path / "q.jsonl", QUERIES)
    run = tmp_path / "run.jsonl"
    main(["run", "--queries", str(queries), "--output", str(run)])
    capsys.readouterr()
    assert main(["score", "--queries", str(queries), "--run", str(run)]) == 0
    out = capsys.readouterr().out
    # n1: hit at rank 1; n2: hit at rank 2 (MRR 0.5); c1: grade-2 label at rank 3, grade-1 label never found
    assert "| all | 3 | " in out
    assert "| notice | 2 | 0.815 | 0.750 | 0.500 | 1.000 | 1.000 |" in out  # nDCG (1 + 1/log2(3)) / 2
    assert "| cross_script | 1 |" in out
    # region: filters.region as written, the filtered document's region, else the labels' region
    assert "| 广东省 | 1 |" in out and "| 广东省广州市 | 1 |" in out and "| 青海省 | 1 |" in out
    assert "| dev | 2 |" in out and "| test | 1 |" in out


def test_score_counts_queries_missing_from_the_run(tmp_path, capsys):
    queries = write_queries(tmp_path / "q.jsonl", QUERIES[:2])
    run = write_run(tmp_path / "run.jsonl", {"n1": [DEADLINE]})
    assert main(["score", "--queries", str(queries), "--run", str(run)]) == 0
    captured = capsys.readouterr()
    assert "1 queries have no line" in captured.err
    assert "| all | 2 | 0.500 |" in captured.out


def test_score_leaves_out_queries_without_labels(tmp_path, capsys):
    # A held-out file may carry queries nobody judged: they get no score, rather than a score of 0.
    unjudged = {"id": "u1", "query": "广州的标准化怎么做", "filters": {"region": "廣東"}}
    queries = write_queries(tmp_path / "q.jsonl", [QUERIES[0], unjudged])
    run = write_run(tmp_path / "run.jsonl", {"n1": [DEADLINE], "u1": [DEADLINE]})
    assert main(["score", "--queries", str(queries), "--run", str(run)]) == 0
    captured = capsys.readouterr()
    assert "1 queries have no labels; left out of the scores" in captured.err
    assert "| all | 1 | 1.000 |" in captured.out


def test_score_with_no_labelled_query_is_a_one_line_error(tmp_path, capsys):
    queries = write_queries(tmp_path / "q.jsonl", [{"id": "u1", "query": "广州的标准化怎么做"}])
    run = write_run(tmp_path / "run.jsonl", {"u1": []})
    assert main(["score", "--queries", str(queries), "--run", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no query has labels" in err


def test_score_groups_a_region_filter_by_the_path_it_stands_for(tmp_path, capsys):
    # 廣東省 (traditional) and 广东 (short name) are both the province 广东省: one row, not three.
    entries = [
        {**QUERIES[0], "id": f"r{number}", "filters": {"region": name}}
        for number, name in enumerate(("广东省", "廣東省", "广东"))
    ]
    queries = write_queries(tmp_path / "q.jsonl", entries)
    run = write_run(tmp_path / "run.jsonl", {entry["id"]: [DEADLINE] for entry in entries})
    assert main(["score", "--queries", str(queries), "--run", str(run)]) == 0
    out = capsys.readouterr().out
    assert "| 广东省 | 3 |" in out and "廣東" not in out


def test_bad_json_line_is_one_line_error(tmp_path, capsys):
    queries = tmp_path / "bad.jsonl"
    queries.write_text(json.dumps(QUERIES[0], ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    assert main(["score", "--queries", str(queries), "--run", str(tmp_path / "run.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{queries}:2: bad JSON" in err


def test_query_file_with_a_byte_order_mark_and_crlf_lines_is_read(tmp_path, capsys):
    # What Notepad saves: a UTF-8 byte-order mark and Windows line ends.
    queries = tmp_path / "q.jsonl"
    lines = [json.dumps(entry, ensure_ascii=False) for entry in QUERIES[:2]]
    queries.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    run = write_run(tmp_path / "run.jsonl", {"n1": [DEADLINE]})
    assert main(["score", "--queries", str(queries), "--run", str(run)]) == 0
    assert "| all | 2 | 0.500 |" in capsys.readouterr().out


def test_query_file_in_gbk_is_a_one_line_error(tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_bytes((json.dumps(QUERIES[0], ensure_ascii=False) + "\n").encode("gbk"))
    assert main(["score", "--queries", str(queries), "--run", str(tmp_path / "run.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not UTF-8 text" in err


def test_missing_file_and_unknown_mode_are_one_line_errors(tmp_path, searcher, capsys):
    assert main(["run", "--queries", str(tmp_path / "none.jsonl"), "--output", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.jsonl: file not found" in err
    assert main(["--modes", "bm25,sparse"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown mode sparse" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--queries", "q", "--output", "r", "--mode", "sparse"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_run_loses_no_query_to_another_lines_fault(tmp_path, searcher, capsys):
    # A query file written by other hands: each faulty line costs itself at most, never the rest of the run.
    queries = tmp_path / "q.jsonl"
    lines = [
        '{"id": "ok", "query": "计量"}',
        "{not json",
        '["a list"]',
        '{"query": "没有编号"}',
        '{"id": "empty", "query": "  "}',
        '{"id": "labels", "query": "计量", "relevant": [{"contains": "计量", "grade": 3}]}',
        '{"id": "keys", "query": "计量", "filters": {"region": "青海省", "lang": "zh", "document": ["qinghai"]}}',
        '{"id": "ok", "query": "再问一次"}',
    ]
    queries.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["run", "--queries", str(queries), "--output", str(tmp_path / "run.jsonl")]) == 0
    captured = capsys.readouterr()
    written = [json.loads(line) for line in (tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [entry["id"] for entry in written] == ["ok", "empty", "labels", "keys", "ok"]
    assert written[1]["results"] == [] and len(written[2]["results"]) == 3
    assert [call["query"] for call in searcher.calls] == ["计量", "  ", "计量", "计量", "再问一次"]
    assert {
        "query": "计量",
        "region": "青海省",
        "document": None,
        "top_k": 10,
        "mode": "final",
    } in searcher.calls
    err = captured.err
    for said in (
        "q.jsonl:2: bad JSON",
        "q.jsonl:3: a query line must be a JSON object; line skipped",
        "q.jsonl:4: missing or non-string 'id'; line skipped",
        "filter 'lang': 'zh' is not understood; left out",
        "filter 'document': ['qinghai'] is not understood; left out",
        "q.jsonl:8: repeated id 'ok'; run again",
    ):
        assert said in err
    assert all(line.startswith("warning: ") for line in err.splitlines())
    assert "5 queries →" in captured.out


def test_integer_ids_are_echoed_as_written_and_scored(tmp_path, searcher, capsys):
    entries = [{**QUERIES[0], "id": 7}, {**QUERIES[1], "id": 8}]
    queries = write_queries(tmp_path / "q.jsonl", entries)
    run = tmp_path / "run.jsonl"
    assert main(["run", "--queries", str(queries), "--output", str(run)]) == 0
    assert [json.loads(line)["id"] for line in run.read_text(encoding="utf-8").splitlines()] == [7, 8]
    assert main(["score", "--queries", str(queries), "--run", str(run)]) == 0
    out = capsys.readouterr().out
    assert "| all | 2 | 0.815 |" in out


def test_a_query_file_with_nothing_to_run_is_a_one_line_error(tmp_path, searcher, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query": "没有编号"}\n', encoding="utf-8")
    assert main(["run", "--queries", str(queries), "--output", str(tmp_path / "r.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "q.jsonl: no queries (" in err
    assert searcher.calls == [] and not (tmp_path / "r.jsonl").exists()


def test_bundled_report_compares_modes_and_writes_chart(tmp_path, searcher, capsys):
    queries = write_queries(tmp_path / "gold.jsonl", QUERIES)
    reports = tmp_path / "reports"
    assert main(["--queries", str(queries), "--reports", str(reports), "--modes", "bm25,final"]) == 0
    out = capsys.readouterr().out
    for row in ("| bm25 / dev | 2 |", "| bm25 / test | 1 |", "| final / all | 3 |"):
        assert row in out
    assert "## Mode `final` in detail" in out and "| notice | 2 |" in out
    assert (reports / "report.md").read_text(encoding="utf-8").startswith("# Retrieval evaluation")
    assert (reports / "ndcg.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {json.loads(line)["id"] for line in (reports / "run-bm25.jsonl").open(encoding="utf-8")} == {
        "n1",
        "n2",
        "c1",
    }
    assert not list(reports.glob("*.tmp"))
    assert {call["mode"] for call in searcher.calls} == {"bm25", "final"}


def test_report_on_one_split(tmp_path, searcher, capsys):
    queries = write_queries(tmp_path / "gold.jsonl", QUERIES)
    assert (
        main(["--queries", str(queries), "--reports", str(tmp_path), "--modes", "final", "--split", "test"])
        == 0
    )
    out = capsys.readouterr().out
    assert "| final / test | 1 |" in out and "final / dev" not in out


def test_command_line_error_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "eval", "score", "--queries", str(bad), "--run", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().endswith(f"{bad}:1: bad JSON (Expecting ',' delimiter)")


def test_an_unanswerable_query_is_written_empty_and_the_run_goes_on(tmp_path, capsys):
    from assistant.errors import QueryError
    from eval.__main__ import command_run

    class Refusing:
        def search(self, query, region=None, document=None, top_k=10, mode="final", status=None):
            if region:
                raise QueryError(f"没有“{region}”的文档")
            return type("Result", (), {"hits": []})()

    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": "a", "query": "计量", "filters": {"region": "上海市"}}\n{"id": "b", "query": "计量"}\n',
        encoding="utf-8",
    )
    assert command_run(queries, tmp_path / "run.jsonl", 10, "final", searcher=Refusing()) == 0
    lines = (tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]
    assert "warning: query a:" in capsys.readouterr().err
