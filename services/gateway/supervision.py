"""Supervision figures (督进考核) composed from the services' own aggregates: the dashboard, the department
league table, monthly trends, the monthly report, the bi-monthly assessment and the scheduling sheet.

Each service counts its own data (workflow: projects and items; intake: materials on file; consult: questions,
flags and cases; rating: ratings and rectifications; alerts: SMS); this module only adds, divides and ranks.
A rate whose denominator is zero is `None` (shown as "—"), never 0 or 100 %."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import yaml
from zhitong.alerts.v1 import alerts_pb2 as apb
from zhitong.consult.v1 import consult_pb2 as cpb
from zhitong.intake.v1 import intake_pb2 as ipb
from zhitong.rating.v1 import rating_pb2 as rpb
from zhitong.workflow.v1 import workflow_pb2 as wpb

from kit import config, errors
from kit.actor import Actor
from kit.calendar import month_bounds, months_in
from kit.clock import LOCAL_TZ
from kit.proto import enum_word, from_timestamp, timestamp
from services.gateway import clients, views
from services.gateway.auth import actor_pb, current_actor
from services.gateway.problems import Problem

LEGEND = {"blue": "超前", "yellow": "正常", "red": "滞后"}
COLOURS = ("blue", "yellow", "red")
FIGURE_ROLES = ("supervisor", "admin", "dept_head", "screen")
REPORT_ROLES = ("supervisor", "admin", "dept_head")
FLAG_KIND_ZH = {"late": "答复不及时", "perfunctory": "答复敷衍"}
MEASURES_ZH = {
    "on_time_rate": "按时办结率",
    "compression": "时限压缩率",
    "timely_rate": "留言按时答复率",
    "satisfaction_rate": "满意率",
}


def rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="figures")


def gather(**calls: Callable[[], Any]) -> dict[str, Any]:
    """Run independent backend calls at once; their results by name (the first failure is raised)."""
    futures = {name: _POOL.submit(call) for name, call in calls.items()}
    return {name: future.result() for name, future in futures.items()}


# ---------------- who may see what ----------------


def figures_actor(roles: tuple[str, ...] = FIGURE_ROLES) -> tuple[Actor, str]:
    """The actor the services are asked as, and the department the figures are limited to ("" for the city).
    The big screen's read-only account sees city-wide figures only; the gateway asks the services for them as a
    read-only supervisor, since it shows nothing but aggregates and masked SMS to that account."""
    actor = current_actor()
    if actor.role not in roles:
        raise Problem(
            403, "无权查看督查统计数据：仅督办人员、部门负责人" + ("和大屏" if "screen" in roles else "") + "可查看"
        )
    if actor.role == "screen":
        return Actor(f"screen:{actor.username}", "supervisor"), ""
    if actor.role == "dept_head":
        return actor, actor.department
    return actor, ""


def scoped_department(requested: str | None, scope: str) -> str:
    """The department asked for, within the actor's scope: a department head gets their own only."""
    if scope:
        if requested and requested != scope:
            raise Problem(403, "部门负责人只能查看本部门的统计数据")
        return scope
    return requested or ""


# ---------------- names and the clock ----------------


@dataclass(frozen=True)
class Names:
    departments: dict[str, str]
    project_types: dict[str, str]
    stages: dict[str, str]

    def department(self, code: str) -> str:
        return self.departments.get(code, code)


_NAMES: list = [0.0, None]  # (when fetched, Names)
NAMES_TTL = 60.0


def names() -> Names:
    """Department, project type and stage names from the catalog, kept for a minute (the catalog changes only
    with a new deployment)."""
    fetched, known = _NAMES
    if known is None or time.monotonic() - fetched > NAMES_TTL:
        cat = clients.workflow().call("GetCatalog", wpb.GetCatalogRequest())
        known = Names(
            {d.code: d.name_zh for d in cat.departments},
            {t.code: t.name_zh for t in cat.project_types},
            {s.code: s.name_zh for s in cat.stages},
        )
        _NAMES[:] = [time.monotonic(), known]
    return known


def now() -> datetime:
    """The suite's local time (the workflow clock, which a manual-clock demo moves)."""
    from zhitong.clock.v1 import clock_pb2

    found = clients.clock("workflow").call("GetClock", clock_pb2.GetClockRequest()).now
    return from_timestamp(found).astimezone(LOCAL_TZ)


def today() -> date:
    return now().date()


def month_start(month: str) -> date:
    """The first day of a month written 'YYYY-MM', or a 400 in Chinese."""
    try:
        return month_bounds(month)[0].date()
    except errors.DomainError as exc:
        raise Problem(400, f"月份“{month[:10]}”无效：{exc.message}") from None


def check_started(month: str, today: date) -> None:
    """A month after the current one has no figures yet: refused, rather than answered with zeros."""
    if month_start(month) > today:
        raise Problem(400, f"{month}尚未开始，暂无统计数据（当前日期 {today.isoformat()}）")


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_months(end: date, n: int) -> list[str]:
    y, m = end.year, end.month
    months = []
    for _ in range(n):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return months[::-1]


def parse_period(period: str) -> tuple[str, str]:
    """'YYYY-MM..YYYY-MM' (both included, at most 12 months) or a single month."""
    first, sep, last = (period or "").partition("..")
    last = last if sep else first
    try:
        start, _ = month_bounds(first)
        end, _ = month_bounds(last)
    except Exception:
        raise Problem(400, "考核期间格式应为 YYYY-MM..YYYY-MM，例如 2026-09..2026-10") from None
    if end < start:
        raise Problem(400, "考核期间的起始月份不能晚于结束月份")
    if (end.year - start.year) * 12 + end.month - start.month >= 12:
        raise Problem(400, "考核期间最多12个月")
    return first, last


# ---------------- what the services count ----------------


@dataclass
class DepartmentRow:
    """A department's figures over a period, summed over its months."""

    department: str
    name_zh: str = ""
    decided: int = 0
    on_time: int = 0
    blue: int = 0
    red: int = 0
    used_ratio_sum: float = 0.0
    red_open: int = 0
    questions_due: int = 0
    replied: int = 0
    replied_on_time: int = 0
    late_flags: int = 0
    perfunctory_flags: int = 0
    ratings: int = 0
    satisfied: float = 0.0
    score_sum: float = 0.0
    bad_ratings: int = 0

    def view(self) -> dict:
        return {
            "department": self.department,
            "name_zh": self.name_zh,
            "items_decided": self.decided,
            "items_on_time": self.on_time,
            # items still open past their limit count as not on time (now on the dashboard, at the month's end
            # in reports)
            "on_time_rate": rate(self.on_time, self.decided + self.red_open),
            "items_blue": self.blue,
            "items_red": self.red,
            "average_used_ratio": rate(self.used_ratio_sum, self.decided),
            "red_open": self.red_open,
            "questions_due": self.questions_due,
            "questions_replied": self.replied,
            "questions_replied_on_time": self.replied_on_time,
            "reply_rate": rate(self.replied, self.questions_due),
            "timely_rate": rate(self.replied_on_time, self.questions_due),
            "ratings": self.ratings,
            "average_score": rate(self.score_sum, self.ratings),
            "satisfaction_rate": rate(round(self.satisfied), self.ratings),
            "bad_ratings": self.bad_ratings,
            "flags": self.late_flags + self.perfunctory_flags,
            "late_flags": self.late_flags,
            "perfunctory_flags": self.perfunctory_flags,
        }


@dataclass
class Period:
    months: list[str]
    departments: dict[str, DepartmentRow] = field(default_factory=dict)
    projects: list = field(default_factory=list)  # workflow ProjectTypeMonth rows

    def row(self, department: str, n: Names) -> DepartmentRow:
        return self.departments.setdefault(department, DepartmentRow(department, n.department(department)))


def period_figures(actor: Actor, department: str, months: list[str], n: Names) -> Period:
    """Every department's figures over `months`, from workflow, consult and rating (asked at once). The items
    still open and late are those at the end of the last month (today, when it is the current month): the same
    count in the league table, the monthly report, the assessment and the trends."""
    a = actor_pb(actor)
    found = Period(months)
    calls: dict[str, Callable[[], Any]] = {
        "monthly": lambda: clients.workflow().call(
            "GetMonthlyFigures",
            wpb.GetMonthlyFiguresRequest(actor=a, department=department, from_month=months[0], to_month=months[-1]),
        )
    }
    answers = gather(**calls, **board_calls(a, months))
    for r in answers["monthly"].departments:
        row = found.row(r.department, n)
        row.decided += r.decided
        row.on_time += r.on_time
        row.blue += r.blue
        row.red += r.red
        row.used_ratio_sum += r.used_ratio_sum
        if r.month == months[-1]:
            row.red_open += r.red_open
    found.projects = list(answers["monthly"].projects)
    for month in months:
        add_board_figures(found, department, n, answers[f"consult:{month}"], answers[f"rating:{month}"])
    return found


def board_calls(a, months: list[str]) -> dict[str, Callable[[], Any]]:
    """The consult and rating figures of each month, as calls for `gather` (keys `consult:<month>`,
    `rating:<month>`)."""
    calls: dict[str, Callable[[], Any]] = {}
    for month in months:
        calls[f"consult:{month}"] = functools.partial(consult_stats, a, month)
        calls[f"rating:{month}"] = functools.partial(rating_stats, a, month)
    return calls


def consult_stats(a, month: str):
    return clients.consult().call("GetStats", cpb.GetStatsRequest(actor=a, month=month))


def rating_stats(a, month: str):
    return clients.rating().call("GetStats", rpb.GetStatsRequest(actor=a, month=month))


def add_board_figures(found: Period, department: str, n: Names, consult, ratings) -> None:
    """Add one month of consultation (consult) and rating (rating) figures to `found`."""
    for f in consult.departments:
        if department and f.department != department:
            continue
        row = found.row(f.department, n)
        row.questions_due += f.due
        row.replied += f.replied
        row.replied_on_time += f.replied_on_time
        row.late_flags += f.late_flags
        row.perfunctory_flags += f.perfunctory_flags
    for f in ratings.departments:
        if department and f.department != department:
            continue
        row = found.row(f.department, n)
        row.ratings += f.ratings
        row.satisfied += f.satisfaction_rate * f.ratings
        row.score_sum += f.average * f.ratings
        row.bad_ratings += f.bad_ratings


def city_row(rows: list[DepartmentRow]) -> DepartmentRow:
    city = DepartmentRow("", "全市")
    for r in rows:
        for name in [
            "decided",
            "on_time",
            "blue",
            "red",
            "used_ratio_sum",
            "red_open",
            "questions_due",
            "replied",
            "replied_on_time",
            "late_flags",
            "perfunctory_flags",
            "ratings",
            "satisfied",
            "score_sum",
            "bad_ratings",
        ]:
            setattr(city, name, getattr(city, name) + getattr(r, name))
    return city


def compression(projects, n: Names) -> dict:
    """Compression ratio of finished projects: 1 − used working days ÷ the type's pre-reform days, averaged over
    the projects (so a type's ratio weighs by its number of finished projects)."""
    by_type: dict[str, list[int]] = {}
    for p in projects:
        entry = by_type.setdefault(p.project_type, [0, 0, p.pre_reform_days])
        entry[0] += p.finished
        entry[1] += p.used_days
    rows, total, weighted = [], 0, 0.0
    for t, (finished, used, pre) in sorted(by_type.items()):
        if not finished:
            continue
        ratio = 1 - (used / finished) / pre if pre else None
        rows.append(
            {
                "project_type": t,
                "name_zh": n.project_types.get(t, t),
                "finished": finished,
                "average_days": round(used / finished, 2),
                "pre_reform_days": pre,
                "ratio": round(ratio, 4) if ratio is not None else None,
            }
        )
        if ratio is not None:
            total += finished
            weighted += ratio * finished
    return {"finished": sum(r["finished"] for r in rows), "ratio": rate(weighted, total), "by_type": rows}


def competition_ranks(keys: list) -> list[int]:
    """Ranks for values already in order, equal keys sharing a rank (1, 1, 3, …)."""
    ranks: list[int] = []
    for i, key in enumerate(keys):
        ranks.append(ranks[-1] if i and key == keys[i - 1] else i + 1)
    return ranks


def league(rows: list[DepartmentRow], ranked: bool = True) -> list[dict]:
    """The league table: on-time rate first (items open past their limit count as late), then reply timeliness,
    then satisfaction, then the share of the limits used and the open late items (a department with nothing to
    count on a measure comes after those with a value); departments level on all of them share a rank. Rows of
    one department alone are not `ranked` (their rank is `None`): a rank among one says nothing."""

    def key(r: DepartmentRow):
        view = r.view()
        better = tuple(
            -(view[k] if view[k] is not None else -1) for k in ("on_time_rate", "timely_rate", "satisfaction_rate")
        )
        ratio = view["average_used_ratio"]
        return (*better, ratio if ratio is not None else float("inf"), r.red_open)

    ordered = sorted(rows, key=lambda r: (key(r), r.department))
    ranks = competition_ranks([key(r) for r in ordered]) if ranked else [None] * len(ordered)
    return [{"rank": rank, **r.view()} for rank, r in zip(ranks, ordered, strict=True)]


# ---------------- the bi-monthly assessment ----------------


@cache
def assessment_rules() -> dict:
    path = config.data_file("assessment.yaml", "ZHITONG_ASSESSMENT")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    weights = {k: float(v) for k, v in (raw.get("weights") or {}).items()}
    unknown = set(weights) - set(MEASURES_ZH)
    if unknown or not weights or any(w < 0 for w in weights.values()):
        raise config.ConfigError(f"{path}: weights must be non-negative and among {', '.join(MEASURES_ZH)}")
    penalties = {k: float(v) for k, v in (raw.get("penalties") or {}).items()}
    return {"weights": weights, "penalties": penalties}


def measures(r: DepartmentRow) -> dict[str, tuple[float | None, str]]:
    """Each measure's value (0–1, or None when nothing was counted) and the basis it was computed from. Items still
    open and past their limit at the end of the period count against the on-time rate."""
    avg_ratio = r.used_ratio_sum / r.decided if r.decided else None
    due_items = r.decided + r.red_open
    return {
        "on_time_rate": (
            r.on_time / due_items if due_items else None,
            f"按时办结 {r.on_time} / (办结 {r.decided} + 期末超期未办结 {r.red_open})",
        ),
        "compression": (
            max(0.0, 1 - avg_ratio) if avg_ratio is not None else None,
            f"平均用时 ÷ 时限 = {avg_ratio:.2f}" if avg_ratio is not None else "无办结事项",
        ),
        "timely_rate": (
            r.replied_on_time / r.questions_due if r.questions_due else None,
            f"按时答复 {r.replied_on_time} / 应答复 {r.questions_due}",
        ),
        "satisfaction_rate": (
            round(r.satisfied) / r.ratings if r.ratings else None,
            f"满意 {round(r.satisfied)} / 评价 {r.ratings}",
        ),
    }


def assess(r: DepartmentRow, rules: dict) -> dict:
    """A department's score out of 100 with the breakdown behind it (points shown rounded, the score summed from
    the exact values)."""
    weights, penalties = rules["weights"], rules["penalties"]
    values = measures(r)
    counted = {k: w for k, w in weights.items() if values[k][0] is not None}
    scale = 100 / sum(counted.values()) if counted and sum(counted.values()) else 0
    parts, earned = [], 0.0
    for k, w in weights.items():
        value, basis = values[k]
        exact = value * w * scale if value is not None else None
        earned += exact or 0
        parts.append(
            {
                "measure": k,
                "name_zh": MEASURES_ZH[k],
                "value": round(value, 4) if value is not None else None,
                "weight": w,
                "effective_weight": round(w * scale, 2) if value is not None else 0,
                "points": round(exact, 2) if exact is not None else None,
                "basis": basis if value is not None else f"{basis}（无可统计数据，不计入）",
            }
        )
    deductions = []
    for kind, count in (("late_flag", r.late_flags), ("perfunctory_flag", r.perfunctory_flags)):
        per = penalties.get(kind, 0)
        if count and per:
            label = FLAG_KIND_ZH["late" if kind == "late_flag" else "perfunctory"]
            deductions.append(
                {
                    "penalty": kind,
                    "name_zh": f"{label}被通报",
                    "count": count,
                    "per_flag": per,
                    "points": -round(count * per, 2),
                }
            )
    total = earned + sum(d["points"] for d in deductions)
    return {
        "department": r.department,
        "name_zh": r.name_zh,
        "score": round(max(total, 0.0), 2) if counted else None,
        "measures": parts,
        "deductions": deductions,
    }


def late_items(a, department: str, month: str):
    """Items late during `month`: decided late in it, or still open and past their limit at its end (or today)."""
    return clients.workflow().call(
        "ListLateItems", wpb.ListLateItemsRequest(actor=a, department=department, month=month, limit=2000)
    )


def ranked_assessment(rows: list[DepartmentRow], rules: dict, ranked: bool = True) -> list[dict]:
    """Every department's assessment, best score first; equal scores share a rank (none for one department
    alone, as in `league`)."""
    scored = [assess(r, rules) for r in rows]
    scored.sort(key=lambda a: (a["score"] is None, -(a["score"] or 0), a["department"]))
    ranks = competition_ranks([a["score"] for a in scored])
    for rank, a in zip(ranks, scored, strict=True):
        a["rank"] = rank if a["score"] is not None and ranked else None
    return scored


def assessment(actor: Actor, department: str, first: str, last: str, n: Names) -> dict:
    rules = assessment_rules()
    found = period_figures(actor, department, months_in(first, last), n)
    return {
        "period": f"{first}..{last}",
        "weights": rules["weights"],
        "penalties": rules["penalties"],
        "departments": ranked_assessment(list(found.departments.values()), rules, ranked=not department),
    }


# ---------------- SMS counts ----------------


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def sms_counts(actor: Actor, department: str, periods: list[tuple[datetime, datetime]]) -> list:
    request = apb.CountMessagesRequest(
        actor=actor_pb(actor),
        department=department,
        periods=[apb.Period(start=timestamp(s), end=timestamp(e)) for s, e in periods],
    )
    return list(clients.alerts().call("CountMessages", request).counts)


def material_figures(actor: Actor):
    return clients.intake().call("GetMaterialFigures", ipb.GetMaterialFiguresRequest(actor=actor_pb(actor)))


def material_reduction(found, asked: int) -> dict:
    uploaded = found.materials_uploaded
    return {
        "asked_one_by_one": asked,
        "uploaded": uploaded,
        "reduction": round(1 - uploaded / asked, 4) if asked else None,
    }


def colour_word(value: int) -> str | None:
    return enum_word(wpb.Colour, "COLOUR", value) or None


def late_item(r) -> dict:
    return {**views.item(r.item), "days_overdue": r.days_overdue, "project_type": r.project_type}
