"""Rating use cases: invitations opened by decided items and answered questions, five-level ratings of departments,
rectification (整改) of bad ratings with supervisor review and revisit (回访), revisit surveys, and monthly figures.
Pure Python; used by the gRPC server and by the nameko worker (which never imports grpc)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Integer, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from zhitong.events.v1 import events_pb2 as ev

from kit import audit, errors
from kit.actor import HANDLER_ROLES, Actor, department_scope
from kit.calendar import month_bounds
from kit.clock import LOCAL_TZ, Clock, local_today
from kit.db import transaction
from kit.outbox import Outbox
from kit.text import clean_text
from services.rating.models import AuditEntry, HandledEvent, Invitation, Rating, Rectification, Revisit
from services.rating.models import Outbox as OutboxTable

SCORES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SEE_ALL = ("supervisor", "admin")


RECTIFICATION_ZH = {"open": "待整改", "responded": "已反馈待审核", "accepted": "已通过待回访", "revisited": "已回访"}
RECTIFICATION_ACTION_ZH = {"respond": "反馈整改情况", "accept": "审核通过", "return": "退回整改", "revisit": "记录回访"}


class BadEvent(ValueError):
    """An event that cannot be handled however often it is retried."""


@dataclass
class Figures:
    department: str
    ratings: int = 0
    total: int = 0
    satisfied: int = 0
    bad: int = 0
    rectifications_due: int = 0
    rectifications_on_time: int = 0
    question_ratings: int = 0
    question_satisfied: int = 0

    @property
    def average(self) -> float:
        return round(self.total / self.ratings, 2) if self.ratings else 0.0

    @property
    def satisfaction_rate(self) -> float:
        return round(self.satisfied / self.ratings, 4) if self.ratings else 0.0

    @property
    def question_satisfaction_rate(self) -> float:
        return round(self.question_satisfied / self.question_ratings, 4) if self.question_ratings else 0.0


@dataclass
class Ratings:
    sessions: sessionmaker[Session]
    clock: Clock
    calendars: object = None  # a calendar store with .calendar(); only the gRPC side needs it
    rectification_days: int = 5
    outbox: Outbox = field(default_factory=lambda: Outbox(OutboxTable))

    # ---------------- invitations ----------------

    def open_invitation(self, envelope: dict) -> str | None:
        """An approved or refused item, or an answered question, invites its enterprise to rate the department.
        Idempotent: a redelivered event opens nothing new."""
        try:
            event_id, event_type, data = envelope["event_id"], envelope["type"], envelope["data"]
            opened_at = datetime.fromisoformat(str(envelope["occurred_at"]).replace("Z", "+00:00"))
            if event_type == "item.decided":
                if data["decision"] not in ("approved", "refused"):
                    return None
                item = data["item"]
                subject = (
                    "item",
                    item["item_id"],
                    item["department"],
                    item["enterprise"],
                    item.get("project_id", ""),
                    f"{item.get('project_name', '')} {item['item_code']} {item.get('item_name', '')}".strip(),
                )
            elif event_type == "question.answered":
                subject = (
                    "question",
                    data["question_id"],
                    data["department"],
                    data["enterprise"],
                    "",
                    f"留言：{data.get('subject', '')}",
                )
            else:
                raise BadEvent(f"rating does not handle {event_type}")
        except (KeyError, TypeError, ValueError) as exc:
            raise BadEvent(f"malformed event: {exc!r}") from None
        if not subject[3]:
            return None  # no enterprise to ask
        invitation = Invitation(
            id=str(uuid.uuid4()),
            subject_type=subject[0],
            subject_id=subject[1],
            department=subject[2],
            enterprise=subject[3],
            project_id=subject[4],
            title=subject[5][:300],
            opened_at=opened_at,
        )
        try:
            with transaction(self.sessions) as session:
                if session.get(HandledEvent, event_id) is not None:
                    return None
                session.add(HandledEvent(event_id=event_id, type=event_type, handled_at=datetime.now(timezone.utc)))
                session.add(invitation)
        except IntegrityError:
            return None  # already invited for this subject
        return invitation.id

    def invitations(self, actor: Actor, include_rated: bool = False) -> list[tuple[Invitation, bool]]:
        """An enterprise's invitations to rate, newest first, each with whether it was rated."""
        if actor.role != "enterprise":
            raise errors.Forbidden("评价邀请只发给办事企业")
        query = (
            select(Invitation, Rating.id)
            .outerjoin(Rating, Rating.invitation_id == Invitation.id)
            .where(Invitation.enterprise == actor.enterprise)
            .order_by(Invitation.opened_at.desc())
        )
        if not include_rated:
            query = query.where(Rating.id.is_(None))
        with self.sessions() as session:
            return [(inv, rating_id is not None) for inv, rating_id in session.execute(query)]

    # ---------------- rating ----------------

    def rate(
        self, actor: Actor, invitation_id: str, score: int, comment: str = ""
    ) -> tuple[Rating, Rectification | None]:
        """Rate the department of an invitation once. 1–2 need a comment and open a rectification, due in five
        working days, and warn the department head."""
        if actor.role != "enterprise":
            raise errors.Forbidden("只有办事企业本身可以评价；帮办代办专员和工作人员不能代为评价")
        if score not in SCORES:
            raise errors.Invalid("评分应为1至5的整数（5 非常满意 … 1 非常不满意）", field="score")
        comment = clean_text(comment, "评价意见", 1000, "comment", required=score <= 2, multiline=True)
        now = self.clock.now()
        try:
            return self._rate(actor, invitation_id, score, comment, now)
        except IntegrityError:  # a concurrent rating of the same invitation won
            raise errors.Conflict("已评价过，每项服务只能评价一次") from None

    def _rate(
        self, actor: Actor, invitation_id: str, score: int, comment: str, now
    ) -> tuple[Rating, Rectification | None]:
        with transaction(self.sessions) as session:
            invitation = session.get(Invitation, invitation_id)
            if invitation is None or invitation.enterprise != actor.enterprise:
                raise errors.NotFound("评价邀请不存在或无权评价")
            if session.scalar(select(Rating.id).where(Rating.invitation_id == invitation_id)):
                raise errors.Conflict("已评价过，每项服务只能评价一次")
            rating = Rating(
                id=str(uuid.uuid4()),
                invitation_id=invitation.id,
                rater=actor.username,
                enterprise=actor.enterprise,
                department=invitation.department,
                subject_type=invitation.subject_type,
                subject_id=invitation.subject_id,
                title=invitation.title,
                score=score,
                comment=comment,
                at=now,
            )
            session.add(rating)
            session.flush()
            audit.record(
                session,
                AuditEntry,
                now,
                actor,
                project_id=invitation.project_id,
                subject_type="rating",
                subject_id=rating.id,
                action="rate",
                to_status=str(score),
                reason=comment[:200],
            )
            rectification = None
            if score <= 2:
                due = self.calendars.calendar().add_workdays(local_today(self.clock), self.rectification_days)
                rectification = Rectification(
                    id=str(uuid.uuid4()),
                    rating_id=rating.id,
                    department=invitation.department,
                    status="open",
                    due_on=due,
                    created_at=now,
                )
                session.add(rectification)
                audit.record(
                    session,
                    AuditEntry,
                    now,
                    actor,
                    subject_type="rectification",
                    subject_id=rectification.id,
                    action="open",
                    to_status="open",
                    reason=f"{score}星评价",
                )
                self.outbox.emit(
                    session,
                    "rating.bad_received",
                    ev.BadRatingReceived(
                        rating_id=rating.id,
                        rectification_id=rectification.id,
                        department=invitation.department,
                        score=score,
                        title=invitation.title,
                        due_on=due.isoformat(),
                    ),
                    now,
                )
        return rating, rectification

    def ratings(self, actor: Actor, department: str = "", month: str = "") -> list[Rating]:
        """Ratings visible to the actor: its own for an enterprise, a department's own, all for supervisors."""
        query = select(Rating).order_by(Rating.at.desc())
        if actor.role == "enterprise":
            query = query.where(Rating.enterprise == actor.enterprise)
        else:
            department = department_scope(actor, department, "评价")
        if department:
            query = query.where(Rating.department == department)
        if month:
            start, end = month_bounds(month)
            query = query.where(Rating.at >= start, Rating.at < end)
        with self.sessions() as session:
            return list(session.scalars(query.limit(1000)))

    def stats(self, actor: Actor, month: str) -> list[Figures]:
        """Per department and month: ratings, average, satisfaction rate (share of 4–5), bad ratings,
        rectifications due in the month and those answered and accepted on time."""
        scope = department_scope(actor, "", "评价")
        start, end = month_bounds(month)
        satisfied = func.sum(func.cast(Rating.score >= 4, Integer))
        query = (
            select(
                Rating.department,
                Rating.subject_type,
                func.count(),
                func.sum(Rating.score),
                satisfied,
                func.sum(func.cast(Rating.score <= 2, Integer)),
            )
            .where(Rating.at >= start, Rating.at < end)
            .group_by(Rating.department, Rating.subject_type)
        )
        due_start, due_end = start.astimezone(LOCAL_TZ).date(), end.astimezone(LOCAL_TZ).date()
        on_time = func.sum(
            func.cast(
                (Rectification.responded_on <= Rectification.due_on)
                & Rectification.status.in_(("accepted", "revisited")),
                Integer,
            )
        )
        rect = (
            select(Rectification.department, func.count(), on_time)
            .where(Rectification.due_on >= due_start, Rectification.due_on < due_end)
            .group_by(Rectification.department)
        )
        if scope:
            query, rect = query.where(Rating.department == scope), rect.where(Rectification.department == scope)
        figures: dict[str, Figures] = {}
        with self.sessions() as session:
            for dept, kind, n, total, good, bad in session.execute(query):
                f = figures.setdefault(dept, Figures(dept))
                f.ratings += n
                f.total += int(total or 0)
                f.satisfied += int(good or 0)
                f.bad += int(bad or 0)
                if kind == "question":
                    f.question_ratings += n
                    f.question_satisfied += int(good or 0)
            for dept, n, timely in session.execute(rect):
                f = figures.setdefault(dept, Figures(dept))
                f.rectifications_due, f.rectifications_on_time = n, int(timely or 0)
        return sorted(figures.values(), key=lambda f: f.department)

    # ---------------- rectification and revisits ----------------

    def rectifications(self, actor: Actor, department: str = "", status: str = "") -> list[Rectification]:
        if status and status not in ("open", "responded", "accepted", "revisited"):
            raise errors.Invalid("状态只能是 open、responded、accepted 或 revisited", field="status")
        department = department_scope(actor, department, "评价")
        query = select(Rectification).options(selectinload(Rectification.rating)).order_by(Rectification.due_on)
        if department:
            query = query.where(Rectification.department == department)
        if status:
            query = query.where(Rectification.status == status)
        with self.sessions() as session:
            return list(session.scalars(query))

    def act_on_rectification(
        self, actor: Actor, rectification_id: str, action: str, note: str, satisfied: bool = False
    ) -> Rectification:
        """`respond` (the department says what it did), `accept` or `return` (a supervisor reviews), `revisit`
        (a supervisor records the enterprise's answer after acceptance)."""
        steps = {
            "respond": (("open",), "responded"),
            "accept": (("responded",), "accepted"),
            "return": (("responded",), "open"),
            "revisit": (("accepted",), "revisited"),
        }
        if action not in steps:
            raise errors.Invalid("操作只能是 respond、accept、return 或 revisit", field="action")
        note = clean_text(note, "说明", 2000, "note", multiline=True)
        with transaction(self.sessions) as session:
            r = session.get(Rectification, rectification_id)
            if (
                r is None
                or (actor.role in HANDLER_ROLES and actor.department != r.department)
                or (actor.role not in (*HANDLER_ROLES, *SEE_ALL))
            ):
                raise errors.NotFound("整改事项不存在或无权查看")
            if action == "respond" and actor.role not in HANDLER_ROLES:
                raise errors.Forbidden("整改情况由被评价部门填报")
            if action != "respond" and actor.role != "supervisor":
                raise errors.Forbidden("整改由督办员审核和回访")
            sources, target = steps[action]
            if r.status not in sources:
                raise errors.Conflict(
                    f"整改当前为“{RECTIFICATION_ZH[r.status]}”，不能{RECTIFICATION_ACTION_ZH[action]}",
                    rectification_status=r.status,
                )
            old, r.status = r.status, target
            if action == "respond":
                r.response, r.responded_on = note, local_today(self.clock)
            elif action in ("accept", "return"):
                r.review_note = note
            else:
                r.revisit_note, r.revisit_satisfied = note, satisfied
            audit.record(
                session,
                AuditEntry,
                self.clock.now(),
                actor,
                subject_type="rectification",
                subject_id=r.id,
                action=action,
                from_status=old,
                to_status=target,
                reason=note[:200],
            )
        return self._rectification(rectification_id)

    def _rectification(self, rectification_id: str) -> Rectification:
        with self.sessions() as session:
            return session.scalars(
                select(Rectification)
                .where(Rectification.id == rectification_id)
                .options(selectinload(Rectification.rating))
            ).one()

    def record_revisit(self, actor: Actor, enterprise: str, outcome: str, satisfied: bool, note: str = "") -> Revisit:
        """A supervisor's revisit call (回访调查) to an enterprise."""
        if actor.role != "supervisor":
            raise errors.Forbidden("回访由督办员记录")
        revisit = Revisit(
            id=str(uuid.uuid4()),
            enterprise=clean_text(enterprise, "企业", 40, "enterprise"),
            by=actor.username,
            at=self.clock.now(),
            outcome=clean_text(outcome, "回访结果", 2000, "outcome", multiline=True),
            satisfied=satisfied,
            note=clean_text(note, "备注", 2000, "note", required=False, multiline=True),
        )
        with transaction(self.sessions) as session:
            session.add(revisit)
            audit.record(
                session,
                AuditEntry,
                revisit.at,
                actor,
                subject_type="revisit",
                subject_id=revisit.id,
                action="record",
                reason=revisit.outcome[:200],
            )
        return revisit

    def revisits(self, actor: Actor, enterprise: str = "") -> list[Revisit]:
        if actor.role not in SEE_ALL:
            raise errors.Forbidden("回访记录仅督办员和管理员可查看")
        query = select(Revisit).order_by(Revisit.at.desc())
        if enterprise:
            query = query.where(Revisit.enterprise == enterprise)
        with self.sessions() as session:
            return list(session.scalars(query))

    # ---------------- overdue ----------------

    def sweep(self) -> int:
        """Announce rectifications not answered by their due day (`rectification.overdue`, to the head)."""
        today = local_today(self.clock)
        late = (Rectification.status == "open", Rectification.due_on < today, Rectification.overdue_on.is_(None))
        with transaction(self.sessions) as session:
            rows = [
                self.outbox.row(
                    "rectification.overdue",
                    ev.RectificationOverdue(
                        rectification_id=r.id,
                        department=r.department,
                        title=r.rating.title,
                        due_on=r.due_on.isoformat(),
                    ),
                    self.clock.now(),
                )
                for r in session.scalars(select(Rectification).where(*late).options(selectinload(Rectification.rating)))
            ]
            session.execute(
                update(Rectification).where(*late).values(overdue_on=today).execution_options(synchronize_session=False)
            )
            self.outbox.emit_many(session, rows)
        return len(rows)
