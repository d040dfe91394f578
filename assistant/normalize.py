"""Text normalisation shared by matching: traditional → simplified, NFKC, no whitespace."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WHITESPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified (OpenCC t2s); other text passes unchanged."""
    return _t2s().convert(text)


def for_matching(text: str) -> str:
    """The form in which texts are matched and embedded: simplified, NFKC, runs of whitespace as one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", to_simplified(text))).strip()


def for_labels(text: str) -> str:
    """The form in which gold labels are compared: simplified, NFKC, all whitespace removed."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", to_simplified(text)))
