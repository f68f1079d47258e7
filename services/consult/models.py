"""Consult's own tables: questions with their threads and flags, joint consultation cases with their updates,
the audit trail and the outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kit.audit import AuditColumns
from kit.db import UTCDateTime, new_metadata
from kit.outbox import outbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


Outbox = outbox_table(Base.metadata)


class Question(Base):
    """A question on the board (留言), due by the same-day reply rule."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_department_due", "department", "due_at"),
        Index(
            "ix_questions_unanswered_due",
            "due_at",
            postgresql_where=text("first_reply_at IS NULL"),
            sqlite_where=text("first_reply_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    asker: Mapped[str] = mapped_column(String(80))
    asker_role: Mapped[str] = mapped_column(String(20))
    enterprise: Mapped[str] = mapped_column(String(40), default="", index=True)
    department: Mapped[str] = mapped_column(String(20))
    forwarded_from: Mapped[str] = mapped_column(String(20), default="")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    project_id: Mapped[str] = mapped_column(String(36), default="")
    item_id: Mapped[str] = mapped_column(String(36), default="")
    # open, answered, closed
    status: Mapped[str] = mapped_column(String(10), default="open")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the overdue sweep announced: the first overdue notice and the next-working-day escalation.
    overdue_on: Mapped[date | None] = mapped_column(Date)
    escalated_on: Mapped[date | None] = mapped_column(Date)

    messages: Mapped[list[Message]] = relationship(order_by="Message.id", cascade="all, delete-orphan")
    flags: Mapped[list[Flag]] = relationship(order_by="Flag.id", cascade="all, delete-orphan")


class Message(Base):
    """One entry of a thread: a department's reply or the asker's follow-up."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    author_role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Flag(Base):
    """A supervisor's criticism of a reply: late (不及时) or perfunctory (敷衍); shown in the monthly report."""

    __tablename__ = "flags"
    __table_args__ = (
        Index("ix_flags_department_at", "department", "at"),
        UniqueConstraint("reply_id", "kind", name="uq_flags_reply_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    reply_id: Mapped[int | None] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text)
    flagged_by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Case(Base):
    """A joint consultation case (双线会商) on a project's problem, led by the leading-group office."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    enterprise: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(80))
    lead_department: Mapped[str] = mapped_column(String(20))
    participants: Mapped[list] = mapped_column(JSON, default=list)
    plan: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[date | None] = mapped_column(Date)
    responsible: Mapped[str] = mapped_column(String(80), default="")
    mode: Mapped[str] = mapped_column(String(10), default="online")
    meeting_link: Mapped[str] = mapped_column(String(500), default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    # open, in_progress, closed
    status: Mapped[str] = mapped_column(String(12), default="open")
    resolution: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    updates: Mapped[list[CaseUpdate]] = relationship(order_by="CaseUpdate.id", cascade="all, delete-orphan")


class CaseUpdate(Base):
    __tablename__ = "case_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="")


class AuditEntry(AuditColumns, Base):
    """Questions, replies, flags and cases; append-only."""
