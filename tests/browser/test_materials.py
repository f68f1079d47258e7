"""Materials in the browser: the enterprise replaces a scan it uploaded, the window opens the scan to check it, and
a department's officer opens each upload of it from the item page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PC, PHONE
from tests.browser.test_terminals import log_in
from tests.conftest import PDF, png
from tests.e2e.test_approval_flow import upload_missing
from tools.api import ApiError

pytestmark = pytest.mark.browser


def test_a_replaced_scan_is_opened_by_the_window_and_the_department(suite, open_page):
    e04 = suite.login("e04")
    project = e04.post(
        "/projects", json={"name": "和顺冷链配送中心", "type": "low_risk", "attributes": {"eia_registration": True}}
    )
    pid = project["id"]
    e04.post(
        f"/projects/{pid}/materials",
        data={"material_code": "M01"},
        files={"file": ("营业执照.pdf", PDF, "application/pdf")},
    )

    w = open_page(PHONE)
    page = w.page
    log_in(w, suite, "e04")
    page.goto(f"/enterprise/projects/{pid}")
    line = page.locator("li[data-material='M01']")
    expect(line).to_contain_text("已有")
    line.get_by_label("更换营业执照").set_input_files(
        files=[{"name": "营业执照（盖章）.png", "mimeType": "image/png", "buffer": png(40, 30)}]
    )
    expect(line.get_by_role("button", name="历次上传（2）")).to_be_visible()
    line.get_by_role("button", name="历次上传（2）").click()
    expect(line.get_by_role("list", name="营业执照的历次上传")).to_contain_text("第1版 · 营业执照.pdf")
    expect(line.get_by_role("list", name="营业执照的历次上传")).to_contain_text("第2版 · 营业执照（盖章）.png")

    upload_missing(e04, pid, "S1")
    e04.post(f"/projects/{pid}/stages/S1/submit")
    window = open_page(PC)
    log_in(window, suite, "window-officer")
    window.page.goto(f"/window/projects/{pid}/S1")
    scan = window.page.locator("li[data-material='M01']")
    scan.get_by_role("button", name="查看营业执照").click()
    image = scan.get_by_role("region", name="营业执照预览").get_by_role("img")
    expect(image).to_have_attribute("alt", "营业执照（盖章）.png")
    assert image.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])") == [40, 30]
    window.shot("window-pc-material-preview")
    accepted = suite.login("window-officer").post(f"/projects/{pid}/stages/S1/actions", json={"action": "accept"})

    item = next(i for i in accepted["items"] if "M01" in i.get("materials", ["M01"]))
    officer = open_page(PC)
    log_in(officer, suite, f"{item['department']}-officer")
    officer.page.goto(f"/dept/items/{item['id']}")
    row = officer.page.locator("tr", has_text="M01")
    row.get_by_role("button", name="历次上传（2）").click()
    row.get_by_role("listitem").filter(has_text="第1版").get_by_role("button", name="查看").click()
    preview = row.get_by_role("region", name="营业执照预览")
    expect(preview).to_contain_text("营业执照.pdf")
    link = preview.get_by_role("link", name="下载")
    expect(link).to_have_attribute("download", "营业执照.pdf")
    size = link.evaluate("a => fetch(a.href).then((r) => r.blob()).then((b) => b.size)")
    assert size == len(PDF)
    expect(officer.page).to_have_url(re.compile(rf"/dept/items/{item['id']}$"))
    approve_all(suite, accepted["items"])  # leave no late item in the departments' queues for the other tests


def approve_all(suite, items: list[dict]) -> None:
    """Approve every item, those that wait for another's decision document after it."""
    waiting = list(items)
    while waiting:
        left = []
        for it in waiting:
            try:
                suite.login(f"{it['department']}-officer").post(
                    f"/items/{it['id']}/actions", json={"action": "approve"}
                )
            except ApiError as refused:
                assert refused.status == 409, refused.problem
                left.append(it)
        assert len(left) < len(waiting), [it["code"] for it in left]
        waiting = left
