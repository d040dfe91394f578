"""Embedding models: the sentence-transformers encoder used by the index, and a fake for tests.

Besides one pooled vector per text, an encoder gives the vectors of the text's own tokens (the transformer's
last layer, L2-normalised, without special tokens, the prompt and punctuation): search compares a question's
tokens with a passage's tokens one by one (late interaction, see ``search.py``).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import BASE_MODEL, DEFAULT_MODEL, Config
from .errors import ModelError

QUERY_PROMPTS = ("query", "search_query")
PASSAGE_PROMPTS = ("passage", "document", "search_document")
TOKEN_DTYPE = np.float16  # token vectors are stored and shipped at half precision
_PUNCTUATION_PIECE = re.compile(r"^[\W_▁Ġ#]*$")  # sentencepiece / BPE / WordPiece pieces with no word in them


class Embedder(Protocol):
    """What the index and search need of an embedding model."""

    model_name: str
    dim: int
    max_tokens: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def embed_passages_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def count_tokens(self, text: str) -> int: ...


QUERY_BATCH_MIN = 8  # more questions than this at once are embedded in length-sorted batches
# Texts per forward pass. On two cores the corpus's 300 longest passages (≈ 240 tokens) go through 13% sooner in
# batches of 16 than of 32 (a smaller batch's activations stay in cache; 8 is no sooner), the whole cold build about
# 5% sooner. Questions are short: the bank's 835 go through ONNX Runtime in 5.6 s in batches of 32 (16: 5.8 s,
# 64: 5.7 s, 128: 6.0 s).
ENCODE_BATCH = 16
QUESTION_BATCH = 32


class SentenceTransformerEmbedder:
    """A sentence-transformers model, with its query/passage prompts, returning L2-normalised float32."""

    def __init__(
        self, model_name: str, model_path: str, batch_size: int = ENCODE_BATCH, onnx_cache: Path | None = None
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        try:
            self._model = SentenceTransformer(model_path, device="cpu")
        except (OSError, ValueError) as error:
            raise ModelError(
                f"cannot load embedding model {model_path!r}: {str(error).splitlines()[0]}"
            ) from error
        self.model_name = model_name
        self.dim = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.batch_size = batch_size
        self._model.eval()  # inference only (``_forward`` relies on it)
        prompts = self._model.prompts or {}
        self._query_prompt = next((name for name in QUERY_PROMPTS if name in prompts), None)
        self._passage_prompt = next((name for name in PASSAGE_PROMPTS if name in prompts), None)
        tokenizer = self._model.tokenizer
        self._special_ids = frozenset(tokenizer.all_special_ids)
        vocabulary = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        self._punctuation_ids = frozenset(
            token_id for token_id, piece in enumerate(vocabulary) if _PUNCTUATION_PIECE.match(piece or "")
        )
        self._prompt_words = {
            name: self._word_count(prompts[name])
            for name in (self._query_prompt, self._passage_prompt)
            if name
        }
        self._question_transformer = self._load_question_transformer(onnx_cache)

    def _load_question_transformer(self, onnx_cache: Path | None):
        """The transformer that embeds questions: its ONNX Runtime export where it has one, else torch's."""
        from .onnx_encoder import OnnxExportError, load_onnx_transformer, onnx_enabled

        transformer = self._model[0]
        if onnx_cache is None or not onnx_enabled():
            return transformer
        try:
            return load_onnx_transformer(transformer, onnx_cache)
        except (OnnxExportError, ImportError) as error:
            print(f"warning: questions are embedded with torch: {error}", file=sys.stderr)
            return transformer

    def _word_count(self, prompt: str) -> int:
        """How many word tokens a prompt puts before the text ("query: " → 1)."""
        ids = self._model.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        return sum(token_id not in self._punctuation_ids for token_id in ids)

    def _encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        return self._encode_with_tokens(texts, prompt_name, with_tokens=False)[0]

    def _encode_with_tokens(
        self, texts: list[str], prompt_name: str | None, with_tokens: bool = True
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Pooled vectors (L2-normalised float32) and, from the same forward pass, token vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs: list[dict] = [{}] * len(texts)
        order = self._by_length(texts)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = self._model.encode(
                [texts[row] for row in rows],
                prompt_name=prompt_name,
                batch_size=len(rows),
                output_value=None,
                convert_to_numpy=False,
                show_progress_bar=False,
            )
            for row, output in zip(rows, batch, strict=True):
                outputs[row] = output
        vectors = np.stack([output["sentence_embedding"].float().numpy() for output in outputs])
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        skip = self._prompt_words.get(prompt_name, 0)
        tokens = (
            [self._text_tokens(output["input_ids"], output["token_embeddings"], skip) for output in outputs]
            if with_tokens
            else []
        )
        return np.ascontiguousarray(vectors, dtype=np.float32), tokens

    def _by_length(self, texts: list[str]) -> list[int]:
        """Positions of the texts, fewest tokens first: batches cut from this order carry the least padding
        (sorted by characters, as sentence-transformers sorts, the corpus's passages were padded by 9.5 %,
        since a character is not always one token; by tokens, 2.3 %)."""
        counts = [len(ids) for ids in self._model.tokenizer(texts, add_special_tokens=False)["input_ids"]]
        return sorted(range(len(texts)), key=counts.__getitem__)

    def _text_tokens(self, input_ids, token_embeddings, prompt_words: int) -> np.ndarray:
        """The normalised vectors of a text's word tokens: no special tokens, prompt words or punctuation."""
        ids = input_ids.tolist()
        keep = [
            position
            for position, token_id in enumerate(ids)
            if token_id not in self._special_ids and token_id not in self._punctuation_ids
        ][prompt_words:]
        tokens = token_embeddings[keep].float().numpy()
        tokens /= np.maximum(np.linalg.norm(tokens, axis=1, keepdims=True), 1e-12)
        return tokens.astype(TOKEN_DTYPE)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions (with the model's query prompt), through the same encoder as a user's question. Many
        at once (the question bank) go in batches of similar length: a third sooner than one by one, and on ONNX
        Runtime a quarter sooner than through sentence-transformers in torch; the vectors are the same."""
        if len(texts) <= QUERY_BATCH_MIN:
            return self.embed_queries_with_tokens(texts)[0]
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = self._by_length(texts)
        for start in range(0, len(order), QUESTION_BATCH):
            rows = order[start : start + QUESTION_BATCH]
            vectors[rows] = self._forward(
                [texts[row] for row in rows], self._query_prompt, with_tokens=False
            )[0]
        return vectors

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages of the corpus (with the model's passage prompt)."""
        return self._encode(texts, self._passage_prompt)

    def embed_queries_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed questions, with the vectors of their word tokens."""
        vectors, tokens = [np.zeros((0, self.dim), dtype=np.float32)], []
        for start in range(0, len(texts), self.batch_size):
            batch_vectors, batch_tokens = self._forward(
                texts[start : start + self.batch_size], self._query_prompt
            )
            vectors.append(batch_vectors)
            tokens.extend(batch_tokens)
        return np.concatenate(vectors), tokens

    def _forward(
        self, texts: list[str], prompt_name: str | None, with_tokens: bool = True
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Questions through the model's modules directly, the transformer on ONNX Runtime where it can be.

        The same vectors as ``encode``, without its per-call work for large batches (sorting by length, device
        lookups, switching every module to eval mode), which costs a question waiting alone a tenth.
        """
        import torch

        prompt = self._model.prompts.get(prompt_name) if prompt_name else None
        with torch.inference_mode():
            features = self._question_transformer(self._model.preprocess(texts, prompt=prompt))
            for module in list(self._model)[1:]:
                features = module(features)
        vectors = features["sentence_embedding"].float().numpy()
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        skip = self._prompt_words.get(prompt_name, 0)
        tokens = (
            [
                self._text_tokens(ids, embeddings, skip)
                for ids, embeddings in zip(features["input_ids"], features["token_embeddings"], strict=True)
            ]
            if with_tokens
            else []
        )
        return np.ascontiguousarray(vectors, dtype=np.float32), tokens

    def embed_passages_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed passages, with the vectors of their word tokens."""
        return self._encode_with_tokens(texts, self._passage_prompt)

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for a text, special tokens included."""
        return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])


class HashingEmbedder:
    """A deterministic, model-free embedder over character bigrams, for unit tests and dry runs."""

    def __init__(self, dim: int = 256) -> None:
        self.model_name = f"hashing-bigrams-{dim}"
        self.dim = dim
        self.max_tokens = 512

    def _vector(self, text: str) -> np.ndarray:
        from .normalize import for_matching

        text = for_matching(text).replace(" ", "")
        vector = np.zeros(self.dim, dtype=np.float32)
        for gram in (text[i : i + 2] for i in range(max(len(text) - 1, 1))):
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions."""
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages."""
        return self.embed_queries(texts)

    def _tokens(self, text: str) -> np.ndarray:
        """One vector per character that is a word character: the hashed bigram it starts."""
        from .normalize import for_matching

        text = "".join(ch for ch in for_matching(text) if ch.isalnum())
        tokens = np.zeros((len(text), self.dim), dtype=np.float32)
        for position in range(len(text)):
            digest = hashlib.blake2b(text[position : position + 2].encode("utf-8"), digest_size=4).digest()
            tokens[position, int.from_bytes(digest, "little") % self.dim] = 1.0
        return tokens.astype(TOKEN_DTYPE)

    def embed_queries_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed questions, with one vector per character."""
        return self.embed_queries(texts), [self._tokens(text) for text in texts]

    def embed_passages_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed passages, with one vector per character."""
        return self.embed_passages(texts), [self._tokens(text) for text in texts]

    def count_tokens(self, text: str) -> int:
        """One token per character plus two specials."""
        return len(text) + 2


def load_embedder(config: Config) -> Embedder:
    """The configured model: the bundled default (converted on first use, with the question bank's adapter
    merged in; ``default-base`` without it), a folder, or a model id."""
    onnx_cache = config.cache_dir / "onnx"
    if config.model in (DEFAULT_MODEL, BASE_MODEL):
        from .default_model import DEFAULT_MODEL_NAME, ensure_default_model

        path = ensure_default_model(config.cache_dir)
        if config.model == BASE_MODEL:
            return SentenceTransformerEmbedder(DEFAULT_MODEL_NAME, str(path), onnx_cache=onnx_cache)
        from .adapter import adapted_model_name, ensure_adapted_model

        path = ensure_adapted_model(path)
        return SentenceTransformerEmbedder(
            adapted_model_name(DEFAULT_MODEL_NAME), str(path), onnx_cache=onnx_cache
        )
    if config.model.startswith("hashing"):
        return HashingEmbedder()
    candidate = Path(config.model).expanduser()
    if candidate.exists():
        return SentenceTransformerEmbedder(str(candidate.resolve()), str(candidate), onnx_cache=onnx_cache)
    return SentenceTransformerEmbedder(config.model, config.model, onnx_cache=onnx_cache)
