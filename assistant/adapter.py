"""The question bank's adapter: the default encoder adapted to this corpus's everyday questions (LoRA).

People ask 「手头缺钱，能从银行借到钱吗？」 where the documents say 质量贷、普惠金融. The bank
(``documents/questions.jsonl``) pairs such questions with the clauses that answer them; training low-rank
adapters (LoRA: each linear layer of the encoder gains ``B @ A``, rank 8) on those pairs with in-batch negatives
moves the encoder toward the corpus's own bridges between everyday words and official ones, while the base
weights stay as they are. The adapter ships as ``bank_adapter.safetensors`` (A and B of the 72 linear layers,
1.3 MB) and is merged into a copy of the converted default model once, on first use: the adapted model is an
ordinary sentence-transformers folder, so the index, ONNX export and search need nothing new.

``train_adapter`` re-trains it from the bank (``python -m assistant adapt``, about ten minutes on two cores);
what it bought is in ``docs/retrieval.md``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .default_model import files_intact, publish_folder
from .errors import ModelError

ADAPTER_FILE = Path(__file__).resolve().parent / "bank_adapter.safetensors"
ADAPTER_MARKER = "bank_adapter.json"
# Training settings (first tried, not tuned): rank 8 on every linear layer of the encoder's blocks, two passes
# over the bank, AdamW at 1e-4 with a 10% warm-up and linear decay, 32 questions a batch, cosine × 20.
RANK = 8
EPOCHS = 2
LEARNING_RATE = 1e-4
BATCH = 32
SCALE = 20.0
SEED = 0
MAX_TRAIN_TOKENS = 256


def adapter_digest(path: Path = ADAPTER_FILE) -> str:
    """SHA-256 of the adapter file (names the adapted model and its cache folder)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise ModelError(f"{path}: cannot read the bank adapter ({error.strerror or error})") from error


def adapted_model_name(base_name: str, path: Path = ADAPTER_FILE) -> str:
    """The id an index records for the adapted model: the base's, with the adapter's digest."""
    return f"{base_name}+bank-{adapter_digest(path)[:8]}"


def _weight_name(module: str) -> str:
    """'0.model.encoder.layer.3.attention.self.query' (as trained) → 'encoder.layer.3.attention.self.query.weight'."""
    return module[module.index("encoder.") :] + ".weight"


def merge_adapter(weights: dict[str, np.ndarray], path: Path = ADAPTER_FILE) -> dict[str, np.ndarray]:
    """The weights with each adapted layer's ``B @ A`` added (float32); a file that does not fit is an error."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        adapter = load_file(str(path))
    except (OSError, SafetensorError, ValueError) as error:
        raise ModelError(f"{path}: not a readable bank adapter ({str(error)[:120]})") from error
    modules = sorted({name.rsplit(".", 1)[0] for name in adapter})
    if not modules or any(f"{module}.{part}" not in adapter for module in modules for part in "AB"):
        raise ModelError(f"{path}: a bank adapter holds an A and a B for every layer it adapts")
    merged = dict(weights)
    for module in modules:
        low, high = adapter[f"{module}.A"].astype(np.float32), adapter[f"{module}.B"].astype(np.float32)
        name = _weight_name(module) if "encoder." in module else module
        base = merged.get(name)
        if base is None or base.shape != (high.shape[0], low.shape[1]) or high.shape[1] != low.shape[0]:
            raise ModelError(f"{path}: layer {module} does not fit the model ({name})")
        merged[name] = (base.astype(np.float32) + high @ low).astype(base.dtype)
    return merged


def ensure_adapted_model(base_dir: Path, path: Path = ADAPTER_FILE) -> Path:
    """The folder of the base model with the adapter merged in, built beside it once and reused after."""
    digest = adapter_digest(path)
    target = base_dir.with_name(f"{base_dir.name}-bank-{digest[:12]}")
    if _is_adapted(target, digest):
        return target
    from safetensors.numpy import load_file, save_file

    build = None
    try:
        build = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=base_dir.parent))
        build.chmod(0o755)
        for item in base_dir.iterdir():
            if item.is_dir():
                shutil.copytree(item, build / item.name)
            elif item.name != "model.safetensors":
                shutil.copy2(item, build / item.name)
        weights = merge_adapter(load_file(str(base_dir / "model.safetensors")), path)
        save_file(weights, str(build / "model.safetensors"), metadata={"format": "pt"})
        (build / "model.safetensors").chmod(0o644)
        sizes = {p.name: p.stat().st_size for p in build.iterdir() if p.is_file()}
        marker = {"adapter_sha256": digest, "base": base_dir.name, "files": sizes}
        (build / ADAPTER_MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
        publish_folder(build, target, lambda folder: _is_adapted(folder, digest), "adapted model")
    except OSError as error:
        raise ModelError(f"{target}: cannot write the adapted model ({error.strerror or error})") from error
    finally:
        if build is not None:
            shutil.rmtree(build, ignore_errors=True)  # only still there if another process won the race
    return target


def _is_adapted(folder: Path, digest: str) -> bool:
    try:
        marker = json.loads((folder / ADAPTER_MARKER).read_text(encoding="utf-8"))
        return marker.get("adapter_sha256") == digest and files_intact(folder, marker["files"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


# ---------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------


def training_pairs(
    documents_dir: Path, choose: Callable[[str, list[str]], str]
) -> list[tuple[str, frozenset[str], list[str]]]:
    """(question, its answering clauses' ids, the passage of each that ``choose`` picks) for every bank
    question; texts in the form they are embedded (simplified, NFKC)."""
    from .documents import load_catalog
    from .index import parse_corpus
    from .normalize import for_matching
    from .passages import make_passages
    from .questions import read_bank, usable_questions

    documents = load_catalog(documents_dir)
    clauses = parse_corpus(documents)
    passages = make_passages(clauses, {d.doc_id: d for d in documents})
    by_clause: dict[str, list[str]] = {}
    for passage in passages:
        by_clause.setdefault(passage.clause_id, []).append(for_matching(passage.embed_text))
    questions = usable_questions(read_bank(documents_dir), {clause.clause_id for clause in clauses})
    pairs = []
    for question in questions:
        text = for_matching(question.query)
        answering = [clause_id for clause_id in question.positives if by_clause.get(clause_id)]
        if answering:
            chosen = [choose(text, by_clause[clause_id]) for clause_id in answering]
            pairs.append((text, frozenset(answering), chosen))
    return pairs


def train_adapter(base_dir: Path, documents_dir: Path, output: Path, epochs: int = EPOCHS) -> Path:
    """Train the bank adapter on the plain default model (``base_dir``) and write it to ``output``.

    Each bank question is paired with the passage (window or sentence) of each answering clause that the base
    model finds closest; a batch's other questions' passages are its negatives, except those answering it too."""
    import math
    import random

    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer

    random.seed(SEED)
    torch.manual_seed(SEED)
    model = SentenceTransformer(str(base_dir), device="cpu")
    model.max_seq_length = MAX_TRAIN_TOKENS

    known: dict[str, np.ndarray] = {}  # passage vectors, each passage embedded once

    def choose(question: str, options: list[str]) -> str:
        missing = [text for text in dict.fromkeys(options) if text not in known]
        if missing:
            vectors = model.encode(missing, prompt_name="passage", normalize_embeddings=True, batch_size=16)
            known.update(zip(missing, vectors, strict=True))
        asked = model.encode([question], prompt_name="query", normalize_embeddings=True)[0]
        return options[int(np.argmax([known[text] @ asked for text in options]))]

    model.eval()
    with torch.no_grad():
        pairs = training_pairs(documents_dir, choose)
    for parameter in model.parameters():
        parameter.requires_grad = False
    adapters = _attach(model, RANK)
    parameters = [p for layer in adapters.values() for p in (layer.A, layer.B)]
    optimizer = torch.optim.AdamW(parameters, lr=LEARNING_RATE, weight_decay=0.0)
    steps = epochs * math.ceil(len(pairs) / BATCH)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, 1 - step / steps)
    )
    model.train()
    for epoch in range(epochs):
        order = list(range(len(pairs)))
        random.shuffle(order)
        for start in range(0, len(order), BATCH):
            batch = [pairs[i] for i in order[start : start + BATCH]]
            loss = _batch_loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            print(
                f"epoch {epoch + 1}/{epochs}, questions {start + len(batch)}: loss {loss.item():.3f}",
                file=sys.stderr,
            )
    tensors = {
        f"{name}.{part}": getattr(layer, part).detach().half().contiguous()
        for name, layer in adapters.items()
        for part in "AB"
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(output))
    output.chmod(0o644)  # safetensors writes it owner-only; the adapter is shipped with the code
    return output


def _batch_loss(model, batch: list[tuple[str, frozenset[str], list[str]]]):
    """In-batch contrastive loss: each question against every passage of the batch, its own the target; a
    passage of a clause that answers the question too is no negative."""
    import random

    import torch

    questions = ["query: " + question for question, _, _ in batch]
    passages = ["passage: " + random.choice(options) for _, _, options in batch]
    answers = [clauses for _, clauses, _ in batch]

    def embed(texts: list[str]):
        features = model.preprocess(texts)
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    similarity = embed(questions) @ embed(passages).T * SCALE
    shared = torch.tensor(
        [
            [row != column and bool(answers[row] & answers[column]) for column in range(len(batch))]
            for row in range(len(batch))
        ]
    )
    return torch.nn.functional.cross_entropy(similarity.masked_fill(shared, -1e4), torch.arange(len(batch)))


def _attach(model, rank: int) -> dict:
    """Wrap every linear layer of the encoder's blocks in a LoRA layer; {module name: layer}."""
    import torch

    class LoraLinear(torch.nn.Module):
        def __init__(self, linear: torch.nn.Linear) -> None:
            super().__init__()
            self.linear = linear
            self.A = torch.nn.Parameter(torch.randn(rank, linear.in_features) / linear.in_features**0.5)
            self.B = torch.nn.Parameter(torch.zeros(linear.out_features, rank))

        def forward(self, inputs):
            return self.linear(inputs) + (inputs @ self.A.T) @ self.B.T

    adapters = {}
    for parent_name, parent in list(model.named_modules()):
        for child_name, child in list(parent.named_children()):
            name = f"{parent_name}.{child_name}" if parent_name else child_name
            if isinstance(child, torch.nn.Linear) and ".encoder.layer." in f".{name}":
                adapters[name] = LoraLinear(child)
                setattr(parent, child_name, adapters[name])
    return adapters
