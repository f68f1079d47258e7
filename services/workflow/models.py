"""Workflow's own tables: approval plans (one per project), stage runs, item instances, suspensions,
issued documents, admin-loaded calendar years and the append-only audit trail."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kit.audit import AuditColumns
from kit.db import UTCDateTime, new_metadata
from kit.outbox import outbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


# Events written with the state change they describe; published by `python -m kit.relay workflow`.
Outbox = outbox_table(Base.metadata)


class ProjectPlan(Base):
    """A project as workflow tracks it (项目审批计划). Name and enterprise are copies given by intake at creation."""

    __tablename__ = "project_plans"
    __table_args__ = (
        # the sweep's question "whose colour is not as of today?" over the running projects only
        Index(
            "ix_project_plans_colour_on",
            "colour_on",
            postgresql_where=text("status = 'in_progress' OR colour_on IS NULL"),
            sqlite_where=text("status = 'in_progress' OR colour_on IS NULL"),
        ),
        # the dashboard's running projects by type, stage and colour, from the index alone
        Index(
            "ix_project_plans_running",
            "project_type",
            "current_stage",
            "colour",
            postgresql_include=["materials_asked"],
            postgresql_where=text("status = 'in_progress'"),
            sqlite_where=text("status = 'in_progress'"),
        ),
        Index("ix_project_plans_finished_on", "finished_on"),
        Index("ix_project_plans_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(200))
    enterprise: Mapped[str] = mapped_column(String(40), index=True)
    agent: Mapped[str] = mapped_column(String(80), default="", index=True)
    project_type: Mapped[str] = mapped_column(String(40), index=True)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    regional_evaluation_zone: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    target_days: Mapped[int] = mapped_column(Integer)
    # in_progress, completed, stopped
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    current_stage: Mapped[str] = mapped_column(String(10), default="")
    finished_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The enterprise's target start of construction (开工日期), from which its approval plan counts backwards.
    target_start: Mapped[date | None] = mapped_column(Date)
    # Stored figures for dashboards (督进考核), kept current by every change of the project and, as days pass,
    # by the sweep: the colour as of `colour_on`, the working days used so far, and the materials its items
    # of the submitted stages ask for one by one (the "before" of material reduction).
    colour: Mapped[str | None] = mapped_column(String(10))
    colour_on: Mapped[date | None] = mapped_column(Date)
    used_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    materials_asked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # counted into ClosedProjects once it was completed or stopped
    rolled_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    stages: Mapped[list[StageRun]] = relationship(
        back_populates="project", order_by="StageRun.order", cascade="all, delete-orphan"
    )
    items: Mapped[list[ItemInstance]] = relationship(back_populates="project", cascade="all, delete-orphan")
    documents: Mapped[list[IssuedDocument]] = relationship(cascade="all, delete-orphan")
    service_team: Mapped[list[ServiceTeamMember]] = relationship(
        order_by="ServiceTeamMember.position", cascade="all, delete-orphan"
    )


class ClosedProjects(Base):
    """Running totals of the finished history (completed and stopped projects) by type, status and colour, for the
    whole city (department "") and for each department with items in the project: a project is added once, in the
    transaction that closes it, so that dashboards never rescan the history."""

    __tablename__ = "closed_projects"

    department: Mapped[str] = mapped_column(String(20), primary_key=True, default="")
    project_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    colour: Mapped[str] = mapped_column(String(10), primary_key=True)
    projects: Mapped[int] = mapped_column(Integer, default=0)
    used_days: Mapped[int] = mapped_column(BigInteger, default=0)
    materials_asked: Mapped[int] = mapped_column(BigInteger, default=0)


class StageRun(Base):
    """One stage of one project: submitted once through the window, its items then run in parallel."""

    __tablename__ = "stage_runs"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project_plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(10))
    order: Mapped[int] = mapped_column(Integer)
    # pending, open, submitted, accepted, completed, refused, skipped
    status: Mapped[str] = mapped_column(String(20), default="pending")
    stage_days: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    finished_on: Mapped[date | None] = mapped_column(Date)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str | None] = mapped_column(String(10))

    project: Mapped[ProjectPlan] = relationship(back_populates="stages")


class ItemInstance(Base):
    """One approval item (审批事项) of one project, handled by one department."""

    __tablename__ = "item_instances"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        Index("ix_item_instances_department_status_deadline", "department", "status", "deadline"),
        # The sweep's three questions, each answered from a small partial index.
        Index(
            "ix_item_instances_turning_red",
            "deadline",
            postgresql_where=text("status = 'accepted' AND red_since IS NULL"),
            sqlite_where=text("status = 'accepted' AND red_since IS NULL"),
        ),
        Index(
            "ix_item_instances_warning",
            "warn_on",
            postgresql_where=text("status = 'accepted' AND warning_since IS NULL AND red_since IS NULL"),
            sqlite_where=text("status = 'accepted' AND warning_since IS NULL AND red_since IS NULL"),
        ),
        Index(
            "ix_item_instances_red",
            "reminded_on",
            postgresql_where=text("status IN ('accepted', 'suspended') AND red_since IS NOT NULL"),
            sqlite_where=text("status IN ('accepted', 'suspended') AND red_since IS NOT NULL"),
        ),
        # the dashboard's open items by department and state, answered from the index alone
        Index(
            "ix_item_instances_open_state",
            "department",
            "red_since",
            "warning_since",
            postgresql_where=text("status IN ('accepted', 'suspended')"),
            sqlite_where=text("status IN ('accepted', 'suspended')"),
        ),
        # a department's view of projects: the projects with items of that department
        Index("ix_item_instances_department_project", "department", "project_id"),
        # monthly department figures read the items decided in a period
        Index(
            "ix_item_instances_decided",
            "decided_on",
            "department",
            postgresql_where=text("decided_on IS NOT NULL"),
            sqlite_where=text("decided_on IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project_plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(10))
    department: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(200))
    promised_days: Mapped[int] = mapped_column(Integer)
    effective_days: Mapped[int] = mapped_column(Integer)
    materials: Mapped[list] = mapped_column(JSON, default=list)
    produces: Mapped[str] = mapped_column(String(20), default="")
    # pending, submitted, pre_review, accepted, suspended, approved, refused, withdrawn
    status: Mapped[str] = mapped_column(String(20), default="pending")
    accepted_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    # Working days of finished suspensions; a running one starts at `suspended_since`.
    suspended_days: Mapped[int] = mapped_column(Integer, default=0)
    suspended_since: Mapped[date | None] = mapped_column(Date)
    # Deadline as of the last change, not counting a running suspension (for ordering and sweeps).
    deadline: Mapped[date | None] = mapped_column(Date)
    # The day the item enters warning (预警), likewise; both are kept current on every change of the item.
    warn_on: Mapped[date | None] = mapped_column(Date)
    # What the sweep has already announced: the warning, the turn to red, the last working-morning reminder.
    warning_since: Mapped[date | None] = mapped_column(Date)
    red_since: Mapped[date | None] = mapped_column(Date)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    deferred_materials: Mapped[list] = mapped_column(JSON, default=list)
    # Colour and working days used, stored with the project's colour (final once decided).
    colour: Mapped[str | None] = mapped_column(String(10))
    used_days: Mapped[int | None] = mapped_column(Integer)

    project: Mapped[ProjectPlan] = relationship(back_populates="items")
    suspensions: Mapped[list[Suspension]] = relationship(order_by="Suspension.id", cascade="all, delete-orphan")


class Suspension(Base):
    """A stop of an item's clock (补正 supplements or a special procedure 特别程序)."""

    __tablename__ = "suspensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("item_instances.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    resumed_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)


class IssuedDocument(Base):
    """A decision document that an approved item issues and later stages use as a material (材料共享)."""

    __tablename__ = "issued_documents"
    __table_args__ = (UniqueConstraint("project_id", "material"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project_plans.id", ondelete="CASCADE"))
    material: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(36))
    item_code: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date] = mapped_column(Date)


class CalendarYear(Base):
    """A year's holidays and adjusted working days as loaded by an admin; overrides the library."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    holidays: Mapped[list] = mapped_column(JSON)
    workdays: Mapped[list] = mapped_column(JSON)
    loaded_by: Mapped[str] = mapped_column(String(80))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServiceTeamMember(Base):
    """A person of a project's service team (服务专班): its lead (牵头人) or a member from a department. They get
    the project's early-warning SMS."""

    __tablename__ = "service_team_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # lead, member
    role: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(80))
    department: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(20))


class FollowUpCategory(Base):
    """A kind of follow-up service (后续跟踪服务) after completion, e.g. policy fulfilment, hiring, financing; the
    list is kept by an admin."""

    __tablename__ = "follow_up_categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(80))


class FollowUp(Base):
    """One follow-up visit or service the service team logged for a completed project."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project_plans.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(ForeignKey("follow_up_categories.code"), index=True)
    happened_on: Mapped[date] = mapped_column(Date)
    people: Mapped[list] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(AuditColumns, Base):
    """The audit trail of plans, stages, items and the calendar; append-only (the database refuses changes)."""
