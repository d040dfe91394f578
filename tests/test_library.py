"""Staff adding and deleting documents: reading uploads, safe ids, pre-filled metadata, the catalog."""

from __future__ import annotations

import fcntl
import io
import json
import os
import threading
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant import library
from assistant.documents import CATALOG_NAME, load_catalog, read_text
from assistant.errors import DocumentError
from assistant.library import (
    MAX_ID_LENGTH,
    MAX_UPLOAD_BYTES,
    DocumentDraft,
    add_document,
    catalog_snapshot,
    delete_document,
    guess_metadata,
    guess_script,
    read_upload,
    restore_catalog,
    safe_document_id,
)
from tests.conftest import DOCUMENTS_DIR, copy_corpus

SIMPLIFIED = "一、总体要求\n（一）提高产品质量。营造公平竞争的营商环境。"
TRADITIONAL = "一、總體要求\n（一）提高產品質量。營造公平競爭的營商環境。"


# ---------------------------------------------------------------------------------------------------------
# Building uploads in the test


def make_docx(blocks: list) -> bytes:
    """A .docx with paragraphs (str) and tables (list of rows) in the given order."""
    from docx import Document

    document = Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for row, values in zip(table.rows, block, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf(pages: list[bytes], font: bytes | None) -> bytes:
    """A PDF written by hand: one content stream per page, all sharing one font resource /F1."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: bytes = b"") -> bytes:
        return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"

    catalog = add(b"")  # filled in below, once the page tree's number is known
    pages_id = add(b"")
    resources = b""
    if font is not None:
        resources = b"/Resources << /Font << /F1 %d 0 R >> >>" % add(font)
    page_ids = []
    for content in pages:
        content_id = add(stream(content))
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R %s >>"
                % (pages_id, content_id, resources)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    kids = b" ".join(b"%d 0 R" % number for number in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    return _serialise_pdf(objects)


def make_cjk_pdf(text: str) -> bytes:
    """A one-page PDF showing Chinese text through an Identity-H font with a ToUnicode map (no embedding)."""
    codes = {char: index + 1 for index, char in enumerate(dict.fromkeys(text))}
    mapping = b"\n".join(b"<%04X> <%04X>" % (code, ord(char)) for char, code in codes.items())
    cmap = (
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + b"%d beginbfchar\n" % len(codes)
        + mapping
        + b"\nendbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    shown = b"".join(b"%04X" % codes[char] for char in text)
    content = b"BT /F1 12 Tf 72 720 Td <" + shown + b"> Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H"
        b" /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    return _serialise_pdf(objects)


def _serialise_pdf(objects: list[bytes]) -> bytes:
    """Objects numbered from 1, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text_page(*lines: str) -> bytes:
    """A content stream showing ASCII lines one under the other."""
    shown = b" ".join(b"(%s) Tj 0 -16 Td" % line.encode("ascii") for line in lines)
    return b"BT /F1 12 Tf 72 720 Td " + shown + b" ET"


# ---------------------------------------------------------------------------------------------------------
# read_upload


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", SIMPLIFIED),
        ("utf-8-sig", SIMPLIFIED),
        ("gbk", SIMPLIFIED),
        ("gb18030", SIMPLIFIED + "㐀䶮"),  # CJK extension A: four-byte GB18030, not in GBK
        ("big5", TRADITIONAL),
        ("utf-16", SIMPLIFIED),  # Notepad's "Unicode", with its byte-order mark
    ],
)
def test_text_uploads_in_every_common_chinese_encoding(encoding, text):
    assert read_upload("意见.txt", text.encode(encoding)) == text
    assert read_upload("notes.MD", text.encode(encoding)) == text


def test_a_seed_document_saved_as_gbk_with_windows_line_ends_reads_back_verbatim():
    original = read_text(DOCUMENTS_DIR / "shanwei.txt")
    data = original.replace("\n", "\r\n").encode("gb18030")
    assert read_upload("shanwei.txt", data) == original


def test_docx_paragraphs_and_tables_in_reading_order():
    data = make_docx(
        [
            "关于质量强市建设的实施方案",
            "一、总体要求",
            [["指标", "2025年", "属性"], ["制造业产品质量合格率", "94%以上", "预期性"]],
            "二、重点任务",
        ]
    )
    assert read_upload("方案.docx", data).splitlines() == [
        "关于质量强市建设的实施方案",
        "一、总体要求",
        "指标 | 2025年 | 属性",
        "制造业产品质量合格率 | 94%以上 | 预期性",
        "二、重点任务",
    ]


def test_docx_merged_cells_count_once_and_multi_line_cells_stay_on_their_row():
    from docx import Document

    document = Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "专栏1"
    table.cell(0, 2).text = "备注"
    table.cell(1, 0).text = "第一行\n第二行"
    table.cell(1, 1).text = "b"
    table.cell(1, 2).text = "c"
    buffer = io.BytesIO()
    document.save(buffer)
    assert read_upload("t.docx", buffer.getvalue()).splitlines() == ["专栏1 | 备注", "第一行 第二行 | b | c"]


def test_pdf_text_layer_page_by_page():
    data = make_pdf(
        [text_page("Article 1 Quality", "first page"), text_page("Article 2 second page")], HELVETICA
    )
    lines = read_upload("policy.pdf", data).splitlines()
    assert lines == ["Article 1 Quality", "first page", "Article 2 second page"]


def test_pdf_with_chinese_text_through_a_tounicode_map():
    assert read_upload("意见.pdf", make_cjk_pdf("质量强省建设实施意见")).strip() == "质量强省建设实施意见"


def test_html_keeps_visible_text_with_block_line_breaks():
    page = """<!doctype html><html><head><meta charset="gbk"><title>站点标题</title>
    <style>p { color: red }</style><script>var secret = "脚本";</script></head>
    <body><nav><a href="/">首页</a> &gt; <a>政策文件</a></nav>
    <h1>广州市质量强市建设实施方案</h1><div>一、总体要求<br>坚持&nbsp;质量第一。</div>
    <p>（一）<b>指导</b>思想</p>
    <table><tr><th>指标</th><th>目标</th></tr><tr><td>合格率</td><td><p>94%</p></td></tr></table>
    <footer>版权所有 网站标识码</footer><script>track()</script></body></html>"""
    text = read_upload("page.html", page.encode("gbk"))
    assert text.splitlines() == [
        "广州市质量强市建设实施方案",
        "一、总体要求",
        "坚持 质量第一。",
        "（一）指导思想",
        "指标 | 目标",
        "合格率 | 94%",
    ]
    for furniture in ("脚本", "secret", "首页", "color", "站点标题", "版权所有", "track"):
        assert furniture not in text


def test_html_without_a_declared_charset_is_decoded_like_text():
    page = "<html><body><p>營造公平競爭</p></body></html>"
    assert read_upload("page.htm", page.encode("big5")) == "營造公平競爭"


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        (
            "notice.doc",
            b"x",
            r"notice\.doc: unsupported file type \.doc; allowed: \.txt, \.md, \.docx, .*save it as",
        ),
        ("scan.jpg", b"x", r"scan\.jpg: unsupported file type \.jpg; allowed: \.txt, \.md, \.docx, \.pdf"),
        ("README", b"x", r"README: unsupported file type \(no extension\)"),
        ("big.txt", b"a" * (MAX_UPLOAD_BYTES + 1), r"big\.txt: too large \(5\.0 MB\); the limit is 5 MB"),
        ("empty.txt", b"", r"empty\.txt: the file is empty"),
        ("blank.txt", " \r\n\t\u3000\n".encode(), r"blank\.txt: contains no text"),
        ("blank.docx", make_docx(["", "   "]), r"blank\.docx: contains no text"),
        ("menu.html", b"<html><script>x()</script><nav>a</nav></html>", r"menu\.html: contains no text"),
        (
            "photo.txt",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            r"photo\.txt: looks like a PNG image, not text",
        ),
        (
            "report.txt",
            make_pdf([text_page("x")], HELVETICA),
            r"report\.txt: looks like a PDF file, not text",
        ),
        ("blob.txt", b"abc\x00def" * 10, r"blob\.txt: looks like a binary file, not text"),
        ("noise.txt", bytes(range(1, 32)) * 50, r"noise\.txt: looks like a binary file, not text"),
        ("random.docx", b"not a zip at all", r"random\.docx: not a readable \.docx file"),
        ("truncated.docx", make_docx(["x"])[:300], r"truncated\.docx: not a readable \.docx file"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", r"broken\.pdf: not a readable PDF file"),
        ("fake.pdf", b"hello, I am text", r"fake\.pdf: not a readable PDF file"),
        ("scan.pdf", make_pdf([b"0 0 m 100 100 l S"], None), r"scan\.pdf: the PDF has no text layer"),
    ],
)
def test_bad_uploads_are_refused_with_a_one_line_message_naming_the_file(filename, data, message):
    with pytest.raises(DocumentError, match=message) as raised:
        read_upload(filename, data)
    assert "\n" not in str(raised.value)


def test_a_zip_without_a_word_document_is_not_a_docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(DocumentError, match=r"x\.docx: not a readable \.docx file"):
        read_upload("x.docx", buffer.getvalue())


def test_refusals_name_the_file_without_its_folders_or_control_characters():
    with pytest.raises(DocumentError, match=r"^evil\?name\.exe: unsupported"):
        read_upload("C:\\Users\\x/../evil\x07name.exe", b"x")


# ---------------------------------------------------------------------------------------------------------
# safe_document_id


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("Guangzhou Plan 2023.docx", "guangzhou-plan-2023"),
        ("yuyang.txt", "yuyang"),
        ("../../etc/passwd", "passwd"),
        ("..\\evil.txt", "evil"),
        (".hidden", "hidden"),
        ("..", None),
        ("con", "doc-con"),
        ("COM1.txt", "doc-com1"),
        ("a\x00b.txt", "a-b"),
        ("--rm -rf.txt", "rm-rf"),
        ("质量强市建设方案.docx", None),
        ("广州2023方案.pdf", None),
        ("质量-guangzhou.txt", "guangzhou"),
        ("ｆｕｌｌｗｉｄｔｈ.txt", "fullwidth"),
    ],
)
def test_safe_ids_for_hostile_and_chinese_names(filename, expected):
    doc_id = safe_document_id(filename, set())
    if expected is None:
        assert doc_id.startswith("doc-") and len(doc_id) == len("doc-") + 10
    else:
        assert doc_id == expected


def test_chinese_names_get_distinct_stable_ids():
    first = safe_document_id("质量强市建设方案.docx", set())
    assert first == safe_document_id("质量强市建设方案.docx", set())
    assert first != safe_document_id("质量强省建设方案.docx", set())


def test_safe_ids_are_unique_against_existing_ids_whatever_their_case():
    assert safe_document_id("yuyang.txt", {"Yuyang"}) == "yuyang-2"
    assert safe_document_id("yuyang.txt", {"yuyang", "yuyang-2"}) == "yuyang-3"


def test_very_long_names_are_cut_and_stay_unique():
    name = "a" * 500 + ".txt"
    first = safe_document_id(name, set())
    assert first == "a" * MAX_ID_LENGTH
    second = safe_document_id(name, {first})
    assert len(second) <= MAX_ID_LENGTH and second.endswith("-2") and second != first


@given(st.text(max_size=120), st.sets(st.text(alphabet="abc-2", max_size=6), max_size=8))
def test_any_name_gives_an_id_that_stays_in_the_documents_folder(filename, existing):
    doc_id = safe_document_id(filename, existing)
    assert library._SAFE_ID.fullmatch(doc_id), doc_id
    assert doc_id not in existing and doc_id not in library._RESERVED_IDS
    assert Path(f"{doc_id}.txt").name == f"{doc_id}.txt" and not doc_id.startswith((".", "-"))


# ---------------------------------------------------------------------------------------------------------
# guess_metadata


@pytest.fixture(scope="module")
def seed_guesses():
    """guess_metadata on the text of each seed document."""
    return {
        doc_id: guess_metadata(read_text(DOCUMENTS_DIR / f"{doc_id}.txt"), f"{doc_id}.txt")
        for doc_id in ("yuyang", "guangzhou", "shanwei", "guizhou", "qinghai")
    }


def test_yuyang_from_its_header_table(seed_guesses):
    draft = seed_guesses["yuyang"]
    assert (draft.region, draft.level) == ("陕西省榆林市榆阳区", "district")
    assert draft.issuer == "榆林市榆阳区人民政府办公室"  # 发布机构, not the notice's signature
    assert (draft.date, draft.status, draft.script) == ("2024-05-07", "effective", "simplified")
    assert (
        draft.title == "榆阳区关于贯彻落实《质量强国建设纲要》的实施意见"
    )  # the printed document, not the notice


def test_guangzhou_draft_from_its_notice_signature(seed_guesses):
    draft = seed_guesses["guangzhou"]
    assert (draft.region, draft.level) == ("广东省广州市", "city")
    assert (draft.issuer, draft.date, draft.status) == ("广州市市场监督管理局", "2023-10-30", "draft")
    assert draft.title == "广州市质量强市建设实施方案（征求意见稿）"


def test_shanwei_is_a_city_although_its_title_cites_a_provincial_outline(seed_guesses):
    draft = seed_guesses["shanwei"]
    assert (draft.region, draft.level) == ("广东省汕尾市", "city")
    assert (draft.issuer, draft.date, draft.status) == ("汕尾市市场监督管理局", "2023-09-26", "draft")
    assert draft.title == "关于深入贯彻落实《广东省质量强省建设纲要》的实施意见（征求意见稿）"


def test_guizhou_province_from_its_issuer_and_body(seed_guesses):
    draft = seed_guesses["guizhou"]
    assert (draft.region, draft.level) == ("贵州省", "province")
    assert draft.issuer == "中共贵州省委、贵州省人民政府"
    assert draft.title == "关于贯彻落实《质量强国建设纲要》深化质量强省建设的实施意见"
    assert (draft.date, draft.status) == (None, "effective")


def test_qinghai_traditional_with_nothing_invented(seed_guesses):
    draft = seed_guesses["qinghai"]
    assert (draft.region, draft.level, draft.script) == ("青海省", "province", "traditional")
    assert (draft.title, draft.issuer, draft.date, draft.status) == (None, None, None, "effective")


def test_guesses_agree_with_the_hand_made_catalog(seed_guesses, corpus_documents):
    for document in corpus_documents:
        draft = seed_guesses[document.doc_id]
        assert (draft.region, draft.level, draft.date, draft.status, draft.script) == (
            document.region,
            document.level,
            document.date,
            document.status,
            document.script,
        ), document.doc_id
        assert draft.title == document.title, document.doc_id


def test_a_provincial_document_naming_many_cities_stays_provincial():
    text = (
        "广东省人民政府关于推进质量强省建设的通知\n"
        "各地级以上市人民政府，省政府各部门：\n"
        "一、支持广州市、深圳市建设质量强市示范城市，推动汕尾市、汕头市、湛江市提升质量水平。\n"
        "二、广州、深圳、珠海、佛山要发挥引领作用。\n"
        "广东省人民政府\n2023年3月1日\n"
    )
    draft = guess_metadata(text, "gd.txt")
    assert (draft.region, draft.level, draft.issuer, draft.date) == (
        "广东省",
        "province",
        "广东省人民政府",
        "2023-03-01",
    )


def test_body_only_text_uses_its_self_reference_for_the_level():
    text = "为提升我市质量水平，结合汕尾实际，制定本方案。\n一、全市质量工作\n汕尾市各区要落实责任，推动全市质量提升。"
    draft = guess_metadata(text, "plan.txt")
    assert (draft.region, draft.level) == ("广东省汕尾市", "city")


def test_a_text_naming_no_place_leaves_region_issuer_title_and_date_unknown():
    draft = guess_metadata("一、总体要求\n坚持质量第一，效益优先。\n二、主要任务\n提升产品质量。", "x.txt")
    assert (draft.region, draft.level, draft.issuer, draft.date, draft.title) == (None,) * 5
    assert (draft.status, draft.script) == ("effective", "simplified")


def test_an_ambiguous_district_is_resolved_by_context_or_not_at_all():
    heading = "鼓楼区人民政府关于印发《鼓楼区质量提升行动方案》的通知\n"
    with_context = guess_metadata(heading + "为推动福州高质量发展，福州市鼓楼区制定本方案。", "a.txt")
    assert (with_context.region, with_context.level) == ("福建省福州市鼓楼区", "district")
    assert with_context.title == "鼓楼区质量提升行动方案"
    without_context = guess_metadata(heading + "为推动高质量发展，制定本方案。", "b.txt")
    assert without_context.region is None  # four cities have a 鼓楼区: no guess


def test_ordinary_words_that_are_also_district_names_are_not_places():
    draft = guess_metadata("推进老城区和城区道路改造，加强矿区生态修复。", "x.txt")
    assert draft.region is None


def test_header_table_with_a_chinese_date_and_a_printed_title():
    text = (
        "[ 索引号 ] | 000/2023-1 | [ 主题分类 ] | 其他 |\n"
        "[ 发布机构 ] | 广东省市场监督管理局 | [ 发文日期 ] | 2023年7月5日 |\n"
        "[ 名 称 ] | 广东省市场监督管理局关于印发《广东省质量提升方案》的通知 |\n"
        "各地级以上市市场监督管理局：\n"
    )
    draft = guess_metadata(text, "x.txt")
    assert (draft.title, draft.issuer, draft.date) == (
        "广东省质量提升方案",
        "广东省市场监督管理局",
        "2023-07-05",
    )
    assert (draft.region, draft.level) == ("广东省", "province")


def test_signature_dates_in_chinese_numerals_and_invalid_dates():
    text = "一、总体要求\n加强质量工作。\n汕尾市人民政府\n二〇二三年十月三十日"
    assert guess_metadata(text, "x.txt").date == "2023-10-30"
    assert guess_metadata(text.replace("十月三十日", "二月三十日"), "x.txt").date is None


def test_draft_status_only_from_the_title_or_opening():
    opening = "关于质量提升的实施意见（征求意见稿）\n一、总体要求\n加强质量工作。"
    assert guess_metadata(opening, "x.txt").status == "draft"
    late = "一、总体要求\n" + "加强质量工作。" * 400 + "\n注：本文件的征求意见稿已于去年发布。"
    assert guess_metadata(late, "x.txt").status == "effective"


def test_script_follows_the_majority_of_characters():
    assert guess_script(TRADITIONAL) == "traditional"
    assert guess_script(SIMPLIFIED) == "simplified"
    assert guess_script(SIMPLIFIED * 10 + "質量") == "simplified"  # a few traditional characters in a quote
    assert guess_script("Quality first") == "simplified"


def test_guessed_id_avoids_existing_ids():
    assert guess_metadata("一、总体要求", "yuyang.txt", existing={"yuyang"}).doc_id == "yuyang-2"


# ---------------------------------------------------------------------------------------------------------
# The catalog: add, delete, restore


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A writable copy of the seed corpus."""
    return copy_corpus(tmp_path / "documents")


def draft_for(doc_id: str, **fields) -> DocumentDraft:
    """A valid draft for a city document, with fields overridden."""
    values = {
        "title": "汕尾市质量提升方案",
        "region": "广东省汕尾市",
        "level": "city",
        "issuer": "汕尾市市场监督管理局",
        "date": "2024-06-01",
        "status": "effective",
        "script": "simplified",
    }
    values.update(fields)
    return DocumentDraft(doc_id=doc_id, **values)


def test_added_document_is_what_load_catalog_sees(corpus):
    data = make_docx(["汕尾市质量提升方案", "一、总体要求", [["指标", "目标"], ["合格率", "95%"]]])
    added = add_document(corpus, "汕尾方案.docx", data, draft_for("shanwei-plan"))
    documents = load_catalog(corpus)
    assert [d.doc_id for d in documents][-1] == "shanwei-plan" and len(documents) == 6
    assert documents[-1] == added
    assert added.text == "汕尾市质量提升方案\n一、总体要求\n指标 | 目标\n合格率 | 95%"
    assert (corpus / "shanwei-plan.txt").read_bytes() == added.text.encode("utf-8")
    assert [d.doc_id for d in documents[:5]] == ["qinghai", "yuyang", "guangzhou", "guizhou", "shanwei"]


def test_a_traditional_gbk_text_is_stored_as_utf8_with_its_script_detected(corpus):
    added = add_document(
        corpus, "qh.txt", TRADITIONAL.encode("big5"), draft_for("qh", script=None, title=None)
    )
    assert added.script == "traditional"
    assert added.name == "qh"  # no title: the uploaded file's name stands in
    assert load_catalog(corpus)[-1].text == TRADITIONAL


def test_catalog_keeps_its_layout_and_other_entries(corpus):
    before = json.loads((corpus / CATALOG_NAME).read_text(encoding="utf-8"))
    add_document(corpus, "a.txt", SIMPLIFIED.encode(), draft_for("a"))
    after = json.loads((corpus / CATALOG_NAME).read_text(encoding="utf-8"))
    assert after["version"] == 1 and after["documents"][:5] == before["documents"]
    assert list(after["documents"][5]) == list(before["documents"][0])  # same keys, same order
    assert "汕尾" in (corpus / CATALOG_NAME).read_text(encoding="utf-8")  # not \u escapes


def test_an_existing_id_is_refused(corpus):
    with pytest.raises(DocumentError, match="yuyang: a document with this id is already in the catalog"):
        add_document(corpus, "x.txt", SIMPLIFIED.encode(), draft_for("yuyang"))
    (corpus / "orphan.txt").write_text("left over", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"orphan\.txt: already exists"):
        add_document(corpus, "x.txt", SIMPLIFIED.encode(), draft_for("orphan"))
    assert (corpus / "orphan.txt").read_text(encoding="utf-8") == "left over"
    assert len(load_catalog(corpus)) == 5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"region": None}, "region is required"),
        ({"region": "  "}, "region is required"),
        ({"region": "广东省/广州市"}, "not a full region path"),
        ({"region": "廣東省廣州市"}, "not a full region path in simplified Chinese"),
        ({"region": "广东"}, "not a full region path"),
        ({"status": None}, "status must be one of effective, draft"),
        ({"status": "final"}, "status must be one of effective, draft"),
        ({"level": "county"}, "level must be one of province, city, district"),
        ({"script": "latin"}, "script must be one of simplified, traditional"),
        ({"date": "2024/06/01"}, "date '2024/06/01' is not a date written YYYY-MM-DD"),
        ({"date": "2024-02-30"}, "date '2024-02-30' is not a date"),
    ],
)
def test_bad_metadata_is_refused_and_nothing_is_written(corpus, fields, message):
    before = (corpus / CATALOG_NAME).read_bytes()
    with pytest.raises(DocumentError, match=message):
        add_document(corpus, "plan.txt", SIMPLIFIED.encode(), draft_for("plan", **fields))
    assert (corpus / CATALOG_NAME).read_bytes() == before and not (corpus / "plan.txt").exists()


@pytest.mark.parametrize("doc_id", ["../evil", ".hidden", "a/b", "UPPER", "con", "", "a" * 65, "-flag"])
def test_unsafe_ids_from_the_form_are_refused(corpus, doc_id):
    with pytest.raises(DocumentError, match="is not a safe document id"):
        add_document(corpus, "plan.txt", SIMPLIFIED.encode(), draft_for(doc_id))
    assert sorted(p.name for p in corpus.parent.iterdir()) == ["documents"]


def test_an_unreadable_upload_adds_nothing(corpus):
    before = (corpus / CATALOG_NAME).read_bytes()
    with pytest.raises(DocumentError, match="looks like a PNG image"):
        add_document(corpus, "x.txt", b"\x89PNG\r\n\x1a\n", draft_for("x"))
    assert (corpus / CATALOG_NAME).read_bytes() == before


def test_delete_removes_the_entry_then_the_text(corpus):
    delete_document(corpus, "guangzhou")
    assert [d.doc_id for d in load_catalog(corpus)] == ["qinghai", "yuyang", "guizhou", "shanwei"]
    assert not (corpus / "guangzhou.txt").exists()
    with pytest.raises(DocumentError, match="'guangzhou': no such document"):
        delete_document(corpus, "guangzhou")


def test_delete_never_touches_a_file_outside_the_folder(corpus, tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    catalog = json.loads((corpus / CATALOG_NAME).read_text(encoding="utf-8"))
    catalog["documents"].append(
        {"id": "bad", "file": "../precious.txt", "region": "贵州省", "status": "draft"}
    )
    (corpus / CATALOG_NAME).write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    delete_document(corpus, "bad")
    assert outside.read_text(encoding="utf-8") == "keep me"


def test_restore_puts_back_the_snapshot_and_removes_the_half_added_text(corpus):
    snapshot = catalog_snapshot(corpus)
    add_document(corpus, "new.txt", SIMPLIFIED.encode(), draft_for("new"))
    restore_catalog(corpus, snapshot)
    assert (corpus / CATALOG_NAME).read_bytes() == snapshot
    assert not (corpus / "new.txt").exists()
    assert len(load_catalog(corpus)) == 5


def test_restore_refuses_a_broken_snapshot_or_one_whose_texts_are_gone(corpus):
    before = (corpus / CATALOG_NAME).read_bytes()
    with pytest.raises(DocumentError, match=r"snapshot\): not a valid catalog"):
        restore_catalog(corpus, b'{"documents": [')
    snapshot = catalog_snapshot(corpus)
    delete_document(corpus, "qinghai")
    with pytest.raises(DocumentError, match=r"'qinghai\.txt' is no longer in"):
        restore_catalog(corpus, snapshot)
    assert (corpus / CATALOG_NAME).read_bytes() != before  # the delete stands; nothing half-restored
    assert len(load_catalog(corpus)) == 4


def test_concurrent_adds_from_two_threads_all_land(corpus):
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def add_many(prefix: str) -> None:
        start.wait()
        try:
            for number in range(8):
                add_document(
                    corpus, f"{prefix}{number}.txt", SIMPLIFIED.encode(), draft_for(f"{prefix}{number}")
                )
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=add_many, args=(prefix,)) for prefix in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = {d.doc_id for d in load_catalog(corpus)}
    assert {f"{p}{n}" for p in "ab" for n in range(8)} <= ids and len(ids) == 21


def test_a_catalog_writer_waits_for_the_lock_another_process_holds(corpus):
    done = threading.Event()
    with open(corpus / ".catalog.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        worker = threading.Thread(
            target=lambda: (add_document(corpus, "w.txt", SIMPLIFIED.encode(), draft_for("w")), done.set())
        )
        worker.start()
        time.sleep(0.3)
        assert not done.is_set()  # blocked behind the lock
        assert "w" not in {d.doc_id for d in load_catalog(corpus)}
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    worker.join(timeout=10)
    assert done.is_set() and "w" in {d.doc_id for d in load_catalog(corpus)}


def test_a_failed_catalog_replace_leaves_the_old_catalog_and_no_stray_files(corpus, monkeypatch):
    before = (corpus / CATALOG_NAME).read_bytes()
    files_before = sorted(p.name for p in corpus.iterdir())
    real_replace = os.replace

    def failing_replace(source, target):
        if Path(target).name == CATALOG_NAME:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(DocumentError, match=r"catalog\.json: cannot write \(No space left on device\)"):
        add_document(corpus, "new.txt", SIMPLIFIED.encode(), draft_for("new"))
    with pytest.raises(DocumentError, match="cannot write"):
        delete_document(corpus, "yuyang")
    assert (corpus / CATALOG_NAME).read_bytes() == before
    assert sorted(p.name for p in corpus.iterdir() if p.name != ".catalog.lock") == files_before
    assert len(load_catalog(corpus)) == 5


def test_a_crash_while_writing_the_temporary_catalog_leaves_the_old_one(corpus, monkeypatch):
    before = (corpus / CATALOG_NAME).read_bytes()
    real_fsync, calls = os.fsync, []

    def crash_on_the_catalog(descriptor):
        calls.append(descriptor)
        if len(calls) == 3:  # text file, its folder, then the catalog's temporary file
            raise OSError(5, "Input/output error")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", crash_on_the_catalog)
    with pytest.raises(DocumentError):
        add_document(corpus, "new.txt", SIMPLIFIED.encode(), draft_for("new"))
    assert (corpus / CATALOG_NAME).read_bytes() == before
    assert not [p for p in corpus.iterdir() if p.name.endswith(".tmp") or p.name == "new.txt"]


def test_the_catalog_keeps_its_file_mode(corpus):
    os.chmod(corpus / CATALOG_NAME, 0o664)
    add_document(corpus, "a.txt", SIMPLIFIED.encode(), draft_for("a"))
    assert (corpus / CATALOG_NAME).stat().st_mode & 0o777 == 0o664
    assert (corpus / "a.txt").stat().st_mode & 0o777 == 0o644


def test_a_missing_folder_or_catalog_is_one_clear_error(tmp_path):
    with pytest.raises(DocumentError, match="documents folder not found"):
        add_document(tmp_path / "nope", "a.txt", SIMPLIFIED.encode(), draft_for("a"))
    with pytest.raises(DocumentError, match="catalog not found"):
        add_document(tmp_path, "a.txt", SIMPLIFIED.encode(), draft_for("a"))
    assert not (tmp_path / "a.txt").exists()


def test_html_with_an_unclosed_head_and_hidden_elements():
    page = '<html><head><title>t</title><body><div hidden>隐藏</div><p style="display: none">也隐藏</p>正文<br>第二行'
    assert read_upload("p.html", page.encode()) == "正文\n第二行"


def test_a_docx_that_unpacks_to_far_more_than_the_upload_limit_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (110 * 1024 * 1024))
    with pytest.raises(DocumentError, match=r"bomb\.docx: unpacks to 110 MB; the limit is 100 MB"):
        read_upload("bomb.docx", buffer.getvalue())
