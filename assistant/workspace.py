"""The corpus as a running app serves it: one shared searcher, swapped whole when staff add or delete documents."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .config import Config
from .documents import CATALOG_NAME, Document
from .errors import DocumentError
from .search import Searcher


class Workspace:
    """Holds the current searcher; changes to the documents rebuild the index and swap the searcher atomically.

    Readers take `workspace.searcher` once per request and use it to the end, so a swap never mixes two
    indexes inside one answer. A failed add leaves the catalog, the documents folder and the index as they were.
    """

    def __init__(self, searcher: Searcher, config: Config | None = None) -> None:
        self._searcher = searcher
        self._config = config
        self._lock = threading.Lock()

    @property
    def searcher(self) -> Searcher:
        """The searcher for the current corpus."""
        return self._searcher

    @property
    def config(self) -> Config | None:
        """Where the documents and the index live (None for a read-only workspace)."""
        return self._config

    @property
    def editable(self) -> bool:
        """Whether documents can be added and deleted (a workspace opened on a configuration)."""
        return self._config is not None

    def _require_config(self) -> Config:
        if self._config is None:
            raise DocumentError("this app was started without a documents folder; adding documents is off")
        return self._config

    def _reindex(self, on_progress: Callable[[int, int], None] | None) -> Searcher:
        from .index import build_index, load_index

        config = self._require_config()
        embedder = self._searcher.embedder
        build_index(config.documents_dir, config.index_dir, embedder, on_progress=on_progress)
        return Searcher(load_index(config.index_dir, model=embedder.model_name), embedder)

    def add(
        self,
        filename: str,
        data: bytes,
        metadata,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Document:
        """Add an uploaded document, index it, and make it searchable; on any failure nothing changes."""
        from .library import add_document, restore_catalog

        config = self._require_config()
        with self._lock:
            catalog = config.documents_dir / CATALOG_NAME
            snapshot = catalog.read_bytes()
            document = add_document(config.documents_dir, filename, data, metadata)
            try:
                searcher = self._reindex(on_progress)
            except BaseException:
                restore_catalog(config.documents_dir, snapshot)
                (config.documents_dir / document.file).unlink(missing_ok=True)
                raise
            self._searcher = searcher
            return document

    def delete(self, doc_id: str, on_progress: Callable[[int, int], None] | None = None) -> None:
        """Remove a document from the catalog and the index."""
        from .library import delete_document, restore_catalog

        config = self._require_config()
        with self._lock:
            catalog = config.documents_dir / CATALOG_NAME
            snapshot = catalog.read_bytes()
            removed = next((d for d in self._searcher.documents if d.doc_id == doc_id), None)
            kept_text = (config.documents_dir / removed.file).read_bytes() if removed else None
            delete_document(config.documents_dir, doc_id)
            try:
                self._searcher = self._reindex(on_progress)
            except BaseException:
                restore_catalog(config.documents_dir, snapshot)
                if removed is not None and kept_text is not None:
                    (config.documents_dir / removed.file).write_bytes(kept_text)
                raise
