"""The command line as INTERFACES.md fixes it: commands, JSON shapes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.config import ROOT
from tests.conftest import RUN_RESULT_FIELDS


def run_cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def hashing_env(tmp_path_factory):
    return {"ASSISTANT_MODEL": "hashing", "ASSISTANT_INDEX": str(tmp_path_factory.mktemp("cli-index"))}


def test_index_prints_a_summary_line(hashing_env):
    done = run_cli("index", env=hashing_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("index ready: 5 documents")


def test_search_json_matches_the_interface(hashing_env):
    done = run_cli(
        "search", "广州怎么提交修改意见", "--region", "广东省", "--top-k", "3", "--json", env=hashing_env
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["query"] == "广州怎么提交修改意见"
    assert payload["filters"] == {"region": "广东省"}
    assert len(payload["results"]) == 3
    for rank, result in enumerate(payload["results"], start=1):
        assert set(result) >= RUN_RESULT_FIELDS
        assert result["rank"] == rank
        assert result["region"].startswith("广东省")
        assert isinstance(result["score"], float)


def test_search_prints_readable_results(hashing_env):
    done = run_cli("search", "食品抽检合格率", "--top-k", "2", env=hashing_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1. [") and "引用：《" in done.stdout


def test_clauses_json_is_one_object_a_line():
    done = run_cli("clauses", "--json", "--document", "guizhou")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) > 20
    records = [json.loads(line) for line in lines]
    assert {r["doc_id"] for r in records} == {"guizhou"}
    for record in records:
        assert RUN_RESULT_FIELDS - {"rank", "score"} <= set(record)
        assert "rank" not in record and "score" not in record


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "   "), "请输入"),
        (("search", "计量", "--region", "火星"), "没有“火星”的文档"),
        (("clauses", "--document", "nope"), "no document 'nope'; ids: qinghai"),
        (("clauses", "--documents", "/nonexistent"), "catalog not found"),
    ],
)
def test_bad_input_is_one_line_on_stderr_without_traceback(hashing_env, args, message):
    done = run_cli(*args, env=hashing_env)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_help_is_instant_and_names_the_commands():
    done = run_cli("--help")
    assert done.returncode == 0
    assert all(word in done.stdout for word in ("index", "search", "clauses"))
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, assistant.cli; print('torch' in sys.modules, 'gradio' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == "False False"


@pytest.mark.model
def test_search_with_the_default_model(real_searcher, real_config):
    done = run_cli(
        "search",
        "广州对生产性服务业的质量提升有什么安排",
        "--json",
        "--top-k",
        "1",
        env={"ASSISTANT_INDEX": str(real_config.index_dir), "ASSISTANT_CACHE": str(real_config.cache_dir)},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"][0]
    assert result["region"] == "广东省广州市"
