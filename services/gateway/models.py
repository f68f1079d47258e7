"""The gateway's own table: users with their role and department (the built-in user store)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
