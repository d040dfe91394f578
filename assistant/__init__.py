"""政策条款检索助手: clause search over Chinese policy documents."""

from .clauses import Clause, parse_clauses
from .config import PACKAGE_VERSION as __version__
from .config import Config
from .documents import Document, load_catalog
from .errors import (
    AssistantError,
    DocumentError,
    IndexDamaged,
    IndexMismatch,
    IndexMissing,
    IndexProblem,
    ModelError,
    QueryError,
)
from .index import BuildReport, CorpusIndex, Manifest, build_index, load_index
from .passages import Passage, make_passages
from .search import RETRIEVER_MODES, Hit, Searcher, SearchResult, open_searcher

__all__ = [
    "RETRIEVER_MODES",
    "AssistantError",
    "BuildReport",
    "Clause",
    "Config",
    "CorpusIndex",
    "Document",
    "DocumentError",
    "Hit",
    "IndexDamaged",
    "IndexMismatch",
    "IndexMissing",
    "IndexProblem",
    "Manifest",
    "ModelError",
    "Passage",
    "QueryError",
    "SearchResult",
    "Searcher",
    "__version__",
    "build_index",
    "load_catalog",
    "load_index",
    "make_passages",
    "open_searcher",
    "parse_clauses",
]
