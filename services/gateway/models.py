"""The gateway's own tables: users with their role and department (the built-in user store); the monthly reports
as supervisors published them; the audit trail of both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.audit import AuditColumns
from kit.db import UTCDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class User(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # enterprise, agent, officer, dept_head, supervisor, admin, ops, screen
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(20), default="")
    enterprise: Mapped[str] = mapped_column(String(40), default="")
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # Demo users log in only while the suite runs on the manual clock.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # wrong passwords in a row; after too many the user is locked out for a while (services/gateway/users.py)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A temporary password (set by an admin or the window) must be replaced before anything else is done.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Tokens carry the generation they were issued in; raising it (new password, deactivation, forced sign-out,
    # a new role or department) makes every earlier token of the user invalid.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PublishedReport(Base):
    """A monthly report (月度通报) as a supervisor published it: the city-wide report of that month, frozen at
    publication with its issue number and the supervisor's note; one per month, never changed afterwards."""

    __tablename__ = "published_reports"
    __table_args__ = (UniqueConstraint("year", "issue"),)

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    # the year's running number (第N期), in order of publication
    issue: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(80))
    published_by_name: Mapped[str] = mapped_column(String(120), default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the report as JSON, exactly as GET /reports/monthly gave it at publication
    body: Mapped[str] = mapped_column(Text)


class AuditEntry(AuditColumns, Base):
    """Changes to users (created, changed, deactivated, passwords reset or changed, signed out) and publications of
    monthly reports; append-only."""
