"""Comparing regions: one row per region, numeric targets, honest 'no matching clause'."""

import csv
import io

import pytest

from assistant.compare import TABLE_HEADER, compare_regions, format_target, table_rows, to_csv
from assistant.targets import extract_targets


def test_every_region_gets_one_row(hashing_searcher):
    comparison = compare_regions(hashing_searcher, "制造业产品质量合格率")
    assert sorted(row.region for row in comparison.rows) == sorted(
        d.region for d in hashing_searcher.documents
    )


def test_csv_has_the_header_and_a_row_per_region(hashing_searcher):
    comparison = compare_regions(hashing_searcher, "食品抽检合格率")
    text = to_csv(comparison)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert tuple(rows[0]) == TABLE_HEADER and len(rows) == 1 + len(comparison.rows)


def test_format_target_reads_like_a_table_cell():
    target = extract_targets("到2025年，制造业产品质量合格率稳定在94%以上。")[0]
    assert format_target(target) == "制造业产品质量合格率 ≥94%（2025年）"


@pytest.mark.model
def test_manufacturing_pass_rate_lines_up_across_regions(real_searcher):
    rows = {row[0]: row for row in table_rows(compare_regions(real_searcher, "制造业产品质量合格率"))}
    assert "94.8%" in rows["广东省汕尾市"][1]
    assert "95%" in rows["广东省广州市"][1]
    assert "制造业产品质量合格率达到95%" in rows["广东省广州市"][4]  # the key sentence states the target
    assert "≥94%" in rows["青海省"][1]
    assert "93%" in rows["陕西省榆林市榆阳区"][1]
    assert "2个百分点" in rows["贵州省"][1]


@pytest.mark.model
def test_a_topic_only_one_region_covers_says_so_for_the_others(real_searcher):
    rows = table_rows(compare_regions(real_searcher, "生态旅游"))
    assert rows[0][0] == "青海省" and "生態旅游" in rows[0][3]
    assert all(row[2] == "（无相关条款）" for row in rows[1:])
