"""Consult use cases: the consultation board (留言咨询) with the same-day reply rule, threads, supervisor flags,
monthly figures per department, overdue detection, and joint consultation cases (双线会商)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, selectinload, sessionmaker
from zhitong.events.v1 import events_pb2 as ev

from kit import audit, errors
from kit.actor import HANDLER_ROLES, WINDOW, Actor, department_scope
from kit.calendar import month_bounds
from kit.catalog import Catalog
from kit.clock import LOCAL_TZ, Clock, local_today
from kit.dates import parse_day
from kit.db import transaction
from kit.outbox import Outbox
from kit.remote_calendar import RemoteCalendarStore
from kit.text import clean_text, printable
from kit.workflow_port import WorkflowPort
from services.consult import rules
from services.consult.models import AuditEntry, Case, CaseUpdate, Flag, Message, Question
from services.consult.models import Outbox as OutboxTable

SEE_ALL = ("supervisor", "admin")
ASKERS = ("enterprise", "agent")
FLAG_KINDS = {"late": "不及时", "perfunctory": "敷衍"}
URL = re.compile(r"^https?://\S{1,490}$")


@dataclass
class Figures:
    department: str
    due: int = 0
    replied: int = 0
    replied_on_time: int = 0
    late_flags: int = 0
    perfunctory_flags: int = 0

    @property
    def reply_rate(self) -> float:
        return round(self.replied / self.due, 4) if self.due else 0.0

    @property
    def timely_rate(self) -> float:
        return round(self.replied_on_time / self.due, 4) if self.due else 0.0

    @property
    def flags(self) -> int:
        return self.late_flags + self.perfunctory_flags


@dataclass
class Consult:
    sessions: sessionmaker[Session]
    clock: Clock
    catalog: Catalog
    calendars: RemoteCalendarStore
    workflow: WorkflowPort
    hours: rules.OfficeHours = field(default_factory=rules.OfficeHours)
    outbox: Outbox = field(default_factory=lambda: Outbox(OutboxTable))

    # ---------------- questions ----------------

    def post_question(
        self, actor: Actor, department: str, subject: str, body: str, project_id: str = "", item_id: str = ""
    ) -> Question:
        """An enterprise (or its agent) asks a department — or the window, which forwards it — optionally about
        one of its projects and items. The answer is due by the same-day rule."""
        if actor.role not in ASKERS:
            raise errors.Forbidden("只有企业或帮办代办专员可以留言咨询")
        self._check_department(department)
        subject = clean_text(subject, "标题", 100, "subject")
        body = clean_text(body, "留言内容", 5000, "body", multiline=True)
        enterprise = actor.enterprise
        if project_id:
            plan = self.workflow.project(actor, project_id)  # NotFound for someone else's project
            enterprise = plan.enterprise
            if item_id and not any(i.id == item_id for s in plan.stages for i in s.items):
                raise errors.Invalid("该事项不属于此项目", field="item_id")
        elif item_id:
            raise errors.Invalid("指定事项时须同时指定项目", field="project_id")
        if actor.role == "agent" and not project_id:
            raise errors.Invalid("帮办代办专员留言须指明所代办的项目", field="project_id")
        now = self.clock.now()
        question = Question(
            id=str(uuid.uuid4()),
            asker=actor.username,
            asker_role=actor.role,
            enterprise=enterprise,
            department=department,
            subject=subject,
            body=body,
            project_id=project_id,
            item_id=item_id,
            status="open",
            posted_at=now,
            due_at=rules.due_at(now, self.calendars.calendar(now.date()), self.hours),
        )
        with transaction(self.sessions) as session:
            session.add(question)
            self._audit(session, actor, question, "post", "", "open", subject)
            self._question_event(session, "question.posted", question)
        return self.get_question(actor, question.id)

    def list_questions(
        self, actor: Actor, department: str = "", status: str = "", overdue: str = "", limit: int = 200
    ) -> list[Question]:
        """Questions the actor may see, newest first; `overdue` "true" keeps those answered late or not yet
        answered past their due time."""
        if status and status not in ("open", "answered", "closed"):
            raise errors.Invalid("状态只能是 open、answered 或 closed", field="status")
        if department and actor.role in HANDLER_ROLES and not actor.at_window and department != actor.department:
            raise errors.Forbidden("只能查看本部门的留言")
        query = self._visible(actor).options(selectinload(Question.messages), selectinload(Question.flags))
        if department:
            query = query.where(Question.department == department)
        if status:
            query = query.where(Question.status == status)
        now = self.clock.now()
        late = or_(
            Question.first_reply_at > Question.due_at,
            (Question.first_reply_at.is_(None)) & (Question.due_at < now) & (Question.status != "closed"),
        )
        if overdue == "true":
            query = query.where(late)
        elif overdue == "false":
            query = query.where(~late)
        with self.sessions() as session:
            return list(session.scalars(query.order_by(Question.posted_at.desc()).limit(min(max(limit, 1), 500))))

    def get_question(self, actor: Actor, question_id: str) -> Question:
        """One question with its thread and flags."""
        return self._fetch(question_id, self._visible(actor))

    def _fetch(self, question_id: str, visible=None) -> Question:
        with self.sessions() as session:
            question = session.scalars(
                (visible if visible is not None else select(Question))
                .where(Question.id == question_id)
                .options(selectinload(Question.messages), selectinload(Question.flags))
            ).first()
            if question is None:
                raise errors.NotFound("留言不存在或无权查看")
            return question

    def reply(self, actor: Actor, question_id: str, body: str) -> Question:
        """The department answers (a reply), or the asker follows up. The first reply decides timeliness."""
        body = clean_text(body, "回复内容", 5000, "body", multiline=True)
        with transaction(self.sessions) as session:
            question = self._load(session, actor, question_id)
            if question.status == "closed":
                raise errors.Conflict("该留言已关闭，不能再回复")
            now = self.clock.now()
            if self._answers(actor, question):
                kind = "reply"
                if question.first_reply_at is None:
                    question.first_reply_at = now
                    self._question_event(session, "question.answered", question)
                old, question.status = question.status, "answered"
            elif self._asked(actor, question):
                kind, old, question.status = "follow_up", question.status, "open"
            else:
                raise errors.Forbidden("只有提问企业或受理部门可以回复此留言")
            question.messages.append(
                Message(author=actor.username, author_role=actor.role, kind=kind, body=body, at=now)
            )
            self._audit(session, actor, question, kind, old, question.status, body[:200])
        return self.get_question(actor, question_id)

    def forward(self, actor: Actor, question_id: str, department: str) -> Question:
        """The window routes a question to the department that handles it; the due time stays."""
        if not actor.at_window:
            raise errors.Forbidden("只有综合窗口可以转办留言")
        self._check_department(department)
        if department == WINDOW:
            raise errors.Invalid("请选择要转办的部门", field="department")
        with transaction(self.sessions) as session:
            question = self._load(session, actor, question_id)
            if question.status == "closed":
                raise errors.Conflict("该留言已关闭，不能转办")
            if question.forwarded_from == WINDOW:
                raise errors.Conflict(f"该留言已转办给{self._department_name(question.department)}")
            if question.department != WINDOW or question.first_reply_at is not None:
                raise errors.Conflict("只能转办发给综合窗口且尚未答复的留言")
            question.forwarded_from, question.department = WINDOW, department
            self._audit(session, actor, question, "forward", WINDOW, department, "")
        return self._fetch(question_id)

    def close(self, actor: Actor, question_id: str) -> Question:
        """The asker closes the thread."""
        with transaction(self.sessions) as session:
            question = self._load(session, actor, question_id)
            if not self._asked(actor, question):
                raise errors.Forbidden("只有提问企业可以关闭留言")
            if question.status == "closed":
                raise errors.Conflict("该留言已关闭")
            old, question.status, question.closed_at = question.status, "closed", self.clock.now()
            self._audit(session, actor, question, "close", old, "closed", "")
        return self.get_question(actor, question_id)

    # ---------------- supervision ----------------

    def flag(self, actor: Actor, question_id: str, kind: str, note: str) -> Flag:
        """A supervisor criticises the latest reply as late (不及时) or perfunctory (敷衍)."""
        if actor.role != "supervisor":
            raise errors.Forbidden("只有督办员可以标记回复")
        if kind not in FLAG_KINDS:
            raise errors.Invalid("标记类型只能是 late（不及时）或 perfunctory（敷衍）", field="kind")
        note = clean_text(note, "说明", 1000, "note", multiline=True)
        with transaction(self.sessions) as session:
            question = self._load(session, actor, question_id)
            replies = [m for m in question.messages if m.kind == "reply"]
            if not replies:
                raise errors.Conflict("该留言尚无部门回复，无可标记的回复")
            if any(f.reply_id == replies[-1].id and f.kind == kind for f in question.flags):
                raise errors.Conflict(f"该回复已被标记为“{FLAG_KINDS[kind]}”")
            flag = Flag(
                question_id=question.id,
                reply_id=replies[-1].id,
                department=question.department,
                kind=kind,
                note=note,
                flagged_by=actor.username,
                at=self.clock.now(),
            )
            question.flags.append(flag)
            self._audit(session, actor, question, f"flag_{kind}", "", "", note[:200])
        return flag

    def list_flags(self, actor: Actor, department: str = "", month: str = "") -> list[tuple[Flag, str]]:
        """Flags with the question's subject, per department (supervisors: all; a department: its own). A flag
        belongs to the month its question was due, as the question's own figures do, whenever it was made."""
        department = department_scope(actor, department, "统计数据")
        query = select(Flag, Question.subject).join(Question, Question.id == Flag.question_id).order_by(Flag.at.desc())
        if department:
            query = query.where(Flag.department == department)
        if month:
            start, end = month_bounds(month)
            query = query.where(Question.due_at >= start, Question.due_at < end)
        with self.sessions() as session:
            return [(f, subject) for f, subject in session.execute(query)]

    def stats(self, actor: Actor, month: str) -> tuple[list[Figures], Figures | None]:
        """Per department, the questions due in the month: replied, replied on time, rates, and flags.
        Satisfaction comes from ratings and is not part of these figures."""
        scope = department_scope(actor, "", "统计数据")
        start, end = month_bounds(month)
        on_time = sql_case((Question.first_reply_at <= Question.due_at, 1), else_=0)
        query = (
            select(Question.department, func.count(), func.count(Question.first_reply_at), func.sum(on_time))
            .where(Question.due_at >= start, Question.due_at < end)
            # counted once answered, or once the due time has passed without an answer
            .where(or_(Question.first_reply_at.is_not(None), Question.due_at < self.clock.now()))
            .group_by(Question.department)
        )
        flags = (
            select(Flag.department, Flag.kind, func.count())
            .join(Question, Question.id == Flag.question_id)
            .where(Question.due_at >= start, Question.due_at < end)
            .group_by(Flag.department, Flag.kind)
        )
        if scope:
            query, flags = query.where(Question.department == scope), flags.where(Flag.department == scope)
        figures: dict[str, Figures] = {}
        with self.sessions() as session:
            for dept, due, replied, timely in session.execute(query):
                figures[dept] = Figures(dept, due, replied, int(timely or 0))
            for dept, kind, n in session.execute(flags):
                f = figures.setdefault(dept, Figures(dept))
                setattr(f, f"{kind}_flags", n)
        rows = sorted(figures.values(), key=lambda f: f.department)
        if scope:
            return rows, None  # a department sees its own row, not the city's
        city = Figures(
            "",
            *(
                sum(getattr(f, a) for f in rows)
                for a in ("due", "replied", "replied_on_time", "late_flags", "perfunctory_flags")
            ),
        )
        return rows, city

    # ---------------- overdue ----------------

    def sweep(self) -> dict[str, int]:
        """Announce questions not answered by their due time (`question.overdue`, to the department contact) and,
        on the next working day, once more with `escalate` (the supervisor too)."""
        now = self.clock.now()
        today = local_today(self.clock)
        cal = self.calendars.calendar(today)
        start_of_today = datetime.combine(today, datetime.min.time(), tzinfo=LOCAL_TZ)
        unanswered = (Question.first_reply_at.is_(None), Question.status != "closed")
        overdue = (*unanswered, Question.due_at < now, Question.overdue_on.is_(None))
        escalate = (
            *unanswered,
            Question.overdue_on.is_not(None),
            Question.escalated_on.is_(None),
            Question.due_at < start_of_today,
        )
        counts = {"overdue": 0, "escalated": 0}
        with transaction(self.sessions) as session:
            if session.bind.dialect.name == "postgresql":
                got = session.execute(select(func.pg_try_advisory_xact_lock(0x5A57_0002))).scalar()
                if not got:
                    return counts
            rows = []
            for q in session.scalars(select(Question).where(*overdue)):
                rows.append(self.outbox.row("question.overdue", self._overdue(q, False), now))
                counts["overdue"] += 1
            session.execute(
                update(Question).where(*overdue).values(overdue_on=today).execution_options(synchronize_session=False)
            )
            if cal.is_workday(today):
                for q in session.scalars(select(Question).where(*escalate)):
                    rows.append(self.outbox.row("question.overdue", self._overdue(q, True), now))
                    counts["escalated"] += 1
                session.execute(
                    update(Question)
                    .where(*escalate)
                    .values(escalated_on=today)
                    .execution_options(synchronize_session=False)
                )
            self.outbox.emit_many(session, rows)
        return counts

    def overdue_by_department(self) -> list[tuple[str, int]]:
        """(department, questions unanswered past their due time)."""
        query = (
            select(Question.department, func.count())
            .where(Question.first_reply_at.is_(None), Question.status != "closed", Question.due_at < self.clock.now())
            .group_by(Question.department)
        )
        with self.sessions() as session:
            return [(d, n) for d, n in session.execute(query)]

    @staticmethod
    def _overdue(q: Question, escalate: bool) -> ev.QuestionOverdue:
        return ev.QuestionOverdue(
            question_id=q.id,
            department=q.department,
            subject=q.subject,
            due_at=q.due_at.astimezone(LOCAL_TZ).isoformat(),
            escalate=escalate,
        )

    # ---------------- joint consultation cases ----------------

    def open_case(
        self,
        actor: Actor,
        project_id: str,
        title: str,
        problem: str,
        lead_department: str,
        participants: list[str],
        plan: str = "",
        target_date: str = "",
        responsible: str = "",
        mode: str = "online",
        meeting_link: str = "",
    ) -> Case:
        """A problem raised for a project (by its enterprise, agent or a supervisor) becomes a case of the
        leading-group office with a lead department and participating departments."""
        if actor.role not in (*ASKERS, "supervisor"):
            raise errors.Forbidden("只有项目企业、帮办代办专员或督办员可以提出会商")
        project = self.workflow.project(actor, project_id)
        if actor.role in ASKERS and not (
            (actor.role == "enterprise" and project.enterprise == actor.enterprise)
            or (actor.role == "agent" and project.agent == actor.username)
        ):
            raise errors.NotFound("项目不存在或无权查看")
        self._check_department(lead_department, "lead_department", window=False)
        for d in participants:
            self._check_department(d, "participants", window=False)
        if mode not in ("online", "offline"):
            raise errors.Invalid("会商方式只能是 online（线上）或 offline（线下）", field="mode")
        meeting_link = self._link(meeting_link)
        if target_date and _parse_date(target_date) < local_today(self.clock):
            raise errors.Invalid("目标日期不能早于今天", field="target_date")
        case = Case(
            id=str(uuid.uuid4()),
            project_id=project_id,
            enterprise=project.enterprise,
            title=clean_text(title, "会商事由", 100, "title"),
            problem=clean_text(problem, "问题描述", 5000, "problem", multiline=True),
            raised_by=actor.username,
            lead_department=lead_department,
            participants=sorted(set(participants) - {lead_department}),
            plan=clean_text(plan, "解决方案", 5000, "plan", required=False, multiline=True),
            target_date=_parse_date(target_date),
            responsible=clean_text(responsible, "责任人", 80, "responsible", required=False),
            mode=mode,
            meeting_link=meeting_link,
            status="open",
            created_at=self.clock.now(),
        )
        with transaction(self.sessions) as session:
            session.add(case)
            audit.record(
                session,
                AuditEntry,
                self.clock.now(),
                actor,
                project_id=project_id,
                subject_type="case",
                subject_id=case.id,
                action="open",
                to_status="open",
                reason=case.title,
            )
        return self.get_case(actor, case.id)

    def list_cases(
        self, actor: Actor, status: str = "", project_id: str = "", overdue_only: bool = False
    ) -> list[Case]:
        """Cases the actor may see; `overdue_only` keeps open cases past their target date (red)."""
        if status and status not in ("open", "in_progress", "closed"):
            raise errors.Invalid("状态只能是 open、in_progress 或 closed", field="status")
        query = self._visible_cases(actor).options(selectinload(Case.updates)).order_by(Case.created_at.desc())
        if status:
            query = query.where(Case.status == status)
        if project_id:
            query = query.where(Case.project_id == project_id)
        if overdue_only:
            query = query.where(Case.status != "closed", Case.target_date < local_today(self.clock))
        with self.sessions() as session:
            return list(session.scalars(query))

    def get_case(self, actor: Actor, case_id: str) -> Case:
        with self.sessions() as session:
            case = session.scalars(
                self._visible_cases(actor).where(Case.id == case_id).options(selectinload(Case.updates))
            ).first()
            if case is None:
                raise errors.NotFound("会商不存在或无权查看")
            return case

    def update_case(self, actor: Actor, case_id: str, note: str, status: str = "", **changes: str | list[str]) -> Case:
        """The leading-group office (supervisors) or the lead department records progress, changes the plan,
        target date, responsible person, meeting link or minutes, and closes the case with its resolution."""
        with transaction(self.sessions) as session:
            case = session.scalars(self._visible_cases(actor).where(Case.id == case_id)).first()
            if case is None:
                raise errors.NotFound("会商不存在或无权查看")
            leads = actor.role == "supervisor" or (
                actor.role in HANDLER_ROLES and actor.department == case.lead_department
            )
            if not leads:
                raise errors.Forbidden("只有领导小组办公室（督办员）或牵头部门可以更新会商")
            if case.status == "closed":
                raise errors.Conflict("会商已办结")
            if status and status not in ("in_progress", "closed"):
                raise errors.Invalid("状态只能改为 in_progress 或 closed", field="status")
            if status == "closed" and actor.role != "supervisor":
                raise errors.Forbidden("会商由领导小组办公室（督办员）办结")
            note = clean_text(note, "进展说明", 2000, "note", multiline=True)
            if changes.get("plan"):
                case.plan = clean_text(changes["plan"], "解决方案", 5000, "plan", multiline=True)
            if changes.get("target_date"):
                target = _parse_date(changes["target_date"])
                if target < local_today(self.clock):
                    raise errors.Invalid("目标日期不能早于今天", field="target_date")
                case.target_date = target
            if changes.get("responsible"):
                case.responsible = clean_text(changes["responsible"], "责任人", 80, "responsible")
            if changes.get("meeting_link"):
                case.meeting_link = self._link(changes["meeting_link"])
            if changes.get("minutes"):
                case.minutes = clean_text(changes["minutes"], "会议纪要", 20000, "minutes", multiline=True)
            if changes.get("participants"):
                for d in changes["participants"]:
                    self._check_department(d, "participants", window=False)
                case.participants = sorted(set(changes["participants"]) - {case.lead_department})
            old = case.status
            if status == "closed":
                case.resolution = clean_text(changes.get("resolution"), "办结结果", 5000, "resolution", multiline=True)
                case.closed_at = self.clock.now()
            case.status = status or ("in_progress" if old == "open" else old)
            case.updates.append(CaseUpdate(by=actor.username, at=self.clock.now(), note=note, status=case.status))
            audit.record(
                session,
                AuditEntry,
                self.clock.now(),
                actor,
                project_id=case.project_id,
                subject_type="case",
                subject_id=case.id,
                action="update",
                from_status=old,
                to_status=case.status,
                reason=note[:200],
            )
        return self.get_case(actor, case_id)

    @staticmethod
    def _link(link: str) -> str:
        link = clean_text(link, "会议链接", 500, "meeting_link", required=False)
        if link and not URL.match(link):
            raise errors.Invalid("会议链接应为 http(s) 地址", field="meeting_link")
        return link

    def case_colour(self, case: Case) -> str:
        """Red while open past its target date, yellow while open, none once closed."""
        if case.status == "closed":
            return ""
        return "red" if case.target_date and local_today(self.clock) > case.target_date else "yellow"

    # ---------------- helpers ----------------

    def is_overdue(self, question: Question) -> bool:
        if question.first_reply_at is not None:
            return question.first_reply_at > question.due_at
        return self.clock.now() > question.due_at and question.status != "closed"

    def _visible(self, actor: Actor):
        query = select(Question)
        if actor.role in SEE_ALL:
            return query
        if actor.role == "enterprise":
            return query.where(Question.enterprise == (actor.enterprise or "\0"))
        if actor.role == "agent":
            # the questions about the projects the agent serves now, whoever of the enterprise's side asked
            return query.where(Question.project_id.in_(self._served(actor)))
        if actor.at_window:
            return query.where(or_(Question.department == WINDOW, Question.forwarded_from == WINDOW))
        if actor.role in HANDLER_ROLES:
            return query.where(Question.department == actor.department)
        return query.where(Question.id == "\0")

    def _visible_cases(self, actor: Actor):
        query = select(Case)
        if actor.role in SEE_ALL:
            return query
        if actor.role == "enterprise":
            return query.where(Case.enterprise == (actor.enterprise or "\0"))
        if actor.role == "agent":
            return query.where(Case.project_id.in_(self._served(actor)))
        if actor.role in HANDLER_ROLES:
            return query.where(
                or_(
                    Case.lead_department == actor.department,
                    cast(Case.participants, String).like(f'%"{actor.department}"%'),
                )
            )
        return query.where(Case.id == "\0")

    def _load(self, session: Session, actor: Actor, question_id: str) -> Question:
        query = self._visible(actor).where(Question.id == question_id)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        question = session.scalars(query).first()
        if question is None:
            raise errors.NotFound("留言不存在或无权查看")
        return question

    @staticmethod
    def _answers(actor: Actor, question: Question) -> bool:
        return actor.role in HANDLER_ROLES and actor.department == question.department

    def _asked(self, actor: Actor, question: Question) -> bool:
        """The enterprise that asked, or the agent who now serves the question's project, speaks for the asker."""
        return (actor.role == "enterprise" and actor.enterprise == question.enterprise) or (
            actor.role == "agent" and question.project_id in self._served(actor)
        )

    def _served(self, actor: Actor) -> list[str]:
        """The projects an agent serves now (workflow assigns them); a reassigned agent no longer sees the old
        project's questions and cases."""
        return sorted(self.workflow.visible_project_ids(actor)) or ["\0"]

    def _check_department(self, code: str, field_name: str = "department", window: bool = True) -> None:
        if code not in self.catalog.departments:
            raise errors.Invalid(f"部门“{printable(code)}”不存在", field=field_name)
        if not window and code == WINDOW:
            raise errors.Invalid("综合窗口不参与会商，请选择审批部门", field=field_name)

    def _department_name(self, code: str) -> str:
        dept = self.catalog.departments.get(code)
        return dept.name_zh if dept else code

    def _question_event(self, session, event_type: str, q: Question) -> None:
        self.outbox.emit(
            session,
            event_type,
            ev.QuestionChanged(
                question_id=q.id,
                department=q.department,
                asker=q.asker,
                enterprise=q.enterprise,
                subject=q.subject,
                due_at=q.due_at.astimezone(LOCAL_TZ).isoformat(),
                timely=q.first_reply_at is not None and q.first_reply_at <= q.due_at,
            ),
            self.clock.now(),
        )

    def _audit(self, session, actor: Actor, q: Question, action: str, old: str, new: str, reason: str) -> None:
        audit.record(
            session,
            AuditEntry,
            self.clock.now(),
            actor,
            project_id=q.project_id,
            subject_type="question",
            subject_id=q.id,
            action=action,
            from_status=old,
            to_status=new,
            reason=reason,
        )


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    return parse_day(text, "目标日期", "target_date")
