"""The LangChain retriever returns whole clauses with their source."""

from langchain_core.retrievers import BaseRetriever

from assistant.retriever import ClauseRetriever


def test_retriever_returns_clauses_with_source_metadata(hashing_searcher):
    retriever = ClauseRetriever(searcher=hashing_searcher, top_k=3, region="广东省")
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("征求意见的联系电话")
    assert len(documents) == 3
    for document in documents:
        assert document.metadata["region"].startswith("广东省")
        assert document.metadata["citation"].startswith("《")
        assert document.page_content == hashing_searcher.index.clause_by_id[document.id].text
    assert [d.metadata["rank"] for d in documents] == [1, 2, 3]
