"""The question bank: everyday questions written for the corpus's clauses, which a user's question is matched with.

Staff ask in their own words (「手头缺钱，能从银行借到钱吗？」) while the documents speak policy (质量贷、普惠金融).
Comparing a question with the clauses bridges only part of that gap; comparing it with other *questions* is like
with like, where the encoder is at its best. So, as FAQ retrieval and doc2query do, the corpus carries questions
people wrote for its clauses (`documents/questions.jsonl`): one JSON object a line, the question and the ids of
every clause, in any document, that answers it:

    {"query": "企业想买新设备提高质量，银行能给专门的贷款吗？", "positives": ["yuyang:三.（四）.2", "guangzhou:二.（八）.1"]}

The index embeds them with the question prompt; search lifts the clauses whose questions come close to the
user's (``Searcher``, signal ``question``). The bank is written from the documents alone and never from the
evaluation's gold set. A clause without questions (a document added later) is simply not lifted.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .documents import file_digest, json_lines
from .errors import DocumentError

QUESTIONS_NAME = "questions.jsonl"


@dataclass(frozen=True)
class BankQuestion:
    """A question of the bank and the clauses that answer it."""

    query: str
    positives: tuple[str, ...]

    def to_json(self) -> dict:
        """The bank line of this question."""
        return {"query": self.query, "positives": list(self.positives)}


def bank_path(documents_dir: Path) -> Path:
    """Where a documents folder keeps its question bank."""
    return Path(documents_dir) / QUESTIONS_NAME


def bank_hash(documents_dir: Path) -> str:
    """A digest of the bank file ('' when the folder has none), so the index knows when it changed."""
    return file_digest(bank_path(documents_dir))


def read_bank(documents_dir: Path) -> list[BankQuestion]:
    """Every question of the bank (none when the folder has no bank); a malformed line is an error naming it."""
    path = bank_path(documents_dir)
    questions = []
    for number, entry in json_lines(path, "question"):
        query, positives = entry.get("query"), entry.get("positives")
        if (
            not isinstance(query, str)
            or not query.strip()
            or not isinstance(positives, list)
            or not positives
        ):
            raise DocumentError(
                f"{path}:{number}: a question needs a non-empty query and a list of positives"
            )
        questions.append(BankQuestion(query.strip(), tuple(str(p) for p in positives)))
    return questions


def usable_questions(questions: Iterable[BankQuestion], clause_ids: set[str]) -> list[BankQuestion]:
    """The questions with their positives cut to the clauses the corpus has; a clause id that no longer
    exists (its document was edited) is left out, and said once on stderr."""
    usable, unknown = [], set()
    for question in questions:
        known = tuple(p for p in question.positives if p in clause_ids)
        unknown.update(p for p in question.positives if p not in clause_ids)
        if known:
            usable.append(BankQuestion(question.query, known))
    if unknown:
        shown = "、".join(sorted(unknown)[:5]) + (" …" if len(unknown) > 5 else "")
        print(
            f"warning: the question bank names {len(unknown)} clauses the corpus lacks ({shown})",
            file=sys.stderr,
        )
    return usable
