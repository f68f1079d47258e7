"""Alerts use cases: turn workflow events into warning SMS for the right people (RULES.md's SMS table), at most
one per subject, level, recipient and day, held through quiet hours, sent through the configured provider with
retries, and kept in the SMS log. Pure Python: no nameko, no grpc; the nameko service and the gRPC API call this."""

from __future__ import annotations

import json
import logging
import re
import string
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import yaml
from prometheus_client import Counter
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kit import errors
from kit.actor import Actor
from kit.catalog import Catalog
from kit.clock import LOCAL_TZ, Clock, ManualClock
from kit.db import transaction
from services.alerts.models import HandledEvent, Recipient, SmsMessage, Template
from services.alerts.providers import Outgoing, SendError, SmsProvider

log = logging.getLogger("alerts")

SMS = Counter("zhitong_sms_total", "SMS by provider and outcome", ["provider", "status"])
HANDLED = Counter("zhitong_alert_events_total", "Events the alerts service handled", ["type"])

# what a person typed (a question's subject, what a rating was about) goes into a government SMS only short and
# without links: SMS gateways refuse long variables and links, and the department must not be sent somebody's URL
TYPED_LIMIT = 20
LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*")


def typed(text: str, limit: int = TYPED_LIMIT) -> str:
    """Free text for an SMS parameter: links replaced, blanks folded, at most `limit` characters."""
    text = " ".join(LINK.sub("[链接]", text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


LEVELS = ("warning", "red", "reminder", "escalation", "question_overdue", "bad_rating", "rectification_overdue")
ROLES = ("officer", "contact", "dept_head", "supervisor", "service_team")
STATUSES = ("queued", "sent", "failed", "held", "cancelled")
ROLE_ZH = {
    "officer": "审批人员",
    "contact": "联络员",
    "dept_head": "负责人",
    "supervisor": "督办员",
    "service_team": "服务专班",
}
PHONE = re.compile(r"^1\d{10}$")
SENDING = "sending"
NON_ITEM_EVENTS = (
    "question.overdue",
    "rating.bad_received",
    "rectification.overdue",
)  # internal: claimed by a sender; shown as `queued`


class BadEvent(ValueError):
    """An event that cannot be handled however often it is retried (it goes to the dead-letter queue)."""


@dataclass(frozen=True)
class AlertPolicy:
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    escalate_red_days: int = 3
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    lease_seconds: float = 300.0


@dataclass(frozen=True)
class Planned:
    level: str
    role: str
    recipient: Recipient | None  # None: nobody in the directory has the role


@dataclass
class Alerts:
    sessions: sessionmaker[Session]
    clock: Clock
    provider: SmsProvider
    catalog: Catalog
    policy: AlertPolicy = field(default_factory=AlertPolicy)

    # ---------------- events ----------------

    def handle(self, envelope: dict) -> list[int]:
        """Record the SMS one event calls for. A redelivered event, or a second event about the same subject,
        level and recipient for the same day of delivery, adds nothing (a message still held for quiet hours takes
        the newer text instead). A role nobody fills in the directory is recorded as a `failed` message with the
        reason, never dropped. Returns the ids of the messages to send now."""
        event_id, event_type, occurred_at, data = _unpack(envelope)
        with transaction(self.sessions) as session:
            if session.get(HandledEvent, event_id) is not None:
                return []
            session.add(HandledEvent(event_id=event_id, type=event_type, handled_at=datetime.now(timezone.utc)))
            if event_type == "item.decided":
                self._cancel_held(session, data["item"]["item_id"], None, "事项已办结，不再发送")
                HANDLED.labels(event_type).inc()
                return []
            planned = self._plan(session, event_type, data)
            subject_type, subject_id, params = self._subject(event_type, data)
            if event_type == "item.turned_red":
                self._cancel_held(session, subject_id, "warning", "事项已滞后，预警不再发送")
            templates = {t.level: t for t in session.scalars(select(Template))}
            hold_until = self._hold_until(occurred_at)
            delivery_day = (hold_until or occurred_at).astimezone(LOCAL_TZ).date().isoformat()
            created: list[SmsMessage] = []
            for p in planned:
                phone = p.recipient.phone if p.recipient else ""
                text = render(templates.get(p.level), params, p.level)
                key = "|".join((subject_type, subject_id, p.level, p.role, phone, delivery_day))
                message = SmsMessage(
                    dedup_key=key,
                    event_id=event_id,
                    level=p.level,
                    department=params.get("department_code", ""),
                    recipient_role=p.role,
                    recipient_name=p.recipient.name if p.recipient else "",
                    phone=phone,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    text=text,
                    params=json.dumps(params, ensure_ascii=False),
                    created_at=occurred_at,
                    hold_until=hold_until,
                    provider=self.provider.name,
                )
                if p.recipient is None:
                    message.status, message.error = "failed", f"通讯录中没有“{ROLE_ZH[p.role]}”，无法发送"
                    SMS.labels(self.provider.name, "no_recipient").inc()
                    log.error("no %s in the directory for %s: %s not sent", p.role, message.department, p.level)
                else:
                    message.status = "held" if hold_until else "queued"
                try:
                    with session.begin_nested():
                        session.add(message)
                except IntegrityError:
                    self._refresh_held(session, key, text, message.params, event_id)
                    continue
                created.append(message)
        HANDLED.labels(event_type).inc()
        return [m.id for m in created if m.status == "queued"]

    @staticmethod
    def _refresh_held(session: Session, key: str, text: str, params: str, event_id: str) -> None:
        existing = session.scalars(select(SmsMessage).where(SmsMessage.dedup_key == key)).first()
        if existing is not None and existing.status == "held":
            existing.text, existing.params, existing.event_id = text, params, event_id

    @staticmethod
    def _cancel_held(session: Session, subject_id: str, level: str | None, reason: str) -> None:
        query = update(SmsMessage).where(SmsMessage.subject_id == subject_id, SmsMessage.status == "held")
        if level:
            query = query.where(SmsMessage.level == level)
        session.execute(query.values(status="cancelled", error=reason).execution_options(synchronize_session=False))

    def _plan(self, session: Session, event_type: str, data: dict) -> list[Planned]:
        item = data.get("item") or {}
        department = item.get("department") or (data.get("department") if event_type in NON_ITEM_EVENTS else None)
        if not department or not (item.get("item_id") or data.get("question_id") or data.get("rectification_id")):
            raise BadEvent(f"{event_type} without its subject and department")
        directory = session.scalars(
            select(Recipient).where(or_(Recipient.department == department, Recipient.role == "supervisor"))
        ).all()
        by_role: dict[str, list[Recipient]] = defaultdict(list)
        for r in directory:
            if r.role == "supervisor" or r.department == department:
                by_role[r.role].append(r)

        def to(level: str, role: str, fallback: str | None = None) -> list[Planned]:
            people = by_role[role] or (by_role[fallback] if fallback else [])
            if not people:
                return [Planned(level, role, None)]
            return [Planned(level, r.role, r) for r in people]

        if event_type == "question.overdue":
            return to("question_overdue", "supervisor" if data.get("escalate") else "contact")
        if event_type == "rating.bad_received":
            return to("bad_rating", "dept_head")
        if event_type == "rectification.overdue":
            return to("rectification_overdue", "dept_head")

        def team(level: str) -> list[Planned]:
            """A major project's service team (专班) gets its warnings too; workflow names them in the event."""
            return [
                Planned(level, "service_team", Recipient(role="service_team", name=m["name"], phone=m["phone"]))
                for m in item.get("service_team") or []
                if m.get("phone")
            ]

        if event_type == "item.warning_started":
            return to("warning", "officer", fallback="contact") + team("warning")
        if event_type == "item.turned_red":
            return to("red", "contact") + to("red", "dept_head") + team("red")
        if event_type == "item.still_red":
            planned = to("reminder", "contact") + to("reminder", "dept_head") + team("reminder")
            if int(data.get("red_days", 0)) >= self.policy.escalate_red_days:
                planned += to("escalation", "supervisor")
            return planned
        raise BadEvent(f"alerts does not handle {event_type}")

    def _subject(self, event_type: str, data: dict) -> tuple[str, str, dict[str, str]]:
        if event_type in ("rating.bad_received", "rectification.overdue"):
            dept = self.catalog.departments.get(data["department"])
            return (
                "rectification",
                data["rectification_id"],
                {
                    "department": dept.name_zh if dept else data["department"],
                    "department_code": data["department"],
                    "subject": typed(data.get("title", "")),
                    "score": str(data.get("score", "")),
                    "due": data.get("due_on", ""),
                },
            )
        if event_type == "question.overdue":
            dept = self.catalog.departments.get(data["department"])
            due = datetime.fromisoformat(data["due_at"]).astimezone(LOCAL_TZ).strftime("%m月%d日%H:%M")
            return (
                "question",
                data["question_id"],
                {
                    "department": dept.name_zh if dept else data["department"],
                    "department_code": data["department"],
                    "subject": typed(data.get("subject", "")),
                    "due": due,
                },
            )
        item = data["item"]
        dept = self.catalog.departments.get(item["department"])
        params = {
            "project": item.get("project_name", ""),
            "item": f"{item.get('item_code', '')} {item.get('item_name', '')}",
            "department": dept.name_zh if dept else item["department"],
            "department_code": item["department"],
            "deadline": data.get("deadline", ""),
            "red_since": data.get("red_since", ""),
            "red_days": str(data.get("red_days", "")),
        }
        return "item", item["item_id"], params

    def _hold_until(self, when: datetime) -> datetime | None:
        """In quiet hours (22:00–08:00 local), the moment the message may go out; else None."""
        local = when.astimezone(LOCAL_TZ)
        start, end = self.policy.quiet_start, self.policy.quiet_end
        t = local.time()
        if not (t >= start or t < end):
            return None
        day = local.date() if t < end else local.date() + timedelta(days=1)
        return datetime.combine(day, end, tzinfo=LOCAL_TZ).astimezone(timezone.utc)

    def clock_moved(self, envelope: dict) -> None:
        """In manual-clock mode the suite's time arrives as an event; follow it."""
        if isinstance(self.clock, ManualClock):
            self.clock.set(datetime.fromisoformat(envelope["data"]["now"]))

    # ---------------- sending ----------------

    def dispatch_due(self) -> int:
        """Send what is due: held messages whose quiet hours are over, and failed sends whose retry time came."""
        now_suite, now_real = self.clock.now(), datetime.now(timezone.utc)
        with self.sessions() as session:
            ids = session.scalars(
                select(SmsMessage.id)
                .where(
                    or_(
                        (SmsMessage.status == "held") & (SmsMessage.hold_until <= now_suite),
                        (SmsMessage.status == "queued")
                        & (or_(SmsMessage.retry_at.is_(None), SmsMessage.retry_at <= now_real)),
                        (SmsMessage.status == SENDING) & (SmsMessage.retry_at <= now_real),
                    )
                )
                .order_by(SmsMessage.id)
                .limit(500)
            ).all()
        return sum(self.send(i) for i in ids)

    def send(self, message_id: int) -> bool:
        """Send one message if nobody else is sending it; True when the provider took it."""
        now_real = datetime.now(timezone.utc)
        with transaction(self.sessions) as session:
            claimed = session.execute(
                update(SmsMessage)
                .where(
                    SmsMessage.id == message_id,
                    or_(
                        SmsMessage.status.in_(("queued", "held")),
                        (SmsMessage.status == SENDING) & (SmsMessage.retry_at <= now_real),
                    ),
                )
                .values(status=SENDING, retry_at=now_real + timedelta(seconds=self.policy.lease_seconds))
                .execution_options(synchronize_session=False)
            ).rowcount
            message = session.get(SmsMessage, message_id) if claimed else None
            if message is None:
                return False
            outgoing = Outgoing(
                message.phone,
                message.text,
                self._template_code(session, message.level),
                {k: v for k, v in json.loads(message.params).items() if k != "department_code"},
            )
        try:
            provider_id = self.provider.send(outgoing)
        except SendError as exc:
            self._failed(message_id, exc.reason)
            return False
        with transaction(self.sessions) as session:
            message = session.get(SmsMessage, message_id)
            message.status, message.provider, message.provider_id = "sent", self.provider.name, provider_id
            message.sent_at, message.retry_at, message.error = self.clock.now(), None, ""
            message.attempts += 1
        SMS.labels(self.provider.name, "sent").inc()
        return True

    def _failed(self, message_id: int, reason: str) -> None:
        with transaction(self.sessions) as session:
            message = session.get(SmsMessage, message_id)
            message.attempts += 1
            message.error, message.provider = reason[:500], self.provider.name
            if message.attempts >= self.policy.max_attempts:
                message.status, message.retry_at = "failed", None
                SMS.labels(self.provider.name, "failed").inc()
                log.error("SMS %s failed for good after %s attempts: %s", message_id, message.attempts, reason)
            else:
                delay = self.policy.retry_base_seconds * 2 ** (message.attempts - 1)
                message.status, message.retry_at = "queued", datetime.now(timezone.utc) + timedelta(seconds=delay)
                SMS.labels(self.provider.name, "retry").inc()
                log.warning(
                    "SMS %s not sent (%s); attempt %s, retrying in %.0f s", message_id, reason, message.attempts, delay
                )

    @staticmethod
    def _template_code(session: Session, level: str) -> str:
        template = session.get(Template, level)
        return template.provider_template_code if template else ""

    # ---------------- the SMS log, directory and templates ----------------

    @staticmethod
    def _log_scope(actor: Actor, department: str) -> str:
        """Everything for supervisors, admins, ops and the big screen (phones are masked on reading); a
        department's own for its officers and head."""
        if actor.role in ("officer", "dept_head"):
            if department and department != actor.department:
                raise errors.Forbidden("只能查看本部门的短信记录")
            return actor.department
        if actor.role not in ("supervisor", "admin", "ops", "screen"):
            raise errors.Forbidden("无权查看短信记录")
        return department

    def count_messages(
        self, actor: Actor, department: str, periods: list[tuple[datetime, datetime]]
    ) -> list[tuple[int, int, int]]:
        """(created, sent, failed) SMS in each period [start, end), one indexed count per period."""
        department = self._log_scope(actor, department)
        if len(periods) > 40:
            raise errors.Invalid("一次最多统计40个时段", field="periods")
        sent = func.sum(case((SmsMessage.status == "sent", 1), else_=0))
        failed = func.sum(case((SmsMessage.status == "failed", 1), else_=0))
        counts = []
        with self.sessions() as session:
            for start, end in periods:
                query = select(func.count(), sent, failed).where(
                    SmsMessage.created_at >= start, SmsMessage.created_at < end
                )
                if department:
                    query = query.where(SmsMessage.department == department)
                total, n_sent, n_failed = session.execute(query).one()
                counts.append((int(total), int(n_sent or 0), int(n_failed or 0)))
        return counts

    def list_messages(
        self,
        actor: Actor,
        department: str = "",
        status: str = "",
        since: datetime | None = None,
        subject_id: str = "",
        limit: int = 500,
    ) -> list[SmsMessage]:
        """The SMS log, newest first: everything for supervisors, admins and ops; a department's own for its
        officers and head."""
        department = self._log_scope(actor, department)
        if status and status not in STATUSES:
            raise errors.Invalid(f"状态只能是：{'、'.join(STATUSES)}", field="status")
        query = select(SmsMessage).order_by(SmsMessage.id.desc()).limit(min(max(limit, 1), 2000))
        if department:
            query = query.where(SmsMessage.department == department)
        if status == "queued":
            query = query.where(SmsMessage.status.in_(("queued", SENDING)))
        elif status:
            query = query.where(SmsMessage.status == status)
        if since is not None:
            query = query.where(SmsMessage.created_at >= since)
        if subject_id:
            query = query.where(SmsMessage.subject_id == subject_id)
        with self.sessions() as session:
            return list(session.scalars(query))

    def contacts(self, actor: Actor, department: str = "") -> list[Recipient]:
        """The recipient directory (admins, supervisors and ops; a department sees its own)."""
        if actor.role in ("officer", "dept_head"):
            if department and department != actor.department:
                raise errors.Forbidden("只能查看本部门的通讯录")
            department = actor.department
        elif actor.role not in ("admin", "supervisor", "ops"):
            raise errors.Forbidden("无权查看通讯录")
        query = select(Recipient).order_by(Recipient.department, Recipient.role, Recipient.id)
        if department:
            query = query.where(or_(Recipient.department == department, Recipient.role == "supervisor"))
        with self.sessions() as session:
            return list(session.scalars(query))

    def replace_contacts(self, actor: Actor, department: str, entries: Iterable[dict]) -> list[Recipient]:
        """Replace the directory of one department (or, with department empty, the supervisors)."""
        if actor.role != "admin":
            raise errors.Forbidden("只有系统管理员可以修改通讯录")
        if department and department not in self.catalog.departments:
            raise errors.Invalid(f"部门“{department[:20]}”不存在", field="department")
        rows = []
        for n, e in enumerate(entries, start=1):
            role, name, phone = e.get("role", ""), (e.get("name") or "").strip(), (e.get("phone") or "").strip()
            allowed = ("supervisor",) if not department else ("contact", "dept_head", "officer", "service_team")
            if role not in allowed:
                raise errors.Invalid(f"第{n}条：角色应为 {'、'.join(allowed)}", field="role")
            if not name or len(name) > 80:
                raise errors.Invalid(f"第{n}条：姓名不能为空且不超过80个字", field="name")
            if not PHONE.match(phone):
                raise errors.Invalid(f"第{n}条：手机号应为11位数字", field="phone")
            if any(r.role == role and r.phone == phone for r in rows):
                raise errors.Invalid(f"第{n}条与前面的联系人重复（同一角色、同一手机号）", field="contacts")
            rows.append(Recipient(department=department, role=role, name=name, phone=phone))
        with transaction(self.sessions) as session:
            old = select(Recipient).where(Recipient.department == department)
            if not department:
                old = old.where(Recipient.role == "supervisor")
            for r in session.scalars(old):
                session.delete(r)
            session.add_all(rows)
        return self.contacts(actor, department)

    def templates(self, actor: Actor) -> list[Template]:
        """The SMS texts (staff only)."""
        if actor.role not in ("admin", "supervisor", "ops", "officer", "dept_head"):
            raise errors.Forbidden("无权查看短信模板")
        with self.sessions() as session:
            return list(session.scalars(select(Template).order_by(Template.level)))

    def replace_templates(self, actor: Actor, entries: Iterable[dict]) -> list[Template]:
        """Change the texts (and provider template codes) of message levels."""
        if actor.role != "admin":
            raise errors.Forbidden("只有系统管理员可以修改短信模板")
        with transaction(self.sessions) as session:
            for e in entries:
                level, text = e.get("level", ""), (e.get("text") or "").strip()
                if level not in LEVELS:
                    raise errors.Invalid(f"级别应为：{'、'.join(LEVELS)}", field="level")
                if not text or len(text) > 500:
                    raise errors.Invalid("模板内容不能为空且不超过500字", field="text")
                check_placeholders(level, text)
                row = session.get(Template, level) or Template(level=level)
                row.text, row.provider_template_code = text, (e.get("provider_template_code") or "")[:60]
                session.add(row)
        return self.templates(actor)

    # ---------------- seeding ----------------

    def seed(self, directory_file: Path, templates_file: Path) -> None:
        """Fill an empty directory and empty templates from the shipped files (demo data, default texts)."""
        with transaction(self.sessions) as session:
            if not session.scalar(select(func.count()).select_from(Recipient)):
                session.add_all(directory_rows(yaml.safe_load(directory_file.read_text("utf-8"))))
            if not session.scalar(select(func.count()).select_from(Template)):
                for t in yaml.safe_load(templates_file.read_text("utf-8"))["templates"]:
                    session.add(
                        Template(
                            level=t["level"], text=t["text"], provider_template_code=t.get("provider_template_code", "")
                        )
                    )


def directory_rows(raw: dict) -> list[Recipient]:
    rows = [
        Recipient(department="", role="supervisor", name=s["name"], phone=str(s["phone"]))
        for s in raw.get("supervisors", [])
    ]
    for code, dept in (raw.get("departments") or {}).items():
        for role, key in (("contact", "contact"), ("dept_head", "head")):
            if dept.get(key):
                rows.append(
                    Recipient(department=code, role=role, name=dept[key]["name"], phone=str(dept[key]["phone"]))
                )
        for officer in dept.get("officers", []):
            rows.append(Recipient(department=code, role="officer", name=officer["name"], phone=str(officer["phone"])))
    return rows


ITEM_PLACEHOLDERS = {"project", "item", "department", "deadline", "red_since", "red_days"}
PLACEHOLDERS = {
    "warning": ITEM_PLACEHOLDERS,
    "red": ITEM_PLACEHOLDERS,
    "reminder": ITEM_PLACEHOLDERS,
    "escalation": ITEM_PLACEHOLDERS,
    "question_overdue": {"department", "subject", "due"},
    "bad_rating": {"department", "subject", "score", "due"},
    "rectification_overdue": {"department", "subject", "due"},
}


def check_placeholders(level: str, text: str) -> None:
    """A template may use only its level's plain placeholders: `{project}`, never `{project.x}` or `{x:>9}`."""
    allowed = PLACEHOLDERS[level]
    try:
        fields = [
            (name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text) if name is not None
        ]
    except ValueError:
        raise errors.Invalid(f"模板“{level}”的占位符格式有误（应为 {{名称}}）", field="text") from None
    for name, spec, conversion in fields:
        if name not in allowed or spec or conversion:
            raise errors.Invalid(
                f"模板“{level}”只能使用这些占位符：{'、'.join('{' + p + '}' for p in sorted(allowed))}", field="text"
            )


def render(template: Template | None, params: dict[str, str], level: str) -> str:
    """The message text: the level's template with its placeholders filled; unknown placeholders stay empty."""
    if template is None:
        return f"【直通】{params.get('project', '')} {params.get('item', '')}：{level}"
    return template.text.format_map(defaultdict(str, params))


def _unpack(envelope: dict) -> tuple[str, str, datetime, dict]:
    try:
        occurred = datetime.fromisoformat(str(envelope["occurred_at"]).replace("Z", "+00:00"))
        if occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=timezone.utc)
        data = envelope["data"]
        if "item" in data and not data["item"].get("item_id"):
            raise KeyError("item_id")
        if envelope["type"] == "question.overdue":
            datetime.fromisoformat(data["due_at"])
        return str(envelope["event_id"]), str(envelope["type"]), occurred, data
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadEvent(f"malformed event: {exc!r}") from None
