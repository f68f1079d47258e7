"""The four terminals and the public guide in Chromium: an enterprise uploads its materials and submits a stage on
a phone, the window accepts it and prints the receipt, an officer approves an item, the big screen shows the
counts and refreshes itself, and the guide opens from the address its QR code holds. Screenshots of every
terminal go to docs/screenshots/."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests
from playwright.sync_api import expect

from kit.config import ROOT
from tests.browser.conftest import PC, PHONE, SCREEN
from tests.conftest import PDF, png
from tests.e2e.conftest import wait_until
from tools.seed import project_ids

pytestmark = pytest.mark.browser


def log_in(w, suite, username: str) -> None:
    page = w.page
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(suite.password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def screen_token(suite) -> str:
    """The big screen's token, made the way the README says (`python -m services.gateway.users --screen-token`)."""
    done = subprocess.run(
        [sys.executable, "-m", "services.gateway.users", "--screen-token"],
        env=suite.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_a_stage_from_the_phone_to_the_big_screen(suite, open_page):
    suite.set_clock("2026-11-02 09:00")
    pid = project_ids(suite.login("e01"))["P01"]

    # 企业端 on a phone: my projects, then the project's S1 form, every missing material uploaded, then submit
    phone = open_page(PHONE)
    log_in(phone, suite, "e01")
    page = phone.page
    expect(page).to_have_url(re.compile(r"/enterprise$"))
    expect(page.get_by_text("蓝=超前")).to_be_visible()
    card = page.locator(".project-card", has_text="鸿远物流园二期仓储库房")
    expect(card.locator(".current-stage")).to_contain_text("S1 立项用地规划许可")
    phone.shot("enterprise-phone-projects")
    card.get_by_role("link").click()
    expect(page.locator("section.stage h2")).to_contain_text("S1 立项用地规划许可")
    expect(page.locator("tr[data-item='S1-07'] td").nth(1)).to_have_text("自然资源和规划局")
    missing = page.locator("li.missing input[type=file]")
    expect(missing.first).to_be_attached()
    count = missing.count()
    assert count >= 3  # the form asks for several materials, each once
    for left in range(count, 0, -1):
        code = missing.first.evaluate("input => input.closest('li').dataset.material")
        missing.first.set_input_files(
            {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF + code.encode()}
        )
        expect(missing).to_have_count(left - 1)
    expect(page.get_by_text("材料已齐全，可以提交。")).to_be_visible()
    page.get_by_role("heading", name="本阶段申请表（一张表单）").evaluate("h => h.scrollIntoView({block: 'center'})")
    phone.shot("enterprise-phone-form")
    page.get_by_role("button", name="提交S1阶段申请").click()
    expect(page.locator(".stage-status")).to_have_text("已提交待受理")
    expect(page.get_by_text("已提交，等待综合窗口受理。")).to_be_visible()

    pc = open_page(PC)
    log_in(pc, suite, "e01")
    pc.page.goto(f"/enterprise/projects/{pid}")
    expect(pc.page.locator(".stage-status")).to_have_text("已提交待受理")
    pc.shot("enterprise-pc-project")

    # 窗口端: the application waits at the window, which checks the materials, accepts and prints the receipt
    window = open_page(PC)
    log_in(window, suite, "window-officer")
    page = window.page
    expect(page).to_have_url(re.compile(r"/window$"))
    page.locator(f"tr[data-project='{pid}']").get_by_role("link").click()
    expect(page.locator("li.missing")).to_have_count(0)
    window.shot("window-pc-application")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_text("已于 2026-11-02 受理。")).to_be_visible()
    page.get_by_role("link", name="打印受理回执").click()
    expect(page.get_by_role("heading", name="工程建设项目审批受理回执")).to_be_visible()
    expect(page.locator("table.lines")).to_contain_text("S1-07 建设用地规划许可证核发")
    expect(page.locator("ol.received")).to_contain_text("营业执照")
    expect(page.locator("ol.received")).to_contain_text("M03 项目立项文件")  # issued later by S1-01: said so
    expect(page.locator("ol.received")).to_contain_text("由 S1-01 审批结果共享")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印回执")).to_be_hidden()
    window.shot("window-print-receipt")
    # reprinted by the window's head: still the officer who accepted it; a stage not accepted has no receipt
    head = open_page(PC)
    log_in(head, suite, "window-head")
    head.page.goto(f"/window/receipt/{pid}/S1")
    expect(head.page.locator(".sheet footer")).to_contain_text("受理人：政务服务中心综合窗口审批人员")
    head.page.goto(f"/window/receipt/{pid}/S2")
    expect(head.page.get_by_role("status")).to_contain_text("尚未受理")
    expect(head.page.get_by_role("button", name="打印回执")).to_have_count(0)

    # 部门端: the filing S1-01 is in the development and reform bureau's queue; the officer approves it
    officer = open_page(PC)
    log_in(officer, suite, "fgw-officer")
    page = officer.page
    expect(page).to_have_url(re.compile(r"/dept$"))
    row = page.locator(f"tr[data-item='S1-01'][data-project='{pid}']")
    expect(row).to_contain_text("办理中")
    officer.shot("dept-pc-queue")
    row.get_by_role("link").click()
    expect(page.locator(".item-status")).to_have_text("办理中")
    expect(page.locator("ol.history")).to_contain_text("受理")
    page.get_by_role("button", name="准予许可").click()
    expect(page.locator(".item-status")).to_have_text("已办结")
    expect(page.locator("ol.history")).to_contain_text("发展和改革局审批人员 · 准予许可")
    officer.shot("dept-pc-item")

    # a week later the land-use permit (limit 3 working days) is late: red, first in its department's queue
    suite.set_clock("2026-11-09 09:00")
    supervisor = suite.login("supervisor")
    wait_until(
        lambda: supervisor.get("/dashboard/summary")["projects"]["by_colour"]["red"] >= 1,
        timeout=30,
        what="a red project on the dashboard",
    )
    officer_phone = open_page(PHONE)
    log_in(officer_phone, suite, "zrgh-officer")
    first = officer_phone.page.locator("table.queue tbody tr").first
    expect(first).to_have_attribute("data-project", pid)
    expect(first.locator(".colour")).to_have_attribute("data-colour", "red")
    officer_phone.shot("dept-phone-queue")

    # 大屏端: no login prompt; the token is passed once in the address, kept, and taken out of the address bar
    token = screen_token(suite)
    screen = open_page(SCREEN)
    page = screen.page
    page.clock.install()
    page.goto(f"/screen?token={token}")
    expect(page).to_have_url(f"{suite.base}/screen")
    summary = requests.get(
        f"{suite.base}/api/v1/dashboard/summary", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    projects = summary["projects"]
    for figure, value in [
        ("total", projects["total"]),
        ("in_progress", projects["in_progress"]),
        ("blue", projects["by_colour"]["blue"]),
        ("yellow", projects["by_colour"]["yellow"]),
        ("red", projects["by_colour"]["red"]),
    ]:
        expect(page.locator(f"[data-figure='{figure}'] b")).to_have_text(str(value))
    assert projects["total"] >= 7 and projects["by_colour"]["red"] >= 1  # the samples, and the late one
    expect(page.locator(".league tbody tr").first).to_be_visible()
    expect(page.locator(".unavailable")).to_have_count(0)
    screen.shot("screen-1920")

    # a walk-in project registered now shows on the screen at its next refresh, 30 s later
    suite.login("window-officer").post(
        "/projects", json={"name": "来窗登记的新项目", "type": "low_risk", "enterprise": "E05"}
    )
    page.clock.fast_forward(31_000)
    expect(page.locator("[data-figure='total'] b")).to_have_text(str(projects["total"] + 1))
    page.reload()  # the kept token opens the screen again without the address carrying it
    expect(page.locator("[data-figure='total'] b")).to_have_text(str(projects["total"] + 1))

    # 办事指南: the address the QR code holds opens the guide, readable on a phone without login
    qr = requests.get(f"{suite.base}/api/v1/guide/low_risk/qr.png", timeout=30)
    assert qr.status_code == 200 and qr.headers["Content-Type"] == "image/png"
    url = qr.headers["X-Guide-URL"]
    assert url == f"{suite.base}/guide/low_risk"
    for viewport, name in ((PHONE, "guide-phone"), (PC, "guide-pc")):
        guide = open_page(viewport)
        guide.page.goto(url)
        expect(guide.page.get_by_role("heading", level=1)).to_have_text("社会投资简易低风险工程建设项目 · 办事指南")
        permit = guide.page.locator(".guide-item", has_text="S1-07 建设用地规划许可证核发")
        expect(permit).to_contain_text("自然资源和规划局")
        expect(permit).to_contain_text("本类项目按 3 日办结")
        qr_image = guide.page.get_by_role("img", name="社会投资简易低风险工程建设项目办事指南二维码")
        expect(qr_image).to_be_visible()
        # visible as soon as laid out (it has a width and height); decode() waits for the image itself
        assert qr_image.evaluate("img => img.decode().then(() => img.naturalWidth > 0, () => false)")
        guide.shot(name)


def test_questions_replies_and_rating_in_the_browser(suite, open_page):
    suite.set_clock("2026-11-10 10:00")
    asker = open_page(PC)
    log_in(asker, suite, "e03")
    page = asker.page
    page.goto("/enterprise/consultations")
    page.get_by_label("咨询部门").select_option("window")  # not sure whom to ask: the window forwards it
    page.get_by_label("主题").fill("用地规划许可需要哪些图纸")
    page.get_by_label("内容").fill("请问总平面图需要盖设计单位公章吗？")
    page.get_by_role("button", name="提交咨询").click()
    question = page.locator("article.question", has_text="用地规划许可需要哪些图纸")
    expect(question).to_contain_text("答复时限 2026-11-10 17:30")

    window = open_page(PC)
    log_in(window, suite, "window-officer")
    window.page.goto("/dept/consultations")
    waiting = window.page.locator("article.question", has_text="用地规划许可需要哪些图纸")
    waiting.get_by_label("转办用地规划许可需要哪些图纸").select_option("zrgh")
    waiting.get_by_role("button", name="转办").click()
    expect(waiting.locator(".department")).to_have_text("自然资源和规划局")
    expect(waiting.get_by_role("button", name="转办")).to_have_count(0)

    officer = open_page(PHONE)
    log_in(officer, suite, "zrgh-officer")
    officer.page.goto("/dept/consultations")
    asked = officer.page.locator("article.question", has_text="用地规划许可需要哪些图纸")
    expect(asked.locator(".due")).to_contain_text("2026-11-10 17:30")
    officer.shot("dept-phone-questions")
    asked.get_by_label("答复用地规划许可需要哪些图纸").fill("需要加盖设计单位出图章。")
    asked.get_by_role("button", name="答复").click()
    expect(officer.page.locator("article.question", has_text="用地规划许可需要哪些图纸")).to_have_count(0)

    page.reload()
    expect(question).to_contain_text("需要加盖设计单位出图章。")
    expect(question).to_contain_text("已答复")
    asker.shot("enterprise-pc-consultations")

    # the answer opens a rating invitation (through the rating worker): a low score needs a comment
    e03 = suite.login("e03")
    wait_until(lambda: e03.get("/ratings/invitations")["invitations"], timeout=30, what="a rating invitation")
    page.goto("/enterprise/ratings")
    invitation = page.locator("article.invitation").first
    invitation.get_by_label("2 不满意").check()
    invitation.get_by_role("button", name="提交评价").click()
    assert invitation.get_by_label("意见").evaluate("area => !area.checkValidity()")  # the browser asks for it
    invitation.get_by_label("意见").fill("答复太简短")
    invitation.get_by_role("button", name="提交评价").click()
    expect(invitation).to_contain_text("已评价")
    asker.shot("enterprise-pc-ratings")


def test_a_major_project_shows_its_green_channel_team_and_approval_plan(suite, open_page):
    """企业端 of a major project (sample P02 of E02): the 绿色通道 badge, the service team as the API gives it to the
    enterprise (phones masked), the approval plan counted back from the target start the enterprise sets, a
    refused date in Chinese, and the printable plan opened with the login's token."""
    suite.set_clock("2026-11-12 09:00")
    pid = project_ids(suite.login("e02"))["P02"]
    team = {"agent": "agent", "lead": {"name": "周主任", "phone": "13900000001"}}
    team["members"] = [{"name": "吴科长", "phone": "13900000002", "department": "zrgh"}]
    suite.login("supervisor").put(f"/projects/{pid}/service-team", json=team)

    w = open_page(PC)
    log_in(w, suite, "e02")
    page = w.page
    card = page.locator(".project-card", has_text="宁川·滨河花园住宅小区")
    expect(card.locator(".green-channel")).to_have_text("绿色通道")
    expect(page.locator(".project-card", has_text="宁川商业综合体").locator(".green-channel")).to_be_visible()
    card.get_by_role("link").click()
    expect(page.locator(".project-head .green-channel")).to_have_text("绿色通道")

    people = page.get_by_role("region", name="服务专班")
    expect(people.locator("[data-role=agent]")).to_have_text("帮办代办专员agent")
    expect(people.locator("[data-role=lead]")).to_contain_text("周主任")
    expect(people.locator("[data-role=lead] .phone")).to_have_text("139****0001")
    expect(people.locator("[data-role=member]")).to_contain_text("吴科长（自然资源和规划局）")
    expect(people).not_to_contain_text("13900000002")

    plan = page.get_by_role("region", name="审批服务方案")
    expect(plan.locator(".target-start")).to_have_text("未设定")
    w.allow("status of 400")  # the browser's own line for the refused date below
    plan.get_by_label("计划开工日期").fill("2026-11-12")
    plan.get_by_role("button", name="保存开工日期").click()
    expect(plan.get_by_role("alert")).to_contain_text("开工日期须晚于今天（2026-11-12）")
    plan.get_by_label("计划开工日期").fill("2027-01-25")
    plan.get_by_role("button", name="保存开工日期").click()
    expect(plan.locator(".target-start")).to_have_text("2027-01-25")
    expect(plan.get_by_role("alert")).to_have_count(0)
    counted = suite.login("e02").get(f"/projects/{pid}/plan")
    s1 = next(s for s in counted["stages"] if s["code"] == "S1")
    expect(plan.locator("tr[data-stage=S1] .latest-accept")).to_have_text(s1["latest"]["accept"])
    expect(plan.locator("tr[data-stage=S3] .latest-finish")).to_have_text("2027-01-22")  # the Friday before
    verdict = f"富余 {counted['slack_days']} 个工作日" if counted["feasible"] else f"相差 {counted['shortfall_days']}"
    expect(plan.locator(".verdict")).to_contain_text(verdict)
    plan.evaluate("section => section.scrollIntoView({block: 'start'})")
    w.shot("enterprise-pc-major-project")

    with page.expect_popup() as opened:
        plan.get_by_role("button", name="打印审批服务方案").click()
    printable = opened.value
    expect(printable.locator("h1")).to_contain_text("审批服务方案")
    expect(printable.locator("h1")).to_contain_text("绿色通道")
    expect(printable.locator("body")).to_contain_text("计划开工日期：2027-01-25")


def test_window_registers_a_walk_in_enterprise_and_returns_its_application(suite, open_page):
    suite.set_clock("2026-11-11 09:30")
    w = open_page(PC)
    log_in(w, suite, "window-head")
    page = w.page
    form = page.get_by_role("form", name="为来窗企业登记项目")
    form.locator("select[name=enterprise]").select_option("__new")
    form.get_by_label("企业编号").fill("E61")
    form.get_by_label("企业名称").fill("青禾包装材料有限公司")
    form.get_by_label("统一社会信用代码").fill("91370100MA3C000X61")
    form.get_by_label("项目名称").fill("青禾包装二号厂房")
    form.get_by_label("项目类型").select_option("low_risk")
    form.get_by_label(re.compile("S1-10 环境影响登记表备案")).check()
    form.get_by_role("button", name="登记项目").click()
    expect(form.get_by_text("已登记：青禾包装二号厂房。")).to_be_visible()
    w.shot("window-pc-register")
    form.get_by_role("link", name="办理 S1 阶段申请").click()

    # the window scans the paper materials in and submits for the enterprise, then returns the application
    missing = page.locator("li.missing input[type=file]")
    expect(missing.first).to_be_attached()
    expect(page.locator("li[data-material='M17']")).to_have_count(1)  # the EIA registration the window ticked
    for left in range(missing.count(), 0, -1):
        missing.first.set_input_files({"name": "scan.png", "mimeType": "image/png", "buffer": png()})
        expect(missing).to_have_count(left - 1)
    page.get_by_role("button", name="代企业提交申请").click()
    expect(page.locator(".stage-status")).to_have_text("已提交待受理")
    w.allow("status of 400")  # the return without a reason below, refused by the service
    page.get_by_role("button", name="退回").click()
    expect(page.get_by_role("alert")).to_contain_text("退回必须填写原因")  # the service's own words
    page.get_by_label("退回原因（退回时必填）").fill("总平面图缺少设计单位出图章")
    page.get_by_role("button", name="退回").click()
    expect(page.locator(".stage-status")).to_have_text("待申报")

    e61 = suite.login("window-head").get("/projects", params={"limit": 500})["projects"]
    project = next(p for p in e61 if p["name"] == "青禾包装二号厂房")
    assert project["enterprise"] == "E61"
    stage = suite.login("window-head").get(f"/projects/{project['id']}")["stages"][0]
    assert stage["status"] == "open" and stage["return_reason"] == "总平面图缺少设计单位出图章"


def test_big_screen_says_what_is_missing_instead_of_going_blank(suite, open_page):
    w = open_page(SCREEN)
    page = w.page
    page.goto("/screen")  # never opened with a token on this browser, and nobody logged in
    expect(page.get_by_role("alert")).to_contain_text("未配置大屏令牌")
    expect(page.get_by_role("alert")).to_contain_text("make screen-token")

    w.allow("status of 401")
    page.goto("/screen?token=not-a-token")
    expect(page.get_by_role("alert")).to_contain_text("大屏令牌无效或已过期")
    expect(page.get_by_role("alert")).to_contain_text("访问令牌无效")

    # one figure endpoint down: its panel says so in Chinese, the others still show
    w.allow("status of 503")
    page.route(
        "**/api/v1/dashboard/trends*",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"title": "服务暂不可用", "status": 503, "detail": "统计服务正在重启"}',
        ),
    )
    page.goto(f"/screen?token={screen_token(suite)}")
    expect(page.locator(".panel", has_text="月度趋势")).to_contain_text("数据暂不可用：服务暂不可用：统计服务正在重启")
    expect(page.locator("[data-figure='total'] b")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator(".league tbody tr").first).to_be_visible()


def test_errors_are_shown_in_chinese(suite, open_page):
    w = open_page(PHONE)
    page = w.page
    w.allow("status of 401")  # the browser's own line for the refused login below
    page.goto("/login")
    page.get_by_label("用户名").fill("e01")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("登录失败：用户名或密码错误")

    w.allow("status of 404")  # the guide of a project type that does not exist
    page.goto("/guide/castle")
    expect(page.get_by_role("alert")).to_contain_text("未找到办事指南：没有“castle”这一项目类型的办事指南")

    page.goto("/guide")  # the public guide's index leads to each project type's guide
    page.get_by_role("link", name="拿地即开工项目").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("拿地即开工项目 · 办事指南")

    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    # an address whose id climbs out of its path never reaches the API with someone's token
    asked = []
    page.on("request", lambda r: "/api/" in r.url and asked.append(r.url))
    page.goto("/dept/items/..%2F..%2Fetc")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    assert not [u for u in asked if "/api/v1/items" not in u and "/etc" in u], asked

    page.goto("/dept")  # a page that needs a login leads to the login, not to a blank page
    expect(page).to_have_url(re.compile(r"/login\?next=/dept"))

    # a token the gateway no longer accepts: back to the login with the gateway's reason, then back to the page
    log_in(w, suite, "e02")
    page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('zhitong.session'))
        localStorage.setItem('zhitong.session', JSON.stringify({ ...s, token: 'revoked' }))
    }""")
    page.goto("/enterprise/consultations")
    expect(page.get_by_role("status")).to_have_text("未登录或登录已过期：访问令牌无效，请重新登录")
    page.get_by_label("用户名").fill("e02")
    page.get_by_label("密码").fill(suite.password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/enterprise/consultations$"))
