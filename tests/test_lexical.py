"""BM25 tokens: simplified, domain terms kept whole, stop words dropped."""

from assistant.lexical import Bm25Index, add_terms, domain_terms, tokenize


def test_domain_terms_are_the_quoted_phrases_of_the_corpus(corpus_documents):
    terms = domain_terms(d.text for d in corpus_documents)
    assert {"双随机、一公开", "专精特新", "卡脖子", "青字号"} <= terms
    assert all(2 <= len(term) <= 12 for term in terms)


def test_a_domain_term_stays_one_token():
    add_terms({"一县一策"})
    assert "一县一策" in tokenize("优化“一县一策”体系")


def test_traditional_text_tokenizes_like_simplified():
    assert tokenize("完善計量測試服務體系") == tokenize("完善计量测试服务体系")


def test_question_words_are_dropped():
    assert not {"怎么", "什么", "的"} & set(tokenize("广州的计量有什么安排，怎么做"))


def test_bm25_scores_the_text_that_shares_words_highest():
    index = Bm25Index(["提升旅游服务质量", "完善计量测试服务体系", "加强食品安全监管"])
    scores = index.scores("计量测试")
    assert scores.argmax() == 1 and scores[0] == 0
