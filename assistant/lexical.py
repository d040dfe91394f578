"""Lexical retrieval: BM25 (bm25s) over jieba tokens of simplified text."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from .normalize import for_matching

_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
_STOPWORDS = frozenset(
    "的 了 和 与 及 或 等 在 对 为 是 有 把 被 将 要 就 也 都 而 并 之 其 中 上 下 什么 怎么 怎样 如何 哪些 "
    "吗 呢 啊 吧 么 关于 方面 有关 那 这 哪 个 一 我 我们 你 他们 能 会 可以 多少".split()
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


_QUOTED_TERM = re.compile(r"[“「\"]([\u4e00-\u9fff、]{2,12})[”」\"]")


def domain_terms(texts: Iterable[str]) -> set[str]:
    """Domain terms a corpus defines for itself: the short phrases it puts in quotation marks
    (“双随机、一公开”, “专精特新”, “卡脖子” …), in simplified form."""
    return {match.group(1) for text in texts for match in _QUOTED_TERM.finditer(for_matching(text))}


def add_terms(terms: Iterable[str]) -> None:
    """Teach the tokenizer domain terms (质量基础设施, 专精特新 …) so they stay one token."""
    jieba = _jieba()
    with _lock:
        for term in terms:
            jieba.add_word(for_matching(term), freq=20000)


def tokenize(text: str) -> list[str]:
    """jieba search-mode tokens of the simplified text, without punctuation and stop words."""
    jieba = _jieba()
    with _lock:
        words = jieba.lcut_for_search(for_matching(text).lower())
    return [w for w in words if w.strip() and _KEEP.search(w) and w not in _STOPWORDS]


class Bm25Index:
    """BM25 scores of a query against every text of a fixed list."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s

        self._retriever = bm25s.BM25()
        self._size = len(texts)
        tokens = [tokenize(text) or ["∅"] for text in texts]
        if texts:
            self._retriever.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per text, in list order (zeros when no query word occurs)."""
        words = tokenize(query)
        if not words or not self._size:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(words), dtype=np.float32)
