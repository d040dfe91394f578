"""Metric tables (Markdown), the bundled report file and the nDCG chart."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .metrics import METRIC_NAMES, Breakdown


def markdown_table(first_column: str, rows: Sequence[tuple[str, int, Sequence[float]]]) -> str:
    """A Markdown table: one row per group with its query count and the metric means."""
    header = f"| {first_column} | n | " + " | ".join(METRIC_NAMES) + " |"
    rule = "|---|---:|" + "---:|" * len(METRIC_NAMES)
    lines = [header, rule]
    for name, count, values in rows:
        lines.append(f"| {name} | {count} | " + " | ".join(f"{value:.3f}" for value in values) + " |")
    return "\n".join(lines)


def breakdown_tables(result: Breakdown) -> str:
    """Overall, per type, per region and (when the queries have splits) per split tables."""
    sections = [("Overall", "queries", {"all": result.overall})]
    if result.by_type:
        sections.append(("By type", "type", result.by_type))
    sections.append(("By region", "region", result.by_region))
    if result.by_split:
        sections.append(("By split", "split", dict(sorted(result.by_split.items()))))
    parts = []
    for title, column, groups in sections:
        rows = [(name, count, means) for name, (count, means) in groups.items()]
        parts.append(f"### {title}\n\n{markdown_table(column, rows)}")
    return "\n\n".join(parts)


def _replace_atomically(path: Path, write) -> None:
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    os.replace(temporary, path)


def write_text(path: Path, text: str) -> None:
    """Write a text file so that a crash leaves the previous version in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace_atomically(path, lambda target: target.write_text(text, encoding="utf-8"))


def write_ndcg_chart(path: Path, types: Sequence[str], ndcg_by_mode: dict[str, Sequence[float]]) -> None:
    """Grouped bar chart of nDCG@10: one group per query type, one bar per retrieval mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = 0.8 / max(1, len(ndcg_by_mode))
    figure, axes = plt.subplots(figsize=(max(6.0, 1.2 * len(types) + 2), 4.5))
    for index, (mode, values) in enumerate(ndcg_by_mode.items()):
        positions = [group + (index - (len(ndcg_by_mode) - 1) / 2) * width for group in range(len(types))]
        axes.bar(positions, values, width, label=mode)
    axes.set_xticks(range(len(types)), list(types), rotation=30, ha="right")
    axes.set_ylim(0, 1.12)  # head-room for the legend above the bars
    axes.set_ylabel("nDCG@10")
    axes.set_title("nDCG@10 by query type and retrieval mode")
    axes.legend(loc="upper center", ncol=len(ndcg_by_mode), frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace_atomically(path, lambda target: figure.savefig(target, dpi=120, format="png"))
    plt.close(figure)
