"""Adding and deleting documents while the app runs: searchable at once, nothing lost on failure."""

from __future__ import annotations

import threading

import pytest

from assistant.config import Config
from assistant.index import current_build, load_index
from assistant.library import DocumentDraft, guess_metadata, read_upload
from assistant.search import open_searcher
from assistant.workspace import Workspace
from tests.conftest import copy_corpus

NEW_DOCUMENT = (
    "深圳市关于推进质量强市建设的实施意见\n"
    "一、总体要求\n"
    "（一）发展低空经济质量。建设无人机产品质量检验检测中心，提升低空飞行器适航审定能力。\n"
    "（二）提升跨境电商质量。完善跨境电商商品质量追溯体系。\n"
    "深圳市市场监督管理局\n2024年3月1日\n"
)


@pytest.fixture()
def workspace(tmp_path):
    config = Config(
        documents_dir=copy_corpus(tmp_path / "documents"), index_dir=tmp_path / "index", model="hashing"
    )
    return Workspace(open_searcher(config), config)


def draft_for(data: bytes, filename: str, workspace: Workspace) -> DocumentDraft:
    text = read_upload(filename, data)
    guess = guess_metadata(text, filename, [d.doc_id for d in workspace.searcher.documents])
    return DocumentDraft(
        doc_id=guess.doc_id,
        title=guess.title,
        region=guess.region or "广东省深圳市",
        issuer=guess.issuer,
        date=guess.date,
        status=guess.status or "effective",
    )


def test_a_gbk_upload_becomes_searchable_at_once(workspace):
    data = NEW_DOCUMENT.encode("gbk")
    searcher_before = workspace.searcher
    progress: list[tuple[int, int]] = []
    document = workspace.add(
        "shenzhen.txt",
        data,
        draft_for(data, "shenzhen.txt", workspace),
        on_progress=lambda d, t: progress.append((d, t)),
    )
    assert document.region == "广东省深圳市"
    hits = workspace.searcher.search("无人机产品质量检验检测中心", top_k=3).hits
    assert hits[0].document.doc_id == document.doc_id
    assert "无人机产品质量检验检测中心" in hits[0].clause.text
    assert progress and progress[-1][0] == progress[-1][1]
    assert workspace.searcher is not searcher_before
    # the searcher a request already holds keeps answering from the old corpus
    assert all(h.document.doc_id != document.doc_id for h in searcher_before.search("无人机", top_k=50).hits)


def test_an_upload_that_fails_half_way_changes_nothing(workspace, monkeypatch):
    index_dir = workspace.config.index_dir
    build_before = current_build(index_dir)
    catalog_before = (workspace.config.documents_dir / "catalog.json").read_bytes()
    files_before = sorted(p.name for p in workspace.config.documents_dir.glob("[!.]*"))

    import faiss

    def power_cut(*args, **kwargs):
        raise OSError("disk full while writing the index")

    monkeypatch.setattr(faiss, "write_index", power_cut)
    data = NEW_DOCUMENT.encode("utf-8")
    with pytest.raises(OSError, match="disk full"):
        workspace.add("shenzhen.txt", data, draft_for(data, "shenzhen.txt", workspace))
    monkeypatch.undo()

    assert current_build(index_dir) == build_before
    assert (workspace.config.documents_dir / "catalog.json").read_bytes() == catalog_before
    assert sorted(p.name for p in workspace.config.documents_dir.glob("[!.]*")) == files_before
    assert len(load_index(index_dir).documents) == 5
    assert (
        not workspace.searcher.search("无人机产品质量检验检测中心", top_k=1)
        .hits[0]
        .clause.text.count("无人机")
    )


def test_delete_removes_a_document_from_search(workspace):
    workspace.delete("guizhou")
    assert "guizhou" not in {d.doc_id for d in workspace.searcher.documents}
    assert all(h.document.doc_id != "guizhou" for h in workspace.searcher.search("酱香型白酒", top_k=50).hits)
    assert "guizhou" not in load_index(workspace.config.index_dir).documents


def test_two_staff_adding_at_once_both_land(workspace):
    errors: list[BaseException] = []

    def add(name: str, place: str) -> None:
        text = NEW_DOCUMENT.replace("深圳", place)
        data = text.encode("utf-8")
        try:
            draft = draft_for(data, f"{name}.txt", workspace)
            workspace.add(f"{name}.txt", data, DocumentDraft(**{**draft.__dict__, "doc_id": name}))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=args) for args in (("zhuhai", "珠海"), ("foshan", "佛山"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert {"zhuhai", "foshan"} <= {d.doc_id for d in workspace.searcher.documents}
    assert {"zhuhai", "foshan"} <= set(load_index(workspace.config.index_dir).documents)


def test_a_read_only_workspace_refuses_changes(hashing_searcher):
    from assistant.errors import DocumentError

    with pytest.raises(DocumentError, match="adding documents is off"):
        Workspace(hashing_searcher).delete("guizhou")
