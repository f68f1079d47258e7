"""督查端 in Chromium, checked as a supervisor would check it: after a November of approvals, questions and a bad
rating, the home page shows the dashboard's figures; a late reply is flagged and a rectification accepted; the
scheduling sheet lists a red item under its department with the people responsible; the assessment shows each score
with the breakdown behind it; a project gets the green channel, a service team and a joint case; and on 1 December
the monthly report shows the JSON API's numbers, prints, downloads as a workbook and is published once (the second
publication is refused in Chinese). Screenshots go to docs/screenshots/.

The module runs on a suite of its own, so that the figures it compares hold only its own activity and the other
browser tests find the sample projects as they expect them.

The scenario, on the 2026 calendar (no holiday in November):
- P01 (E01, low_risk): S1 accepted Monday 2 November, every item approved Thursday 5 November (3 working days), so
  its items with a limit under 3 are late;
- P02 (E02, major): S1 accepted 2 November and left lying: on Friday 20 November its items have used 14 working
  days and those with a limit under 14 are red;
- three questions to zjj on 2 November 10:00 (due 17:30): one answered at 11:00, one the next morning (late), one
  never; E01 rates the on-time answer with 2 stars, zjj responds to the rectification.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import PC, PHONE
from tests.browser.test_terminals import log_in
from tests.e2e.conftest import own_vhost, start_suite, wait_until
from tests.e2e.test_approval_flow import upload_missing
from tools.seed import project_ids

pytestmark = pytest.mark.browser

SUBJECTS = ("桩基施工许可条件", "施工图审查要求", "质量监督注册流程")


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    with own_vhost() as url:
        s = start_suite(tmp_path_factory.mktemp("var-supervision-web"), url)
        try:
            yield s
        finally:
            s.stop()


def accept(suite, enterprise, project_id: str, stage: str) -> list[dict]:
    upload_missing(enterprise, project_id, stage)
    enterprise.post(f"/projects/{project_id}/stages/{stage}/submit")
    done = suite.login("window-officer").post(
        f"/projects/{project_id}/stages/{stage}/actions", json={"action": "accept"}
    )
    return done["items"]


@pytest.fixture(scope="module")
def scenario(suite):
    e01, e02 = suite.login("e01"), suite.login("e02")
    p01, p02 = project_ids(e01)["P01"], project_ids(e02)["P02"]
    suite.set_clock("2026-11-02 09:00")
    decided = accept(suite, e01, p01, "S1")
    suite.set_clock("2026-11-02 09:30")
    lying = accept(suite, e02, p02, "S1")

    suite.set_clock("2026-11-02 10:00")
    questions = [
        e01.post("/consultations", json={"department": "zjj", "subject": s, "body": "请问需要准备哪些材料？"})
        for s in SUBJECTS
    ]
    zjj = suite.login("zjj-officer")
    suite.set_clock("2026-11-02 11:00")
    zjj.post(f"/consultations/{questions[0]['id']}/replies", json={"body": "请见办事指南。"})
    suite.set_clock("2026-11-03 09:00")
    zjj.post(f"/consultations/{questions[1]['id']}/replies", json={"body": "已电话联系。"})

    suite.set_clock("2026-11-05 10:00")
    for it in decided:
        suite.login(f"{it['department']}-officer").post(f"/items/{it['id']}/actions", json={"action": "approve"})
    invitation = wait_until(
        lambda: next(
            (i for i in e01.get("/ratings/invitations")["invitations"] if i["subject_id"] == questions[0]["id"]), None
        ),
        30,
        "the invitation to rate the answer",
    )
    rated = e01.post("/ratings", json={"invitation_id": invitation["id"], "score": 2, "comment": "答复过于简单"})
    rectification = rated["rectification"]
    zjj.post(
        f"/rectifications/{rectification['id']}/actions", json={"action": "respond", "note": "已约谈经办人，重新答复"}
    )

    suite.set_clock("2026-11-20 10:00")
    supervisor = suite.login("supervisor")
    wait_until(
        lambda: supervisor.get("/reports/scheduling")["totals"]["red_items"] > 0, 30, "P02's red items on the sheet"
    )
    return {"p01": p01, "p02": p02, "lying": lying, "questions": questions, "rectification": rectification}


def pct(value) -> str:
    """A rate as the page writes it (JavaScript's toFixed: the exact value, halves rounded up)."""
    if value is None:
        return "—"
    return f"{Decimal(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def test_a_supervisor_lands_on_the_citys_figures(suite, open_page, scenario):
    summary = suite.login("supervisor").get("/dashboard/summary")
    w = open_page(PC)
    log_in(w, suite, "supervisor")
    page = w.page
    expect(page).to_have_url(re.compile(r"/supervision$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("督查首页 · 全市")
    expect(page.get_by_text("蓝=超前").first).to_be_visible()
    projects, items = summary["projects"], summary["items"]
    for figure, value in [
        ("total", projects["total"]),
        ("in_progress", projects["in_progress"]),
        ("red", projects["by_colour"]["red"]),
        ("yellow", projects["by_colour"]["yellow"]),
        ("open_items", f"{items['open']} / {items['warning']} / {items['red']}"),
        ("timely_rate", pct(summary["consultation"]["timely_rate"])),
        ("materials", pct(summary["materials"]["reduction"])),
    ]:
        expect(page.locator(f"[data-figure='{figure}'] b")).to_have_text(str(value))
    assert items["red"] > 0
    red_dept = next(d for d in items["by_department"] if d["red"])
    expect(page.locator(f"table.open-items tr[data-department='{red_dept['department']}'] td").nth(2)).to_have_text(
        str(red_dept["red"])
    )
    for chart in ("在办项目：", "各阶段在办项目", "近12个月"):  # drawn (a canvas in each chart's box)
        expect(page.locator(f"[role=img][aria-label*='{chart}'] canvas").first).to_be_attached()
    expect(page.get_by_role("link", name="打开监督大屏 →")).to_have_attribute("href", "/screen")
    w.shot("supervision-pc-home")

    phone = open_page(PHONE)
    log_in(phone, suite, "supervisor")
    expect(phone.page.locator("[data-figure='total'] b")).to_have_text(str(projects["total"]))
    phone.shot("supervision-phone-home")

    # a department head keeps the workbench, with a link to their own department's figures
    head = open_page(PHONE)
    log_in(head, suite, "zjj-head")
    expect(head.page).to_have_url(re.compile(r"/dept$"))
    head.page.get_by_role("link", name="本部门统计", exact=True).click()
    expect(head.page.get_by_role("heading", level=1)).to_have_text("住房和城乡建设局 · 本部门统计")
    own = suite.login("zjj-head").get("/dashboard/summary")
    expect(head.page.locator("[data-figure='satisfaction_rate'] b")).to_have_text(
        pct(own["ratings"]["satisfaction_rate"])
    )
    expect(head.page.get_by_role("link", name="打开监督大屏 →")).to_have_count(0)


def test_flagging_a_late_reply_and_reviewing_a_rectification(suite, open_page, scenario):
    w = open_page(PC)
    log_in(w, suite, "supervisor")
    page = w.page
    page.get_by_role("link", name="留言督办", exact=True).click()
    late = page.locator("article.question", has_text=SUBJECTS[1])
    expect(late.locator(".tag.red")).to_have_text("超时答复")
    form = late.get_by_role("form", name=f"标记{SUBJECTS[1]}")
    form.get_by_label("标记为").select_option("late")
    form.get_by_label("督办意见").fill("超过当日答复时限，次日才答复")
    form.get_by_role("button", name="标记答复").click()
    row = page.locator("table.flags tbody tr", has_text=SUBJECTS[1])
    expect(row).to_contain_text("答复不及时")
    expect(row).to_contain_text("超过当日答复时限，次日才答复")
    expect(late.locator(".given-flags")).to_contain_text("答复不及时")
    (flag,) = suite.login("supervisor").get("/consultations/flags", params={"month": "2026-11"})["flags"]
    assert (flag["question_id"], flag["kind"]) == (scenario["questions"][1]["id"], "late")

    w.allow("status of 409")  # the same flag twice, refused by the service
    form.get_by_label("督办意见").fill("再次标记")
    form.get_by_role("button", name="标记答复").click()
    expect(form.get_by_role("alert")).to_contain_text("该回复已被标记为“不及时”")
    late.scroll_into_view_if_needed()
    w.shot("supervision-pc-flags")

    page.get_by_role("link", name="整改审核", exact=True).click()
    card = page.locator(f"article[data-rectification='{scenario['rectification']['id']}']")
    expect(card.locator(".response")).to_have_text("已约谈经办人，重新答复")
    card.get_by_label("审核意见").fill("整改到位")
    card.get_by_role("button", name="通过").click()
    expect(page.get_by_role("status")).to_contain_text(f"已通过：留言：{SUBJECTS[0]}（住房和城乡建设局）")
    page.get_by_role("button", name="待回访").click()
    expect(card).to_have_attribute("data-status", "accepted")
    (kept,) = suite.login("supervisor").get("/rectifications", params={"status": "accepted"})["rectifications"]
    assert kept["review_note"] == "整改到位"


def test_scheduling_sheet_lists_a_red_item_under_its_department(suite, open_page, scenario):
    sheet = suite.login("supervisor").get("/reports/scheduling")
    red = next(it for it in scenario["lying"] if it["effective_days"] < 14)  # used 14 working days by now
    group = next(g for g in sheet["departments"] if g["department"] == red["department"])
    w = open_page(PC)
    log_in(w, suite, "supervisor")
    page = w.page
    page.goto("/supervision/scheduling")
    section = page.locator(f"section.department-group[data-department='{red['department']}']")
    expect(section.locator("h2")).to_have_text(group["name_zh"])
    row = section.locator(f"tr[data-item='{red['code']}'][data-project='{scenario['p02']}']")
    expect(row.locator(".colour")).to_have_attribute("data-colour", "red")
    days = next(i["days_overdue"] for i in group["red_items"] if i["id"] == red["id"])
    expect(row.locator("td[data-label='超期（工作日）']")).to_have_text(str(days))
    for person in group["responsible"]:
        expect(section.locator(f".responsible [data-role='{person['role']}']")).to_contain_text(person["name"])
        expect(section.locator(f".responsible [data-role='{person['role']}']")).to_contain_text(person["phone"])
    expect(page.locator("[data-figure='red_items'] b")).to_have_text(str(sheet["totals"]["red_items"]))
    expect(section.locator(".legend")).to_have_count(0)  # one legend for the page, above the groups
    expect(page.locator(".legend")).to_contain_text("红=滞后")
    w.shot("supervision-pc-scheduling")

    phone = open_page(PHONE)
    log_in(phone, suite, "supervisor")
    phone.page.goto("/supervision/scheduling")
    first = phone.page.locator("section.department-group").first
    expect(first.locator("h2")).to_have_text(sheet["departments"][0]["name_zh"])
    phone.shot("supervision-phone-scheduling")


def test_assessment_shows_scores_with_their_breakdown(suite, open_page, scenario):
    result = suite.login("supervisor").get("/reports/assessment", params={"period": "2026-10..2026-11"})
    w = open_page(PC)
    log_in(w, suite, "supervisor")
    page = w.page
    page.goto("/supervision/assessment")
    # by default the last two months that have ended (it is 20 November)
    expect(page.get_by_label("起始月份")).to_have_value("2026-09")
    expect(page.get_by_label("结束月份")).to_have_value("2026-10")
    page.get_by_label("起始月份").select_option("2026-10")
    page.get_by_label("结束月份").select_option("2026-11")
    page.get_by_role("button", name="查看考核").click()
    expect(page.locator(".period")).to_contain_text("考核期间 2026年10月至2026年11月")
    scored = [d for d in result["departments"] if d["score"] is not None]
    assert scored
    for d in result["departments"]:
        expect(page.locator(f"tbody[data-department='{d['department']}'] .score")).to_have_text(
            "—" if d["score"] is None else f"{d['score']:g}"
        )
    zjj = next(d for d in result["departments"] if d["department"] == "zjj")
    body = page.locator("tbody[data-department='zjj']")
    body.get_by_role("button", name="展开").click()
    for m in zjj["measures"]:
        measure = body.locator(f"tr[data-measure='{m['measure']}']")
        expect(measure.locator(".basis")).to_have_text(m["basis"])
        expect(measure.locator(".points")).to_have_text("—" if m["points"] is None else f"{m['points']:g}")
    expect(body.locator("[data-measure='timely_rate'] .basis")).to_have_text("按时答复 1 / 应答复 3")
    expect(body.locator(".deductions li")).to_have_count(len(zjj["deductions"]))
    for x in zjj["deductions"]:  # the late reply flagged above
        expect(body.locator(f"[data-penalty='{x['penalty']}']")).to_have_text(
            f"{x['name_zh']} {x['count']} 次 × {x['per_flag']:g} 分 = {x['points']:g} 分"
        )
    w.shot("supervision-pc-assessment")

    phone = open_page(PHONE)
    log_in(phone, suite, "supervisor")
    phone.page.goto("/supervision/assessment?period=2026-10..2026-11")
    zjj_phone = phone.page.locator("tbody[data-department='zjj']")
    zjj_phone.get_by_role("button", name="展开").click()
    expect(zjj_phone.locator("[data-measure='timely_rate'] .basis")).to_be_visible()
    zjj_phone.scroll_into_view_if_needed()
    phone.shot("supervision-phone-assessment")


def test_a_project_gets_the_green_channel_a_service_team_and_a_joint_case(suite, open_page, scenario):
    supervisor = suite.login("supervisor")
    pid = project_ids(supervisor)["P05"]
    w = open_page(PC)
    log_in(w, suite, "supervisor")
    page = w.page
    page.get_by_role("link", name="重大项目", exact=True).click()
    page.locator(f"tr[data-project='{pid}']").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("和顺食品冷链加工车间")
    expect(page.locator(".project-head .green-channel")).to_have_count(0)
    channel = page.get_by_role("form", name="绿色通道")
    channel.get_by_label("认定原因（可选）").fill("市重点冷链项目")
    channel.get_by_role("button", name="认定为重大项目（开通绿色通道）").click()
    expect(page.locator(".project-head .green-channel")).to_have_text("绿色通道")

    team = page.get_by_role("form", name="服务专班")
    w.allow("status of 400")  # an agent who is not one, refused in Chinese
    team.get_by_label("帮办代办专员（用户名）").fill("e05")
    team.locator("input[name=lead-name]").fill("钱主任")
    team.locator("input[name=lead-phone]").fill("13900000011")
    team.locator("input[name=member-name-0]").fill("冯科长")
    team.locator("input[name=member-phone-0]").fill("13900000012")
    team.locator("select[name=member-department-0]").select_option("sthj")
    team.get_by_role("button", name="保存服务专班").click()
    expect(page.get_by_role("region", name="服务专班和帮办代办专员").get_by_role("alert")).to_contain_text(
        "“e05”不是帮办代办专员"
    )
    team.get_by_label("帮办代办专员（用户名）").fill("agent")
    team.get_by_role("button", name="保存服务专班").click()
    expect(page.get_by_role("status")).to_contain_text("已保存：帮办代办专员 agent，牵头人 钱主任，成员 1 人。")
    kept = supervisor.get(f"/projects/{pid}/service-team")
    assert kept["agent"] == "agent" and kept["lead"]["name"] == "钱主任"
    assert [(m["name"], m["department"]) for m in kept["members"]] == [("冯科长", "sthj")]
    page.get_by_role("heading", name="服务专班和帮办代办专员").scroll_into_view_if_needed()
    w.shot("supervision-pc-project")

    # a joint case for the project, then its first progress note
    page.locator("summary", has_text="提出会商").click()
    case = page.get_by_role("form", name="提出会商")
    case.get_by_label("会商事由").fill("冷库选址与排水接入")
    case.get_by_label("问题描述").fill("排水接入点未明确，影响环评和规划许可。")
    case.get_by_label("牵头部门").select_option("zrgh")
    case.get_by_label("目标日期").fill("2026-11-27")
    case.get_by_label("责任人").fill("钱主任")
    case.get_by_role("checkbox", name="水务局").check()
    case.get_by_role("button", name="提出会商").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("冷库选址与排水接入")
    expect(page.locator(".case-facts")).to_contain_text("自然资源和规划局")
    expect(page.locator(".case-facts")).to_contain_text("水务局")
    progress = page.get_by_role("form", name="记录会商进展")
    progress.get_by_label("进展说明").fill("已召开线上会商，水务局明确接入点。")
    progress.get_by_role("button", name="保存进展").click()
    expect(page.locator(".case-updates")).to_contain_text("supervisor")
    expect(page.locator(".case-updates")).to_contain_text("已召开线上会商，水务局明确接入点。")
    (opened,) = supervisor.get("/cases", params={"project_id": pid})["cases"]
    assert opened["status"] == "in_progress" and opened["participants"] == ["swj"]

    # unflagging the green channel dissolves the team
    page.get_by_role("link", name="和顺食品冷链加工车间").click()
    page.get_by_role("form", name="绿色通道").get_by_role("button", name="取消绿色通道").click()
    expect(page.locator(".project-head .green-channel")).to_have_count(0)
    expect(page.get_by_role("form", name="服务专班")).to_have_count(0)
    assert supervisor.get(f"/projects/{pid}/service-team")["agent"] is None


def test_monthly_report_matches_the_api_downloads_and_is_published_once(suite, open_page, scenario, tmp_path):
    """Last in this module: it moves the suite's clock into December to publish November."""
    suite.set_clock("2026-12-01 09:00")
    supervisor = suite.login("supervisor")
    report = supervisor.get("/reports/monthly", params={"month": "2026-11"})
    w = open_page(PC)
    log_in(w, suite, "supervisor")
    page = w.page
    page.get_by_role("link", name="月度通报", exact=True).click()
    expect(page.get_by_label("月份")).to_have_value("2026-11")  # the last month that has ended
    expect(page.locator(".report-title")).to_contain_text("2026年11月工程建设项目审批督查通报")
    city = report["city"]
    for figure, value in [
        ("items_decided", city["items_decided"]),
        ("on_time_rate", pct(city["on_time_rate"])),
        ("items_red", city["items_red"]),
        ("red_open", city["red_open"]),
        ("reply_rate", pct(city["reply_rate"])),
        ("timely_rate", pct(city["timely_rate"])),
        ("satisfaction_rate", pct(city["satisfaction_rate"])),
        ("alerts", city["alerts"]),
    ]:
        expect(page.locator(f".city [data-figure='{figure}'] b")).to_have_text(str(value))
    assert city["items_decided"] > 0 and city["red_open"] > 0
    rows = page.locator("table.departments tbody tr")
    expect(rows).to_have_count(len(report["departments"]))
    for d in report["departments"]:
        row = page.locator(f"table.departments tr[data-department='{d['department']}']")
        expect(row.locator("td[data-label='排名']")).to_have_text(str(d["rank"]))
        expect(row.locator("td[data-label='办结事项']")).to_have_text(str(d["items_decided"]))
        expect(row.locator("td[data-label='按时办结率']")).to_have_text(pct(d["on_time_rate"]))
        expect(row.locator("td[data-label='月末在办超期']")).to_have_text(str(d["red_open"]))
    overdue = page.locator("table.overdue tbody tr")
    expect(overdue).to_have_count(len(report["overdue_items"]))
    for o in report["overdue_items"]:
        expect(page.locator(f"table.overdue tr[data-item='{o['id']}'] .days-overdue")).to_have_text(
            str(o["days_overdue"])
        )
    flagged = page.locator("table.flagged tbody tr[data-flag]")
    expect(flagged).to_have_count(len(report["flagged_replies"]))
    for f in report["flagged_replies"]:
        expect(page.locator(f"table.flagged tr[data-flag='{f['id']}']")).to_contain_text(f["kind_zh"])
    (bad,) = report["bad_ratings"]
    expect(page.locator(f"table.bad-ratings tr[data-rating='{bad['id']}'] .rectification-status")).to_have_text(
        {"accepted": "已通过待回访", "responded": "已反馈待审核"}[bad["rectification"]["status"]]
    )
    w.shot("supervision-pc-monthly")

    # the workbook, fetched with the login's token, saved under the gateway's name
    with page.expect_download() as got:
        page.get_by_role("button", name="下载 Excel").click()
    download = got.value
    assert download.suggested_filename == "monthly-report-2026-11.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved)
    assert book.sheetnames == ["概况", "部门排名", "超期事项", "通报批评", "差评整改", "考核排名"]
    overview = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert overview["办结审批事项（件）"] == city["items_decided"]

    # the printable page, in a window of its own
    with page.expect_popup() as opened:
        page.get_by_role("button", name="打印通报").click()
    printable = opened.value
    expect(printable.locator("h1")).to_have_text("2026年11月工程建设项目审批督查通报")
    expect(printable.locator("body")).to_contain_text("通报批评")
    printable.close()

    # a second supervisor's page, opened before the first publishes
    other = open_page(PC)
    log_in(other, suite, "supervisor")
    other.page.goto("/supervision/monthly?month=2026-11")
    expect(other.page.get_by_role("button", name="发布2026年11月通报")).to_be_enabled()

    note = "请各部门对照通报问题于5个工作日内整改到位。"
    publish = page.get_by_role("form", name="发布通报")
    publish.get_by_label("督办按语（可选）").fill(note)
    publish.get_by_role("button", name="发布2026年11月通报").click()
    expect(page.locator(".issued")).to_contain_text("2026年11月通报已发布为2026年第1期")
    issue = page.locator("table.issues tr[data-month='2026-11']")
    expect(issue).to_contain_text("2026年第1期")
    expect(issue).to_contain_text(note)
    expect(page.locator(".issue-number")).to_have_text("已发布 · 2026年第1期")
    (kept,) = supervisor.get("/reports/publications")["publications"]
    assert (kept["month"], kept["number"], kept["note"]) == ("2026-11", "2026年第1期", note)
    page.locator(".publish").scroll_into_view_if_needed()
    w.shot("supervision-pc-publish")

    other.allow("status of 409")
    other.page.get_by_role("button", name="发布2026年11月通报").click()
    refused = other.page.locator(".publish").get_by_role("alert")
    expect(refused).to_contain_text(
        f"2026-11的月度通报已于2026-12-01 09:00由{kept['published_by_name']}发布（2026年第1期），发布后不能更改或重发"
    )
    expect(other.page.locator(".issued")).to_contain_text("2026年第1期")  # the page now says who published it

    # the current month has not ended: the gateway's 400, in Chinese
    other.allow("status of 400")
    other.page.get_by_label("月份").select_option("2026-12")
    other.page.get_by_role("button", name="发布2026年12月通报").click()
    expect(other.page.locator(".publish").get_by_role("alert")).to_contain_text(
        "2026-12尚未结束，月度通报须在月份结束后发布"
    )

    # the published issue opens as it was published
    with page.expect_popup() as opened:
        issue.get_by_role("button", name="打印").click()
    expect(opened.value.locator("body")).to_contain_text(f"督办按语：{note}")

    phone = open_page(PHONE)
    log_in(phone, suite, "supervisor")
    phone.page.goto("/supervision/monthly?month=2026-11")
    expect(phone.page.locator(".issue-number")).to_have_text("已发布 · 2026年第1期")
    phone.page.locator("table.overdue").scroll_into_view_if_needed()
    phone.shot("supervision-phone-monthly")
