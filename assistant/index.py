"""The index folder: FAISS vectors, clauses, passages and a manifest, published atomically."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .clauses import PARSER_VERSION, Clause, header_conflicts, parse_clauses
from .config import PACKAGE_VERSION
from .documents import Document, load_catalog
from .embedding import TOKEN_DTYPE, Embedder
from .errors import IndexDamaged, IndexMismatch, IndexMissing
from .glossary import GlossaryEntry, glossary_hash, read_glossary, usable_entries
from .normalize import for_matching
from .passages import MAX_PASSAGE_CHARS, PASSAGE_OVERLAP_CHARS, Passage, make_passages
from .questions import BankQuestion, bank_hash, read_bank, usable_questions
from .regions import Gazetteer

# 3: token vectors; 4: a table row's sentence is the whole row; 5: the question bank; 6: the glossary
INDEX_FORMAT = 6
POINTER = "CURRENT"
LOCK = ".lock"
MANIFEST = "manifest.json"
DOCUMENTS = "documents.json"
CLAUSES = "clauses.jsonl"
PASSAGES = "passages.jsonl"
VECTORS = "vectors.faiss"
TOKENS = "tokens.npy"  # float16 [tokens, dim]: every passage's token vectors, passage after passage
TOKEN_OFFSETS = (
    "token_offsets.npy"  # int64 [passages + 1]: passage i's tokens are rows offsets[i]:offsets[i+1]
)
QUESTIONS = "questions.jsonl"  # the question bank's questions whose clauses the corpus has (questions.py)
QUESTION_VECTORS = "question_vectors.npy"  # float32 [questions, dim]: each embedded as a query, places cut
# the everyday-words glossary's entries whose terms the corpus holds (glossary.py)
GLOSSARY = "glossary.jsonl"
EMBED_BATCH = 32


@dataclass(frozen=True)
class Manifest:
    """What built the index: model, vector size, parser, passage settings and document hashes."""

    model: str
    dim: int
    parser_version: str
    passage_max_chars: int
    passage_overlap: int
    documents: dict[str, str]  # doc_id → content hash
    passages: int
    tokens: int = 0  # token vectors stored for late interaction
    questions: int = 0  # questions of the bank stored
    questions_hash: str = ""  # digest of the bank file they came from ('' for none)
    glossary_hash: str = ""  # digest of the glossary file ('' for none)
    catalog_hash: str = ""  # digest of the documents' catalog metadata (title, region, issuer …)
    normalized: bool = True
    format: int = INDEX_FORMAT
    package_version: str = PACKAGE_VERSION
    built_at: str = ""


@dataclass(frozen=True)
class CorpusIndex:
    """A loaded index: documents, clauses and passages, and the FAISS index over the passages."""

    folder: Path
    manifest: Manifest
    documents: dict[str, Document]
    clauses: list[Clause]
    passages: list[Passage]
    vectors: object  # faiss.Index; row i is passages[i]
    tokens: np.ndarray  # float16 token vectors of all passages (TOKENS)
    token_offsets: np.ndarray  # passage i's tokens are tokens[token_offsets[i]:token_offsets[i + 1]]
    questions: list[BankQuestion] = field(default_factory=list)
    question_vectors: np.ndarray | None = None  # float32 [questions, dim]
    question_texts: tuple[str, ...] = ()  # the text embedded for each question (places cut)
    glossary: tuple[GlossaryEntry, ...] = ()
    clause_by_id: dict[str, Clause] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clause_by_id.update({clause.clause_id: clause for clause in self.clauses})

    def passage_tokens(self, row: int) -> np.ndarray:
        """The token vectors of passage `row`."""
        return self.tokens[self.token_offsets[row] : self.token_offsets[row + 1]]


@dataclass(frozen=True)
class BuildReport:
    """What an index run did."""

    folder: Path
    documents: int
    clauses: int
    passages: int
    embedded: int
    reused: int
    seconds: float

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"index ready: {self.documents} documents, {self.clauses} clauses, {self.passages} passages "
            f"({self.embedded} embedded, {self.reused} reused) in {self.seconds:.1f} s → {self.folder}"
        )


def _tuples(value):
    """JSON lists back to the tuples the frozen dataclasses hold."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def current_build(index_dir: Path) -> Path:
    """The published build folder the index folder points to."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexMissing(f"{index_dir}: no index built yet (run: python -m assistant index)")
    name = pointer.read_text(encoding="utf-8").strip()
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        raise IndexDamaged(f"{pointer}: points to a missing build folder {name!r}")
    return folder


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of the published index."""
    path = current_build(index_dir) / MANIFEST
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**fields)
    except (OSError, json.JSONDecodeError, TypeError) as error:
        raise IndexDamaged(f"{path}: unreadable manifest ({error})") from error


def load_index(index_dir: Path, model: str | None = None) -> CorpusIndex:
    """Load the published index; refuse one built by another model or parser than expected."""
    import faiss

    folder = current_build(index_dir)
    manifest = read_manifest(index_dir)
    if model is not None and manifest.model != model:
        raise IndexMismatch(
            f"{folder / MANIFEST}: index built with model {manifest.model!r}, but {model!r} is configured "
            "(run: python -m assistant index --rebuild)"
        )
    if manifest.format != INDEX_FORMAT:
        raise IndexMismatch(f"{folder / MANIFEST}: index format {manifest.format}, expected {INDEX_FORMAT}")
    current = DOCUMENTS
    try:
        documents = {
            entry["doc_id"]: Document(**entry)
            for entry in json.loads((folder / DOCUMENTS).read_text("utf-8"))
        }
        current = CLAUSES
        clauses = [Clause(**{k: _tuples(v) for k, v in row.items()}) for row in _read_jsonl(folder / CLAUSES)]
        current = PASSAGES
        passages = [Passage(**row) for row in _read_jsonl(folder / PASSAGES)]
        current = VECTORS
        vectors = faiss.read_index(str(folder / VECTORS))
        current = TOKENS
        tokens = np.load(folder / TOKENS, allow_pickle=False)
        current = TOKEN_OFFSETS
        offsets = np.load(folder / TOKEN_OFFSETS, allow_pickle=False)
        current = QUESTIONS
        question_rows = _read_jsonl(folder / QUESTIONS)
        questions = [BankQuestion(row["query"], tuple(row["positives"])) for row in question_rows]
        question_texts = tuple(row.get("embedded", "") for row in question_rows)
        current = QUESTION_VECTORS
        question_vectors = np.load(folder / QUESTION_VECTORS, allow_pickle=False)
        current = GLOSSARY
        glossary = tuple(
            GlossaryEntry(row["term"], tuple(row["everyday"])) for row in _read_jsonl(folder / GLOSSARY)
        )
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, EOFError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise IndexDamaged(f"{folder / current}: unreadable ({reason[:160]})") from error
    if vectors.ntotal != len(passages) or len(passages) != manifest.passages:
        raise IndexDamaged(
            f"{folder / VECTORS}: holds {vectors.ntotal} vectors for {len(passages)} passages "
            f"(manifest says {manifest.passages})"
        )
    if vectors.d != manifest.dim:
        raise IndexDamaged(f"{folder / VECTORS}: vectors of size {vectors.d}, manifest says {manifest.dim}")
    _check_tokens(folder, tokens, offsets, manifest)
    if question_vectors.shape != (len(questions), manifest.dim) or len(questions) != manifest.questions:
        raise IndexDamaged(
            f"{folder / QUESTION_VECTORS}: holds {question_vectors.shape}, manifest says "
            f"{manifest.questions} questions of size {manifest.dim}"
        )
    return CorpusIndex(
        folder,
        manifest,
        documents,
        clauses,
        passages,
        vectors,
        tokens,
        offsets,
        questions,
        question_vectors,
        question_texts,
        glossary,
    )


def _check_tokens(folder: Path, tokens: np.ndarray, offsets: np.ndarray, manifest: Manifest) -> None:
    """Refuse token files that do not fit the manifest (a truncated or foreign file)."""
    if tokens.ndim != 2 or tokens.shape != (manifest.tokens, manifest.dim) or tokens.dtype != TOKEN_DTYPE:
        raise IndexDamaged(
            f"{folder / TOKENS}: holds {tokens.dtype} {tokens.shape}, manifest says "
            f"({manifest.tokens}, {manifest.dim}) float16"
        )
    if (
        offsets.ndim != 1
        or offsets.dtype != np.int64
        or len(offsets) != manifest.passages + 1
        or offsets[0] != 0
        or offsets[-1] != manifest.tokens
        or bool(np.any(np.diff(offsets) < 0))
    ):
        raise IndexDamaged(f"{folder / TOKEN_OFFSETS}: offsets do not cover {manifest.passages} passages")


def is_current(
    index_dir: Path, documents: list[Document], model: str, questions_hash: str = "", glossary_hash: str = ""
) -> bool:
    """True when the published index was built from exactly these documents with this model and parser."""
    try:
        manifest = read_manifest(index_dir)
    except (IndexMissing, IndexDamaged):
        return False
    return (
        manifest.model == model
        and manifest.parser_version == PARSER_VERSION
        and manifest.passage_max_chars == MAX_PASSAGE_CHARS
        and manifest.passage_overlap == PASSAGE_OVERLAP_CHARS
        and manifest.format == INDEX_FORMAT
        and manifest.documents == {d.doc_id: d.content_hash for d in documents}
        and manifest.questions_hash == questions_hash
        and manifest.glossary_hash == glossary_hash
        and manifest.catalog_hash == catalog_hash(documents)
    )


def catalog_hash(documents: list[Document]) -> str:
    """A digest of the documents' catalog metadata: an edited title or issuer is shown after the next start
    (a rebuild that re-embeds only the passages whose context changed)."""
    content = json.dumps([d.metadata() for d in documents], ensure_ascii=False, sort_keys=True)
    return hashlib.blake2b(content.encode("utf-8"), digest_size=8).hexdigest()


@contextlib.contextmanager
def _locked(index_dir: Path) -> Iterator[None]:
    """One builder at a time per index folder (other processes wait)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / LOCK).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _previous_index(index_dir: Path, embedder: Embedder) -> CorpusIndex | None:
    """The published index, if it was built by the same model (its vectors can be reused)."""
    try:
        previous = load_index(index_dir, model=embedder.model_name)
    except (IndexMissing, IndexDamaged, IndexMismatch):
        return None
    return previous if previous.manifest.dim == embedder.dim else None


def _reusable_vectors(previous: CorpusIndex | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Vector and token vectors of each passage of the previous index, keyed by content hash."""
    if previous is None:
        return {}
    matrix = previous.vectors.reconstruct_n(0, previous.vectors.ntotal)
    return {
        passage.content_hash: (matrix[row], previous.passage_tokens(row))
        for row, passage in enumerate(previous.passages)
    }


def _reusable_question_vectors(previous: CorpusIndex | None) -> dict[str, np.ndarray]:
    """The vector of each bank question of the previous index, keyed by the text that was embedded."""
    if previous is None or previous.question_vectors is None:
        return {}
    return {
        text: vector
        for text, vector in zip(previous.question_texts, previous.question_vectors, strict=True)
        if text
    }


def _embed_questions(
    questions: list[BankQuestion], places: Gazetteer, embedder: Embedder, known: dict[str, np.ndarray]
) -> tuple[list[str], np.ndarray]:
    """The text embedded for each bank question (places cut, as search does) and its vector, reusing known ones."""
    texts = [for_matching(places.without_names(question.query)) or question.query for question in questions]
    vectors = np.zeros((len(questions), embedder.dim), dtype=np.float32)
    missing = [row for row, text in enumerate(texts) if text not in known]
    for row, text in enumerate(texts):
        if text in known:
            vectors[row] = known[text]
    if missing:
        vectors[missing] = embedder.embed_queries([texts[row] for row in missing])
    return texts, vectors


def parse_corpus(documents: list[Document]) -> list[Clause]:
    """Every clause of every document, in catalog order."""
    return [clause for document in documents for clause in parse_clauses(document.text, document.doc_id)]


def catalog_warnings(documents: list[Document]) -> list[str]:
    """Catalog entries that their document's own header table contradicts (issuer, date, status)."""
    return [
        f"{document.file}: {problem}"
        for document in documents
        for problem in header_conflicts(document.text, document.issuer, document.date, document.status)
    ]


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total, desc="embedding", unit="passage", file=sys.stderr, disable=not enabled or total == 0
    )


def build_index(
    documents_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    rebuild: bool = False,
    show_progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    documents: list[Document] | None = None,
) -> BuildReport:
    """Build or update the index from the documents folder, re-embedding only passages that changed."""
    import faiss

    started = time.perf_counter()
    if documents is None:
        documents = load_catalog(documents_dir)
    with _locked(index_dir):
        clauses = parse_corpus(documents)
        # read before anything is embedded, so that a broken bank or glossary fails at once
        questions = usable_questions(read_bank(documents_dir), {clause.clause_id for clause in clauses})
        glossary = usable_entries(read_glossary(documents_dir), (clause.text for clause in clauses))
        passages = make_passages(clauses, {d.doc_id: d for d in documents})
        previous = None if rebuild else _previous_index(index_dir, embedder)
        known = _reusable_vectors(previous)
        missing = [i for i, p in enumerate(passages) if p.content_hash not in known]
        texts = {i: for_matching(passages[i].embed_text) for i in missing}
        missing.sort(
            key=lambda i: embedder.count_tokens(texts[i])
        )  # similar lengths batch with little padding
        matrix = np.zeros((len(passages), embedder.dim), dtype=np.float32)
        passage_tokens: list[np.ndarray] = [np.zeros((0, embedder.dim), dtype=TOKEN_DTYPE)] * len(passages)
        for row, passage in enumerate(passages):
            if passage.content_hash in known:
                matrix[row], passage_tokens[row] = known[passage.content_hash]
        with _progress_bar(len(missing), show_progress) as bar:
            for offset in range(0, len(missing), EMBED_BATCH):
                rows = missing[offset : offset + EMBED_BATCH]
                vectors, tokens = embedder.embed_passages_with_tokens([texts[i] for i in rows])
                matrix[rows] = vectors
                for row, row_tokens in zip(rows, tokens, strict=True):
                    passage_tokens[row] = row_tokens.astype(TOKEN_DTYPE)
                bar.update(len(rows))
                if on_progress:
                    on_progress(offset + len(rows), len(missing))
        places = Gazetteer.from_regions(document.region for document in documents)
        embedded, question_vectors = _embed_questions(
            questions, places, embedder, _reusable_question_vectors(previous)
        )
        vectors = faiss.IndexFlatIP(embedder.dim)
        vectors.add(matrix)
        token_offsets = np.zeros(len(passages) + 1, dtype=np.int64)
        token_offsets[1:] = np.cumsum([len(tokens) for tokens in passage_tokens])
        token_matrix = (
            np.concatenate(passage_tokens) if passages else np.zeros((0, embedder.dim), dtype=TOKEN_DTYPE)
        )
        manifest = Manifest(
            model=embedder.model_name,
            dim=embedder.dim,
            parser_version=PARSER_VERSION,
            passage_max_chars=MAX_PASSAGE_CHARS,
            passage_overlap=PASSAGE_OVERLAP_CHARS,
            documents={d.doc_id: d.content_hash for d in documents},
            passages=len(passages),
            tokens=len(token_matrix),
            questions=len(questions),
            questions_hash=bank_hash(documents_dir),
            glossary_hash=glossary_hash(documents_dir),
            catalog_hash=catalog_hash(documents),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        folder = _publish(
            index_dir,
            manifest,
            documents,
            clauses,
            passages,
            vectors,
            (token_matrix, token_offsets),
            (questions, embedded, question_vectors),
            glossary,
        )
    return BuildReport(
        folder=folder,
        documents=len(documents),
        clauses=len(clauses),
        passages=len(passages),
        embedded=len(missing),
        reused=len(passages) - len(missing),
        seconds=time.perf_counter() - started,
    )


def _publish(index_dir, manifest, documents, clauses, passages, vectors, tokens, questions, glossary) -> Path:
    """Write a new build folder, then switch the pointer to it in one atomic rename."""
    import faiss

    name = f"build-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    staging = index_dir / f".{name}.tmp"
    staging.mkdir(parents=True)
    try:
        (staging / DOCUMENTS).write_text(
            json.dumps([asdict(d) for d in documents], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        _write_jsonl(staging / CLAUSES, [asdict(c) for c in clauses])
        _write_jsonl(staging / PASSAGES, [p.to_json() for p in passages])
        faiss.write_index(vectors, str(staging / VECTORS))
        token_matrix, token_offsets = tokens
        np.save(staging / TOKENS, token_matrix, allow_pickle=False)
        np.save(staging / TOKEN_OFFSETS, token_offsets, allow_pickle=False)
        bank, embedded, question_vectors = questions
        _write_jsonl(
            staging / QUESTIONS,
            [{**question.to_json(), "embedded": text} for question, text in zip(bank, embedded, strict=True)],
        )
        np.save(staging / QUESTION_VECTORS, question_vectors, allow_pickle=False)
        _write_jsonl(staging / GLOSSARY, [entry.to_json() for entry in glossary])
        (staging / MANIFEST).write_text(
            json.dumps(dataclasses.asdict(manifest), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        staging.rename(index_dir / name)
        pointer_tmp = index_dir / f".{POINTER}.{uuid.uuid4().hex[:8]}"
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        pointer_tmp.replace(index_dir / POINTER)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for old in index_dir.glob("build-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    for stale in index_dir.glob(".build-*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    return index_dir / name
