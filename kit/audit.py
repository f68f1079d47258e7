"""The audit trail (全程留痕) every service keeps of its own state changes: who, when, what, from, to, why.

A service declares `class AuditEntry(AuditColumns, Base)` in its models; its first migration makes the table
append-only with `kit.db.append_only_triggers`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from kit.db import UTCDateTime


class AuditColumns:
    __tablename__ = "audit_entries"

    @declared_attr.directive
    def __table_args__(cls):  # noqa: N805
        return (Index("ix_audit_entries_subject", "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(20))
    # Set when an agent acts for an enterprise: "by agent X for enterprise Y".
    on_behalf_of: Mapped[str] = mapped_column(String(80), default="")
    project_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(Text, default="")


def record(
    session,
    model,
    at: datetime,
    actor,
    *,
    subject_type: str,
    subject_id: str,
    action: str,
    project_id: str = "",
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    on_behalf_of: str = "",
) -> None:
    """Add one audit entry to the session (committed with the change it records)."""
    if not on_behalf_of and actor.role == "agent":
        on_behalf_of = actor.enterprise
    session.add(
        model(
            at=at,
            actor=actor.username,
            actor_role=actor.role,
            on_behalf_of=on_behalf_of,
            project_id=project_id,
            subject_type=subject_type,
            subject_id=subject_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
        )
    )
