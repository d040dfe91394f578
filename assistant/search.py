"""Search: dense (FAISS) and BM25 retrieval fused per clause, re-ranked by late interaction, with region and
document filters.

The final ranking runs in two stages. The first fuses three cheap signals over every clause: dense cosine of
the question with the clause's windows and with its single sentences (FAISS), and BM25. The best clauses then
are re-ranked by *late interaction* with the same encoder: each word token of the question is matched with its
most similar token of a passage, and the passage scores the mean of those best matches (MaxSim, as in ColBERT).
A pooled vector blurs a question into one topic; token matching keeps 山寨货 → 仿冒 and 跑腿 → 一网通办 apart
from the rest of the sentence.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from html import escape

import numpy as np

from .clauses import Clause
from .config import Config
from .documents import Document, find_document, load_catalog
from .embedding import Embedder, load_embedder
from .errors import IndexDamaged, IndexMismatch, IndexMissing, QueryError
from .glossary import everyday_words, glossary_hash
from .index import CorpusIndex, build_index, is_current, load_index
from .lexical import Bm25Index, add_terms, domain_terms
from .normalize import for_matching
from .passages import WINDOW, Passage
from .questions import bank_hash
from .regions import Gazetteer, region_matches

RETRIEVER_MODES = ("bm25", "dense", "hybrid", "late", "final")
MAX_QUERY_CHARS = 2000
RRF_K = 60
QUERY_CACHE_SIZE = 256
# Weights of the final fusion of min-max scaled clause scores, chosen on the development half of the gold set.
FUSION_WEIGHTS = {"window": 0.3, "sentence": 0.3, "bm25": 0.4}
# The second stage: this many of the first stage's best clauses (of the whole corpus, and within the filters
# when there are any) are re-ranked by late interaction.
RERANK_CANDIDATES = 64
# Weights of the re-ranking, each signal min-max scaled over the whole corpus's candidates, chosen on the
# development half of the gold set: late interaction over windows and over sentences, dense windows, BM25. The
# best sentence weighs more than the best window: a sentence that answers the question beats a long clause whose
# windows touch many topics (消费, 品牌, 质量 …) and so match a little of every question.
RERANK_WEIGHTS = {"late_window": 0.3, "late_sentence": 0.4, "window": 0.1, "bm25": 0.2, "question": 0.2}
# The question signal of the re-ranking: a clause scores by how far its closest bank question (questions.py)
# comes above this quantile of the question's similarities over the whole bank, so only the bank's closest 1%
# count; clauses without such a question score 0. Like with like: 「手头缺钱，能从银行借到钱吗？」 meets
# 「银行能给专门的贷款吗？」 where the clause says 质量贷. The bank's questions are embedded with place names cut
# (two questions about 广州 are not alike for naming it), and a question that names a place does without the
# bank: it is narrowed to that region's clauses (REGION_HINT_MAX_CHARS), and cutting the name from it too would
# cost a second pass through the encoder.
QUESTION_LIFT_QUANTILE = 0.99
# The bank holds questions, and a pasted paragraph (a drafter looking for precedents) is not one: its closest bank
# questions share its topic words only, so a text longer than this does without the bank (development half:
# precedent paragraphs 0.949 → 0.964 nDCG@10; no question of the other types is this long).
QUESTION_BANK_MAX_CHARS = 60
# Pseudo-relevance feedback in late interaction (as ColBERT-PRF): the re-ranked best clause's tokens that match the
# question best (but are not the question's own words) join the question's tokens, each at this weight, and the
# candidates are scored again. A question in everyday words so borrows the document's wording for the other
# regions: 「买到有毛病的产品，厂家会不会统一收回」 picks up 缺陷、召回 from the first clause that answers it.
FEEDBACK_TOKENS = 8
# Weight 0.6 before the encoder adapter, which already moves everyday words toward the documents' own.
FEEDBACK_WEIGHT = 0.3
FEEDBACK_DUPLICATE = 0.97  # a clause token this close to a question token is the question's own word
FEEDBACK_CANDIDATES = 24  # the re-ranking's best that are scored again with the feedback tokens
# The app's BM25 adds, at this weight, the BM25 of each window's second field: the everyday words the glossary
# gives for the policy terms the window holds (glossary.py). 1.0, the weight of the window's own text, was the
# development half's best of 0.3 / 0.5 / 1.0 / 1.5.
EVERYDAY_WEIGHT = 1.0
REGION_HINT_MAX_CHARS = 60  # a place named in a short question narrows it; a pasted draft is not narrowed
# A region's best clause answers a question when it scores at least this share of the best region's clause. A
# question that neither names a place nor filters is asked of every region's document alike, so those clauses come
# first, then the rest by score; a comparison shows them and calls the other regions silent on the topic.
REGION_ANSWER_RATIO = 0.6
# A question that asks for a comparison across places (「各地对药品质量安全是怎么要求的」, 「几个地方的质量奖有什么不
# 同」) wants every region side by side, the weak ones too: each region's best clause comes first, whatever its share.
COMPARISON_QUESTION = re.compile(
    r"各地|各个地方|几个地方|不同地方|不同地区|哪些地方|哪些地区|各地区|各省市|对比|比较|异同|有什么不同|有何不同|"
    r"有什么区别|有何区别|有什么差别"
)
# Questions about a document itself (its comment deadline, contacts, who issued it to whom) are answered by the
# notice around the policy, not by the policy's clauses: such questions lift notice, signature and title clauses.
DOCUMENT_QUESTION = re.compile(
    r"征求意见|意见稿.*(截止|反馈|提交|提出)|截止|反馈意见|提意见|提出意见|联系电话|联系人|邮箱|电子邮件|邮寄|寄到|"
    r"通信地址|发给哪些|印发|下发|主送|发文|落款|签发|发布日期|什么时候发布|哪天发布|谁发布|谁起草|牵头起草"
)
DOCUMENT_KINDS = ("notice", "signature", "title")
# A question that asks for one kind of fact (a deadline, a date, an e-mail address, a telephone number, a postal
# address, the units a document is sent to) lifts the clauses that state a fact of that kind: answer-type
# matching, as question-answering systems do. Each entry: what the question asks, what the clause states.
ANSWER_TYPES = {
    "deadline": (
        r"截止|截至|到什么时候|到几号|到哪天|期限",
        r"(截止|截至)[^。]{0,16}\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日(前|之前|以前)",
    ),
    "date": (r"哪天|哪一天|几号|日期|什么时候|何时|几月几日", r"\d{4}年\d{1,2}月\d{1,2}日"),
    "email": (r"邮箱|电子邮件|电子信箱|邮件地址|e-?mail", r"[\w.-]+@[\w-]+\.[\w.]+"),
    "phone": (r"电话|号码|联系方式", r"\d{3,4}-\d{7,8}|(?<!\d)1\d{10}(?!\d)"),
    "address": (r"地址|寄到|寄往|寄信|邮寄|寄给", r"(路|街|道|巷)[^。,，;；]{0,10}\d+号|地址[:：]"),
    "addressee": (r"发给|主送|印发给|下发给|哪些单位|发至", r"(?m)^\s*各[^。\n]{2,80}[:：]\s*$"),
}
# Clause-title matching: a question that repeats a phrase of a clause's own title — a run of TITLE_PHRASE_CHARS
# characters that few clauses use at all, so 「质量提升」 (31 clauses) does not count — names that clause's topic in
# the documents' own words (「广州对生产性服务业的质量提升有什么安排」 and the title 「推动生产性服务高端化专业化发展」),
# and the clause is lifted a little.
TITLE_PHRASE_CHARS = 4
TITLE_PHRASE_MAX_CLAUSES = 5  # no more clauses than the corpus has documents
TITLE_PHRASE_BOOST = 0.05
DOCUMENT_QUESTION_BOOST = 0.2  # in units of the fused score's [0, 1] scale; chosen on the development half
ANSWER_TYPE_BOOST = 0.2  # in the same units
STATUS_LABELS = {"draft": "征求意见稿", "effective": "有效"}


_ADDRESS_PARTS = (
    (re.compile(r"[一二三四五六七八九十百零〇两]+"), "{}、"),
    (re.compile(r"\d+"), "{}."),
    (re.compile(r"表(\d+)"), "表第{}行"),
    (re.compile(r"表头"), "表头"),
    (re.compile(r"目标(\d+)"), "目标{}"),
    (re.compile(r"段(\d+)"), "第{}段"),
    (re.compile(r"通知"), "通知"),
    (re.compile(r"序"), "序言"),
)


def readable_address(address: str) -> str:
    """An address as a reader cites it: 二.专栏1.表7 → 二、专栏1表第7行; 三.（一）.专栏2.3 → 三、（一）专栏2第3条."""
    pieces: list[str] = []
    previous = ""
    for part in address.split("#")[0].split("."):
        if part.isdigit() and previous.startswith("专栏"):
            pieces.append(f"第{part}条")  # the Nth —— action line of a box
            previous = part
            continue
        if part.isdigit() and previous == "通知":
            pieces.append(f"第{part}段")
            previous = part
            continue
        previous = part
        for pattern, form in _ADDRESS_PARTS:
            match = pattern.fullmatch(part)
            if match:
                pieces.append(form.format(*(match.groups() or (part,))))
                break
        else:
            pieces.append(part)  # （三）, 专栏2, 注, 署名, 标题 read as they are
    return "".join(pieces)


def citation(clause: Clause, document: Document) -> str:
    """A citation to paste into a draft, e.g. 《…实施方案（征求意见稿）》二、（三）1."""
    title = document.display_title.replace("《", "〈").replace("》", "〉")  # nested title marks
    return f"《{title}》{clause.label or readable_address(clause.address)}"


def clause_record(clause: Clause, document: Document) -> dict:
    """A clause with its source, as the JSON object of `clauses --json` (INTERFACES.md)."""
    return {
        "clause_id": clause.clause_id,
        "doc_id": document.doc_id,
        "doc_title": document.display_title,
        "region": document.region,
        "issuer": document.issuer,
        "date": document.date,
        "status": document.status,
        "section": clause.section,
        "text": clause.text,
        "kind": clause.kind,
        "title": clause.title,
        "address": clause.address,
        "label": clause.label,
        "heading_path": list(clause.heading_path),
        "units": list(clause.units),
        "start": clause.start,
        "end": clause.end,
        "citation": citation(clause, document),
    }


@dataclass(frozen=True)
class Hit:
    """One clause found for a query, with its source and the passage that matched best."""

    clause: Clause
    document: Document
    score: float
    passage: Passage

    @property
    def citation(self) -> str:
        """A citation to paste into a draft."""
        return citation(self.clause, self.document)

    def to_json(self, rank: int) -> dict:
        """The run-file / --json result object (INTERFACES.md)."""
        record = clause_record(self.clause, self.document)
        return {
            "rank": rank,
            "score": round(float(self.score), 6),
            **record,
            "passage": self.passage.body,
        }

    def highlighted_html(self) -> str:
        """The clause text, HTML-escaped, with the best passage wrapped in <mark>."""
        text, start, end = self.clause.text, self.passage.start, self.passage.end
        if start == 0 and end == len(text):
            return escape(text)
        return f"{escape(text[:start])}<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"


@dataclass(frozen=True)
class _QuestionRules:
    """What a question's wording says about the clauses it wants (see ``Searcher._question_rules``)."""

    lift: np.ndarray  # added to each clause's score: notice and answer-type questions, title phrases
    named: np.ndarray | None  # the clauses of the regions a short question names, if it names any
    places: tuple[str, ...] = ()  # those regions' paths
    compares: bool = False  # the question asks how places compare (COMPARISON_QUESTION)


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query: hits best first, and notices for the user (e.g. a truncated query)."""

    query: str
    filters: dict
    hits: list[Hit]
    notices: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        """The `search --json` object (INTERFACES.md)."""
        return {
            "query": self.query,
            "filters": self.filters,
            "results": [hit.to_json(rank) for rank, hit in enumerate(self.hits, start=1)],
            "notices": list(self.notices),
        }


def clean_query(query: str) -> tuple[str, tuple[str, ...]]:
    """Strip a query and cut an over-long one, saying so; refuse an empty one."""
    if query is None or not str(query).strip():
        raise QueryError("请输入要查询的问题或段落（查询为空）")
    query = str(query).replace("\x00", "").strip()
    if len(query) > MAX_QUERY_CHARS:
        notice = f"查询过长（{len(query)} 字），只使用了前 {MAX_QUERY_CHARS} 字"
        return query[:MAX_QUERY_CHARS], (notice,)
    return query, ()


def _rrf(*rankings: np.ndarray) -> np.ndarray:
    """Reciprocal-rank fusion of score vectors over the same items (higher is better)."""
    fused = np.zeros(len(rankings[0]), dtype=np.float64)
    for scores in rankings:
        order = np.argsort(-scores, kind="stable")
        ranks = np.empty(len(scores), dtype=np.float64)
        ranks[order] = np.arange(1, len(scores) + 1)
        fused += 1.0 / (RRF_K + ranks)
    return fused


def _unit_scale(scores: np.ndarray) -> np.ndarray:
    """Min-max scale the finite scores to [0, 1]; missing (-inf) scores become 0."""
    return _scale_by(scores, np.ones(len(scores), dtype=bool))


class Searcher:
    """Answers queries over a loaded index; shared read-only by every user of a process."""

    def __init__(self, index: CorpusIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.gazetteer = Gazetteer.from_regions(d.region for d in index.documents.values())
        clause_row = {clause.clause_id: row for row, clause in enumerate(index.clauses)}
        self._passage_clause = np.array([clause_row[p.clause_id] for p in index.passages], dtype=np.int64)
        self._windows = np.array([p.granularity == WINDOW for p in index.passages], dtype=bool)
        self._sentences = ~self._windows
        self._clause_doc = [clause.doc_id for clause in index.clauses]
        self._clause_region = [index.documents[doc_id].region for doc_id in self._clause_doc]
        self._furniture = np.array([clause.is_furniture for clause in index.clauses], dtype=bool)
        self._bare_heading = np.array([clause.is_bare_heading for clause in index.clauses], dtype=bool)
        self._query_vectors: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._about_document = np.array(
            [clause.kind in DOCUMENT_KINDS for clause in index.clauses], dtype=bool
        )
        matching_texts = [for_matching(clause.text) for clause in index.clauses]
        self._answer_types = [
            (
                re.compile(asks, re.IGNORECASE),
                np.array([bool(re.search(states, text)) for text in matching_texts], dtype=bool),
            )
            for asks, states in ANSWER_TYPES.values()
        ]
        self._title_phrases = _title_phrases(index.clauses, matching_texts)
        self._window_rows = np.flatnonzero(self._windows)
        self._sentence_rows = np.flatnonzero(self._sentences)
        self._tokens = _ClauseTokens(index, self._passage_clause)
        add_terms(domain_terms(clause.text for clause in index.clauses if not clause.is_furniture))
        window_texts = [index.passages[row].embed_text for row in self._window_rows]
        self._lexical = Bm25Index(window_texts)
        # A second BM25 field of each window: the everyday words of the glossary terms it holds.
        self._everyday = Bm25Index(everyday_words(window_texts, index.glossary)) if index.glossary else None
        pairs = [
            (number, clause_row[clause_id])
            for number, question in enumerate(index.questions)
            for clause_id in question.positives
            if clause_id in clause_row
        ]
        self._bank_question = np.array([number for number, _ in pairs], dtype=np.int64)
        self._bank_clause = np.array([row for _, row in pairs], dtype=np.int64)
        self._question_vectors = (
            index.question_vectors
            if index.question_vectors is not None and len(pairs)
            else np.zeros((0, index.manifest.dim), dtype=np.float32)
        )

    @property
    def documents(self) -> list[Document]:
        """The indexed documents, in catalog order."""
        return list(self.index.documents.values())

    def resolve_region(self, region: str | None) -> str | None:
        """A region filter as a full path; an unknown region is an error naming the known ones."""
        if region is None or not region.strip():
            return None
        path = self.gazetteer.resolve(region)
        if path is None:
            known = "、".join(self.gazetteer.paths)
            raise QueryError(f"没有“{region.strip()}”的文档；可选地区：{known}")
        return path

    def resolve_document(self, document: str | None) -> str | None:
        """A document filter as a document id: the id, or the file name, title or name of one document (a
        query file written from the seed texts names them by their file); unknown is an error naming the ids."""
        if document is None or not document.strip():
            return None
        found = find_document(self.index.documents.values(), document.strip())
        if found is None:
            raise QueryError(f"没有编号为“{document.strip()}”的文档；可选：{'、'.join(self.index.documents)}")
        return found.doc_id

    def _allowed(self, region: str | None, document: str | None, status: str | None = None) -> np.ndarray:
        """The clauses within the filters; `document` is an id (``resolve_document``), `region` a full path."""
        if status and status not in STATUS_LABELS:
            raise QueryError(f"unknown status {status!r}; choose one of {', '.join(STATUS_LABELS)}")
        allowed_docs = {
            doc_id
            for doc_id, doc in self.index.documents.items()
            if (region is None or region_matches(region, doc.region))
            and (not document or doc_id == document)
            and (not status or doc.status == status)
        }
        return np.array([doc_id in allowed_docs for doc_id in self._clause_doc], dtype=bool)

    def _per_clause(self, passage_scores: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best score per clause over the given passage rows (-inf where a clause has none), and which row."""
        clause_scores = np.full(len(self.index.clauses), -np.inf, dtype=np.float64)
        best_row = np.full(len(self.index.clauses), -1, dtype=np.int64)
        if len(rows):
            scores = passage_scores[rows].astype(np.float64)
            owners = self._passage_clause[rows]
            np.maximum.at(clause_scores, owners, scores)
            order = np.argsort(scores, kind="stable")  # ascending: each clause's best row is written last
            best_row[owners[order]] = rows[order]
        return clause_scores, best_row

    def query_embedding(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The query's vector (1 × dim) and its token vectors (float32); the last few are kept (tokens at half
        precision), since the chat, a comparison (one search per region) and a long draft (one search per piece)
        ask for the same text again."""
        with self._cache_lock:
            embedding = self._query_vectors.get(text)
            if embedding is not None:
                self._query_vectors.move_to_end(text)
        if embedding is None:
            vectors, tokens = self.embedder.embed_queries_with_tokens([text])
            embedding = (vectors, tokens[0].astype(np.float16))
            with self._cache_lock:
                self._query_vectors[text] = embedding
                while len(self._query_vectors) > QUERY_CACHE_SIZE:
                    self._query_vectors.popitem(last=False)
        vector, tokens = embedding
        return vector, tokens.astype(np.float32)

    def clear_query_cache(self) -> None:
        """Forget cached query embeddings (benchmarks time the model, not the cache)."""
        with self._cache_lock:
            self._query_vectors.clear()

    def _dense_scores(self, text: str) -> np.ndarray:
        vector, _ = self.query_embedding(text)
        total = self.index.vectors.ntotal
        scores, rows = self.index.vectors.search(vector, total)
        dense = np.empty(total, dtype=np.float32)
        dense[rows[0]] = scores[0]
        return dense

    def _question_scores(self, text: str) -> np.ndarray:
        """Each clause's lift from the question bank: its closest question's cosine with the user's question
        above QUESTION_LIFT_QUANTILE of the bank's (0 for clauses without questions, or with none above it)."""
        scores = np.zeros(len(self.index.clauses), dtype=np.float64)
        if not len(self._question_vectors):
            return scores
        vector, _ = self.query_embedding(text)
        similarity = (self._question_vectors @ vector[0]).astype(np.float64)
        lift = np.maximum(similarity - np.quantile(similarity, QUESTION_LIFT_QUANTILE), 0.0)
        np.maximum.at(scores, self._bank_clause, lift[self._bank_question])
        return scores

    def _lexical_scores(self, text: str, everyday: bool = False) -> np.ndarray:
        """BM25 of each window (0 for sentences); with `everyday`, plus the glossary field at EVERYDAY_WEIGHT
        (the app's BM25; the single-stage modes keep the usual recipe's)."""
        scores = np.zeros(len(self.index.passages), dtype=np.float32)
        scores[self._window_rows] = self._lexical.scores(text)
        if everyday and self._everyday is not None:
            scores[self._window_rows] += EVERYDAY_WEIGHT * self._everyday.scores(text)
        return scores

    def search(
        self,
        query: str,
        region: str | None = None,
        document: str | None = None,
        top_k: int = 10,
        mode: str = "final",
        status: str | None = None,
    ) -> SearchResult:
        """The top clauses for a query, best first, within the region, document and status filters."""
        if mode not in RETRIEVER_MODES:
            raise QueryError(f"unknown retriever mode {mode!r}; choose one of {', '.join(RETRIEVER_MODES)}")
        query, notices = clean_query(query)
        top_k = max(1, min(int(top_k), 100))
        region_path = self.resolve_region(region)
        document = self.resolve_document(document)
        filters = {
            key: value
            for key, value in (("region", region_path), ("document", document), ("status", status))
            if value
        }
        allowed = self._allowed(region_path, document, status)
        if not self.index.passages:
            return SearchResult(query, filters, [], notices)
        text = for_matching(query)
        if mode == "final":
            clause_scores, best = self._final(query, text, allowed, region_path, document or status)
        else:
            clause_scores, best = self._score(text, mode)
        clause_scores = np.where(allowed, clause_scores, -np.inf)
        order = np.argsort(-clause_scores, kind="stable")
        hits = []
        for row in order[:top_k]:
            if not np.isfinite(clause_scores[row]):
                break
            clause = self.index.clauses[row]
            hits.append(
                Hit(
                    clause=clause,
                    document=self.index.documents[clause.doc_id],
                    score=float(clause_scores[row]),
                    passage=self.index.passages[best[row]],
                )
            )
        return SearchResult(query, filters, hits, notices)

    def _score(self, text: str, mode: str) -> tuple[np.ndarray, np.ndarray]:
        """Clause scores of one single-stage retriever configuration, and each clause's best passage row."""
        windows = self._window_rows
        if mode == "bm25":
            return self._per_clause(self._lexical_scores(text), windows)
        if mode == "late":
            _, query_tokens = self.query_embedding(text)
            late = self._tokens.scores(query_tokens, np.arange(len(self.index.clauses)))
            return self._per_clause(late, np.flatnonzero(np.isfinite(late)))
        dense = self._dense_scores(text)
        window_scores, best_window = self._per_clause(dense, windows)
        if mode == "dense":
            return window_scores, best_window
        lexical_scores, _ = self._per_clause(self._lexical_scores(text), windows)
        return _rrf(window_scores, lexical_scores), best_window  # hybrid

    def _final(
        self, query: str, text: str, allowed: np.ndarray, region: str | None, document: str | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The two-stage ranking of the app: fused dense and BM25 signals, then late-interaction re-ranking."""
        dense = self._dense_scores(text)
        window_scores, best_window = self._per_clause(dense, self._window_rows)
        sentence_scores, best_sentence = self._per_clause(dense, self._sentence_rows)
        lexical_scores, _ = self._per_clause(self._lexical_scores(text, everyday=True), self._window_rows)
        fused = (
            FUSION_WEIGHTS["window"] * _unit_scale(window_scores)
            + FUSION_WEIGHTS["sentence"] * _unit_scale(sentence_scores)
            + FUSION_WEIGHTS["bm25"] * _unit_scale(lexical_scores)
        )
        rules = self._question_rules(query, region, document)
        first = self._final_adjustments(fused, rules)
        best = np.where(best_sentence >= 0, best_sentence, best_window)
        # A question that names a place is narrowed to that region's clauses; there the bank's questions, which
        # name places too, would be alike for the place rather than the topic, so they stay out. So does a pasted
        # paragraph (QUESTION_BANK_MAX_CHARS).
        asks_bank = rules.named is None and len(query) <= QUESTION_BANK_MAX_CHARS
        question_scores = self._question_scores(text) if asks_bank else np.zeros(len(self.index.clauses))
        signals = {"window": window_scores, "bm25": lexical_scores, "question": question_scores}
        scores, best = self._rerank(text, first, best, signals, allowed, rules)
        if region is None and document is None and rules.named is None:
            scores = self._each_region_first(scores, 0.0 if rules.compares else REGION_ANSWER_RATIO)
        elif len(rules.places) > 1:
            scores = self._each_place_first(scores, rules.places)
        return self._headings_last(scores), best

    def _headings_last(self, scores: np.ndarray) -> np.ndarray:
        """Reorder so that bare headings follow every clause with content (page furniture stays last): a
        heading alone tells the user nothing its own clauses do not say better. Only reorders, as
        _each_region_first."""
        order = _finite_order(scores)
        content = [row for row in order if not self._bare_heading[row] and not self._furniture[row]]
        return _bring_forward(scores, order, content + [row for row in order if self._bare_heading[row]])

    def _question_rules(self, query: str, region: str | None, document: str | None) -> _QuestionRules:
        """What the question's wording says about the clauses it wants, worked out once per search."""
        question = for_matching(query)
        lift = np.zeros(len(self.index.clauses))
        if DOCUMENT_QUESTION.search(question):
            lift[self._about_document] += DOCUMENT_QUESTION_BOOST
        for asks, states in self._answer_types:
            if asks.search(question):
                lift[states] += ANSWER_TYPE_BOOST
        titled = np.zeros(len(self.index.clauses), dtype=bool)
        for start in range(len(question) - TITLE_PHRASE_CHARS + 1):
            rows = self._title_phrases.get(question[start : start + TITLE_PHRASE_CHARS])
            if rows is not None:
                titled[rows] = True
        lift[titled] += TITLE_PHRASE_BOOST
        named = self._named_regions(query) if region is None and document is None else []
        compares = bool(COMPARISON_QUESTION.search(question))
        return _QuestionRules(lift, self._allowed_any(named) if named else None, tuple(named), compares)

    def _named_regions(self, query: str) -> list[str]:
        """The corpus regions a short question names (a pasted draft names none: it is not narrowed)."""
        return self.gazetteer.mentions(query) if len(query) <= REGION_HINT_MAX_CHARS else []

    def _each_region_first(self, scores: np.ndarray, share: float) -> np.ndarray:
        """Reorder so that each region's best clause comes first, when it scores at least `share` of the best;
        like the re-ranking, it only reorders and keeps the scores' values."""
        order = _finite_order(scores)
        if not len(order) or scores[order[0]] <= 0:
            return scores
        floor = share * scores[order[0]]
        leaders: dict[str, int] = {}
        for row in order:
            leaders.setdefault(self._clause_region[row], row)
        return _bring_forward(scores, order, [row for row in leaders.values() if scores[row] >= floor])

    def _each_place_first(self, scores: np.ndarray, places: tuple[str, ...]) -> np.ndarray:
        """Reorder so that the best clause of each place a question names comes first: one that names two or
        more (「广州和汕尾的质量奖有什么不同」) sets them side by side. Only reorders, as _each_region_first."""
        order = _finite_order(scores)
        leaders = []
        for place in places:
            row = next((row for row in order if region_matches(place, self._clause_region[row])), None)
            if row is not None and row not in leaders:
                leaders.append(row)
        return _bring_forward(scores, order, sorted(leaders, key=lambda row: -scores[row]))

    def _final_adjustments(
        self, scores: np.ndarray, rules: _QuestionRules, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Page furniture sinks to the bottom; a place named in a short question comes first; a question about
        the document itself, or asking for one kind of fact, lifts the clauses that answer it. `scores` belong
        to the clauses `rows` (default: all)."""
        rows = np.arange(len(self.index.clauses)) if rows is None else rows
        scores = scores + rules.lift[rows]
        span = float(scores.max() - scores.min()) + 1.0
        scores[self._furniture[rows]] -= 2 * span
        if rules.named is not None:
            scores[rules.named[rows]] += span
        return scores

    def _rerank(
        self,
        text: str,
        first: np.ndarray,
        best: np.ndarray,
        signals: dict[str, np.ndarray],
        allowed: np.ndarray,
        rules: _QuestionRules,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Re-rank the first stage's best clauses by late interaction; the rest keep their order below them.

        The candidates are the best of the whole corpus, plus the best within the filters; their signals are
        scaled by the whole corpus's candidates alone, so a filter does not change a clause's signals. The
        re-ranking only reorders: the candidates within the filters take their first-stage scores (scaled over
        the whole corpus), best first, in the new order. Scores so keep their meaning across questions and
        filters (a comparison sets regions side by side by score; precedents leave out regions far below the
        best)."""
        eligible = np.isfinite(first) & ~self._furniture
        pool = _top(np.where(eligible, first, -np.inf), RERANK_CANDIDATES)
        if not len(pool):
            return first, best
        rows = np.union1d(pool, _top(np.where(eligible & allowed, first, -np.inf), RERANK_CANDIDATES))
        _, query_tokens = self.query_embedding(text)
        late = self._tokens.scores(query_tokens, rows)
        in_pool = np.isin(rows, pool)

        def rerank(late: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            late_window, best_window = self._per_clause(late, self._window_rows)
            late_sentence, best_sentence = self._per_clause(late, self._sentence_rows)
            scaled = {**signals, "late_window": late_window, "late_sentence": late_sentence}
            second = np.zeros(len(rows), dtype=np.float64)
            for name, weight in RERANK_WEIGHTS.items():
                second += weight * _scale_by(scaled[name][rows], in_pool)
            second = self._final_adjustments(second, rules, rows)
            return second, best_window, best_sentence

        second, best_window, best_sentence = rerank(late)
        if FEEDBACK_TOKENS:
            # Feedback: the best clause's tokens closest to the question join it, at a lower weight. The best
            # of the whole corpus, so that a filter does not change the feedback.
            top = rows[np.argmax(np.where(in_pool, second, -np.inf))]
            expansion = self._tokens.feedback(query_tokens, top, FEEDBACK_TOKENS)
            if len(expansion):
                # Only the re-ranking's best (of the corpus, and within the filters) are scored again; they
                # reorder among themselves and stay above the other candidates.
                shortlist = np.union1d(
                    _top(np.where(in_pool, second, -np.inf), FEEDBACK_CANDIDATES),
                    _top(np.where(allowed[rows], second, -np.inf), FEEDBACK_CANDIDATES),
                )
                added = self._tokens.scores(expansion, rows[shortlist])
                weight = FEEDBACK_WEIGHT * len(expansion)
                blended = np.where(
                    np.isfinite(added) & np.isfinite(late),
                    (len(query_tokens) * late + weight * added) / (len(query_tokens) + weight),
                    late,
                )
                again, best_window, best_sentence = rerank(blended)
                others = np.ones(len(rows), dtype=bool)
                others[shortlist] = False
                floor = second[others].max() if others.any() else -np.inf
                second = second.copy()
                second[shortlist] = again[shortlist] + max(0.0, floor - again[shortlist].min() + 1e-6)
        shown = allowed[rows]
        rows, second = rows[shown], second[shown]
        scores = first.copy()
        rest = np.isfinite(first) & allowed
        rest[rows] = False
        new_order = rows[np.argsort(-second, kind="stable")]
        scores[new_order] = np.sort(first[rows])[::-1]
        if rest.any() and len(rows):  # everything else keeps its first-stage order, below every candidate
            scores[rest] += min(0.0, scores[rows].min() - first[rest].max() - 1e-6)
        best = best.copy()
        late_best = np.where(best_sentence >= 0, best_sentence, best_window)
        best[rows] = np.where(late_best[rows] >= 0, late_best[rows], best[rows])
        return scores, best

    def _allowed_any(self, regions: list[str]) -> np.ndarray:
        """The clauses of any of the regions."""
        return np.logical_or.reduce([self._allowed(region, None) for region in regions])


def _title_phrases(clauses: list[Clause], texts: list[str]) -> dict[str, np.ndarray]:
    """Each TITLE_PHRASE_CHARS-character run of a clause's title that few clauses use at all (at most
    TITLE_PHRASE_MAX_CLAUSES of the corpus's `texts`, the clauses' texts as matched, hold it), with the rows of
    the clauses whose titles hold it."""
    titled: dict[str, set[int]] = {}
    for row, clause in enumerate(clauses):
        title = for_matching(clause.title or "")
        for start in range(len(title) - TITLE_PHRASE_CHARS + 1):
            titled.setdefault(title[start : start + TITLE_PHRASE_CHARS], set()).add(row)
    return {
        phrase: np.array(sorted(rows), dtype=np.int64)
        for phrase, rows in titled.items()
        if sum(phrase in text for text in texts) <= TITLE_PHRASE_MAX_CLAUSES
    }


def _finite_order(scores: np.ndarray) -> np.ndarray:
    """Rows with a finite score, best first (ties in row order)."""
    order = np.argsort(-scores, kind="stable")
    return order[np.isfinite(scores[order])]


def _bring_forward(scores: np.ndarray, order: np.ndarray, first: list[int]) -> np.ndarray:
    """The scores reassigned so that the rows `first` lead, in their order, then the rest of `order` (rows best
    first); the values stay the same set, so scores keep their meaning."""
    chosen = set(first)
    new_order = np.array(first + [row for row in order if row not in chosen], dtype=np.int64)
    reordered = scores.copy()
    reordered[new_order] = scores[order]
    return reordered


def _top(scores: np.ndarray, count: int) -> np.ndarray:
    """Rows of the `count` highest finite scores."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) <= count:
        return finite
    return finite[np.argpartition(-scores[finite], count - 1)[:count]]


def _scale_by(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Min-max scale values by the finite values at the reference positions; missing (-inf) values become 0."""
    finite = np.isfinite(values)
    known = finite & reference
    if not known.any():
        return np.zeros(len(values))
    low, high = values[known].min(), values[known].max()
    scaled = (values - low) / (high - low) if high > low else np.ones(len(values))
    return np.where(finite, scaled, 0.0)


class _ClauseTokens:
    """The token vectors of the index laid out clause by clause (float32, so a question costs no conversion),
    for late-interaction scoring of clauses.

    The products run in torch's thread pool: with NumPy's BLAS pool competing with torch's for the two cores,
    a search was several times slower."""

    def __init__(self, index: CorpusIndex, passage_clause: np.ndarray) -> None:
        import torch

        order = np.argsort(passage_clause, kind="stable")  # passage rows, grouped by clause
        self._passages = order
        self._lengths = np.diff(index.token_offsets)[order]  # tokens of each passage, in layout order
        per_clause = np.bincount(passage_clause, minlength=len(index.clauses))
        self._clause_start = np.concatenate([[0], np.cumsum(per_clause)])  # layout positions of each clause
        token_start = np.concatenate([[0], np.cumsum(self._lengths)])
        self._clause_token_start = token_start[self._clause_start]  # first token row of each clause
        vectors = np.zeros((int(token_start[-1]), index.manifest.dim), dtype=np.float32)
        for position, row in enumerate(order):
            vectors[token_start[position] : token_start[position + 1]] = index.passage_tokens(row)
        self._vectors = torch.from_numpy(vectors)
        self._total = len(index.passages)

    def feedback(self, query_tokens: np.ndarray, clause_row: int, count: int) -> np.ndarray:
        """The clause's `count` tokens most similar to the query's tokens, leaving out the query's own words."""
        import torch

        block = self._vectors[self._clause_token_start[clause_row] : self._clause_token_start[clause_row + 1]]
        if not len(block) or not len(query_tokens):
            return np.zeros((0, block.shape[1]), dtype=np.float32)
        tokens = block.numpy()
        closest = (block @ torch.from_numpy(query_tokens).T).numpy().max(axis=1)
        candidates = np.flatnonzero(closest < FEEDBACK_DUPLICATE)
        chosen = candidates[np.argsort(-closest[candidates], kind="stable")[:count]]
        return np.ascontiguousarray(tokens[chosen])

    def scores(self, query_tokens: np.ndarray, clause_rows: np.ndarray) -> np.ndarray:
        """MaxSim of the query tokens with every passage of the given clauses: for each query token its best
        cosine among the passage's tokens, averaged. -inf for passages not scored or without tokens."""
        import torch

        scores = np.full(self._total, -np.inf, dtype=np.float32)
        if not len(query_tokens) or not len(clause_rows):
            return scores
        clause_rows = np.sort(clause_rows)
        starts, ends = self._clause_start[clause_rows], self._clause_start[clause_rows + 1]
        positions = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        lengths = self._lengths[positions]
        if not lengths.sum():
            return scores
        query = torch.from_numpy(query_tokens).T
        runs = np.split(clause_rows, np.flatnonzero(np.diff(clause_rows) != 1) + 1)  # neighbouring clauses
        similarities = (
            torch.cat(  # tokens × query tokens; one product per run of neighbours, no token copied
                [
                    self._vectors[self._clause_token_start[run[0]] : self._clause_token_start[run[-1] + 1]]
                    @ query
                    for run in runs
                ]
            )
            .float()
            .numpy()
        )
        scored = lengths > 0
        first_token = (np.cumsum(lengths) - lengths)[scored]  # empty passages take no rows between these
        best = np.maximum.reduceat(similarities, first_token, axis=0)  # passages × query tokens
        scores[self._passages[positions[scored]]] = best.mean(axis=1)
        return scores


def open_searcher(config: Config | None = None, show_progress: bool = False) -> Searcher:
    """Load the model and the index, building or updating the index first when it is missing or stale."""
    config = config or Config.from_env()
    embedder = load_embedder(config)
    documents = load_catalog(config.documents_dir)
    extras = bank_hash(config.documents_dir), glossary_hash(config.documents_dir)
    if not is_current(config.index_dir, documents, embedder.model_name, *extras):
        build_index(
            config.documents_dir, config.index_dir, embedder, show_progress=show_progress, documents=documents
        )
    try:
        index = load_index(config.index_dir, model=embedder.model_name)
    except (IndexDamaged, IndexMissing, IndexMismatch) as problem:
        print(f"warning: {problem}; rebuilding the index", file=sys.stderr)
        build_index(
            config.documents_dir,
            config.index_dir,
            embedder,
            rebuild=True,
            show_progress=show_progress,
            documents=documents,
        )
        index = load_index(config.index_dir, model=embedder.model_name)
    return Searcher(index, embedder)
