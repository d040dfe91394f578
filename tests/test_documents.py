"""The catalog and reading documents in the encodings Chinese offices use."""

import json

import pytest

from assistant.documents import decode_text, find_document, load_catalog
from assistant.errors import DocumentError


def test_catalog_lists_the_five_seed_documents_with_metadata(corpus_documents):
    by_id = {d.doc_id: d for d in corpus_documents}
    assert set(by_id) == {"qinghai", "yuyang", "guangzhou", "guizhou", "shanwei"}
    assert by_id["guangzhou"].region == "广东省广州市" and by_id["guangzhou"].is_draft
    assert by_id["shanwei"].is_draft and by_id["shanwei"].date == "2023-09-26"
    assert by_id["yuyang"].issuer == "榆林市榆阳区人民政府办公室" and by_id["yuyang"].date == "2024-05-07"
    assert not by_id["guizhou"].is_draft and by_id["guizhou"].date is None


def test_unknown_facts_are_null_never_guessed(corpus_documents):
    qinghai = next(d for d in corpus_documents if d.doc_id == "qinghai")
    assert qinghai.title is None and qinghai.issuer is None and qinghai.date is None
    assert qinghai.display_title  # the descriptive name stands in for display
    assert qinghai.script == "traditional"


def test_documents_are_the_verbatim_seed_texts(corpus_documents):
    guizhou = next(d for d in corpus_documents if d.doc_id == "guizhou")
    assert guizhou.text.startswith("当前位置: 主页 > 国际国内")
    assert len(guizhou.content_hash) == 64


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5"])
def test_decode_common_chinese_encodings(encoding):
    text = "（一）提高质量。質量" if encoding == "big5" else "（一）提高质量。营造公平竞争的营商环境"
    if encoding == "big5":
        text = "（一）提高質量。營造公平競爭"
    assert decode_text(text.encode(encoding)) == text


def test_binary_file_is_refused_with_its_name():
    with pytest.raises(DocumentError, match=r"upload\.bin: looks like a binary file"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "upload.bin")


def test_bad_catalog_is_one_clear_error(tmp_path):
    (tmp_path / "catalog.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"catalog\.json: not a valid catalog"):
        load_catalog(tmp_path)
    (tmp_path / "catalog.json").write_text(
        json.dumps({"documents": [{"id": "a", "file": "a.txt", "region": "贵州省", "status": "final"}]}),
        encoding="utf-8",
    )
    with pytest.raises(DocumentError, match="status must be one of"):
        load_catalog(tmp_path)
    with pytest.raises(DocumentError, match="catalog not found"):
        load_catalog(tmp_path / "missing")


@pytest.mark.parametrize(
    "name",
    [
        "yuyang",
        "YuYang",
        "yuyang.txt",
        "001_28807bd3d165b8d1.txt",  # the seed file the text came from, as a query file written from the seeds names it
        "001_28807bd3d165b8d1",
        " 榆阳区关于贯彻落实《质量强国建设纲要》的实施意见 ",
    ],
)
def test_a_document_is_found_by_its_id_file_source_or_title(corpus_documents, name):
    assert find_document(corpus_documents, name).doc_id == "yuyang"


def test_a_name_two_documents_share_finds_neither_but_an_id_wins(corpus_documents):
    from dataclasses import replace

    twin = replace(corpus_documents[0], doc_id="qinghai-copy", file="qinghai-copy.txt")
    assert find_document([*corpus_documents, twin], corpus_documents[0].name) is None  # same descriptive name
    assert find_document([*corpus_documents, twin], "qinghai").doc_id == "qinghai"
    assert find_document(corpus_documents, "001") is None
