"""Rating's own tables: invitations to rate, ratings, rectifications of bad ratings, revisit surveys, the events
already handled, the audit trail and the outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kit.audit import AuditColumns
from kit.db import UTCDateTime, new_metadata
from kit.outbox import outbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


Outbox = outbox_table(Base.metadata)


class Invitation(Base):
    """An enterprise is invited to rate a department after a decided item or an answered question."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "enterprise"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(36))
    department: Mapped[str] = mapped_column(String(20))
    enterprise: Mapped[str] = mapped_column(String(40), index=True)
    project_id: Mapped[str] = mapped_column(String(36), default="")
    title: Mapped[str] = mapped_column(String(300))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Rating(Base):
    """One rating (1 非常不满意 … 5 非常满意) per invitation."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_department_at", "department", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id"), unique=True)
    rater: Mapped[str] = mapped_column(String(80))
    enterprise: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(300))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Rectification(Base):
    """整改: a department's answer to a bad rating, reviewed by a supervisor and followed by a revisit."""

    __tablename__ = "rectifications"
    __table_args__ = (Index("ix_rectifications_department_due", "department", "due_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rating_id: Mapped[str] = mapped_column(ForeignKey("ratings.id"), unique=True)
    department: Mapped[str] = mapped_column(String(20))
    # open, responded, accepted, revisited
    status: Mapped[str] = mapped_column(String(12), default="open")
    due_on: Mapped[date] = mapped_column(Date)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_on: Mapped[date | None] = mapped_column(Date)
    review_note: Mapped[str] = mapped_column(Text, default="")
    revisit_note: Mapped[str] = mapped_column(Text, default="")
    revisit_satisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    rating: Mapped[Rating] = relationship()


class Revisit(Base):
    """回访调查: a supervisor's periodic call to an enterprise."""

    __tablename__ = "revisits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enterprise: Mapped[str] = mapped_column(String(40), index=True)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(Text)
    satisfied: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")


class HandledEvent(Base):
    __tablename__ = "handled_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(AuditColumns, Base):
    """Ratings, rectifications and revisits; append-only."""
