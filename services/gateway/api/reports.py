"""Supervision reports: the monthly report (月度通报) as JSON, a printable page or an XLSX workbook; the
bi-monthly assessment (双月考核); the monthly scheduling sheet of open problems (月调度)."""

from __future__ import annotations

import io

from flask import Response, render_template
from zhitong.alerts.v1 import alerts_pb2 as apb
from zhitong.consult.v1 import consult_pb2 as cpb
from zhitong.rating.v1 import rating_pb2 as rpb
from zhitong.workflow.v1 import workflow_pb2 as wpb

from services.gateway import clients, workbook
from services.gateway import supervision as sv
from services.gateway.api.consult import flag as flag_view
from services.gateway.api.ratings import rating as rating_view
from services.gateway.api.ratings import rectification as rectification_view
from services.gateway.auth import actor_pb

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
    actor, scope = sv.figures_actor(sv.REPORT_ROLES)
    department = sv.scoped_department(department, scope)
    n = sv.names()
    today = sv.today()
    start = sv.month_start(month)
    sv.check_started(month, today)
    a = actor_pb(actor)
    found = sv.period_figures(actor, department, [month], n, with_red_now=False)
    late = sv.late_items(a, department, month)
    sv.add_red_open(found, late, n)  # items still open and late at the month's end (or today)
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
    ranking = sv.ranked_assessment(rows, sv.assessment_rules())  # this month's assessment, from the same rows
    body = {
        "month": month,
        "title": f"{start.year}年{start.month}月工程建设项目审批督查通报",
        "department": department or None,
        "department_name": n.department(department) if department else "全市",
        "generated_at": sv.now().isoformat(timespec="seconds"),
        "as_of": late.as_of,
        "city": city,
        "compression": sv.compression(found.projects, n),
        "departments": sv.league(rows),
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
    return _as(body, format, "monthly_report.html", f"monthly-report-{month}")


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
