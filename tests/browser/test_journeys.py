"""Each user group's main journey, end to end in a real browser on the demo county.

A committee issues a list from the downloaded Excel template; a branch signs for an item,
uploads evidence and submits; the inspector fails it, which opens a rectification item; the
branch rectifies, the inspector verifies, the issuer closes the rectification; the branch
resubmits, the inspector approves and the issuer ticks the item off the ledger (销号), each
decision signed with the password. An administrator adds a handler, who signs in, must
change the initial password, and then sees the unit's items.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.live import LiveServer
from tests.browser.sheets import column_letter, fill_template
from tests.browser.steps import act, confirmed, open_from, state_is, upload_evidence
from tests.browser.words import exactly, label_of, zh

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BRANCH_1 = "国有资本公司党支部"  # zhibu1's branch in the demo county
BRANCH_2 = "实业发展公司党支部"


def _download_template(page: Any, kind_label: str) -> bytes:
    page.get_by_role("navigation").get_by_role("link", name=zh("Issue a list")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name=exactly(kind_label)).click()
    return Path(download.value.path()).read_bytes()


def _upload(page: Any, workbook: bytes) -> None:
    page.get_by_label(zh("Filled-in template (.xlsx)")).set_input_files(
        {"name": "任务清单.xlsx", "mimeType": XLSX, "buffer": workbook})
    page.get_by_role("button", name=exactly(zh("Upload and preview"))).click()


def _row(title: str, unit: str, due: date | str) -> dict[str, Any]:
    return {"事项名称": title, "承办单位": unit, "截止日期": due, "任务类别": "党建",
            "任务内容": f"{title}，形成调研报告并报送佐证材料。"}


def _item_ids(page: Any, title: str) -> list[int]:
    """The ids of the items with this title, from the API as the signed-in person sees it."""
    answer = page.request.get("/api/v1/items", params={"q": title, "open": "true"})
    assert answer.ok, answer.text()
    return [item["id"] for item in answer.json()["items"] if item["title"] == title]


def test_excel_list_goes_through_review_and_rectification_to_closed(
    page_as: Callable[..., Any], live: LiveServer,
) -> None:
    tag = uuid.uuid4().hex[:6]
    title = f"开展基层党建联系点调研（{tag}）"
    due = date.today() + timedelta(days=20)

    committee = page_as("zuzhibu", diagrams=False)
    committee.goto("/")
    template = _download_template(committee, "任务清单")
    _upload(committee, fill_template(template, f"联系点调研任务清单（{tag}）", [
        _row(title, BRANCH_1, due), _row(f"{title}（二）", BRANCH_2, due)]))
    preview = committee.locator("table.preview-table")
    expect(preview.get_by_role("row")).to_have_count(3)  # the header and the two items
    expect(preview).to_contain_text(BRANCH_1)
    expect(preview).to_contain_text(BRANCH_2)
    assert _item_ids(committee, title) == [], "nothing is issued before the confirmation"
    committee.get_by_role("button", name=exactly(zh("Confirm and issue"))).click()
    issued = zh("The list is issued: %(n)s item(s).") % {"n": 2}
    confirmed(committee, issued)
    [item_id] = _item_ids(committee, title)
    item_path = live.path("items.show", item_id=item_id)

    branch = page_as("zhibu1", diagrams=False)
    open_from(branch, "/", title)
    state_is(branch, "已交办")
    act(branch, "签收")
    act(branch, "开始办理")
    upload_evidence(branch, ("调研报告.pdf", f"调研报告 {tag}".encode(), "application/pdf"),
                    ("座谈会照片.jpg", f"照片 {tag}".encode(), "image/jpeg"))
    act(branch, "提交审核", comment="调研报告和座谈会照片已上传。")
    state_is(branch, "待审核")

    inspector = page_as("ducha", diagrams=False)
    review_queue = live.path("review.queue")
    open_from(inspector, review_queue, title)
    act(inspector, "审核不通过", comment="调研报告缺少问题清单，请整改。")
    state_is(inspector, "整改中")

    rectification = f"整改：{title}"
    open_from(branch, "/", rectification)
    act(branch, "签收")
    act(branch, "开始整改")
    upload_evidence(branch, ("问题清单.docx", f"问题清单 {tag}".encode(),
                             "application/vnd.openxmlformats-officedocument"
                             ".wordprocessingml.document"))
    act(branch, "提交验收", comment="已补充问题清单。")
    open_from(inspector, review_queue, rectification)
    act(inspector, "验收合格", sign=True)
    committee.goto(inspector.url)  # the issuer opens the same rectification item
    act(committee, "销号", sign=True)
    state_is(committee, "已销号")

    open_from(branch, "/", title)
    act(branch, "整改后重新提交", comment="整改已完成，重新提交。")
    open_from(inspector, review_queue, title)
    act(inspector, "审核通过", sign=True)
    committee.goto(item_path)
    act(committee, "销号", sign=True)
    state_is(committee, "已销号")
    ledger = committee.locator("#h-ledger + ol")
    steps = ("签收", "开始办理", "提交审核", "审核不通过", "整改后重新提交", "审核通过", "销号")
    for step in steps:
        expect(ledger).to_contain_text(step)


def test_excel_upload_with_one_bad_row_names_row_and_column_and_creates_nothing(
    page_as: Callable[..., Any],
) -> None:
    tag = uuid.uuid4().hex[:6]
    good, bad = f"规范党费收缴台账（{tag}）", f"更新党员信息库（{tag}）"
    committee = page_as("zuzhibu", diagrams=False)
    committee.goto("/")
    template = _download_template(committee, "任务清单")
    due = date.today() + timedelta(days=20)
    _upload(committee, fill_template(template, f"党务基础工作清单（{tag}）", [
        _row(good, BRANCH_1, due), _row(bad, BRANCH_2, "2026年13月1日")]))

    problems = committee.locator("#upload-problems")
    expect(problems).to_be_visible()
    expect(problems.get_by_role("listitem")).to_have_count(1)
    letter = column_letter(template, "截止日期")
    expect(problems).to_contain_text(f"第3行 {letter}列 截止日期")
    expect(committee.get_by_role("button", name=exactly(zh("Confirm and issue")))).to_have_count(0)
    assert _item_ids(committee, good) == [] and _item_ids(committee, bad) == []


def _choose_unit(select: Any, unit: str) -> None:
    """Pick a unit in a select whose options are indented names (the tree's shape)."""
    value = select.locator("option", has_text=unit).first.get_attribute("value")
    select.select_option(value)


def test_administrator_adds_a_handler_who_signs_in_and_sees_the_unit_items(
    page_as: Callable[..., Any], context: Any,
) -> None:
    tag = uuid.uuid4().hex[:6]
    username, name, initial = f"xin{tag}", f"新同志{tag}", "Initial2026pass"
    admin = page_as("admin", diagrams=False)
    admin.goto("/")
    admin.get_by_role("navigation").get_by_role("link", name=zh("Administration")).click()
    admin.get_by_role("link", name=exactly(zh("People"))).click()
    admin.get_by_label(zh("Username")).fill(username)
    admin.get_by_label(zh("Display name")).fill(name)
    _choose_unit(admin.get_by_role("combobox", name=zh("Unit"), exact=True), BRANCH_2)
    admin.get_by_label(zh("Initial password")).fill(initial)
    admin.get_by_role("button", name=exactly(zh("Create"))).click()
    confirmed(admin, zh("The person is created; they must change the password at first "
                        "sign-in."))

    admin.get_by_role("link", name=name).click()
    admin.get_by_role("combobox", name=zh("Role"), exact=True).select_option("handler")
    _choose_unit(admin.get_by_role("combobox", name=zh("At unit"), exact=True), BRANCH_2)
    admin.get_by_role("button", name=exactly(zh("Grant"))).click()
    confirmed(admin, zh("The change is saved and recorded in the ledger."))

    newcomer = context.new_page()
    sign_in(newcomer, username, initial)
    newcomer.get_by_label(zh("Current password")).fill(initial)  # forced before anything else
    newcomer.get_by_label(label_of(zh("New password"))).fill("Newcomer2026pass")
    newcomer.get_by_label(zh("Repeat the new password")).fill("Newcomer2026pass")
    newcomer.get_by_role("button", name=exactly(zh("Change password"))).click()
    confirmed(newcomer, zh("Password changed; every other session was ended."))
    expect(newcomer.get_by_role("link", name="规范“三会一课”记录", exact=True)).to_be_visible()
