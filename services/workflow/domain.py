"""Workflow use cases: plans, stage submission and acceptance through the one window, the item life cycle,
colours and the audit trail. Pure Python: takes a session factory, a clock, the catalog and the calendar."""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from sqlalchemy import case, false, func, select, text, update
from sqlalchemy.orm import Session, selectinload, sessionmaker
from zhitong.events.v1 import events_pb2 as ev

from kit import audit, errors
from kit.actor import HANDLER_ROLES, SYSTEM, Actor
from kit.calendar import (
    ADMIN,
    FALLBACK,
    FIRST_YEAR,
    LAST_YEAR,
    LIBRARY,
    WorkingCalendar,
    YearOverride,
    fallback_warning,
)
from kit.catalog import Catalog, ProjectFacts
from kit.clock import Clock, local_today
from kit.dates import parse_day
from kit.db import transaction
from kit.logs import mask_phone
from kit.outbox import Outbox
from kit.text import clean_text, printable
from services.workflow import planning, rules
from services.workflow.figures import Figures, add_closed_project
from services.workflow.models import (
    AuditEntry,
    CalendarYear,
    FollowUp,
    FollowUpCategory,
    IssuedDocument,
    ItemInstance,
    ProjectPlan,
    ServiceTeamMember,
    StageRun,
    Suspension,
)
from services.workflow.models import (
    Outbox as OutboxTable,
)

STATUS_ZH = {
    "pending": "待申报",
    "submitted": "已提交",
    "pre_review": "预审中",
    "accepted": "已受理",
    "suspended": "已暂停(补正/特别程序)",
    "approved": "已办结(准予)",
    "refused": "不予许可",
    "withdrawn": "已撤回",
    "open": "待申报",
    "completed": "已完成",
    "skipped": "无需办理",
}
ACTION_ZH = {
    "pre_review": "预审",
    "accept": "受理",
    "suspend": "暂停计时",
    "resume": "恢复计时",
    "approve": "准予许可",
    "refuse": "不予许可",
    "withdraw": "撤回",
    "return": "退回",
}
# action -> (statuses it may start from, status it leads to)
ITEM_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "pre_review": (("submitted",), "pre_review"),
    "accept": (("submitted", "pre_review"), "accepted"),
    "suspend": (("accepted",), "suspended"),
    "resume": (("suspended",), "accepted"),
    "approve": (("accepted",), "approved"),
    "refuse": (("accepted",), "refused"),
    "withdraw": (("submitted", "pre_review", "accepted", "suspended"), "withdrawn"),
}
SWEEP_LOCK = 0x5A57_0001  # PostgreSQL advisory lock key of the workflow sweep
EVENT_OF_ACTION = {
    "pre_review": "item.pre_reviewed",
    "suspend": "item.suspended",
    "resume": "item.resumed",
    "accept": "item.accepted",
}
REASON_REQUIRED = {"suspend", "refuse", "withdraw", "return"}
SEE_ALL_ROLES = ("supervisor", "admin", "screen", "system")
CLOSED_PROJECT_STATUSES = ("completed", "stopped")
# Who flags the green channel and assigns service teams and agents (督办员, 管理员).
SERVICE_ROLES = ("supervisor", "admin")
PHONE = re.compile(r"^1\d{10}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,80}$")
CATEGORY_CODE = re.compile(r"^[a-z0-9_-]{1,40}$")


@dataclass
class ItemView:
    id: str
    project_id: str
    project_name: str
    major: bool
    code: str
    stage: str
    department: str
    name_zh: str
    status: str
    colour: str | None
    warning: bool
    promised_days: int
    effective_days: int
    used_days: int
    deadline: date | None
    accepted_on: date | None
    decided_on: date | None
    suspended_days: int
    materials: list[str]
    produces: str
    deferred_materials: list[str]


@dataclass
class StageView:
    code: str
    name_zh: str
    status: str
    colour: str | None
    stage_days: int
    accepted_on: date | None
    planned_finish: date | None
    projected_finish: date | None
    finished_on: date | None
    slack_days: int
    used_days: int
    return_reason: str
    items: list[ItemView]


@dataclass
class ProjectView:
    id: str
    code: str
    name: str
    enterprise: str
    agent: str
    project_type: str
    major: bool
    status: str
    colour: str
    current_stage: str
    target_days: int
    used_days: int
    projected_days: int
    slack_days: int
    created_at: object
    stages: list[StageView]
    documents: list[IssuedDocument]
    calendar_warning: str = ""


@dataclass(frozen=True)
class TeamMemberInput:
    """A person of a service team (专班) as a supervisor names them."""

    name: str
    phone: str
    department: str = ""


@dataclass
class ServiceTeamView:
    project_id: str
    agent: str
    members: list[ServiceTeamMember]


@dataclass
class ApprovalPlanView:
    project: ProjectView
    schedule: planning.ApprovalSchedule
    calendar_warning: str


@dataclass
class CalendarYearView:
    year: int
    source: str
    days: list[tuple[date, bool, str]]
    calendar_warning: str


def _parse_days(texts: Iterable[str], year: int, field_name: str) -> list[date]:
    days: set[date] = set()
    for raw in texts:
        day = parse_day(raw, "日期", field_name)
        if day.year != year:
            raise errors.Invalid(f"日期 {day} 不在{year}年内", field=field_name)
        days.add(day)
    return sorted(days)


def _queue_order(v: ItemView):
    """A department's queue: open items before decided ones; red, then warning, then by deadline; a major
    project (green channel) first at an equal deadline."""
    closed = v.status in rules.CLOSED_STATUSES
    urgency = 0 if v.colour == rules.RED else 1 if v.warning else 2
    return (closed, urgency, v.deadline or date.max, not v.major, v.code)


SWEEP_COLUMNS = (
    ItemInstance.id,
    ItemInstance.code,
    ItemInstance.name_zh,
    ItemInstance.department,
    ItemInstance.stage,
    ItemInstance.deadline,
    ItemInstance.effective_days,
    ItemInstance.project_id,
    ProjectPlan.name.label("project_name"),
    ProjectPlan.major,
    ProjectPlan.enterprise,
)


def _ref(r) -> dict:
    """events.v1.ItemRef of a sweep row."""
    return {
        "item_id": r.id,
        "item_code": r.code,
        "item_name": r.name_zh,
        "project_id": r.project_id,
        "project_name": r.project_name,
        "department": r.department,
        "stage": r.stage,
        "major": r.major,
        "enterprise": r.enterprise,
    }


def day_text(value: date | None) -> str:
    return value.isoformat() if value else ""


class CalendarStore:
    """The working-day calendar with the admin-loaded years of this service's database; re-read every
    `ttl` seconds so that several replicas agree soon after a load."""

    def __init__(self, sessions: sessionmaker[Session], ttl: float = 30.0):
        self._sessions = sessions
        self._ttl = ttl
        self._lock = threading.Lock()
        self._calendar: WorkingCalendar | None = None
        self._loaded_at = 0.0

    def calendar(self) -> WorkingCalendar:
        with self._lock:
            if self._calendar is None or time.monotonic() - self._loaded_at > self._ttl:
                self._calendar = WorkingCalendar(self._read())
                self._loaded_at = time.monotonic()
            return self._calendar

    def invalidate(self) -> None:
        with self._lock:
            self._calendar = None

    def _read(self) -> dict[int, YearOverride]:
        with self._sessions() as session:
            rows = session.scalars(select(CalendarYear)).all()
            return {
                r.year: YearOverride(
                    r.year,
                    frozenset(map(date.fromisoformat, r.holidays)),
                    frozenset(map(date.fromisoformat, r.workdays)),
                )
                for r in rows
            }


@dataclass
class Workflow:
    sessions: sessionmaker[Session]
    clock: Clock
    catalog: Catalog
    calendars: CalendarStore
    policy: rules.ColourPolicy = field(default_factory=rules.ColourPolicy)
    outbox: Outbox = field(default_factory=lambda: Outbox(OutboxTable))

    @cached_property
    def figures(self) -> Figures:
        """Set-based figures for dashboards and reports over the same database."""
        return Figures(self.sessions, self.clock, self.catalog, self.calendars.calendar, self.policy, self._item_view)

    # ---------------- plans ----------------

    def preview_plan(self, facts: ProjectFacts):
        """The applicable items of a project with these facts, each with its effective limit; checks the facts."""
        self._check_facts(facts)
        return self.catalog.plan(facts)

    def create_plan(
        self,
        actor: Actor,
        project_id: str,
        name: str,
        enterprise: str,
        facts: ProjectFacts,
        agent: str = "",
        code: str = "",
    ) -> ProjectView:
        """Create the plan of a newly registered project: its stages, and its items with effective limits.
        Idempotent: calling it again for the same project returns the existing plan."""
        planned = self.preview_plan(facts)
        if not project_id:
            raise errors.Invalid("缺少项目编号")
        ptype = self.catalog.project_types[facts.project_type]
        with transaction(self.sessions) as session:
            existing = session.get(ProjectPlan, project_id)
            if existing is None:
                now = self.clock.now()
                plan = ProjectPlan(
                    id=project_id,
                    code=code,
                    name=name,
                    enterprise=enterprise,
                    agent=agent,
                    project_type=ptype.code,
                    major=facts.major,
                    regional_evaluation_zone=facts.regional_evaluation_zone,
                    attributes=dict(facts.attributes),
                    target_days=ptype.target_days,
                    created_at=now,
                )
                session.add(plan)
                stages_with_items = {p.item.stage for p in planned}
                first_open = True
                for stage in self.catalog.stages:
                    status = "skipped"
                    if stage.code in stages_with_items:
                        status = "open" if first_open else "pending"
                        if first_open:
                            plan.current_stage = stage.code
                        first_open = False
                    plan.stages.append(
                        StageRun(
                            code=stage.code, order=stage.order, status=status, stage_days=ptype.stage_days[stage.code]
                        )
                    )
                for p in planned:
                    plan.items.append(
                        ItemInstance(
                            id=str(uuid.uuid4()),
                            code=p.item.code,
                            stage=p.item.stage,
                            department=p.item.department,
                            name_zh=p.item.name_zh,
                            promised_days=p.item.promised_days,
                            effective_days=p.effective_days,
                            materials=list(p.item.materials_for(facts.project_type)),
                            produces=p.item.produces,
                        )
                    )
                self._audit(
                    session,
                    actor,
                    plan.id,
                    "project",
                    plan.id,
                    "plan_created",
                    "",
                    "in_progress",
                    f"{ptype.name_zh}，{len(planned)}个审批事项",
                )
                session.flush()
                self._store_figures(plan)
        return self.get_project(SYSTEM, project_id)

    def _check_facts(self, facts: ProjectFacts) -> None:
        if facts.project_type not in self.catalog.project_types:
            known = "、".join(self.catalog.project_types)
            raise errors.Invalid(f"项目类型“{facts.project_type[:40]}”不存在，可选：{known}", field="type")
        conditions = {item.when for item in self.catalog.items if item.when}
        unknown = sorted(set(facts.attributes) - conditions)
        if unknown:
            raise errors.Invalid(
                f"未知的项目属性：{'、'.join(a[:40] for a in unknown[:5])}；可用属性：{'、'.join(sorted(conditions))}",
                field="attributes",
            )

    # ---------------- reading ----------------

    def get_project(self, actor: Actor, project_id: str) -> ProjectView:
        """One project with its stages, items, colours and issued documents, as the actor may see it."""
        with self.sessions() as session:
            plan = self._load_plan(session, project_id)
            if plan is None or not self._visible(actor, plan):
                raise errors.NotFound("项目不存在或无权查看")
            return self._project_view(plan)

    def list_projects(
        self, actor: Actor, colour: str = "", stage: str = "", project_type: str = "", limit: int = 100, offset: int = 0
    ) -> tuple[list[ProjectView], int, str]:
        """Projects visible to the actor, filtered by colour, current stage and type; with the total count."""
        if stage and stage not in {s.code for s in self.catalog.stages}:
            raise errors.Invalid(f"阶段“{stage}”不存在", field="stage")
        if project_type:
            self._check_facts(ProjectFacts(project_type))
        if colour and colour not in (rules.BLUE, rules.YELLOW, rules.RED):
            raise errors.Invalid("颜色只能是 blue、yellow 或 red", field="colour")
        with self.sessions() as session:
            query = self._visible_plans(actor)
            if stage:
                query = query.where(ProjectPlan.current_stage == stage)
            if project_type:
                query = query.where(ProjectPlan.project_type == project_type)
            if colour:  # the stored colour, kept current by every change and by the sweep
                query = query.where(ProjectPlan.colour == colour)
            total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
            page = (
                query.order_by(ProjectPlan.created_at.desc(), ProjectPlan.id)
                .offset(offset)
                .limit(limit)
                .options(selectinload(ProjectPlan.stages), selectinload(ProjectPlan.items))
            )
            cal = self.calendars.calendar()
            with cal.tracking() as fallback_years:
                views = [self._project_view(plan) for plan in session.scalars(page).unique()]
            return views, total, fallback_warning(fallback_years)

    def list_items(
        self,
        actor: Actor,
        department: str = "",
        status: str = "",
        colour: str = "",
        project_id: str = "",
        limit: int = 500,
    ) -> tuple[list[ItemView], str]:
        """A department's queue (or a project's items), red first, then warnings, then by deadline; major
        projects first at an equal deadline."""
        if actor.role in HANDLER_ROLES and department and department != actor.department and not actor.at_window:
            raise errors.Forbidden("只能查看本部门的事项")
        if actor.role in HANDLER_ROLES and not department and not actor.at_window:
            department = actor.department
        if department and department not in self.catalog.departments:
            raise errors.Invalid(f"部门“{department}”不存在", field="department")
        if status and status not in STATUS_ZH:
            raise errors.Invalid(f"状态“{status}”不存在", field="status")
        with self.sessions() as session:
            query = (
                select(ItemInstance)
                .join(ItemInstance.project)
                .where(ProjectPlan.id.in_(self._visible_plans(actor).with_only_columns(ProjectPlan.id)))
                .options(selectinload(ItemInstance.project))
            )
            if department:
                query = query.where(ItemInstance.department == department)
            if status:
                query = query.where(ItemInstance.status == status)
            if project_id:
                query = query.where(ItemInstance.project_id == project_id)
            running = ItemInstance.status.in_(rules.OPEN_STATUSES)
            if colour:  # a decided item's stored colour; an open one is red once the sweep marked it
                red_now = running & ItemInstance.red_since.is_not(None)
                decided = ItemInstance.status.in_(rules.DECIDED_STATUSES) & (ItemInstance.colour == colour)
                if colour == rules.RED:
                    query = query.where(red_now | decided)
                elif colour == rules.YELLOW:
                    query = query.where((running & ItemInstance.red_since.is_(None)) | decided)
                else:
                    query = query.where(decided)
            # The queue's order from the stored marks, so that only one page is read and counted; the page is
            # then ordered again on the live figures.
            query = query.order_by(
                case((ItemInstance.status.in_(rules.CLOSED_STATUSES), 1), else_=0),
                case(
                    ((ItemInstance.red_since.is_not(None) & running) | (ItemInstance.colour == rules.RED), 0),
                    ((ItemInstance.warning_since.is_not(None) & running), 1),
                    else_=2,
                ),
                ItemInstance.deadline.asc().nulls_last(),
                ProjectPlan.major.desc(),
                ItemInstance.code,
                ItemInstance.id,
            ).limit(max(1, limit))
            cal = self.calendars.calendar()
            today = local_today(self.clock)
            with cal.tracking() as fallback_years:
                views = [self._item_view(item, today, cal) for item in session.scalars(query)]
            views.sort(key=_queue_order)
            return views, fallback_warning(fallback_years)

    def get_item(self, actor: Actor, item_id: str) -> tuple[ItemView, str]:
        """One item with its timing."""
        with self.sessions() as session:
            item = self._load_item(session, actor, item_id)
            cal = self.calendars.calendar()
            with cal.tracking() as years:
                view = self._item_view(item, local_today(self.clock), cal)
            return view, fallback_warning(years)

    def item_history(self, actor: Actor, item_id: str) -> list[AuditEntry]:
        """The audit trail of one item, oldest first."""
        with self.sessions() as session:
            self._load_item(session, actor, item_id)
            return list(
                session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.subject_type == "item", AuditEntry.subject_id == item_id)
                    .order_by(AuditEntry.id)
                )
            )

    # ---------------- stage submission and the window ----------------

    def submit_stage(self, actor: Actor, project_id: str, stage_code: str, deferred: Iterable[str] = ()) -> StageView:
        """The enterprise's one application for a stage: every item of the stage is submitted together.
        Intake has checked the materials; `deferred` are those accepted as missing (容缺受理)."""
        deferred = set(deferred)
        with transaction(self.sessions) as session:
            plan = self._load_plan(session, project_id, lock=True)
            if plan is None or not self._visible(actor, plan):
                raise errors.NotFound("项目不存在或无权查看")
            if not (self._acts_for_enterprise(actor, plan) or actor.at_window):
                raise errors.Forbidden("只有建设单位、其帮办代办专员或综合窗口可以提交申请")
            stage = self._stage(plan, stage_code)
            self._check_may_submit(plan, stage)
            stage.status, stage.submitted_at, stage.return_reason = "submitted", self.clock.now(), ""
            self._audit(
                session,
                actor,
                plan.id,
                "stage",
                f"{plan.id}:{stage.code}",
                "submit",
                "open",
                "submitted",
                "容缺材料：" + "、".join(sorted(deferred)) if deferred else "",
            )
            for item in self._stage_items(plan, stage.code):
                if item.status != "pending":
                    continue
                item.deferred_materials = sorted(deferred & set(item.materials))
                self._move(session, actor, plan, item, "submit", "submitted")
            self._stage_event(session, plan, stage, "stage.submitted", local_today(self.clock))
            self._store_figures(plan)
        return self._stage_view_of(project_id, stage_code)

    def _check_may_submit(self, plan: ProjectPlan, stage: StageRun) -> None:
        if plan.status == "stopped":
            raise errors.Conflict("项目已因不予许可终止，不能再提交申请", project_status=plan.status)
        if plan.status == "completed":
            raise errors.Conflict("项目已全部办结", project_status=plan.status)
        if stage.status == "pending":
            raise errors.Conflict(
                f"阶段{stage.code}尚未开始：请先办结阶段{plan.current_stage}", stage_status=stage.status
            )
        if stage.status == "skipped":
            raise errors.Conflict(f"本项目无需办理阶段{stage.code}", stage_status=stage.status)
        if stage.status != "open":
            raise errors.Conflict(
                f"阶段{stage.code}已提交（当前状态“{STATUS_ZH.get(stage.status, stage.status)}”），无需重复提交",
                stage_status=stage.status,
            )

    def act_on_stage(self, actor: Actor, project_id: str, stage_code: str, action: str, reason: str = "") -> StageView:
        """The window accepts a submitted stage (every item accepted that day, clocks start the next working
        day) or returns it to the enterprise with a reason."""
        if action not in ("accept", "return"):
            raise errors.Invalid("操作只能是 accept（受理）或 return（退回）", field="action")
        if action in REASON_REQUIRED and not reason.strip():
            raise errors.Invalid("退回必须填写原因", field="reason")
        reason = clean_text(reason, "原因", 2000, "reason", required=False, multiline=True)
        with transaction(self.sessions) as session:
            plan = self._load_plan(session, project_id, lock=True)
            if plan is None or not self._visible(actor, plan):
                raise errors.NotFound("项目不存在或无权查看")
            if not actor.at_window:
                raise errors.Forbidden("只有综合窗口人员可以受理或退回阶段申请")
            stage = self._stage(plan, stage_code)
            if stage.status != "submitted":
                raise errors.Conflict(
                    f"阶段{stage.code}当前状态为“{STATUS_ZH.get(stage.status, stage.status)}”，不能{ACTION_ZH[action]}",
                    stage_status=stage.status,
                )
            today = local_today(self.clock)
            stage_id = f"{plan.id}:{stage.code}"
            if action == "accept":
                stage.status, stage.accepted_on = "accepted", today
                self._audit(session, actor, plan.id, "stage", stage_id, "accept", "submitted", "accepted", reason)
                for item in self._stage_items(plan, stage.code):
                    if item.status in ("submitted", "pre_review"):
                        self._accept(session, actor, plan, item, today, reason)
                self._stage_event(session, plan, stage, "stage.accepted", today)
            else:
                stage.status, stage.return_reason, stage.submitted_at = "open", reason, None
                self._audit(session, actor, plan.id, "stage", stage_id, "return", "submitted", "open", reason)
                for item in self._stage_items(plan, stage.code):
                    if item.status in ("submitted", "pre_review"):
                        item.deferred_materials = []
                        self._move(session, actor, plan, item, "return", "pending", reason)
                self._stage_event(session, plan, stage, "stage.returned", today, reason)
            self._store_figures(plan)
        return self._stage_view_of(project_id, stage_code)

    def supply_material(self, actor: Actor, project_id: str, material: str) -> list[str]:
        """A material accepted as missing (容缺) is now on file: the items waiting for it may be decided."""
        changed: list[str] = []
        with transaction(self.sessions) as session:
            plan = self._load_plan(session, project_id, lock=True)
            if plan is None:
                raise errors.NotFound("项目不存在")
            for item in plan.items:
                if material in (item.deferred_materials or []):
                    item.deferred_materials = [m for m in item.deferred_materials if m != material]
                    self._audit(
                        session,
                        actor,
                        plan.id,
                        "item",
                        item.id,
                        "material_supplied",
                        item.status,
                        item.status,
                        f"补齐容缺材料 {material}",
                    )
                    changed.append(item.id)
        return changed

    # ---------------- the item life cycle ----------------

    def act_on_item(self, actor: Actor, item_id: str, action: str, reason: str = "") -> tuple[ItemView, str]:
        """One step of an item's life cycle by its department (or the enterprise, to withdraw). Every step is
        recorded in the audit trail; deciding the last item of a stage finishes the stage and opens the next."""
        if action not in ITEM_TRANSITIONS:
            raise errors.Invalid(f"操作“{action}”不存在，可选：{'、'.join(ITEM_TRANSITIONS)}", field="action")
        with transaction(self.sessions) as session:
            item = self._load_item(session, actor, item_id, lock=True)
            plan = item.project
            self._check_may(actor, plan, item, action)
            sources, _target = ITEM_TRANSITIONS[action]
            if item.status not in sources:
                raise errors.Conflict(
                    f"事项当前状态为“{STATUS_ZH[item.status]}”，不能{ACTION_ZH[action]}", item_status=item.status
                )
            if action in REASON_REQUIRED and not reason.strip():
                raise errors.Invalid(f"{ACTION_ZH[action]}必须填写原因", field="reason")
            reason = clean_text(reason, "原因", 2000, "reason", required=False, multiline=True)
            today = local_today(self.clock)
            cal = self.calendars.calendar()
            with cal.tracking():
                self._apply(session, actor, plan, item, action, reason, today, cal)
            self._store_figures(plan)
        return self.get_item(actor, item_id)

    def _check_may(self, actor: Actor, plan: ProjectPlan, item: ItemInstance, action: str) -> None:
        handles = actor.role in HANDLER_ROLES and actor.department == item.department
        if action == "withdraw":
            allowed = self._acts_for_enterprise(actor, plan) or actor.at_window
        elif action == "accept":
            # 综合窗口统一受理: acceptance starts the clock of every item of a stage together
            if not actor.at_window:
                raise errors.Forbidden("事项由综合窗口统一受理；部门可先预审（pre_review），受理后办理")
            allowed = True
        else:
            allowed = handles
        if not allowed:
            raise errors.Forbidden(
                f"无权对该事项执行“{ACTION_ZH[action]}”（事项由{self._dept_name(item.department)}办理）"
            )

    def _apply(self, session, actor, plan, item, action, reason, today, cal) -> None:
        if action == "approve" and item.deferred_materials:
            names = "、".join(self._material_name(m) for m in item.deferred_materials)
            raise errors.Conflict(f"容缺材料尚未补齐：{names}", missing=list(item.deferred_materials))
        if action == "approve":
            waiting = [
                (m, other.code)
                for m in item.materials
                for other in plan.items
                if other.produces == m and other.status not in ("approved", "withdrawn") and other.id != item.id
            ]
            if waiting:
                listed = "、".join(f"{self._material_name(m)}（由{code}出具）" for m, code in waiting)
                raise errors.Conflict(
                    f"所需材料尚未出具：{listed}；请待相关事项办结后再准予", waiting_for=[c for _, c in waiting]
                )
        if action == "accept":
            self._accept(session, actor, plan, item, today, reason)
            return
        if action == "suspend":
            item.suspended_since = today
            item.suspensions.append(Suspension(started_on=today, reason=reason))
        elif action in ("resume", "withdraw") and item.suspended_since is not None:
            item.suspended_days += cal.workdays_between(item.suspended_since, today)
            item.suspended_since = None
            item.suspensions[-1].resumed_on = today
            self._set_marks(item, cal)
        if action in ("approve", "refuse", "withdraw"):
            item.decided_on = today
        self._move(session, actor, plan, item, action, ITEM_TRANSITIONS[action][1], reason)
        if action in ("approve", "refuse", "withdraw"):
            timing = rules.item_timing(rules.ItemClock.of(item), today, cal, self.policy)
            self._emit(
                session,
                "item.decided",
                ev.ItemDecided(
                    item=self._item_ref(plan, item),
                    decision=item.status,
                    decided_on=today.isoformat(),
                    colour=timing.colour or "",
                    used_days=timing.used_days,
                    effective_days=item.effective_days,
                    actor=actor.username,
                ),
            )
        else:
            self._emit(
                session,
                EVENT_OF_ACTION[action],
                ev.ItemChanged(
                    item=self._item_ref(plan, item),
                    status=item.status,
                    deadline=day_text(item.deadline),
                    actor=actor.username,
                    reason=reason,
                ),
            )
        if action == "approve" and item.produces:
            if not any(d.material == item.produces for d in plan.documents):
                plan.documents.append(
                    IssuedDocument(
                        project_id=plan.id,
                        material=item.produces,
                        item_id=item.id,
                        item_code=item.code,
                        issued_on=today,
                    )
                )
        if action in ("approve", "refuse", "withdraw"):
            self._finish_stage_if_decided(session, actor, plan, item.stage)

    def _accept(self, session, actor, plan, item, today: date, reason: str) -> None:
        item.accepted_on = today
        self._set_marks(item, self.calendars.calendar())
        self._move(session, actor, plan, item, "accept", "accepted", reason)
        self._emit(
            session,
            "item.accepted",
            ev.ItemChanged(
                item=self._item_ref(plan, item),
                status="accepted",
                deadline=day_text(item.deadline),
                actor=actor.username,
                reason=reason,
            ),
        )
        stage = self._stage(plan, item.stage)
        if stage.accepted_on is None:
            stage.accepted_on = today
            if stage.status == "submitted":
                stage.status = "accepted"

    def _set_marks(self, item: ItemInstance, cal: WorkingCalendar) -> None:
        """Keep the stored deadline and warning day current (not counting a running suspension); the sweep
        compares them with today in SQL."""
        if item.accepted_on is None:
            return
        item.deadline = rules.deadline(item.accepted_on, item.effective_days, item.suspended_days, cal)
        threshold = math.ceil(round(self.policy.warn_ratio * item.effective_days, 9))
        item.warn_on = cal.add_workdays(item.accepted_on, threshold + item.suspended_days)

    def _stage_event(
        self, session, plan: ProjectPlan, stage: StageRun, event_type: str, on: date | None, reason: str = ""
    ) -> None:
        self._emit(
            session,
            event_type,
            ev.StageChanged(
                project_id=plan.id,
                project_name=plan.name,
                enterprise=plan.enterprise,
                stage=stage.code,
                status=stage.status,
                on=day_text(on),
                reason=reason,
            ),
        )

    def _finish_stage_if_decided(self, session, actor, plan: ProjectPlan, stage_code: str) -> None:
        items = self._stage_items(plan, stage_code)
        if any(i.status not in rules.CLOSED_STATUSES for i in items):
            return
        stage = self._stage(plan, stage_code)
        refused = any(i.status == "refused" for i in items)
        old = stage.status
        stage.status = "refused" if refused else "completed"
        stage.finished_on = max((i.decided_on for i in items if i.decided_on), default=local_today(self.clock))
        self._audit(
            session,
            SYSTEM,
            plan.id,
            "stage",
            f"{plan.id}:{stage.code}",
            "finish",
            old,
            stage.status,
            f"由{actor.username}的办理动作触发",
        )
        if refused:
            plan.status = "stopped"
            self._audit(
                session,
                SYSTEM,
                plan.id,
                "project",
                plan.id,
                "stop",
                "in_progress",
                "stopped",
                f"阶段{stage.code}有事项不予许可",
            )
            self._stage_event(session, plan, stage, "stage.refused", stage.finished_on)
            self._project_event(session, plan, "project.stopped", stage.finished_on)
            return
        self._stage_event(session, plan, stage, "stage.completed", stage.finished_on)
        following = [s for s in plan.stages if s.order > stage.order and s.status == "pending"]
        if following:
            following[0].status = "open"
            plan.current_stage = following[0].code
            self._audit(
                session,
                SYSTEM,
                plan.id,
                "stage",
                f"{plan.id}:{following[0].code}",
                "open",
                "pending",
                "open",
                f"阶段{stage.code}已完成",
            )
        else:
            plan.status, plan.finished_on = "completed", stage.finished_on
            self._audit(session, SYSTEM, plan.id, "project", plan.id, "complete", "in_progress", "completed", "")
            self._project_event(session, plan, "project.completed", stage.finished_on)

    def _project_event(self, session, plan: ProjectPlan, event_type: str, on: date | None) -> None:
        self._emit(
            session,
            event_type,
            ev.ProjectFinished(
                project_id=plan.id,
                project_name=plan.name,
                enterprise=plan.enterprise,
                project_type=plan.project_type,
                status=plan.status,
                finished_on=day_text(on),
            ),
        )

    def _move(self, session, actor, plan, item, action: str, to_status: str, reason: str = "") -> None:
        from_status, item.status = item.status, to_status
        self._audit(session, actor, plan.id, "item", item.id, action, from_status, to_status, reason)

    # ---------------- calendar ----------------

    def calendar_year(self, year: int) -> CalendarYearView:
        """Every day of a year with whether it is a working day, and where the schedule comes from."""
        self._check_year(year)
        cal = self.calendars.calendar()
        source = cal.source(year)
        return CalendarYearView(
            year, source, cal.year_days(year), fallback_warning([year] if source == FALLBACK else [])
        )

    def put_calendar_year(
        self, actor: Actor, year: int, holidays: Iterable[str], workdays: Iterable[str], replace_published: bool = False
    ) -> str:
        """Load a year's schedule as the State Council published it. A year the library already knows is only
        replaced when `replace_published` is set, since every count in that year changes with it."""
        if actor.role != "admin":
            raise errors.Forbidden("只有系统管理员可以导入日历")
        self._check_year(year)
        hol, work = _parse_days(holidays, year, "holidays"), _parse_days(workdays, year, "workdays")
        weekdays = [d for d in work if d.weekday() < 5]
        if weekdays:
            raise errors.Invalid(
                f"调休上班日应为周六或周日，以下日期本就是工作日：{'、'.join(map(str, weekdays[:10]))}",
                field="workdays",
            )
        both = sorted(set(hol) & set(work))
        if both:
            raise errors.Invalid(f"以下日期不能同时是节假日和调休上班日：{'、'.join(map(str, both[:10]))}")
        with transaction(self.sessions) as session:
            row = session.get(CalendarYear, year)
            old = "admin" if row else self.calendars.calendar().source(year)
            if old == LIBRARY and not replace_published:
                raise errors.Conflict(
                    f"{year}年已有国务院公布的节假日安排（来自日历库）；确需替换请设置 replace_published=true",
                    source=old,
                )
            if row is None:
                row = CalendarYear(year=year)
                session.add(row)
            row.holidays, row.workdays = [d.isoformat() for d in hol], [d.isoformat() for d in work]
            row.loaded_by, row.loaded_at = actor.username, self.clock.now()
            self._audit(
                session,
                actor,
                "",
                "calendar",
                str(year),
                "load",
                old,
                ADMIN,
                f"节假日{len(hol)}天，调休上班{len(work)}天",
            )
            self._emit(session, "calendar.loaded", ev.CalendarChanged(year=year, source=ADMIN))
        self._calendar_changed()
        return ADMIN

    def delete_calendar_year(self, actor: Actor, year: int) -> str:
        """Drop an admin-loaded year: the library's schedule, or the Monday–Friday fallback, applies again."""
        if actor.role != "admin":
            raise errors.Forbidden("只有系统管理员可以删除导入的日历")
        self._check_year(year)
        with transaction(self.sessions) as session:
            row = session.get(CalendarYear, year)
            if row is None:
                raise errors.NotFound(f"{year}年没有管理员导入的日历")
            session.delete(row)
            self._audit(session, actor, "", "calendar", str(year), "unload", ADMIN, "", "恢复为日历库或默认规则")
            self._emit(session, "calendar.unloaded", ev.CalendarChanged(year=year, source=""))
        self._calendar_changed()
        return self.calendars.calendar().source(year)

    def _calendar_changed(self) -> None:
        """Working days moved: recompute the stored deadline and warning day of every open item."""
        self.calendars.invalidate()
        cal = self.calendars.calendar()
        with transaction(self.sessions) as session:
            for item in session.scalars(select(ItemInstance).where(ItemInstance.status.in_(rules.OPEN_STATUSES))):
                self._set_marks(item, cal)
            # and the stored colours of running projects are recounted by the next sweep
            session.execute(update(ProjectPlan).where(ProjectPlan.status == "in_progress").values(colour_on=None))

    # ---------------- the sweep ----------------

    def sweep(self) -> dict[str, int]:
        """Announce what changed since the last sweep: items entering warning (`item.warning_started`), items
        passing their deadline (`item.turned_red`) and, on a working day, the morning reminder for every item
        still red (`item.still_red`). Each question is one indexed SQL query over the open items; only the
        rows that changed come back to Python. Two replicas never sweep at once (PostgreSQL advisory lock)."""
        today = local_today(self.clock)
        now = self.clock.now()
        cal = self.calendars.calendar()
        counts = {"item.warning_started": 0, "item.turned_red": 0, "item.still_red": 0}
        with transaction(self.sessions) as session:
            if session.bind.dialect.name == "postgresql":
                if not session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK}).scalar():
                    return counts
            open_running = ItemInstance.status == "accepted"
            turning_red = (open_running, ItemInstance.red_since.is_(None), ItemInstance.deadline < today)
            warning = (
                open_running,
                ItemInstance.warning_since.is_(None),
                ItemInstance.red_since.is_(None),
                ItemInstance.warn_on <= today,
                ItemInstance.deadline >= today,
                ItemInstance.accepted_on != today,
            )
            still_red = (
                ItemInstance.status.in_(rules.OPEN_STATUSES),
                ItemInstance.red_since.is_not(None),
                ItemInstance.red_since < today,
                (ItemInstance.reminded_on.is_(None)) | (ItemInstance.reminded_on < today),
            )
            # Payloads are built as plain dicts in the shape of proto/zhitong/events/v1 (a test holds them to
            # it): the sweep may announce tens of thousands of changes at once.
            warning_rows = self._changed(session, warning)
            self._mark(session, warning, warning_since=today)
            red_rows = self._changed(session, turning_red)
            self._mark(session, turning_red, red_since=today)
            reminder_rows = []
            if cal.is_workday(today):
                reminder_rows = self._changed(session, still_red)
                self._mark(session, still_red, reminded_on=today)
            # The service team (专班) of a project gets its warnings too: one query for all changed projects.
            teams = self._team_contacts(session, {r.project_id for r in (*warning_rows, *red_rows, *reminder_rows)})

            def ref(r) -> dict:
                return {**_ref(r), "service_team": teams.get(r.project_id, [])}

            rows: list[dict] = []
            for r in warning_rows:
                rows.append(
                    self.outbox.row(
                        "item.warning_started",
                        {
                            "item": ref(r),
                            "deadline": day_text(r.deadline),
                            "effective_days": r.effective_days,
                            "warning_on": today.isoformat(),
                        },
                        now,
                    )
                )
            for r in red_rows:
                rows.append(
                    self.outbox.row(
                        "item.turned_red",
                        {
                            "item": ref(r),
                            "deadline": day_text(r.deadline),
                            "red_since": day_text(r.deadline + timedelta(days=1)),
                        },
                        now,
                    )
                )
            for r in reminder_rows:
                rows.append(
                    self.outbox.row(
                        "item.still_red",
                        {
                            "item": ref(r),
                            "deadline": day_text(r.deadline),
                            "red_since": day_text(r.deadline + timedelta(days=1)),
                            "red_days": cal.workdays_between(r.deadline, today),
                            "reminder_on": today.isoformat(),
                        },
                        now,
                    )
                )
            for row in rows:
                counts[row["type"]] += 1
            self.outbox.emit_many(session, rows)
        return counts

    @staticmethod
    def _team_contacts(session: Session, project_ids: set[str]) -> dict[str, list[dict]]:
        """events.v1.TeamContact lists of the service teams of these projects."""
        teams: dict[str, list[dict]] = {}
        ids = sorted(project_ids)
        for start in range(0, len(ids), 1000):  # bounded IN lists, however many projects a sweep touches
            query = (
                select(ServiceTeamMember)
                .where(ServiceTeamMember.project_id.in_(ids[start : start + 1000]))
                .order_by(ServiceTeamMember.project_id, ServiceTeamMember.position)
            )
            for m in session.scalars(query):
                teams.setdefault(m.project_id, []).append({"name": m.name, "phone": m.phone, "role": m.role})
        return teams

    @staticmethod
    def _changed(session: Session, conditions):
        query = (
            select(*SWEEP_COLUMNS)
            .join(ProjectPlan, ProjectPlan.id == ItemInstance.project_id)
            .where(*conditions)
            .order_by(ItemInstance.deadline, ItemInstance.id)
        )
        return session.execute(query).all()

    @staticmethod
    def _mark(session: Session, conditions, **values) -> None:
        session.execute(
            update(ItemInstance).where(*conditions).values(**values).execution_options(synchronize_session=False)
        )

    def open_items_by_department(self) -> list[tuple[str, str, int]]:
        """(department, red | warning | yellow, count) of the open items, as of the last sweep (the metric's
        labels call the items in neither state yellow)."""
        return [(d, "yellow" if s == "normal" else s, n) for d, s, n in self.figures.open_items()]

    def clock_changed_event(self) -> None:
        """The manual clock moved: tell the services that keep their own time (alerts) through an event. When it
        moved back, the sweep's marks of days that have not come yet are taken back, so that items are counted as
        they stand today and are marked (and announced) again when their day comes."""
        today = local_today(self.clock)
        with transaction(self.sessions) as session:
            for column in (ItemInstance.warning_since, ItemInstance.red_since, ItemInstance.reminded_on):
                self._mark(session, (column > today,), **{column.key: None})
            self._emit(session, "clock.changed", ev.ClockChanged(now=self.clock.now().isoformat()))

    @staticmethod
    def _check_year(year: int) -> None:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise errors.Invalid(f"年份须在{FIRST_YEAR}至{LAST_YEAR}之间", field="year")

    # ---------------- 双一 service: green channel, service team and agent ----------------

    def set_major(self, actor: Actor, project_id: str, major: bool, reason: str = "") -> ProjectView:
        """Flag or unflag a project as major (重大项目): the green channel (绿色通道) puts its items first in the
        departments' queues at an equal deadline and gives it a service team and an agent. Supervisors and
        admins only; an agent may flag it when registering the project. Only a major project has a team and an
        agent: unflagging dissolves both in the same transaction, and the former agent no longer sees it."""
        reason = clean_text(reason, "原因", 500, "reason", required=False)
        with transaction(self.sessions) as session:
            plan = self._visible_plan(session, actor, project_id, lock=True)
            if actor.role not in SERVICE_ROLES:
                raise errors.Forbidden("只有督办员或管理员可以认定或取消重大项目（绿色通道）")
            if plan.major != major:
                old, plan.major = plan.major, major
                self._audit(
                    session,
                    actor,
                    plan.id,
                    "project",
                    plan.id,
                    "green_channel" if major else "green_channel_off",
                    "major" if old else "ordinary",
                    "major" if major else "ordinary",
                    reason or ("认定为重大项目，开通绿色通道" if major else "取消重大项目认定"),
                )
                former_agent, dissolved = ("", False) if major else self._dissolve_service(session, actor, plan)
                self._emit(
                    session,
                    "project.major_changed",
                    ev.ProjectMajorChanged(
                        project_id=plan.id,
                        major=major,
                        actor=actor.username,
                        reason=reason,
                        former_agent=former_agent,
                        team_dissolved=dissolved,
                    ),
                )
        return self.get_project(actor, project_id)

    def _dissolve_service(self, session: Session, actor: Actor, plan: ProjectPlan) -> tuple[str, bool]:
        """A project that is no longer major keeps no service team and no agent: both go, with an audit entry
        naming them. Returns the former agent and whether there was a team."""
        former_agent, team = plan.agent, list(plan.service_team)
        if not former_agent and not team:
            return "", False
        lead = next((m.name for m in team if m.role == "lead"), "")
        parts = []
        if team:
            parts.append(f"解散服务专班（{'牵头人' + lead + '，' if lead else ''}共{len(team)}人）")
        if former_agent:
            parts.append(f"撤销帮办代办专员{former_agent}")
        plan.service_team.clear()
        plan.agent = ""
        session.flush()
        self._audit(
            session,
            actor,
            plan.id,
            "project",
            plan.id,
            "service_dissolved",
            former_agent,
            "",
            "取消重大项目认定：" + "，".join(parts),
        )
        return former_agent, bool(team)

    def assign_service_team(
        self,
        actor: Actor,
        project_id: str,
        agent: str,
        lead: TeamMemberInput | None,
        members: Iterable[TeamMemberInput],
    ) -> ServiceTeamView:
        """A supervisor assigns a major project its service team (服务专班: a lead and members from departments,
        with phones for the early-warning SMS) and its agent (帮办代办专员), who from then on acts for the
        enterprise on this project; a previous agent loses access. Replaces the previous team."""
        members = list(members)
        if lead is None or not (lead.name or "").strip():
            raise errors.Invalid("服务专班须指定牵头人（姓名和手机号）", field="lead")
        if not members:
            raise errors.Invalid("服务专班至少需要一名来自部门的成员", field="members")
        if len(members) > 50:
            raise errors.Invalid("服务专班成员不能超过50人", field="members")
        agent = (agent or "").strip()
        if not USERNAME.match(agent):
            raise errors.Invalid("须指定帮办代办专员的用户名", field="agent")
        rows = [self._team_member(lead, "lead", "lead")]
        rows += [self._team_member(m, "member", f"members[{n}]") for n, m in enumerate(members)]
        seen: dict[str, str] = {}
        for n, row in enumerate(rows):
            if row.phone in seen:
                raise errors.Invalid(
                    f"{row.name}与{seen[row.phone]}的手机号相同：同一人只需列一次",
                    field="lead" if n == 0 else f"members[{n - 1}].phone",
                )
            seen[row.phone] = row.name
        with transaction(self.sessions) as session:
            plan = self._visible_plan(session, actor, project_id, lock=True)
            if actor.role not in SERVICE_ROLES:
                raise errors.Forbidden("只有督办员或管理员可以配备服务专班和帮办代办专员")
            if not plan.major:
                raise errors.Conflict(
                    "只有重大项目（绿色通道）配备服务专班和帮办代办专员；请先认定为重大项目", major=False
                )
            old_agent = plan.agent
            plan.service_team.clear()
            session.flush()
            for position, row in enumerate(rows):
                row.position = position
                plan.service_team.append(row)
            plan.agent = agent
            people = "、".join(
                f"{r.name}（{self._dept_name(r.department)}）" if r.department else r.name for r in rows[1:]
            )
            self._audit(
                session,
                actor,
                plan.id,
                "project",
                plan.id,
                "service_assigned",
                old_agent,
                agent,
                f"服务专班牵头人{rows[0].name}，成员{people}；帮办代办专员{agent}"
                + (f"（原专员{old_agent}）" if old_agent and old_agent != agent else ""),
            )
            self._emit(
                session,
                "project.service_assigned",
                ev.ServiceTeamAssigned(
                    project_id=plan.id,
                    agent=agent,
                    members=[ev.TeamContact(name=r.name, phone=r.phone, role=r.role) for r in rows],
                    actor=actor.username,
                ),
            )
            return ServiceTeamView(plan.id, plan.agent, list(plan.service_team))

    def _team_member(self, person: TeamMemberInput, role: str, field_name: str) -> ServiceTeamMember:
        name = clean_text(person.name, "专班成员姓名", 80, f"{field_name}.name")
        phone = (person.phone or "").strip()
        if not PHONE.match(phone):
            raise errors.Invalid(f"{name}的手机号应为11位手机号码", field=f"{field_name}.phone")
        department = (person.department or "").strip()
        if role == "member" and not department:
            raise errors.Invalid(f"专班成员{name}须注明所在部门", field=f"{field_name}.department")
        if department and department not in self.catalog.departments:
            raise errors.Invalid(f"部门“{printable(department)}”不存在", field=f"{field_name}.department")
        return ServiceTeamMember(role=role, name=name, phone=phone, department=department)

    def service_team(self, actor: Actor, project_id: str) -> ServiceTeamView:
        """A project's service team and agent, for whoever may see the project. Mobile numbers are personal
        data: only supervisors and admins, who assign teams, see them in full; everyone else gets 138****1234."""
        with self.sessions() as session:
            plan = self._visible_plan(session, actor, project_id)
            members = list(plan.service_team)
            if actor.role not in SERVICE_ROLES:
                members = [
                    ServiceTeamMember(
                        position=m.position,
                        role=m.role,
                        name=m.name,
                        department=m.department,
                        phone=mask_phone(m.phone),
                    )
                    for m in members
                ]
            return ServiceTeamView(plan.id, plan.agent, members)

    # ---------------- the personalised approval plan (倒排工期) ----------------

    def set_target_start(self, actor: Actor, project_id: str, target_start: str) -> ApprovalPlanView:
        """The enterprise (or its agent, or a supervisor) sets the target start of construction (开工日期) from
        which the approval plan counts backwards. It must be a date after today."""
        target = parse_day(target_start, "开工日期", "target_start")
        if not FIRST_YEAR <= target.year <= LAST_YEAR:
            raise errors.Invalid(f"开工日期须在{FIRST_YEAR}年至{LAST_YEAR}年之间", field="target_start")
        today = local_today(self.clock)
        if target <= today:
            raise errors.Invalid(f"开工日期须晚于今天（{today.isoformat()}）", field="target_start")
        with transaction(self.sessions) as session:
            plan = self._visible_plan(session, actor, project_id, lock=True)
            if not (self._acts_for_enterprise(actor, plan) or actor.role in SERVICE_ROLES):
                raise errors.Forbidden("只有建设单位、其帮办代办专员或督办员可以设定开工日期")
            if plan.status in CLOSED_PROJECT_STATUSES:
                state = "已办结" if plan.status == "completed" else "已终止"
                raise errors.Conflict(f"项目{state}，不能再设定开工日期")
            if plan.target_start != target:
                old, plan.target_start = plan.target_start, target
                self._audit(
                    session, actor, plan.id, "project", plan.id, "target_start", day_text(old), target.isoformat()
                )
        return self.approval_plan(actor, project_id)

    def approval_plan(self, actor: Actor, project_id: str) -> ApprovalPlanView:
        """The project's personalised approval plan (量身打造审批服务方案): every stage and applicable item with
        the latest dates the target start allows (倒排工期), the forecast from today and the progress so far,
        and the actual dates; whether the target can be met and the shortfall in working days
        (docs/approval-plan.md)."""
        with self.sessions() as session:
            plan = self._visible_plan(session, actor, project_id)
            cal = self.calendars.calendar()
            with cal.tracking() as fallback_years:
                view = self._project_view(plan)
                stages = [
                    planning.StageProgress(
                        s.code,
                        s.name_zh,
                        s.status,
                        s.stage_days,
                        s.accepted_on,
                        s.finished_on,
                        s.projected_finish,
                        [
                            planning.ItemProgress(
                                i.id,
                                i.code,
                                i.name_zh,
                                i.department,
                                i.effective_days,
                                tuple(i.materials),
                                i.status,
                                i.accepted_on,
                                i.deadline,
                                i.decided_on,
                            )
                            for i in s.items
                        ],
                    )
                    for s in view.stages
                ]
                schedule = planning.approval_schedule(
                    stages, local_today(self.clock), cal, self.catalog.construction_after, plan.target_start
                )
            return ApprovalPlanView(view, schedule, fallback_warning(fallback_years))

    def project_history(self, actor: Actor, project_id: str) -> list[AuditEntry]:
        """Workflow's audit trail of one project (its plan, stages, items, team and follow-ups), oldest first."""
        with self.sessions() as session:
            self._visible_plan(session, actor, project_id)
            return list(
                session.scalars(select(AuditEntry).where(AuditEntry.project_id == project_id).order_by(AuditEntry.id))
            )

    # ---------------- follow-up services (后续跟踪服务) ----------------

    def follow_up_categories(self) -> list[FollowUpCategory]:
        """The admin's list of follow-up service categories."""
        with self.sessions() as session:
            return list(session.scalars(select(FollowUpCategory).order_by(FollowUpCategory.code)))

    def put_follow_up_category(
        self, actor: Actor, code: str, name_zh: str, create: bool | None = None
    ) -> tuple[FollowUpCategory, bool]:
        """Add a category, or rename one; admins only. `create` True insists on a new code, False on an existing
        one, None takes either. Returns the category and whether it is new."""
        if actor.role != "admin":
            raise errors.Forbidden("只有系统管理员可以维护后续跟踪服务类别")
        code = (code or "").strip()
        if not CATEGORY_CODE.match(code):
            raise errors.Invalid("类别编号只能包含小写字母、数字、下划线和连字符（1–40个字符）", field="code")
        name_zh = clean_text(name_zh, "类别名称", 80, "name_zh")
        with transaction(self.sessions) as session:
            row = session.get(FollowUpCategory, code)
            created = row is None
            if create is True and not created:
                raise errors.AlreadyExists(f"类别编号“{code}”已存在；修改名称请用 PUT", code=code)
            if create is False and created:
                raise errors.NotFound(f"后续跟踪服务类别“{code}”不存在")
            old = "" if created else row.name_zh
            if created:
                row = FollowUpCategory(code=code)
                session.add(row)
            row.name_zh = name_zh
            self._audit(session, actor, "", "category", code, "save", old, name_zh)
            return FollowUpCategory(code=row.code, name_zh=row.name_zh), created

    def delete_follow_up_category(self, actor: Actor, code: str) -> None:
        """Remove a category no follow-up uses; admins only."""
        if actor.role != "admin":
            raise errors.Forbidden("只有系统管理员可以维护后续跟踪服务类别")
        with transaction(self.sessions) as session:
            row = session.get(FollowUpCategory, code)
            if row is None:
                raise errors.NotFound(f"后续跟踪服务类别“{printable(code)}”不存在")
            if session.scalar(select(func.count()).where(FollowUp.category == code)):
                raise errors.Conflict(f"已有后续跟踪记录使用类别“{row.name_zh}”，不能删除；可改名")
            session.delete(row)
            self._audit(session, actor, "", "category", code, "delete", row.name_zh, "")

    def record_follow_up(
        self,
        actor: Actor,
        project_id: str,
        category: str,
        happened_on: str,
        people: Iterable[str],
        outcome: str,
    ) -> FollowUp:
        """The service team logs a follow-up visit or service (policy fulfilment, hiring, financing, …) of a
        project after its completion acceptance (竣工验收): category, date, people and outcome. Supervisors,
        admins and the project's agent log them; before completion the answer is a conflict."""
        day = parse_day(happened_on, "服务日期", "happened_on")
        today = local_today(self.clock)
        if day > today:
            raise errors.Invalid("服务日期不能晚于今天", field="happened_on")
        names = [clean_text(p, "参与人员", 80, "people") for p in people]
        if not names:
            raise errors.Invalid("须填写参与人员", field="people")
        if len(names) > 30:
            raise errors.Invalid("参与人员不能超过30人", field="people")
        outcome = clean_text(outcome, "服务成效", 2000, "outcome", multiline=True)
        with transaction(self.sessions) as session:
            plan = self._visible_plan(session, actor, project_id)
            if not (actor.role in SERVICE_ROLES or (actor.role == "agent" and plan.agent == actor.username)):
                raise errors.Forbidden("只有服务专班（督办员、管理员或本项目的帮办代办专员）可以登记后续跟踪服务")
            if plan.status != "completed":
                raise errors.Conflict(
                    "项目尚未通过竣工验收，后续跟踪服务在竣工验收完成后登记", project_status=plan.status
                )
            kind = session.get(FollowUpCategory, (category or "").strip())
            if kind is None:
                known = "、".join(f"{c.code}（{c.name_zh}）" for c in session.scalars(select(FollowUpCategory)))
                raise errors.Invalid(
                    f"后续跟踪服务类别“{printable(category)}”不存在；可选：{known or '无，请管理员先维护类别'}",
                    field="category",
                )
            if plan.finished_on and day < plan.finished_on:
                raise errors.Invalid(
                    f"服务日期不能早于竣工验收完成日（{plan.finished_on.isoformat()}）", field="happened_on"
                )
            row = FollowUp(
                project_id=plan.id,
                category=kind.code,
                happened_on=day,
                people=names,
                outcome=outcome,
                recorded_by=actor.username,
                recorded_at=self.clock.now(),
            )
            session.add(row)
            session.flush()
            self._audit(
                session,
                actor,
                plan.id,
                "follow_up",
                str(row.id),
                "follow_up",
                "",
                kind.code,
                f"{day.isoformat()} {kind.name_zh}：{outcome[:200]}",
            )
            session.expunge(row)
            return row

    def follow_ups(self, actor: Actor, project_id: str) -> list[FollowUp]:
        """A project's follow-up services, oldest first, for whoever may see the project."""
        with self.sessions() as session:
            self._visible_plan(session, actor, project_id)
            return list(
                session.scalars(
                    select(FollowUp)
                    .where(FollowUp.project_id == project_id)
                    .order_by(FollowUp.happened_on, FollowUp.id)
                )
            )

    def category_names(self) -> dict[str, str]:
        return {c.code: c.name_zh for c in self.follow_up_categories()}

    # ---------------- views ----------------

    def _project_view(self, plan: ProjectPlan) -> ProjectView:
        cal = self.calendars.calendar()
        today = local_today(self.clock)
        with cal.tracking() as fallback_years:
            stage_views: list[StageView] = []
            stage_pairs = []
            names = {s.code: s.name_zh for s in self.catalog.stages}
            for stage in plan.stages:
                pairs = []
                item_views = []
                for item in self._stage_items(plan, stage.code):
                    clock = rules.ItemClock.of(item)
                    timing = rules.item_timing(clock, today, cal, self.policy)
                    pairs.append((clock, timing))
                    item_views.append(self._item_view(item, today, cal, timing))
                sclock = rules.StageClock(stage.status, stage.stage_days, stage.accepted_on, stage.finished_on, pairs)
                stiming = rules.stage_timing(sclock, today, cal, self.policy)
                stage_pairs.append((sclock, stiming))
                stage_views.append(
                    StageView(
                        stage.code,
                        names.get(stage.code, stage.code),
                        stage.status,
                        stiming.colour,
                        stage.stage_days,
                        stage.accepted_on,
                        stiming.planned_finish,
                        stiming.projected_finish,
                        stage.finished_on,
                        stiming.slack_days,
                        stiming.used_days,
                        stage.return_reason,
                        item_views,
                    )
                )
            ptiming = rules.project_timing(plan.target_days, stage_pairs, self.policy)
        return ProjectView(
            plan.id,
            plan.code,
            plan.name,
            plan.enterprise,
            plan.agent,
            plan.project_type,
            plan.major,
            plan.status,
            ptiming.colour,
            plan.current_stage if plan.status == "in_progress" else "",
            plan.target_days,
            ptiming.used_days,
            ptiming.projected_days,
            ptiming.slack_days,
            plan.created_at,
            stage_views,
            list(plan.documents),
            fallback_warning(fallback_years),
        )

    def _store_figures(self, plan: ProjectPlan) -> None:
        """Store the project's colours and figures as of today (what dashboards and reports count), in the
        transaction that changed it; the sweep does the same for running projects as days pass."""
        view = self._project_view(plan)
        plan.colour, plan.colour_on, plan.used_days = view.colour, local_today(self.clock), view.used_days
        stages = {s.code: s for s in view.stages}
        items = {i.id: i for s in view.stages for i in s.items}
        asked = 0
        for stage in plan.stages:
            stage.colour = stages[stage.code].colour
        for item in plan.items:
            # A decided item's colour and used days are final; an open item's follow from the sweep's marks
            # (red_since, warning_since), so that running items are not rewritten every day.
            timing = items.get(item.id)
            if timing is not None and item.decided_on is not None and item.status in rules.DECIDED_STATUSES:
                item.colour, item.used_days = timing.colour, timing.used_days
            if item.status not in ("pending", "withdrawn"):
                asked += len(item.materials or [])
        plan.materials_asked = asked
        if plan.status in CLOSED_PROJECT_STATUSES and not plan.rolled_up:
            add_closed_project(Session.object_session(plan), plan)
            plan.rolled_up = True

    def refresh_figures(self, batch: int = 500) -> int:
        """Bring the stored colours of running projects (and of any project never stored) up to today, `batch`
        projects per transaction; returns how many were refreshed."""
        today = local_today(self.clock)
        stale = select(ProjectPlan.id).where(
            (ProjectPlan.status == "in_progress") | ProjectPlan.colour_on.is_(None),
            ProjectPlan.colour_on.is_(None) | (ProjectPlan.colour_on != today),
        )
        done = 0
        while True:
            with transaction(self.sessions) as session:
                query = stale.limit(batch)
                if session.bind.dialect.name == "postgresql":
                    # rows a transition holds are left to it (it stores its own figures); two replicas never
                    # store one project at once, so a closed project is added to the running totals once
                    query = query.with_for_update(skip_locked=True)
                ids = session.scalars(query).all()
                if not ids:
                    return done
                plans = session.scalars(
                    select(ProjectPlan)
                    .where(ProjectPlan.id.in_(ids))
                    .options(selectinload(ProjectPlan.stages), selectinload(ProjectPlan.items))
                ).all()
                for plan in plans:
                    self._store_figures(plan)
                done += len(plans)

    def _item_view(self, item: ItemInstance, today: date, cal: WorkingCalendar, timing=None) -> ItemView:
        timing = timing or rules.item_timing(rules.ItemClock.of(item), today, cal, self.policy)
        return ItemView(
            item.id,
            item.project_id,
            item.project.name,
            item.project.major,
            item.code,
            item.stage,
            item.department,
            item.name_zh,
            item.status,
            timing.colour,
            timing.warning,
            item.promised_days,
            item.effective_days,
            timing.used_days,
            timing.deadline,
            item.accepted_on,
            item.decided_on,
            timing.suspended_days,
            list(item.materials),
            item.produces,
            list(item.deferred_materials or []),
        )

    def _stage_view_of(self, project_id: str, stage_code: str) -> StageView:
        view = self.get_project(SYSTEM, project_id)
        return next(s for s in view.stages if s.code == stage_code)

    # ---------------- helpers ----------------

    def _visible(self, actor: Actor, plan: ProjectPlan) -> bool:
        if actor.role in SEE_ALL_ROLES or actor.at_window:
            return True
        if actor.role == "enterprise":
            return bool(actor.enterprise) and plan.enterprise == actor.enterprise
        if actor.role == "agent":
            return plan.agent == actor.username
        if actor.role in HANDLER_ROLES:
            return any(i.department == actor.department for i in plan.items)
        return False

    def _visible_plans(self, actor: Actor):
        query = select(ProjectPlan)
        if actor.role in SEE_ALL_ROLES or actor.at_window:
            return query
        if actor.role == "enterprise":
            return query.where(ProjectPlan.enterprise == (actor.enterprise or "\0"))
        if actor.role == "agent":
            return query.where(ProjectPlan.agent == actor.username)
        if actor.role in HANDLER_ROLES:
            mine = select(ItemInstance.project_id).where(ItemInstance.department == actor.department)
            return query.where(ProjectPlan.id.in_(mine))
        return query.where(false())

    @staticmethod
    def _acts_for_enterprise(actor: Actor, plan: ProjectPlan) -> bool:
        return (actor.role == "enterprise" and actor.enterprise == plan.enterprise) or (
            actor.role == "agent" and plan.agent == actor.username
        )

    def _visible_plan(self, session: Session, actor: Actor, project_id: str, lock: bool = False) -> ProjectPlan:
        plan = self._load_plan(session, project_id, lock=lock)
        if plan is None or not self._visible(actor, plan):
            raise errors.NotFound("项目不存在或无权查看")
        return plan

    @staticmethod
    def _load_plan(session: Session, project_id: str, lock: bool = False) -> ProjectPlan | None:
        query = (
            select(ProjectPlan)
            .where(ProjectPlan.id == project_id)
            .options(
                selectinload(ProjectPlan.stages), selectinload(ProjectPlan.items), selectinload(ProjectPlan.documents)
            )
        )
        if lock:
            query = query.with_for_update(of=ProjectPlan)
        return session.scalars(query).first()

    def _load_item(self, session: Session, actor: Actor, item_id: str, lock: bool = False) -> ItemInstance:
        item = session.get(ItemInstance, item_id)
        if item is None:
            raise errors.NotFound("事项不存在或无权查看")
        plan = self._load_plan(session, item.project_id, lock=lock)
        if plan is None or not self._visible(actor, plan):
            raise errors.NotFound("事项不存在或无权查看")
        return item

    def _stage(self, plan: ProjectPlan, code: str) -> StageRun:
        for stage in plan.stages:
            if stage.code == code:
                return stage
        raise errors.NotFound(f"阶段“{code}”不存在", field="stage")

    @staticmethod
    def _stage_items(plan: ProjectPlan, stage_code: str) -> list[ItemInstance]:
        return sorted((i for i in plan.items if i.stage == stage_code), key=lambda i: i.code)

    def _dept_name(self, code: str) -> str:
        dept = self.catalog.departments.get(code)
        return dept.name_zh if dept else code

    def _material_name(self, code: str) -> str:
        material = self.catalog.materials.get(code)
        return f"{code} {material.name_zh}" if material else code

    def _emit(self, session, event_type: str, payload) -> None:
        self.outbox.emit(session, event_type, payload, self.clock.now())

    @staticmethod
    def _item_ref(plan: ProjectPlan, item: ItemInstance) -> ev.ItemRef:
        return ev.ItemRef(
            item_id=item.id,
            item_code=item.code,
            item_name=item.name_zh,
            project_id=plan.id,
            project_name=plan.name,
            department=item.department,
            stage=item.stage,
            major=plan.major,
            enterprise=plan.enterprise,
        )

    def _audit(
        self, session, actor: Actor, project_id, subject_type, subject_id, action, from_status, to_status, reason=""
    ) -> None:
        plan = session.get(ProjectPlan, project_id) if project_id and actor.role == "agent" else None
        audit.record(
            session,
            AuditEntry,
            self.clock.now(),
            actor,
            project_id=project_id,
            subject_type=subject_type,
            subject_id=subject_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            on_behalf_of=plan.enterprise if plan else "",
        )
