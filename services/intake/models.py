"""Intake's own tables: enterprises, projects, uploaded materials (content-addressed files), stage applications
and the audit trail of these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.audit import AuditColumns
from kit.db import UTCDateTime, new_metadata
from kit.outbox import outbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


# Events written with the state change they describe; published by `python -m kit.relay intake`.
Outbox = outbox_table(Base.metadata)


class Enterprise(Base):
    """An enterprise (办事企业 / 建设单位), identified by its code and its unified social credit code."""

    __tablename__ = "enterprises"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    contact: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Project(Base):
    """A construction project as registered through the one form (一张表单)."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("enterprise", "code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    enterprise: Mapped[str] = mapped_column(ForeignKey("enterprises.code"), index=True)
    project_type: Mapped[str] = mapped_column(String(40))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    regional_evaluation_zone: Mapped[bool] = mapped_column(Boolean, default=False)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    floor_area_m2: Mapped[float] = mapped_column(Float, default=0)
    investment_wan: Mapped[float] = mapped_column(Float, default=0)
    registered_by: Mapped[str] = mapped_column(String(80))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Distinct materials on file (re-uploads of a code count once): the "after" of material reduction.
    materials_uploaded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MaterialFile(Base):
    """One upload of a material for a project. The newest upload of a code is the one on file; earlier ones are
    kept. The file itself is stored once per content hash (材料共享: every item and stage reuses it)."""

    __tablename__ = "material_files"
    __table_args__ = (Index("ix_material_files_project_code", "project_id", "material_code", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    material_code: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StageApplication(Base):
    """A stage's one application (一次申报), with the materials on file when it was submitted."""

    __tablename__ = "stage_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10))
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {material code: sha256 or "decision:<item code>"}
    materials: Mapped[dict] = mapped_column(JSON, default=dict)
    deferred_materials: Mapped[list] = mapped_column(JSON, default=list)


class AuditEntry(AuditColumns, Base):
    """Registrations, uploads and submissions; append-only."""
