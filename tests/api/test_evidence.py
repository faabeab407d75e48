"""Evidence over HTTP: multipart upload, limits (413 stores nothing), idempotency, download."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from tests.api.conftest import ApiClient, assert_error, issue
from tests.conftest import World
from workflow.models import EvidenceFile, ItemEvidence, LedgerEntry
from workflow.services import evidence


def _upload(api: ApiClient, item_id: int, content: bytes, name: str = "会议记录.pdf",
            key: str | None = None) -> object:
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/items/{item_id}/evidence", headers=headers,
                    data={"file": (io.BytesIO(content), name)},
                    content_type="multipart/form-data")


def _stored(world: World) -> tuple[int, int, int, list[Path]]:
    with world.rt.read() as session:
        counts = [session.scalar(select(func.count()).select_from(model)) or 0
                  for model in (EvidenceFile, ItemEvidence, LedgerEntry)]
    files = [p for p in world.rt.evidence_path.rglob("*") if p.is_file()] \
        if world.rt.evidence_path.exists() else []
    return counts[0], counts[1], counts[2], files


def test_upload_answers_the_sha256_and_download_streams_it_back(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    content = "支部委员会会议记录".encode() * 100
    answer = _upload(as_("handler_a"), item_id, content, name="二〇二六年 第一季度/会议记录.pdf")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body == {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
                    "filename": "会议记录.pdf", "content_type": "application/pdf",
                    "created": True}
    download = as_("inspector").get(f"/items/{item_id}/evidence/{body['sha256']}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Type"] == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('会议记录.pdf')}" in disposition
    assert download.headers["X-Content-SHA256"] == body["sha256"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert_error(as_("handler_b").get(f"/items/{item_id}/evidence/{body['sha256']}"),
                 404, "not_found")
    assert_error(as_("inspector").get(f"/items/{item_id}/evidence/{'0' * 64}"), 404, "not_found")


def test_the_same_upload_retried_is_stored_once(world: World,
                                                as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    api, before = as_("handler_a"), _stored(world)
    first = _upload(api, item_id, b"minutes v1", key="upload-1")
    again = _upload(api, item_id, b"minutes v1", key="upload-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == {**first.get_json(), "created": False}
    after = _stored(world)
    assert after[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    reused = _upload(api, item_id, b"minutes v2", key="upload-1")
    assert "Idempotency-Key" in assert_error(reused, 422, "invalid_input")["message"]
    assert _stored(world)[:3] == after[:3]
    assert _upload(api, item_id, b"minutes v1").status_code == 200  # same bytes, no key


def test_an_upload_over_the_limit_is_413_and_stores_nothing(
        world: World, as_: Callable[[str], ApiClient], monkeypatch: pytest.MonkeyPatch) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    monkeypatch.setattr(evidence, "MAX_BYTES", 1024)
    api = as_("handler_a")
    before = _stored(world)
    answer = _upload(api, item_id, b"x" * 2048)
    body = assert_error(answer, 413, "too_large")
    assert body["details"]["limit"] == 1024
    assert _stored(world) == before


def test_a_body_over_the_request_cap_is_refused_before_it_is_read(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    api = as_("handler_a")
    before = _stored(world)
    # the declared length alone decides: the body is never read
    answer = api.post(f"/items/{item_id}/evidence", data=b"x" * 10,
                      content_type="multipart/form-data; boundary=b",
                      environ_overrides={"CONTENT_LENGTH": str(evidence.MAX_BYTES + 10**6)})
    assert_error(answer, 413, "too_large")
    assert _stored(world) == before


def test_refused_uploads_say_why(world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    api, inspector, other = as_("handler_a"), as_("inspector"), as_("handler_b")
    before = _stored(world)
    assert "not accepted" in assert_error(_upload(api, item_id, b"MZ", name="setup.exe"),
                                          422, "invalid_input")["message"]
    assert_error(_upload(api, item_id, b""), 422, "invalid_input")
    no_file = api.post(f"/items/{item_id}/evidence", data={"other": "x"},
                       content_type="multipart/form-data")
    assert_error(no_file, 422, "invalid_input")
    assert_error(_upload(inspector, item_id, b"notes"), 403, "not_allowed")
    assert_error(_upload(other, item_id, b"notes"), 404, "not_found")
    assert _stored(world) == before
