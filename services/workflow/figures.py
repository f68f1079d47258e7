"""Figures for supervision (督进考核): what the dashboards, monthly reports and assessments count of workflow's
own data. Each question is one set-based query over stored columns (colours, used days, decision dates) with the
index that answers it; only small grouped rows come back to Python."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from kit import errors
from kit.actor import Actor, department_scope
from kit.calendar import month_bounds, months_in
from kit.catalog import Catalog
from kit.clock import Clock, local_today
from services.workflow import rules
from services.workflow.models import ClosedProjects, ItemInstance, ProjectPlan

MAX_MONTHS = 36
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="figures")
WHAT = "统计数据"


@dataclass(frozen=True)
class ProjectCount:
    project_type: str
    stage: str
    status: str
    colour: str | None
    count: int


@dataclass(frozen=True)
class Compression:
    project_type: str
    finished: int
    used_days: int
    pre_reform_days: int


@dataclass(frozen=True)
class Dashboard:
    projects: list[ProjectCount]
    open_items: list[tuple[str, str, int]]
    compression: list[Compression]
    materials_asked: int
    as_of: date


@dataclass
class DepartmentMonth:
    month: str
    department: str
    decided: int = 0
    on_time: int = 0
    blue: int = 0
    red: int = 0
    used_ratio_sum: float = 0.0
    red_open: int = 0


@dataclass
class ProjectTypeMonth:
    month: str
    project_type: str
    registered: int = 0
    finished: int = 0
    used_days: int = 0
    pre_reform_days: int = 0


@dataclass(frozen=True)
class LateItem:
    item: object  # the item's view
    days_overdue: int
    project_type: str


def months_between(first: str, last: str) -> list[str]:
    """Every month 'YYYY-MM' from `first` to `last`, both included; refuses a reversed or too long range."""
    months = months_in(first, last)
    if not months:
        raise errors.Invalid("起始月份不能晚于结束月份", field="period")
    if len(months) > MAX_MONTHS:
        raise errors.Invalid(f"统计区间最多{MAX_MONTHS}个月", field="period")
    return months


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass
class Figures:
    sessions: sessionmaker[Session]
    clock: Clock
    catalog: Catalog
    calendar: Callable  # returns the current WorkingCalendar
    policy: rules.ColourPolicy
    item_view: Callable  # (item, today, calendar, timing) -> the item as the API shows it

    # ---------------- the state now ----------------

    def dashboard(self, actor: Actor, department: str = "") -> Dashboard:
        """Projects by type, running stage, status and stored colour; open items by department and state;
        finished projects' used days by type (compression); materials asked. A department's staff count only
        the projects with items of their department."""
        scope = self._scope(actor, department)
        # running projects from their partial index (a department's: those with items of the department), the
        # finished history from its running totals (the city's, or the department's)
        running = (
            select(
                ProjectPlan.project_type,
                ProjectPlan.current_stage,
                literal("in_progress"),
                ProjectPlan.colour,
                func.count(),
                literal(0),
                func.coalesce(func.sum(ProjectPlan.materials_asked), 0),
            )
            .where(ProjectPlan.status == "in_progress")
            .group_by(ProjectPlan.project_type, ProjectPlan.current_stage, ProjectPlan.colour)
        )
        if scope:
            running = running.where(ProjectPlan.id.in_(self._involving(scope)))
        closed = select(
            ClosedProjects.project_type,
            literal(""),
            ClosedProjects.status,
            ClosedProjects.colour,
            ClosedProjects.projects,
            ClosedProjects.used_days,
            ClosedProjects.materials_asked,
        ).where(ClosedProjects.department == scope, ClosedProjects.projects > 0)
        queries = [running, closed]
        types = self.catalog.project_types
        counts, finished, asked = [], {}, 0
        # the item count runs at once, on a connection of its own
        open_items = _POOL.submit(self.open_items, scope)
        for query in queries:
            for t, stage, status, colour, n, used, materials in self._rows(query):
                counts.append(ProjectCount(t, stage if status == "in_progress" else "", status, colour or None, n))
                asked += int(materials)
                if status == "completed":
                    done = finished.setdefault(t, [0, 0])
                    done[0] += n
                    done[1] += int(used)
        return Dashboard(
            counts,
            open_items.result(),
            [
                Compression(t, n, used, types[t].pre_reform_days if t in types else 0)
                for t, (n, used) in sorted(finished.items())
            ],
            asked,
            local_today(self.clock),
        )

    def open_items(self, department: str = "") -> list[tuple[str, str, int]]:
        """(department, red | warning | normal, count) of the open items, as the sweep last marked them; one pass
        over the open items' covering index."""
        red = func.count().filter(ItemInstance.red_since.is_not(None))
        warning = func.count().filter(ItemInstance.red_since.is_(None), ItemInstance.warning_since.is_not(None))
        query = (
            select(ItemInstance.department, red, warning, func.count())
            .where(ItemInstance.status.in_(rules.OPEN_STATUSES))
            .group_by(ItemInstance.department)
        )
        if department:
            query = query.where(ItemInstance.department == department)
        counts = []
        for dept, n_red, n_warning, n in self._rows(query):
            counts += [(dept, "red", n_red), (dept, "warning", n_warning), (dept, "normal", n - n_red - n_warning)]
        return [row for row in counts if row[2]]

    def _rows(self, query) -> list:
        with self.sessions() as session:
            return list(session.execute(query))

    @staticmethod
    def _involving(department: str):
        """The projects with at least one item of `department` (a department's view of projects)."""
        return select(ItemInstance.project_id).where(ItemInstance.department == department)

    # ---------------- monthly series ----------------

    def monthly(
        self, actor: Actor, first: str, last: str, department: str = ""
    ) -> tuple[list[DepartmentMonth], list[ProjectTypeMonth]]:
        """Per month and department, the items decided and how they stood against their limits, and the items
        still open and past their limit at the month's end (today for the current month); per month and project
        type, the projects registered and finished and the working days the finished ones used."""
        scope = self._scope(actor, department)
        today = local_today(self.clock)
        months = months_between(first, last)
        start, _ = month_bounds(months[0])
        _, end = month_bounds(months[-1])
        first_day, last_day = start.date(), end.date() - timedelta(days=1)
        ratio = case(
            (ItemInstance.effective_days > 0, cast(ItemInstance.used_days, Float) / ItemInstance.effective_days),
            else_=cast(ItemInstance.used_days, Float),
        )
        decided = (
            select(
                ItemInstance.decided_on,
                ItemInstance.department,
                func.count(),
                func.sum(case((ItemInstance.colour == "red", 1), else_=0)),
                func.sum(case((ItemInstance.colour == "blue", 1), else_=0)),
                func.coalesce(func.sum(ratio), 0.0),
            )
            .where(
                ItemInstance.decided_on.is_not(None),
                ItemInstance.decided_on >= first_day,
                ItemInstance.decided_on <= last_day,
                ItemInstance.status.in_(rules.DECIDED_STATUSES),
            )
            .group_by(ItemInstance.decided_on, ItemInstance.department)
        )
        finished = (
            select(
                ProjectPlan.finished_on,
                ProjectPlan.project_type,
                func.count(),
                func.coalesce(func.sum(ProjectPlan.used_days), 0),
            )
            .where(
                ProjectPlan.status == "completed",
                ProjectPlan.finished_on >= first_day,
                ProjectPlan.finished_on <= last_day,
            )
            .group_by(ProjectPlan.finished_on, ProjectPlan.project_type)
        )
        if scope:
            decided = decided.where(ItemInstance.department == scope)
            involved = ProjectPlan.id.in_(self._involving(scope))
            finished = finished.where(involved)
        types = self.catalog.project_types
        departments: dict[tuple[str, str], DepartmentMonth] = {}
        projects: dict[tuple[str, str], ProjectTypeMonth] = {}

        def project_row(month: str, t: str) -> ProjectTypeMonth:
            pre = types[t].pre_reform_days if t in types else 0
            return projects.setdefault((month, t), ProjectTypeMonth(month, t, pre_reform_days=pre))

        with self.sessions() as session:
            for day, dept, n, red, blue, ratio_sum in session.execute(decided):
                row = departments.setdefault((month_of(day), dept), DepartmentMonth(month_of(day), dept))
                row.decided += n
                row.red += int(red or 0)
                row.blue += int(blue or 0)
                row.on_time += n - int(red or 0)
                row.used_ratio_sum += float(ratio_sum or 0)
            for day, t, n, used in session.execute(finished):
                row = project_row(month_of(day), t)
                row.finished += n
                row.used_days += int(used)
            for month in months:
                lo, hi = month_bounds(month)
                registered = select(ProjectPlan.project_type, func.count()).where(
                    ProjectPlan.created_at >= lo, ProjectPlan.created_at < hi
                )
                if scope:
                    registered = registered.where(involved)
                for t, n in session.execute(registered.group_by(ProjectPlan.project_type)):
                    project_row(month, t).registered += n
                # red since a day up to the month's end and still open: red then (red_since is the first red day)
                as_of = min(hi.date() - timedelta(days=1), today)
                if as_of < lo.date():
                    continue
                open_late = (
                    select(ItemInstance.department, func.count())
                    .where(
                        ItemInstance.status.in_(rules.OPEN_STATUSES),
                        ItemInstance.red_since.is_not(None),
                        ItemInstance.red_since <= as_of,
                    )
                    .group_by(ItemInstance.department)
                )
                if scope:
                    open_late = open_late.where(ItemInstance.department == scope)
                for dept, n in session.execute(open_late):
                    departments.setdefault((month, dept), DepartmentMonth(month, dept)).red_open += n
        return (
            sorted(departments.values(), key=lambda r: (r.month, r.department)),
            sorted(projects.values(), key=lambda r: (r.month, r.project_type)),
        )

    # ---------------- late items ----------------

    def late_items(self, actor: Actor, month: str = "", department: str = "", limit: int = 500) -> tuple[list, date]:
        """Items behind their limit: with `month`, those decided late in that month and those open and red at
        its end (or today, when earlier); without, those red now. Most days overdue first."""
        scope = self._scope(actor, department)
        today = local_today(self.clock)
        limit = max(1, min(limit or 500, 2000))
        if month:
            start, end = month_bounds(month)
            first_day, as_of = start.date(), min(end.date() - timedelta(days=1), today)
        else:
            first_day, as_of = today, today
        if as_of < first_day:
            return [], as_of
        red_open = (ItemInstance.status.in_(rules.OPEN_STATUSES), ItemInstance.red_since.is_not(None))
        query = select(ItemInstance).options(selectinload(ItemInstance.project))
        if month:
            late_decided = (
                ItemInstance.decided_on >= first_day,
                ItemInstance.decided_on <= as_of,
                ItemInstance.status.in_(rules.DECIDED_STATUSES),
                ItemInstance.colour == "red",
            )
            query = query.where(or_(and_(*late_decided), and_(*red_open, ItemInstance.red_since <= as_of)))
        else:
            query = query.where(*red_open)
        if scope:
            query = query.where(ItemInstance.department == scope)
        cal = self.calendar()
        found: list[LateItem] = []
        with self.sessions() as session:
            for item in session.scalars(query):
                timing = rules.item_timing(rules.ItemClock.of(item), as_of, cal, self.policy)
                overdue = timing.used_days - item.effective_days
                if overdue > 0:
                    found.append(LateItem(self.item_view(item, as_of, cal, timing), overdue, item.project.project_type))
        found.sort(key=lambda r: (-r.days_overdue, r.item.department, r.item.project_name, r.item.code))
        return found[:limit], as_of

    def _scope(self, actor: Actor, department: str) -> str:
        scope = department_scope(actor, department, WHAT)
        if scope and scope not in self.catalog.departments:
            raise errors.Invalid(f"部门“{scope}”不存在", field="department")
        return scope


def add_closed_project(session: Session, plan: ProjectPlan) -> None:
    """Count a project that has just been completed or stopped into the running totals of the history: the
    city's and those of each department with items in it."""
    departments = session.scalars(
        select(ItemInstance.department).where(ItemInstance.project_id == plan.id).distinct()
    ).all()
    key = {"project_type": plan.project_type, "status": plan.status, "colour": plan.colour or ""}
    values = {"projects": 1, "used_days": plan.used_days or 0, "materials_asked": plan.materials_asked or 0}
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ClosedProjects).values(
        [{"department": department, **key, **values} for department in ["", *sorted(departments)]]
    )
    table = ClosedProjects.__table__.c
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["department", *key],
            set_={name: table[name] + statement.excluded[name] for name in values},
        )
    )
