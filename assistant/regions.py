"""Region paths (省/市/区 without separators): splitting, hierarchical filters and place names in text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .normalize import to_simplified

_LEVEL = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|地区|省|市|盟|区|县|旗)")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "地区", "省", "市", "盟", "区", "县", "旗")


def split_region(region: str) -> tuple[str, ...]:
    """Split a full region path into its administrative levels: 陕西省榆林市榆阳区 → (陕西省, 榆林市, 榆阳区)."""
    parts = _LEVEL.findall(region)
    consumed = "".join(parts)
    if consumed != region:
        parts.append(region[len(consumed) :])
    return tuple(part for part in parts if part)


def region_matches(filter_region: str, region: str) -> bool:
    """True when the filter is the region itself or one of its parents, at an administrative boundary."""
    wanted, actual = split_region(filter_region), split_region(region)
    return len(wanted) <= len(actual) and actual[: len(wanted)] == wanted


def short_name(level_name: str) -> str:
    """The everyday name of one level: 广州市 → 广州, 青海省 → 青海; names of two characters stay whole."""
    for suffix in _SUFFIXES:
        if level_name.endswith(suffix) and len(level_name) - len(suffix) >= 2:
            return level_name[: -len(suffix)]
    return level_name


@dataclass(frozen=True)
class Gazetteer:
    """Every region of the corpus and its parents, reachable by full path, level name or short name."""

    paths: tuple[str, ...]
    names: dict[str, str]  # name or alias → full path prefix

    @classmethod
    def from_regions(cls, regions: Iterable[str]) -> Gazetteer:
        """Build from the corpus's full region paths."""
        paths: set[str] = set()
        names: dict[str, str] = {}
        for region in regions:
            levels = split_region(region)
            for depth in range(1, len(levels) + 1):
                path = "".join(levels[:depth])
                paths.add(path)
                level_name = levels[depth - 1]
                for alias in (path, level_name, short_name(level_name)):
                    names.setdefault(alias, path)
        return cls(tuple(sorted(paths, key=lambda p: (len(split_region(p)), p))), names)

    def resolve(self, name: str) -> str | None:
        """The full path for a region name, alias or full path (any script), or None if not in the corpus."""
        name = to_simplified(name.strip())
        if name in self.names:
            return self.names[name]
        return next((path for path in self.paths if region_matches(name, path)), None)

    def mentions(self, text: str) -> list[str]:
        """Full paths of the corpus regions named in a text, longest names first, each once."""
        text = to_simplified(text)
        found: list[str] = []
        covered: list[tuple[int, int]] = []
        for alias in sorted(self.names, key=len, reverse=True):
            start = text.find(alias)
            while start != -1:
                end = start + len(alias)
                if not any(s < end and start < e for s, e in covered):
                    covered.append((start, end))
                    if self.names[alias] not in found:
                        found.append(self.names[alias])
                start = text.find(alias, end)
        return found

    def without_names(self, text: str) -> str:
        """The text (simplified) with every corpus place name cut out, longest names first."""
        text = to_simplified(text)
        for alias in sorted(self.names, key=len, reverse=True):
            text = text.replace(alias, "")
        return text

    def children(self, path: str) -> list[str]:
        """Regions directly below a path."""
        depth = len(split_region(path))
        return [p for p in self.paths if len(split_region(p)) == depth + 1 and region_matches(path, p)]
