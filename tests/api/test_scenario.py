"""The whole round through HTTP only: issue → evidence → failed review → rectification → close."""

from __future__ import annotations

import io
from collections.abc import Callable

from tests.api.conftest import ApiClient, fire, issue
from tests.conftest import PASSWORD, World


def _ok(answer: object, status: int = 200) -> dict:  # type: ignore[type-arg]
    assert answer.status_code == status, answer.get_data(as_text=True)  # type: ignore[attr-defined]
    return answer.get_json()  # type: ignore[attr-defined,no-any-return]


def _evidence(api: ApiClient, item_id: int, content: bytes, name: str) -> str:
    answer = api.post(f"/items/{item_id}/evidence", data={"file": (io.BytesIO(content), name)},
                      content_type="multipart/form-data")
    return str(_ok(answer, 201)["sha256"])


def test_issue_review_rectify_and_close_over_http(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    issuer, inspector = as_("issuer"), as_("inspector")
    branch_a, branch_b, admin = as_("handler_a"), as_("handler_b"), as_("admin")
    task_a, task_b = _ok(issue(issuer, world, world.branch_a, world.branch_b), 201)["item_ids"]
    assert [i["id"] for i in _ok(branch_b.get("/items"))["items"]] == [task_b]

    _ok(fire(branch_a, task_a, "sign_for"))
    _ok(fire(branch_a, task_a, "start"))
    first = _evidence(branch_a, task_a, "组织生活会记录（初稿）".encode(), "会议记录.docx")
    _ok(fire(branch_a, task_a, "submit", evidence=[first], comment="已召开"))
    failed = _ok(fire(inspector, task_a, "fail_review", comment="记录不完整，缺少整改措施"))
    assert failed["state"] == "rectifying"
    (rectification,) = failed["spawned"]

    seen = _ok(branch_a.get(f"/items/{rectification}"))
    assert seen["kind"] == "rectification" and seen["assignee_org_id"] == world.branch_a
    _ok(fire(branch_a, rectification, "sign_for"))
    _ok(fire(branch_a, rectification, "start"))
    fixed = _evidence(branch_a, rectification, "整改报告".encode(), "整改报告.pdf")
    _ok(fire(branch_a, rectification, "submit", evidence=[fixed], comment="已补充整改措施"))
    _ok(fire(inspector, rectification, "approve", comment="整改到位", password=PASSWORD))
    closed = _ok(fire(issuer, rectification, "close", password=PASSWORD))
    assert closed["state"] == "closed"

    second = _evidence(branch_a, task_a, "组织生活会记录（定稿）".encode(), "会议记录.pdf")
    _ok(fire(branch_a, task_a, "resubmit", evidence=[second]))
    _ok(fire(inspector, task_a, "approve", password=PASSWORD))
    assert _ok(fire(issuer, task_a, "close", password=PASSWORD))["state"] == "closed"

    assert _ok(issuer.get("/items?open=false"))["items"][0]["closed_at"]
    history = [(e["action"], e["trigger"]) for e in
               _ok(issuer.get(f"/items/{task_a}/ledger"))["entries"]]
    assert ("transition", "fail_review") in history and history[-1] == ("transition", "close")
    verified = _ok(admin.post("/ledger/verify"))
    assert verified["ok"] is True and verified["problems"] == []
    assert _ok(branch_b.get(f"/items/{task_a}"), 404)["code"] == "not_found"
