"""The live dashboard (大屏/督查看板): the state now, monthly trend curves and the department league table."""

from __future__ import annotations

from zhitong.alerts.v1 import alerts_pb2 as apb
from zhitong.consult.v1 import consult_pb2 as cpb
from zhitong.rating.v1 import rating_pb2 as rpb
from zhitong.workflow.v1 import workflow_pb2 as wpb

from services.gateway import clients
from services.gateway import supervision as sv
from services.gateway.api.alerts import message as sms_view
from services.gateway.auth import actor_pb
from services.gateway.problems import Problem


def summary(department=None):
    actor, scope = sv.figures_actor()
    department = sv.scoped_department(department, scope)
    a = actor_pb(actor)
    today = sv.today()
    month = sv.month_text(today)
    # the services answer at the same time; the slowest one sets the pace
    found = sv.gather(
        names=sv.names,
        dash=lambda: clients.workflow().call("GetDashboard", wpb.GetDashboardRequest(actor=a, department=department)),
        materials=lambda: None if department else sv.material_figures(actor),
        day_counts=lambda: sv.sms_counts(actor, department, [sv.local_day_bounds(today)])[0],
        latest=lambda: (
            clients.alerts()
            .call("ListMessages", apb.ListMessagesRequest(actor=a, department=department, limit=10))
            .messages
        ),
        consult=lambda: clients.consult().call("GetStats", cpb.GetStatsRequest(actor=a, month=month)),
        ratings=lambda: clients.rating().call("GetStats", rpb.GetStatsRequest(actor=a, month=month)).departments,
        cases=lambda: clients.consult().call("ListCases", cpb.ListCasesRequest(actor=a)).cases,
    )
    n, dash = found["names"], found["dash"]

    projects = {
        "total": 0,
        "in_progress": 0,
        "completed": 0,
        "stopped": 0,
        "by_colour": dict.fromkeys(sv.COLOURS, 0),  # every project, as the project list colours them
        "running_by_colour": dict.fromkeys(sv.COLOURS, 0),  # the projects still in progress
    }
    by_type: dict[str, dict] = {}
    by_stage: dict[str, dict] = {
        code: {"stage": code, "name_zh": name, "in_progress": 0, **dict.fromkeys(sv.COLOURS, 0)}
        for code, name in n.stages.items()
    }
    for p in dash.projects:
        colour = sv.colour_word(p.colour)
        projects["total"] += p.count
        projects[p.status] = projects.get(p.status, 0) + p.count
        t = by_type.setdefault(
            p.project_type,
            {
                "project_type": p.project_type,
                "name_zh": n.project_types.get(p.project_type, p.project_type),
                "total": 0,
                "in_progress": 0,
                "completed": 0,
                "stopped": 0,
                **dict.fromkeys(sv.COLOURS, 0),
            },
        )
        t["total"] += p.count
        t[p.status] = t.get(p.status, 0) + p.count
        if colour:
            projects["by_colour"][colour] += p.count
            t[colour] += p.count
        if p.status == "in_progress" and colour:
            projects["running_by_colour"][colour] += p.count
            if p.stage in by_stage:
                by_stage[p.stage]["in_progress"] += p.count
                by_stage[p.stage][colour] += p.count
    projects["by_type"] = sorted(by_type.values(), key=lambda r: r["project_type"])
    projects["by_stage"] = list(by_stage.values())

    items = {"open": 0, "red": 0, "warning": 0, "normal": 0}
    by_dept: dict[str, dict] = {}
    for c in dash.open_items:
        row = by_dept.setdefault(
            c.department,
            {
                "department": c.department,
                "name_zh": n.department(c.department),
                "open": 0,
                "red": 0,
                "warning": 0,
                "normal": 0,
            },
        )
        row[c.state] += c.count
        row["open"] += c.count
        items[c.state] += c.count
        items["open"] += c.count
    items["by_department"] = sorted(by_dept.values(), key=lambda r: (-r["red"], -r["warning"], r["department"]))

    day_counts, latest, consult = found["day_counts"], found["latest"], found["consult"]
    own = [f for f in consult.departments if not department or f.department == department]
    due = sum(f.due for f in own)
    replied = sum(f.replied for f in own)
    on_time = sum(f.replied_on_time for f in own)
    ratings = [f for f in found["ratings"] if not department or f.department == department]
    q_rated = sum(f.question_ratings for f in ratings)
    q_satisfied = sum(f.question_satisfaction_rate * f.question_ratings for f in ratings)
    rated = sum(f.ratings for f in ratings)
    satisfied = sum(f.satisfaction_rate * f.ratings for f in ratings)

    cases = found["cases"]
    open_cases = [
        c
        for c in cases
        if c.status != "closed" and (not department or c.lead_department == department or department in c.participants)
    ]

    body = {
        "as_of": dash.as_of,
        "month": month,
        "department": department or None,
        "legend": sv.LEGEND,
        "projects": projects,
        "items": items,
        "compression": sv.compression(
            [
                wpb.ProjectTypeMonth(
                    project_type=c.project_type,
                    finished=c.finished,
                    used_days=c.used_days,
                    pre_reform_days=c.pre_reform_days,
                )
                for c in dash.compression
            ],
            n,
        ),
        "materials": None if department else sv.material_reduction(found["materials"], dash.materials_asked),
        "alerts": {
            "today": day_counts.total,
            "sent_today": day_counts.sent,
            "failed_today": day_counts.failed,
            "latest": [sms_view(m) for m in latest],
        },
        "consultation": {
            "due": due,
            "replied": replied,
            "replied_on_time": on_time,
            "reply_rate": sv.rate(replied, due),
            "timely_rate": sv.rate(on_time, due),
            "satisfaction_rate": sv.rate(round(q_satisfied), q_rated),
        },
        "ratings": {"ratings": rated, "satisfaction_rate": sv.rate(round(satisfied), rated)},
        "cases": {
            "open": len(open_cases),
            "overdue": sum(1 for c in open_cases if c.colour == "red"),
        },
    }
    return body


def trends(months=12, department=None):
    actor, scope = sv.figures_actor()
    department = sv.scoped_department(department, scope)
    if not 1 <= months <= 36:
        raise Problem(400, "月份数应在1到36之间")
    n = sv.names()
    today = sv.today()
    month_list = sv.last_months(today, months)
    a = actor_pb(actor)
    wf = clients.workflow().call(
        "GetMonthlyFigures",
        wpb.GetMonthlyFiguresRequest(actor=a, department=department, from_month=month_list[0], to_month=month_list[-1]),
    )
    series = {
        k: []
        for k in (
            "projects_registered",
            "projects_finished",
            "compression_ratio",
            "items_decided",
            "items_on_time",
            "on_time_rate",
            "items_red",
            "alerts",
            "questions_due",
            "reply_rate",
            "timely_rate",
            "ratings",
            "satisfaction_rate",
        )
    }
    sms = sv.sms_counts(actor, department, [tuple(sv.month_bounds(m)) for m in month_list])
    boards = sv.gather(**sv.board_calls(a, month_list))
    for i, month in enumerate(month_list):
        projects = [p for p in wf.projects if p.month == month]
        depts = [d for d in wf.departments if d.month == month]
        series["projects_registered"].append(sum(p.registered for p in projects))
        series["projects_finished"].append(sum(p.finished for p in projects))
        series["compression_ratio"].append(sv.compression(projects, n)["ratio"])
        decided = sum(d.decided for d in depts)
        on_time = sum(d.on_time for d in depts)
        series["items_decided"].append(decided)
        series["items_on_time"].append(on_time)
        # items open and late at the month's end count against it, as in the league table and the reports
        series["on_time_rate"].append(sv.rate(on_time, decided + sum(d.red_open for d in depts)))
        series["items_red"].append(sum(d.red for d in depts))
        series["alerts"].append(sms[i].total)
        board = sv.Period([month])
        sv.add_board_figures(board, department, n, boards[f"consult:{month}"], boards[f"rating:{month}"])
        city = sv.city_row(list(board.departments.values()))
        series["questions_due"].append(city.questions_due)
        series["reply_rate"].append(sv.rate(city.replied, city.questions_due))
        series["timely_rate"].append(sv.rate(city.replied_on_time, city.questions_due))
        series["ratings"].append(city.ratings)
        series["satisfaction_rate"].append(sv.rate(round(city.satisfied), city.ratings))
    return {"months": month_list, "department": department or None, "series": series}


def departments(month=None, department=None):
    actor, scope = sv.figures_actor()
    department = sv.scoped_department(department, scope)
    n = sv.names()
    today = sv.today()
    month = month or sv.month_text(today)
    sv.check_started(month, today)
    found = sv.period_figures(actor, department, [month], n)
    rows = [r for r in found.departments.values()]
    return {"month": month, "department": department or None, "departments": sv.league(rows, ranked=not department)}
