"""Intake use cases: enterprises, project registration, the one form per stage (一张表单), materials uploaded
once and shared by every item and stage (材料共享), and stage submission with 容缺受理."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from zhitong.events.v1 import events_pb2 as ev
from zhitong.workflow.v1 import workflow_pb2 as wpb

from kit import audit, errors
from kit.actor import Actor
from kit.clock import Clock
from kit.db import transaction
from kit.media import EXTENSIONS
from kit.outbox import Outbox
from kit.text import CONTROL_IN_LINE, clean_text
from kit.workflow_port import WorkflowPort
from services.intake.models import AuditEntry, Enterprise, MaterialFile, Project, StageApplication
from services.intake.models import Outbox as OutboxTable
from services.intake.storage import BlobStore

CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PHONE = re.compile(r"^1\d{10}$")
REGISTRARS = ("agent", "admin")


def safe_filename(name: str, media_type: str) -> str:
    """The last part of an uploaded file's name, without folders or control characters, ending as its content is
    (营业执照.cmd holding a PDF is kept as 营业执照.pdf): whoever saves it later gets a file that opens as what it is."""
    base = CONTROL_IN_LINE.sub("", re.split(r"[\\/]", name or "")[-1]).strip(" .")
    stem = base.rsplit(".", 1)[0].strip(" .") if "." in base else base
    return stem[:240] + EXTENSIONS[media_type] if stem else ""


@dataclass
class FormLine:
    code: str
    name_zh: str
    required_by: list[str]
    on_file: bool
    produced_by: str
    sha256: str
    deferrable: bool
    uploads: int = 0


@dataclass
class StageForm:
    stage: str
    lines: list[FormLine]

    @property
    def missing(self) -> list[str]:
        return [line.code for line in self.lines if not line.on_file and not line.produced_by]


@dataclass
class StoredMaterial:
    code: str
    name_zh: str
    sha256: str
    size: int
    media_type: str
    filename: str
    uploaded_by: str
    uploaded_at: object
    source: str = "upload"
    produced_by: str = ""
    version: int = 0
    versions: int = 0


# item statuses in which a department has the application's materials in hand
REVIEWED_STATUSES = ("submitted", "pre_review", "accepted")
STATUS_ZH = {"submitted": "已提交待受理", "pre_review": "预审中", "accepted": "审查中"}


@dataclass
class Intake:
    sessions: sessionmaker[Session]
    clock: Clock
    workflow: WorkflowPort
    blobs: BlobStore
    deferrable: frozenset[str] = field(default_factory=frozenset)
    outbox: Outbox = field(default_factory=lambda: Outbox(OutboxTable))

    # ---------------- enterprises ----------------

    def register_enterprise(
        self, actor: Actor, code: str, name_zh: str, credit_code: str, contact: str = "", phone: str = ""
    ) -> Enterprise:
        """Register an enterprise (by an admin, an agent or the window for a walk-in enterprise)."""
        if actor.role not in REGISTRARS and not actor.at_window:
            raise errors.Forbidden("只有管理员、帮办代办专员或综合窗口可以登记企业")
        code, credit_code = code.strip(), credit_code.strip().upper()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", code):
            raise errors.Invalid("企业编号只能包含字母、数字、下划线和连字符（1–40个字符）", field="code")
        name_zh = clean_text(name_zh, "企业名称", 200, "name_zh")
        contact = clean_text(contact, "联系人", 80, "contact", required=False)
        if not CREDIT_CODE.match(credit_code):
            raise errors.Invalid("统一社会信用代码应为18位（数字和大写字母）", field="credit_code")
        if phone and not PHONE.match(phone):
            raise errors.Invalid("联系电话应为11位手机号码", field="phone")
        try:
            with transaction(self.sessions) as session:
                enterprise = Enterprise(
                    code=code,
                    name_zh=name_zh,
                    credit_code=credit_code,
                    contact=contact,
                    phone=phone,
                    registered_at=self.clock.now(),
                )
                session.add(enterprise)
                session.flush()
                self._audit(session, actor, "", "enterprise", code, "register", "", "registered", name_zh)
        except IntegrityError:
            raise errors.AlreadyExists("企业编号或统一社会信用代码已登记", code=code) from None
        return enterprise

    def list_enterprises(self, actor: Actor) -> list[Enterprise]:
        """Enterprises visible to the actor: all for the window, agents, supervisors and admins; for a
        department, those with projects that have items in it; for an enterprise user, itself."""
        query = select(Enterprise).order_by(Enterprise.code)
        if actor.role == "enterprise":
            query = query.where(Enterprise.code == actor.enterprise)
        elif actor.role in ("officer", "dept_head") and not actor.at_window:
            query = query.where(Enterprise.code.in_(self.workflow.visible_enterprises(actor)))
        elif actor.role not in ("agent", "admin", "supervisor", "officer", "dept_head"):
            return []
        with self.sessions() as session:
            return list(session.scalars(query))

    # ---------------- projects ----------------

    def register_project(self, actor: Actor, record: Project) -> Project:
        """Register a project and have workflow create its approval plan. An enterprise registers its own;
        an agent, an admin or the window registers one for an enterprise."""
        if actor.role == "enterprise":
            if record.enterprise and record.enterprise != actor.enterprise:
                raise errors.Forbidden("企业用户只能为本企业登记项目", field="enterprise")
            if record.major:
                raise errors.Forbidden("重大项目由督办员或管理员认定，或由帮办代办专员登记时标注", field="major")
            record.enterprise = actor.enterprise
        elif actor.role in REGISTRARS or actor.at_window:
            if not record.enterprise:
                raise errors.Invalid("代办登记项目时必须指定企业（enterprise）", field="enterprise")
        else:
            raise errors.Forbidden("当前角色不能登记项目")
        record.name = clean_text(record.name, "项目名称", 200, "name")
        record.code = clean_text(record.code, "项目编号", 40, "code", required=False) or None
        record.attributes = record.attributes or {}
        for field_name, label in (("floor_area_m2", "建筑面积"), ("investment_wan", "投资额")):
            value = getattr(record, field_name) or 0.0
            if not math.isfinite(value) or value < 0 or value > 1e12:
                raise errors.Invalid(f"{label}应在0至1万亿（10¹²）之间", field=field_name)
            setattr(record, field_name, value)
        facts = wpb.ProjectFacts(
            project_type=record.project_type,
            attributes=record.attributes or {},
            regional_evaluation_zone=record.regional_evaluation_zone,
            major=record.major,
        )
        self.workflow.preview(facts)  # unknown type -> Invalid, before anything is stored
        record.id = str(uuid.uuid4())
        record.registered_by, record.registered_at = actor.username, self.clock.now()
        try:
            with transaction(self.sessions) as session:
                if session.get(Enterprise, record.enterprise) is None:
                    raise errors.Invalid(f"企业“{record.enterprise}”尚未登记", field="enterprise")
                session.add(record)
                session.flush()
                self._audit(
                    session,
                    actor,
                    record.id,
                    "project",
                    record.id,
                    "register",
                    "",
                    "registered",
                    record.name,
                    on_behalf_of=record.enterprise,
                )
                self.outbox.emit(
                    session,
                    "project.registered",
                    ev.ProjectRegistered(
                        project_id=record.id,
                        code=record.code or "",
                        name=record.name,
                        enterprise=record.enterprise,
                        project_type=record.project_type,
                        major=record.major,
                        registered_by=actor.username,
                    ),
                    record.registered_at,
                )
                # Workflow's plan is created before intake commits: a failure there leaves nothing behind here.
                self.workflow.create_plan(
                    actor,
                    record.id,
                    record.name,
                    record.enterprise,
                    facts,
                    agent=actor.username if actor.role == "agent" else "",
                    code=record.code or "",
                )
        except IntegrityError:
            raise errors.AlreadyExists(f"该企业已登记项目编号“{record.code}”", code=record.code) from None
        return record

    def get_project(self, actor: Actor, project_id: str) -> Project:
        """The registration record of a project the actor may see."""
        self.workflow.project(actor, project_id)  # visibility is workflow's: NotFound when hidden
        with self.sessions() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise errors.NotFound("项目不存在或无权查看")
            return project

    # ---------------- the one form and materials ----------------

    def stage_form(self, actor: Actor, project_id: str, stage: str) -> StageForm:
        """The stage's one form: the deduplicated materials its items need, which are on file, and which a
        decision of the same or an earlier stage provides."""
        plan = self.workflow.project(actor, project_id)
        with self.sessions() as session:
            return self._form(session, plan, stage)

    def _form(self, session: Session, plan: wpb.Project, stage_code: str) -> StageForm:
        order = [s.code for s in plan.stages]
        if stage_code not in order:
            raise errors.NotFound(f"阶段“{stage_code}”不存在", field="stage")
        upto = order[: order.index(stage_code) + 1]
        produced: dict[str, str] = {}
        for stage in plan.stages:
            if stage.code in upto:
                for item in stage.items:
                    if item.produces and item.status != "withdrawn":
                        produced.setdefault(item.produces, item.code)
        issued = {d.material: d.item_code for d in plan.documents}
        files = self._current_files(session, plan.id)
        uploads = self._upload_counts(session, plan.id)
        needed: dict[str, list[str]] = {}
        for stage in plan.stages:
            if stage.code == stage_code:
                for item in stage.items:
                    if item.status == "withdrawn":
                        continue
                    for code in item.materials:
                        needed.setdefault(code, []).append(item.code)
        names = self.workflow.material_names()
        lines = [
            FormLine(
                code=code,
                name_zh=names.get(code, code),
                required_by=required_by,
                on_file=code in files or code in issued,
                produced_by=produced.get(code, issued.get(code, "")),
                sha256=files[code].sha256 if code in files else "",
                deferrable=code in self.deferrable,
                uploads=uploads.get(code, 0),
            )
            for code, required_by in sorted(needed.items())
        ]
        return StageForm(stage_code, lines)

    @staticmethod
    def _upload_counts(session: Session, project_id: str) -> dict[str, int]:
        """How many times each material of the project was uploaded."""
        return dict(
            session.execute(
                select(MaterialFile.material_code, func.count())
                .where(MaterialFile.project_id == project_id)
                .group_by(MaterialFile.material_code)
            ).all()
        )

    def _current_files(self, session: Session, project_id: str) -> dict[str, MaterialFile]:
        newest = (
            select(func.max(MaterialFile.id))
            .where(MaterialFile.project_id == project_id)
            .group_by(MaterialFile.material_code)
        )
        rows = session.scalars(select(MaterialFile).where(MaterialFile.id.in_(newest)))
        return {row.material_code: row for row in rows}

    def upload_material(
        self, actor: Actor, project_id: str, code: str, filename: str, content: bytes
    ) -> StoredMaterial:
        """Keep a material once for the project: every item and stage that needs it reuses it."""
        plan = self.workflow.project(actor, project_id)
        self._check_acts_for(actor, plan)
        self._check_in_progress(plan)
        names = self.workflow.material_names()
        if code not in names:
            raise errors.Invalid(f"材料编号“{code[:20]}”不在目录中", field="material_code")
        items = [item for stage in plan.stages for item in stage.items if item.status != "withdrawn"]
        producer = next((item.code for item in items if item.produces == code), "")
        if producer:
            raise errors.Conflict(
                f"{code} {names[code]}由审批事项{producer}的办理结果提供，无需企业上传", produced_by=producer
            )
        if not any(code in item.materials for item in items):
            raise errors.Invalid(f"本项目的审批事项不需要材料 {code} {names[code]}", field="material_code")
        media_type = self.blobs.check(content)
        users = [item for item in items if code in item.materials]
        with transaction(self.sessions) as session:
            project = session.get(Project, project_id, with_for_update=True)
            on_file = select(MaterialFile.id).where(
                MaterialFile.project_id == project_id, MaterialFile.material_code == code
            )
            if session.execute(on_file.limit(1)).first() is None:
                if project is not None:
                    project.materials_uploaded += 1
            else:
                self._check_replaceable(code, names[code], users)
            digest = self.blobs.put(content)  # before the row that names it is committed, after the checks
            row = MaterialFile(
                project_id=project_id,
                material_code=code,
                sha256=digest,
                size=len(content),
                media_type=media_type,
                filename=safe_filename(filename, media_type),
                uploaded_by=actor.username,
                uploaded_at=self.clock.now(),
            )
            session.add(row)
            session.flush()
            uploads = session.scalar(
                select(func.count()).where(MaterialFile.project_id == project_id, MaterialFile.material_code == code)
            )
            self._audit(
                session,
                actor,
                project_id,
                "material",
                f"{project_id}:{code}",
                "upload",
                "",
                "on_file",
                f"{names[code]}（{len(content)}字节，sha256 {digest[:12]}…）",
                on_behalf_of=plan.enterprise,
            )
            self.outbox.emit(
                session,
                "material.uploaded",
                ev.MaterialUploaded(
                    project_id=project_id,
                    material=code,
                    sha256=digest,
                    size=len(content),
                    uploaded_by=actor.username,
                ),
                row.uploaded_at,
            )
        if any(code in item.deferred_materials for stage in plan.stages for item in stage.items):
            self.workflow.supply_material(actor, project_id, code)
        return self._stored(row, names, uploads, uploads)

    def material_figures(self, actor: Actor) -> tuple[int, int]:
        """(projects, distinct materials on file summed over them) for the city's material reduction figure."""
        if actor.role not in ("supervisor", "admin", "ops", "screen", "dept_head"):
            raise errors.Forbidden("无权查看统计数据")
        with self.sessions() as session:
            projects, uploaded = session.execute(
                select(func.count(), func.coalesce(func.sum(Project.materials_uploaded), 0))
            ).one()
        return int(projects), int(uploaded)

    def list_materials(self, actor: Actor, project_id: str) -> list[StoredMaterial]:
        """Materials on file for a project: uploads (the newest of each, with how many there were) and the
        decision documents of approved items."""
        plan = self.workflow.project(actor, project_id)
        names = self.workflow.material_names()
        with self.sessions() as session:
            counts = self._upload_counts(session, project_id)
            stored = [
                self._stored(row, names, counts[code], counts[code])
                for code, row in self._current_files(session, project_id).items()
            ]
        for doc in plan.documents:
            stored.append(
                StoredMaterial(
                    doc.material,
                    names.get(doc.material, doc.material),
                    "",
                    0,
                    "",
                    "",
                    "system",
                    None,
                    source="decision",
                    produced_by=doc.item_code,
                )
            )
        return sorted(stored, key=lambda m: (m.code, m.source))

    def material_versions(self, actor: Actor, project_id: str, code: str) -> list[StoredMaterial]:
        """Every upload of one material of a project, the first first: a re-upload replaces the one on file but
        never the record of what was there before."""
        self.workflow.project(actor, project_id)  # 404 for whoever may not see the project
        names = self.workflow.material_names()
        with self.sessions() as session:
            rows = list(session.scalars(self._uploads(project_id, code)))
        if not rows:
            raise errors.NotFound(f"本项目没有上传过材料“{code[:20]}”")
        return [self._stored(row, names, n, len(rows)) for n, row in enumerate(rows, 1)]

    def material_file(self, actor: Actor, project_id: str, code: str, version: int = 0) -> tuple[StoredMaterial, bytes]:
        """One upload of a material with its content (`version` 0: the one on file), for whoever may see the
        project: the enterprise and its agent, the departments with items in it, the window, supervisors."""
        versions = self.material_versions(actor, project_id, code)
        if version < 0 or version > len(versions):
            raise errors.NotFound(f"材料“{code[:20]}”没有第{version}版（共{len(versions)}版）")
        chosen = versions[(version or len(versions)) - 1]
        return chosen, self.blobs.get(chosen.sha256)

    @staticmethod
    def _uploads(project_id: str, code: str):
        return (
            select(MaterialFile)
            .where(MaterialFile.project_id == project_id, MaterialFile.material_code == code)
            .order_by(MaterialFile.id)
        )

    @staticmethod
    def _stored(row: MaterialFile, names: dict[str, str], version: int = 0, versions: int = 0) -> StoredMaterial:
        return StoredMaterial(
            row.material_code,
            names.get(row.material_code, row.material_code),
            row.sha256,
            row.size,
            row.media_type,
            row.filename,
            row.uploaded_by,
            row.uploaded_at,
            version=version,
            versions=versions,
        )

    # ---------------- submission ----------------

    def submit_stage(
        self, actor: Actor, project_id: str, stage: str, deferred: Iterable[str] = ()
    ) -> tuple[str, list[str]]:
        """Submit a stage's one application. Refused with the missing materials unless each missing one may
        be supplied later under 容缺受理 and the applicant asked for that."""
        plan = self.workflow.project(actor, project_id)
        self._check_acts_for(actor, plan)
        current = next((s for s in plan.stages if s.code == stage), None)
        if current is None:
            raise errors.NotFound(f"阶段“{stage[:10]}”不存在", field="stage")
        if current.status != "open":
            # workflow refuses with the reason (not yet started, already submitted, project stopped, …)
            return self.workflow.submit_stage(actor, project_id, stage, []).status, []
        with transaction(self.sessions) as session:
            form = self._form(session, plan, stage)
            missing = form.missing
            asked = set(deferred)
            needed = {line.code for line in form.lines}
            unknown = sorted(asked - needed)
            if unknown:
                raise errors.Invalid(
                    f"以下材料不是本阶段所需材料：{'、'.join(m[:20] for m in unknown[:10])}", field="deferred_materials"
                )
            refused = sorted(asked - self.deferrable)
            if refused:
                allowed = "、".join(sorted(self.deferrable)) or "无"
                raise errors.Invalid(
                    f"以下材料不允许容缺受理：{'、'.join(refused)}（可容缺的材料：{allowed}）",
                    field="deferred_materials",
                )
            deferred_now = sorted(m for m in missing if m in asked and m in self.deferrable)
            blocking = [m for m in missing if m not in deferred_now]
            if blocking:
                names = self.workflow.material_names()
                listed = "、".join(f"{m} {names.get(m, m)}" for m in blocking)
                raise errors.Conflict(
                    f"材料不齐，请先上传：{listed}",
                    missing=blocking,
                    deferrable=[m for m in blocking if m in self.deferrable],
                )
            session.add(
                StageApplication(
                    project_id=project_id,
                    stage=stage,
                    submitted_by=actor.username,
                    submitted_at=self.clock.now(),
                    materials={
                        line.code: line.sha256 or f"decision:{line.produced_by}"
                        for line in form.lines
                        if line.on_file or line.produced_by
                    },
                    deferred_materials=deferred_now,
                )
            )
            self._audit(
                session,
                actor,
                project_id,
                "stage",
                f"{project_id}:{stage}",
                "submit",
                "open",
                "submitted",
                "容缺材料：" + "、".join(deferred_now) if deferred_now else "",
                on_behalf_of=plan.enterprise,
            )
            self.outbox.emit(
                session,
                "application.submitted",
                ev.ApplicationSubmitted(
                    project_id=project_id,
                    stage=stage,
                    materials=sorted(line.code for line in form.lines if line.on_file),
                    deferred_materials=deferred_now,
                    submitted_by=actor.username,
                ),
                self.clock.now(),
            )
            result = self.workflow.submit_stage(actor, project_id, stage, deferred_now)
        return result.status, deferred_now

    # ---------------- the audit trail ----------------

    def project_history(self, actor: Actor, project_id: str) -> list[AuditEntry]:
        """Intake's audit trail of one project (registration, uploads, submissions), oldest first; an agent's
        entries name the enterprise they acted for."""
        self.workflow.project(actor, project_id)  # visibility is workflow's: NotFound when hidden
        with self.sessions() as session:
            query = select(AuditEntry).where(AuditEntry.project_id == project_id).order_by(AuditEntry.id)
            return list(session.scalars(query))

    def stage_application(self, actor: Actor, project_id: str, stage: str) -> StageApplication:
        """The stage's application as it was last submitted: who submitted it, when, and the materials on file
        then (what an acceptance receipt lists, however the files change later)."""
        self.workflow.project(actor, project_id)  # visibility is workflow's: NotFound when hidden
        with self.sessions() as session:
            found = session.scalars(
                select(StageApplication)
                .where(StageApplication.project_id == project_id, StageApplication.stage == stage)
                .order_by(StageApplication.id.desc())
                .limit(1)
            ).first()
        if found is None:
            raise errors.NotFound(f"阶段“{stage[:10]}”尚未申报", field="stage")
        return found

    # ---------------- helpers ----------------

    @staticmethod
    def _check_replaceable(code: str, name: str, users: list) -> None:
        """A material on file may be replaced while no item that uses it is being reviewed: before submission, after
        the decisions, or once every department reviewing it suspended its item for supplements (补正). A department
        never finds the file it is checking swapped unasked."""
        reviewing = [item for item in users if item.status in REVIEWED_STATUSES]
        if reviewing:
            which = "、".join(f"{item.code}（{STATUS_ZH.get(item.status, item.status)}）" for item in reviewing)
            raise errors.Conflict(
                f"材料“{code} {name}”正在审批中（{which}），不能更换；如需更换，请联系审批部门发起补正后再上传",
                items=[item.code for item in reviewing],
            )

    @staticmethod
    def _check_in_progress(plan: wpb.Project) -> None:
        if plan.status == "stopped":
            raise errors.Conflict("项目已因不予许可终止", project_status=plan.status)
        if plan.status == "completed":
            raise errors.Conflict("项目已全部办结", project_status=plan.status)

    @staticmethod
    def _check_acts_for(actor: Actor, plan: wpb.Project) -> None:
        mine = (actor.role == "enterprise" and actor.enterprise == plan.enterprise) or (
            actor.role == "agent" and plan.agent == actor.username
        )
        if not (mine or actor.at_window):
            raise errors.Forbidden("只有建设单位、其帮办代办专员或综合窗口可以上传材料和提交申请")

    def _audit(
        self,
        session,
        actor: Actor,
        project_id,
        subject_type,
        subject_id,
        action,
        from_status,
        to_status,
        reason="",
        on_behalf_of="",
    ) -> None:
        audit.record(
            session,
            AuditEntry,
            self.clock.now(),
            actor,
            project_id=project_id,
            subject_type=subject_type,
            subject_id=subject_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            on_behalf_of=on_behalf_of if actor.role == "agent" else "",
        )
