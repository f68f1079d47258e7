"""Supervision reports: the monthly report (月度通报) as JSON, a printable page or an XLSX workbook, and its
publication (frozen, numbered, for the departments to read); the bi-monthly assessment (双月考核); the monthly
scheduling sheet of open problems (月调度)."""

from __future__ import annotations

import io
import json
import logging

from flask import Response, current_app, render_template
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from zhitong.alerts.v1 import alerts_pb2 as apb
from zhitong.consult.v1 import consult_pb2 as cpb
from zhitong.rating.v1 import rating_pb2 as rpb
from zhitong.workflow.v1 import workflow_pb2 as wpb

from kit import audit
from kit.calendar import month_bounds
from kit.clock import LOCAL_TZ
from kit.db import transaction
from services.gateway import clients, workbook
from services.gateway import supervision as sv
from services.gateway.api.consult import flag as flag_view
from services.gateway.api.ratings import rating as rating_view
from services.gateway.api.ratings import rectification as rectification_view
from services.gateway.auth import actor_pb, current_actor, current_claims
from services.gateway.models import AuditEntry, PublishedReport
from services.gateway.problems import Problem

log = logging.getLogger(__name__)
# who reads published reports: the supervision office and the departments' staff (a department only its own rows)
READER_ROLES = ("supervisor", "admin", "dept_head", "officer")
# the rows of a report that belong to one department
DEPARTMENT_ROWS = ("departments", "overdue_items", "flagged_replies", "bad_ratings", "ranking")

# figures of the city that show the month saw any work at all (a month before the suite was used has none)
ACTIVITY = ("projects_registered", "items_decided", "red_open", "questions_due", "ratings", "alerts")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _as(body: dict, fmt: str, template: str, filename: str):
    if fmt == "html":
        return Response(render_template(template, r=body, legend=sv.LEGEND), mimetype="text/html")
    if fmt == "xlsx":
        data = io.BytesIO()
        workbook.monthly_report(body).save(data)
        return Response(
            data.getvalue(),
            mimetype=XLSX,
            headers={"Content-Disposition": f"attachment; filename={filename}.xlsx"},
        )
    return body


def monthly(month, department=None, format="json"):  # noqa: A002 - the query parameter's name
    return _as(_monthly(month, department), format, "monthly_report.html", f"monthly-report-{month}")


def _monthly(month: str, department: str | None) -> dict:
    actor, scope = sv.figures_actor(sv.REPORT_ROLES)
    department = sv.scoped_department(department, scope)
    n = sv.names()
    today = sv.today()
    start = sv.month_start(month)
    sv.check_started(month, today)
    a = actor_pb(actor)
    found = sv.period_figures(actor, department, [month], n)  # open late items counted at the month's end
    late = sv.late_items(a, department, month)
    rows = list(found.departments.values())
    city = sv.city_row(rows).view()
    city["name_zh"] = n.department(department) if department else "全市"
    city.update(
        projects_registered=sum(p.registered for p in found.projects),
        projects_finished=sum(p.finished for p in found.projects),
    )
    sms = sv.sms_counts(actor, department, [tuple(sv.month_bounds(month))])[0]
    city.update(alerts=sms.total, alerts_failed=sms.failed)
    flags = clients.consult().call("ListFlags", cpb.ListFlagsRequest(actor=a, department=department, month=month))
    ratings = (
        clients.rating()
        .call("ListRatings", rpb.ListRatingsRequest(actor=a, department=department, month=month))
        .ratings
    )
    rectifications = {
        r.rating_id: r
        for r in clients.rating()
        .call("ListRectifications", rpb.ListRectificationsRequest(actor=a, department=department))
        .rectifications
    }
    bad = []
    for r in ratings:
        if r.score > 2:
            continue
        rect = rectifications.get(r.id)
        bad.append(
            {
                **rating_view(r),
                "department_name": n.department(r.department),
                "rectification": rectification_view(rect) if rect else None,
            }
        )
    ranking = sv.ranked_assessment(
        rows, sv.assessment_rules(), ranked=not department
    )  # this month's assessment, from the same rows
    body = {
        "month": month,
        "title": f"{start.year}年{start.month}月工程建设项目审批督查通报",
        "department": department or None,
        "department_name": n.department(department) if department else "全市",
        "generated_at": sv.now().isoformat(timespec="seconds"),
        "as_of": late.as_of,
        "city": city,
        "compression": sv.compression(found.projects, n),
        "departments": sv.league(rows, ranked=not department),
        "overdue_items": [{**sv.late_item(r), "department_name": n.department(r.item.department)} for r in late.items],
        "flagged_replies": [
            {
                **flag_view(f),
                "kind_zh": sv.FLAG_KIND_ZH.get(f.kind, f.kind),
                "department_name": n.department(f.department),
            }
            for f in flags.flags
        ],
        "bad_ratings": bad,
        "ranking": [
            {"rank": x["rank"], "department": x["department"], "name_zh": x["name_zh"], "score": x["score"]}
            for x in ranking
        ],
    }
    return body


# ---------------- publication (发布月度通报) ----------------


def _publication(row: PublishedReport) -> dict:
    return {
        "month": row.month,
        "issue": row.issue,
        "number": f"{row.year}年第{row.issue}期",
        "title": row.title,
        "note": row.note,
        "published_by": row.published_by,
        "published_by_name": row.published_by_name,
        "published_at": row.published_at.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
    }


def publish(body):
    """A supervisor publishes a finished month's city-wide report: it is frozen as it stands now, numbered within
    its year, and from then on the departments read that copy."""
    actor = current_actor()
    if actor.role != "supervisor":
        raise Problem(403, "只有督办员可以发布月度通报")
    month = body["month"]
    start = sv.month_start(month)
    today = sv.today()
    _, following = month_bounds(month)
    if following.date() > today:
        raise Problem(400, f"{month}尚未结束，月度通报须在月份结束后发布（当前日期 {today.isoformat()}）")
    note = (body.get("note") or "").strip()
    sessions = current_app.config["SESSIONS"]
    with sessions() as session:
        found = session.get(PublishedReport, month)
        if found is not None:
            raise _already(found)
    report = _monthly(month, None)
    if not any(report["city"].get(key) for key in ACTIVITY):
        raise Problem(409, f"{month}没有任何审批、留言或评价数据，无需发布通报（请检查月份）", month=month)
    row = PublishedReport(
        month=month,
        year=start.year,
        title=report["title"],
        note=note,
        published_by=actor.username,
        published_by_name=current_claims().get("name", "") or actor.username,
        published_at=sv.now(),
        body=json.dumps(report, ensure_ascii=False),
    )
    try:
        with transaction(sessions) as session:  # holds SQLite's write lock from the first statement
            if session.get(PublishedReport, month) is not None:
                raise IntegrityError("published meanwhile", None, None)
            row.issue = 1 + (
                session.scalar(select(func.max(PublishedReport.issue)).where(PublishedReport.year == start.year)) or 0
            )
            session.add(row)
            audit.record(
                session,
                AuditEntry,
                row.published_at,
                actor,
                subject_type="report",
                subject_id=month,
                action="published",
                to_status=f"{start.year}-{row.issue}",
                reason=note,
            )
            session.flush()
            view = _publication(row)
    except IntegrityError:  # the same month, or the same issue number, published at the same moment
        with sessions() as session:
            found = session.get(PublishedReport, month)
        if found is not None:
            raise _already(found) from None
        raise Problem(409, "另一份通报正在同时发布，请重试") from None
    log.info("monthly report %s published by %s as %s", month, actor.username, view["number"])
    return view, 201


def _already(found: PublishedReport) -> Problem:
    view = _publication(found)
    return Problem(
        409,
        f"{found.month}的月度通报已于{view['published_at'][:16].replace('T', ' ')}由{view['published_by_name']}"
        f"发布（{view['number']}），发布后不能更改或重发",
    )


def _reader():
    actor = current_actor()
    if actor.role not in READER_ROLES:
        raise Problem(403, "无权查看已发布的月度通报")
    return actor


def publications():
    """The published reports, newest month first (their titles, numbers and notes)."""
    _reader()
    with current_app.config["SESSIONS"]() as session:
        rows = session.scalars(select(PublishedReport).order_by(PublishedReport.month.desc())).all()
        return {"publications": [_publication(r) for r in rows]}


def publication(month, format="json"):  # noqa: A002
    """A published report as it was published; a department's staff get the city's totals and their own rows."""
    actor = _reader()
    sv.month_start(month)
    with current_app.config["SESSIONS"]() as session:
        row = session.get(PublishedReport, month)
        if row is None:
            raise Problem(404, f"{month}的月度通报尚未发布")
        body, view = json.loads(row.body), _publication(row)
    body["publication"] = view
    if actor.role in ("dept_head", "officer"):
        for key in DEPARTMENT_ROWS:
            body[key] = [r for r in body[key] if r.get("department") == actor.department]
        body["department_name"] = f"全市（本部门：{sv.names().department(actor.department)}）"
    return _as(body, format, "monthly_report.html", f"monthly-report-{month}-published")


def assessment(period, department=None, format="json"):  # noqa: A002
    actor, scope = sv.figures_actor(sv.REPORT_ROLES)
    department = sv.scoped_department(department, scope)
    first, last = sv.parse_period(period)
    sv.check_started(last, sv.today())
    body = sv.assessment(actor, department, first, last, sv.names())
    if format == "html":
        return Response(render_template("assessment.html", r=body), mimetype="text/html")
    return body


def scheduling(department=None, format="json"):  # noqa: A002
    """The open problems now, grouped by department with the people responsible for them."""
    actor, scope = sv.figures_actor(sv.REPORT_ROLES)
    department = sv.scoped_department(department, scope)
    n = sv.names()
    a = actor_pb(actor)
    groups: dict[str, dict] = {}

    def group(code: str) -> dict:
        return groups.setdefault(
            code,
            {
                "department": code,
                "name_zh": n.department(code),
                "responsible": [],
                "red_items": [],
                "overdue_questions": [],
                "open_cases": [],
                "overdue_rectifications": [],
            },
        )

    late = clients.workflow().call("ListLateItems", wpb.ListLateItemsRequest(actor=a, department=department))
    for r in late.items:
        group(r.item.department)["red_items"].append(sv.late_item(r))
    questions = (
        clients.consult()
        .call("ListQuestions", cpb.ListQuestionsRequest(actor=a, department=department, overdue="true", limit=500))
        .questions
    )
    for q in questions:
        if q.status == "open" and not q.HasField("first_reply_at"):
            group(q.department)["overdue_questions"].append(
                {"id": q.id, "subject": q.subject, "asker": q.asker, "due_at": sv.views.local_time(q.due_at)}
            )
    for c in clients.consult().call("ListCases", cpb.ListCasesRequest(actor=a)).cases:
        if c.status == "closed" or (
            department and c.lead_department != department and department not in c.participants
        ):
            continue
        group(c.lead_department)["open_cases"].append(
            {
                "id": c.id,
                "title": c.title,
                "target_date": c.target_date,
                "responsible": c.responsible,
                "participants": list(c.participants),
                "overdue": c.colour == "red",
            }
        )
    rects = (
        clients.rating()
        .call("ListRectifications", rpb.ListRectificationsRequest(actor=a, department=department))
        .rectifications
    )
    for r in rects:
        if r.overdue:
            group(r.department)["overdue_rectifications"].append(rectification_view(r))
    contacts = clients.alerts().call("ListContacts", apb.ListContactsRequest(actor=a, department=department)).contacts
    for c in contacts:
        if c.department in groups and c.role in ("dept_head", "contact"):
            groups[c.department]["responsible"].append(
                {
                    "role": c.role,
                    "role_zh": "负责人" if c.role == "dept_head" else "联络员",
                    "name": c.name,
                    "phone": c.phone,
                }
            )
    rows = sorted(
        groups.values(),
        key=lambda g: (
            -len(g["red_items"]) - len(g["overdue_questions"]) - len(g["overdue_rectifications"]),
            g["department"],
        ),
    )
    body = {
        "as_of": late.as_of,
        "department": department or None,
        "totals": {
            k: sum(len(g[k]) for g in rows)
            for k in ("red_items", "overdue_questions", "open_cases", "overdue_rectifications")
        },
        "departments": rows,
    }
    if format == "html":
        return Response(render_template("scheduling.html", r=body, legend=sv.LEGEND), mimetype="text/html")
    return body
