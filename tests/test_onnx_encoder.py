"""Questions on ONNX Runtime: torch's numbers, an export made once and checked, torch kept when it cannot be."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from assistant import onnx_encoder
from assistant.onnx_encoder import OnnxExportError, OnnxTransformer, load_onnx_transformer

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def real_embedder(real_searcher):
    return real_searcher.embedder


@pytest.fixture()
def tiny_transformer(real_embedder):
    """A one-layer BERT with random weights behind the real tokenizer: exports in a second."""
    import torch
    from transformers import BertConfig, BertModel

    tokenizer = real_embedder._model[0].tokenizer
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    model = BertModel(config, add_pooling_layer=False).eval()
    return SimpleNamespace(
        model=model,
        tokenizer=tokenizer,
        modality_config={"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
        module_output_name="token_embeddings",
    )


def test_questions_are_embedded_on_onnx_runtime_with_torch_s_vectors(real_embedder):
    assert isinstance(real_embedder._question_transformer, OnnxTransformer)
    questions = [
        "青海的生态旅游质量怎么提升？",
        "計量測試服務體系怎麼完善",
        "质量" * 400,
    ]  # the last one truncated
    vectors, tokens = real_embedder.embed_queries_with_tokens(questions)
    outputs = real_embedder._model.encode(
        questions, prompt_name="query", output_value=None, convert_to_numpy=False, show_progress_bar=False
    )  # sentence-transformers' own path, all in torch
    expected = np.stack([output["sentence_embedding"].numpy() for output in outputs])
    assert np.abs(vectors - expected).max() < 1e-5
    for output, question_tokens in zip(outputs, tokens, strict=True):
        reference = real_embedder._text_tokens(
            output["input_ids"], output["token_embeddings"], real_embedder._prompt_words["query"]
        )
        assert question_tokens.shape == reference.shape
        assert np.abs(question_tokens.astype(np.float32) - reference.astype(np.float32)).max() < 2e-3


def test_a_question_alone_gets_the_vector_it_gets_in_a_batch(real_embedder):
    questions = ["广州对生产性服务业的质量提升有什么安排", "汕尾征求意见截止到什么时候"]
    batch, _ = real_embedder.embed_queries_with_tokens(questions)
    alone, _ = real_embedder.embed_queries_with_tokens(questions[1:])
    assert np.abs(batch[1] - alone[0]).max() < 1e-5


def test_the_export_is_made_once_and_then_read_from_the_cache(tiny_transformer, tmp_path, monkeypatch):
    first = load_onnx_transformer(tiny_transformer, tmp_path)
    assert first.path.parent == tmp_path and [p.name for p in tmp_path.iterdir()] == [first.path.name]

    def no_export(*args, **kwargs):
        raise AssertionError("exported again although the cache has it")

    monkeypatch.setattr(onnx_encoder, "_export", no_export)
    again = load_onnx_transformer(tiny_transformer, tmp_path)
    assert again.path == first.path


def test_a_damaged_export_in_the_cache_is_made_again(tiny_transformer, tmp_path, capsys):
    path = load_onnx_transformer(tiny_transformer, tmp_path).path
    path.write_bytes(path.read_bytes()[:1000])  # cut short, as by a full disk
    encoder = load_onnx_transformer(tiny_transformer, tmp_path)
    assert "unreadable" in capsys.readouterr().err
    features = tiny_transformer.tokenizer(["质量"], return_tensors="pt")
    assert encoder(dict(features))["token_embeddings"].shape == (1, features["input_ids"].shape[1], 16)


def test_changed_weights_get_a_new_export_and_the_lookup_table_does_not_matter(tiny_transformer):
    import torch

    key = onnx_encoder._export_key(tiny_transformer, ["inputs_embeds", "attention_mask"])
    with torch.no_grad():
        tiny_transformer.model.get_input_embeddings().weight[0] += 1.0  # looked up in torch, not in the graph
    assert onnx_encoder._export_key(tiny_transformer, ["inputs_embeds", "attention_mask"]) == key
    with torch.no_grad():
        tiny_transformer.model.encoder.layer[0].output.dense.weight[0, 0] += 1.0
    assert onnx_encoder._export_key(tiny_transformer, ["inputs_embeds", "attention_mask"]) != key


def test_an_export_that_differs_from_torch_is_refused_and_not_kept(tiny_transformer, tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_encoder, "MAX_EXPORT_DIFFERENCE", -1.0)
    with pytest.raises(OnnxExportError, match="differs from torch"):
        load_onnx_transformer(tiny_transformer, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_model_that_cannot_be_exported_keeps_torch_for_questions(
    real_embedder, tmp_path, monkeypatch, capsys
):
    import torch

    def refuse(*args, **kwargs):
        raise RuntimeError("Unsupported operator aten::frobnicate\nmore detail")

    monkeypatch.setattr(torch.onnx, "export", refuse)
    transformer = real_embedder._load_question_transformer(tmp_path)
    assert transformer is real_embedder._model[0]
    assert capsys.readouterr().err.strip() == (
        "warning: questions are embedded with torch: exporting BertModel failed: Unsupported operator aten::frobnicate"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_cache_that_cannot_be_written_keeps_torch_for_questions(real_embedder, tmp_path, capsys):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    assert real_embedder._load_question_transformer(blocked / "onnx") is real_embedder._model[0]
    assert capsys.readouterr().err.startswith(
        "warning: questions are embedded with torch: exporting BertModel failed:"
    )


def test_assistant_onnx_off_keeps_torch(real_embedder, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_ONNX", "off")
    assert real_embedder._load_question_transformer(tmp_path) is real_embedder._model[0]
    assert list(tmp_path.iterdir()) == []


def test_a_module_that_is_not_a_text_transformer_is_refused(tiny_transformer, tmp_path):
    tiny_transformer.modality_config = {"image": {"method": "forward", "method_output_name": "pixel_values"}}
    with pytest.raises(OnnxExportError, match="not a text transformer"):
        load_onnx_transformer(tiny_transformer, tmp_path)
