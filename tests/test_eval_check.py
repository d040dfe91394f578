"""``python -m eval check``: the bundled gold set is clean, and each kind of bad label is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.normalize import for_matching
from assistant.questions import read_bank
from eval.check_labels import check_file, main
from eval.corpus import region_prefixes
from eval.queries import QUERY_TYPES, load_queries
from tests.conftest import DOCUMENTS_DIR, write_jsonl

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"
LAY = GOLD.with_name("lay.jsonl")


def write(tmp_path: Path, *entries: dict) -> Path:
    return write_jsonl(tmp_path / "q.jsonl", entries)


def query(**fields) -> dict:
    entry = {
        "id": "q1",
        "query": "问题",
        "relevant": [{"contains": "構建具有青海特色的營商環境指標體系", "grade": 2}],
    }
    entry.update(fields)
    return entry


def test_bundled_gold_set_is_clean(capsys):
    assert main(GOLD) == 0
    assert "all labels verbatim and unique" in capsys.readouterr().out


def test_bundled_layperson_set_is_clean_and_shares_no_wording_with_the_bank_or_the_gold_set(capsys):
    assert main(LAY) == 0
    assert "479 queries" in capsys.readouterr().out

    def runs(text: str) -> set[str]:
        text = for_matching(text)
        return {text[i : i + 8] for i in range(len(text) - 7)}

    bank = set().union(*(runs(question.query) for question in read_bank(DOCUMENTS_DIR)))
    gold = set().union(*(runs(query.text) for query in load_queries(GOLD)))
    assert not [query.text for query in load_queries(LAY) if runs(query.text) & (bank | gold)]


def test_gold_set_covers_every_type_in_both_splits():
    queries = load_queries(GOLD)
    assert len(queries) >= 130
    for query_type in QUERY_TYPES:
        of_type = [query for query in queries if query.query_type == query_type]
        assert len(of_type) >= 12, query_type
        assert {query.split for query in of_type} == {"dev", "test"}, query_type


def test_good_query_passes(tmp_path):
    assert check_file(write(tmp_path, query())) == []


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("构建具有青海特色的营商环境指标体系", "not verbatim"),  # simplified label for the traditional text
        ("质量工作", "occurs"),  # not unique
        ("这句话不在任何文件里", "not found in the corpus"),
        ("《方案》指出,强化产业集群质量引领", "page furniture"),  # the news lead, never shown as policy
    ],
)
def test_bad_labels_are_reported(tmp_path, label, message):
    path = write(tmp_path, query(relevant=[{"contains": label, "grade": 2}]))
    problems = check_file(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:1: q1: ") and message in problems[0]


def test_filters_types_splits_ids_and_grades_are_checked(tmp_path):
    path = write(
        tmp_path,
        query(filters={"region": "广东省广"}),
        query(id="q2", filters={"document": "beijing"}),
        query(id="q3", filters={"region": "广东省"}),  # the Qinghai label is outside the filter
        query(id="q4", type="faq", split="train"),
        query(id="q4"),
        query(id="q5", relevant=[{"contains": "構建具有青海特色的營商環境指標體系", "grade": 3}]),
        query(id="q6", relevant=[{"contains": "構建具有青海特色的營商環境指標體系", "grade": 1}]),
        query(id="q7", type="precedent"),
    )
    problems = "\n".join(check_file(path))
    assert "q1: filter region '广东省广' is no catalog region" in problems
    assert "q2: filter document 'beijing' is not a catalog id" in problems
    assert (
        "q3: label '構建具有青海特色的營商環境指標體系' is in qinghai, outside the query's filters"
        in problems
    )
    assert "q4: unknown type 'faq'" in problems and "q4: unknown split 'train'" in problems
    assert ":5: q4: id already used on line 4" in problems
    assert "q5: label grade must be 1 or 2" in problems
    assert "q6: no grade-2 label" in problems
    assert "q7: precedent text is 2 characters" in problems


def test_two_labels_in_one_clause_are_reported(tmp_path):
    labels = [
        {"contains": "構建具有青海特色的營商環境指標體系", "grade": 2},
        {"contains": "建立營商環境通報制度", "grade": 1},
    ]
    problems = check_file(write(tmp_path, query(relevant=labels)))
    assert len(problems) == 1 and "mark the same clause" in problems[0]


def test_region_filters_cut_at_administrative_boundaries():
    assert region_prefixes("陕西省榆林市榆阳区") == ["陕西省", "陕西省榆林市", "陕西省榆林市榆阳区"]
    assert region_prefixes("广东省广州市") == ["广东省", "广东省广州市"]  # not 广东省广州
    assert region_prefixes("青海省") == ["青海省"]


def test_check_command_exit_status(tmp_path, capsys):
    path = write(tmp_path, query(relevant=[{"contains": "质量工作", "grade": 2}]))
    assert main(path) == 1
    out = capsys.readouterr().out
    assert out.strip().endswith(f"1 problem(s) in {path}")
    assert main(tmp_path / "none.jsonl") == 2
