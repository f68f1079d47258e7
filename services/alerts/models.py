"""Alerts' own tables: the recipient directory, SMS templates, the SMS log and the events already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UTCDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Recipient(Base):
    """Who gets warning SMS (预警短信) for a department: its contact (联络员), head (负责人) and officers; and the
    supervisors (督办员, department empty)."""

    __tablename__ = "recipients"
    __table_args__ = (Index("ix_recipients_department_role", "department", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(20), default="")
    # contact, dept_head, officer, supervisor, service_team
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))


class Template(Base):
    """The text of one level of message, with `{placeholders}`, and the provider's template code."""

    __tablename__ = "templates"

    level: Mapped[str] = mapped_column(String(30), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    provider_template_code: Mapped[str] = mapped_column(String(60), default="")


class SmsMessage(Base):
    """One SMS to one person, with its delivery status. Never deleted; a failed send ends as `failed` with the
    reason. At most one per subject, level, recipient and day (`dedup_key`)."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_messages_department_created", "department", "created_at"),
        Index("ix_sms_messages_created", "created_at"),
        Index("ix_sms_messages_due", "status", "hold_until", "retry_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_id: Mapped[str] = mapped_column(String(36))
    # warning, red, reminder, escalation, question_overdue, bad_rating, rectification_overdue
    level: Mapped[str] = mapped_column(String(30))
    department: Mapped[str] = mapped_column(String(20), default="")
    recipient_role: Mapped[str] = mapped_column(String(20))
    recipient_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(60), index=True)
    text: Mapped[str] = mapped_column(Text)
    params: Mapped[str] = mapped_column(Text, default="{}")
    # queued, sent, failed, held
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str] = mapped_column(String(20), default="")
    provider_id: Mapped[str] = mapped_column(String(100), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    # Suite time (manual clock in demos): when the message was created and, in quiet hours, held until.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Real time of the next retry after a failed send.
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandledEvent(Base):
    """Events already handled: a redelivered event changes nothing."""

    __tablename__ = "handled_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)
