"""政策条款检索助手: clause search over Chinese policy documents."""

from .clauses import Clause, parse_clauses
from .compare import Comparison, RegionRow, compare_regions
from .config import PACKAGE_VERSION as __version__
from .config import Config
from .conversation import Turn, resolve_turn
from .documents import Document, find_document, load_catalog
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
from .library import DocumentDraft, add_document, delete_document, guess_metadata, read_upload
from .passages import Passage, make_passages
from .precedent import PrecedentResult, find_precedents, to_docx, to_markdown
from .search import RETRIEVER_MODES, Hit, Searcher, SearchResult, open_searcher
from .targets import Target, extract_targets
from .workspace import Workspace

__all__ = [
    "RETRIEVER_MODES",
    "AssistantError",
    "BuildReport",
    "Clause",
    "Comparison",
    "Config",
    "CorpusIndex",
    "Document",
    "DocumentDraft",
    "DocumentError",
    "Hit",
    "IndexDamaged",
    "IndexMismatch",
    "IndexMissing",
    "IndexProblem",
    "Manifest",
    "ModelError",
    "Passage",
    "PrecedentResult",
    "QueryError",
    "RegionRow",
    "SearchResult",
    "Searcher",
    "Target",
    "Turn",
    "Workspace",
    "__version__",
    "add_document",
    "build_index",
    "compare_regions",
    "delete_document",
    "extract_targets",
    "find_document",
    "find_precedents",
    "guess_metadata",
    "load_catalog",
    "load_index",
    "make_passages",
    "open_searcher",
    "parse_clauses",
    "read_upload",
    "resolve_turn",
    "to_docx",
    "to_markdown",
]
