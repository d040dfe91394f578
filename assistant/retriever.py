"""A LangChain retriever over the clause search, so the assistant plugs into LangChain pipelines."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .search import Searcher


class ClauseRetriever(BaseRetriever):
    """Returns the best clauses for a query as LangChain Documents, with the clause's source as metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    top_k: int = 5
    region: str | None = None
    document: str | None = None
    status: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[LangChainDocument]:
        result = self.searcher.search(
            query,
            region=kwargs.get("region", self.region),
            document=kwargs.get("document", self.document),
            status=kwargs.get("status", self.status),
            top_k=kwargs.get("top_k", self.top_k),
        )
        documents = []
        for rank, hit in enumerate(result.hits, start=1):
            metadata = hit.to_json(rank)
            text = metadata.pop("text")
            metadata["heading_path"] = list(hit.clause.heading_path)
            documents.append(LangChainDocument(page_content=text, metadata=metadata, id=hit.clause.clause_id))
        return documents
