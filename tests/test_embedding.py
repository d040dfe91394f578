"""Embedders: pooled vectors and the token vectors that late interaction compares."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding import TOKEN_DTYPE, HashingEmbedder


def test_hashing_tokens_are_one_unit_vector_per_word_character():
    vectors, (tokens,) = HashingEmbedder().embed_passages_with_tokens(["质量，强国！A1"])
    assert vectors.shape == (1, 256)
    assert tokens.dtype == TOKEN_DTYPE and tokens.shape == (6, 256)  # 质 量 强 国 a 1: punctuation dropped
    assert np.allclose(np.linalg.norm(tokens.astype(np.float32), axis=1), 1.0)


def test_hashing_tokens_of_the_same_text_are_the_same_for_queries_and_passages():
    embedder = HashingEmbedder()
    _, (query,) = embedder.embed_queries_with_tokens(["計量檢測"])  # traditional: matched as simplified
    _, (passage,) = embedder.embed_passages_with_tokens(["计量检测"])
    assert (query == passage).all()


@pytest.fixture(scope="module")
def real_embedder(real_searcher):
    return real_searcher.embedder


@pytest.mark.model
def test_pooled_vector_is_the_same_with_or_without_tokens(real_embedder):
    texts = ["完善计量测试服务体系。", "加快建设高原纤维、高原能效检测中心，提升检验检测能力。"]
    plain = real_embedder.embed_passages(texts)
    pooled, tokens = real_embedder.embed_passages_with_tokens(texts)
    assert (np.sum(plain * pooled, axis=1) > 0.9999).all()
    assert len(tokens) == 2 and all(len(t) > 3 for t in tokens)


@pytest.mark.model
def test_real_tokens_leave_out_special_tokens_the_prompt_and_punctuation(real_embedder):
    text = "完善计量体系，好吗？"
    tokenizer = real_embedder._model.tokenizer
    pieces = tokenizer.convert_ids_to_tokens(tokenizer(text, add_special_tokens=False)["input_ids"])
    words = [piece for piece in pieces if piece.strip("▁，？,?")]
    for embed in (real_embedder.embed_queries_with_tokens, real_embedder.embed_passages_with_tokens):
        _, (tokens,) = embed([text])
        assert len(tokens) == len(words), (pieces, len(tokens))
        assert np.allclose(np.linalg.norm(tokens.astype(np.float32), axis=1), 1.0, atol=1e-2)
    _, (query_tokens,) = real_embedder.embed_queries_with_tokens(["？！。"])
    assert query_tokens.shape == (0, real_embedder.dim)


@pytest.mark.model
def test_many_questions_at_once_get_the_vectors_each_gets_alone(real_embedder):
    questions = [
        f"第{number}个问题：企业想把产品做好但手头缺钱" + "怎么办" * (number % 4) for number in range(12)
    ]
    together = real_embedder.embed_queries(questions)  # the question bank's path: batched by length
    alone = np.concatenate([real_embedder.embed_queries([question]) for question in questions])
    assert together.shape == alone.shape and np.abs(together - alone).max() < 1e-4


@pytest.mark.model
def test_passages_batched_by_length_come_back_in_their_own_order(real_embedder):
    # More texts than one batch, longest first, so sorting by tokens reorders them across batches.
    passages = [
        "加快建设检验检测中心" + "，提升计量测试服务能力" * (20 - number) + f"（第{number}项）。"
        for number in range(real_embedder.batch_size + 4)
    ]
    together, together_tokens = real_embedder.embed_passages_with_tokens(passages)
    alone = [real_embedder.embed_passages_with_tokens([passage]) for passage in passages]
    assert np.abs(together - np.concatenate([vectors for vectors, _ in alone])).max() < 1e-4
    assert [len(tokens) for tokens in together_tokens] == [len(tokens[0]) for _, tokens in alone]
