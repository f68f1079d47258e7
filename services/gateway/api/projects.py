"""Projects, the one form per stage, materials, stage submission and the window's acceptance."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app
from zhitong.intake.v1 import intake_pb2 as ipb
from zhitong.workflow.v1 import workflow_pb2 as wpb

from kit import config
from kit.media import EXTENSIONS
from kit.proto import enum_value
from services.gateway import clients, users, views
from services.gateway.auth import actor_pb
from services.gateway.problems import Problem


def _project(project_id: str) -> dict:
    actor = actor_pb()
    status = clients.workflow().call("GetProject", wpb.GetProjectRequest(actor=actor, project_id=project_id)).project
    record = clients.intake().call("GetProject", ipb.GetProjectRequest(actor=actor, project_id=project_id)).project
    return views.project(status, record)


def create(body):
    record = ipb.ProjectRecord(
        name=body["name"],
        project_type=body["type"],
        code=body.get("code", ""),
        enterprise=body.get("enterprise", ""),
        attributes=body.get("attributes") or {},
        regional_evaluation_zone=body.get("regional_evaluation_zone", False),
        major=body.get("major", False),
        floor_area_m2=body.get("floor_area_m2", 0),
        investment_wan=body.get("investment_wan", 0),
    )
    created = clients.intake().call("RegisterProject", ipb.RegisterProjectRequest(actor=actor_pb(), project=record))
    return _project(created.project.id), 201


def search(colour=None, stage=None, type=None, limit=100, offset=0):  # noqa: A002 - the API's parameter name
    found = clients.workflow().call(
        "ListProjects",
        wpb.ListProjectsRequest(
            actor=actor_pb(),
            colour=enum_value(wpb.Colour, "COLOUR", colour),
            stage=stage or "",
            project_type=type or "",
            limit=limit,
            offset=offset,
        ),
    )
    return {
        "projects": [views.project_summary(p) for p in found.projects],
        "total": found.total,
        "calendar_warning": found.calendar_warning or None,
    }


def get(project_id):
    return _project(project_id)


def form(project_id, stage):
    found = clients.intake().call(
        "GetStageForm", ipb.GetStageFormRequest(actor=actor_pb(), project_id=project_id, stage=stage)
    )
    return {
        "stage": found.stage,
        "missing": list(found.missing),
        "materials": [
            {
                "code": m.code,
                "name_zh": m.name_zh,
                "required_by": list(m.required_by),
                "on_file": m.on_file,
                "produced_by": m.produced_by or None,
                "sha256": m.sha256 or None,
                "deferrable": m.deferrable,
                "uploads": m.uploads,
            }
            for m in found.materials
        ],
    }


def materials(project_id):
    found = clients.intake().call("ListMaterials", ipb.ListMaterialsRequest(actor=actor_pb(), project_id=project_id))
    return {"materials": [views.stored_material(m) for m in found.materials]}


def application(project_id, stage):
    """The stage's application as submitted: who, when, and the materials on file then."""
    found = clients.intake().call(
        "GetStageApplication", ipb.GetStageApplicationRequest(actor=actor_pb(), project_id=project_id, stage=stage)
    )
    names = users.display_names(current_app.config["SESSIONS"], [found.submitted_by])
    return {
        "project_id": found.project_id,
        "stage": found.stage,
        "submitted_by": found.submitted_by,
        "submitted_by_name": names.get(found.submitted_by),
        "submitted_at": views.local_time(found.submitted_at),
        "materials": [
            {"code": m.code, "name_zh": m.name_zh, "sha256": m.sha256 or None, "produced_by": m.produced_by or None}
            for m in found.materials
        ],
        "deferred_materials": list(found.deferred_materials),
    }


def material_versions(project_id, material_code):
    found = clients.intake().call(
        "ListMaterialVersions",
        ipb.ListMaterialVersionsRequest(actor=actor_pb(), project_id=project_id, material_code=material_code),
    )
    return {"versions": [views.stored_material(m) for m in found.versions]}


def material_file(project_id, material_code, version=0):
    """The file itself, shown in the browser (PDF, PNG or JPEG, checked by content when it was uploaded)."""
    found = clients.intake().call(
        "GetMaterialFile",
        ipb.GetMaterialFileRequest(
            actor=actor_pb(), project_id=project_id, material_code=material_code, version=version
        ),
    )
    m = found.material
    extension = EXTENSIONS.get(m.media_type, "")
    fallback = f"{m.code}-{m.version}{extension}"
    # the name always ends as the content is, whatever name the file came with
    name = m.filename if m.filename and m.filename.lower().endswith(extension) else fallback
    return Response(
        found.content,
        mimetype=m.media_type,
        headers={
            "Content-Disposition": f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "ETag": f'"{m.sha256}"',
        },
    )


def upload(project_id, body, file=None):  # noqa: A002
    if file is None:
        raise Problem(400, "缺少文件（file）")
    limit = config.integer("INTAKE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
    content = file.read(limit + 1)
    if len(content) > limit:
        raise Problem(413, f"文件超过大小上限 {limit / 1024 / 1024:g} MiB", max_bytes=limit)
    stored = clients.intake().call(
        "UploadMaterial",
        ipb.UploadMaterialRequest(
            actor=actor_pb(),
            project_id=project_id,
            material_code=body["material_code"],
            filename=file.filename or "",
            content=content,
        ),
        timeout=60,
    )
    return views.stored_material(stored.material), 201


def submit(project_id, stage, body=None):
    deferred = (body or {}).get("deferred_materials", [])
    clients.intake().call(
        "SubmitStage",
        ipb.SubmitStageRequest(actor=actor_pb(), project_id=project_id, stage=stage, deferred_materials=deferred),
    )
    return _stage(project_id, stage)


def stage_action(project_id, stage, body):
    done = clients.workflow().call(
        "ActOnStage",
        wpb.ActOnStageRequest(
            actor=actor_pb(), project_id=project_id, stage=stage, action=body["action"], reason=body.get("reason", "")
        ),
    )
    return views.stage(done.stage)


def _stage(project_id: str, stage: str) -> dict:
    status = clients.workflow().call("GetProject", wpb.GetProjectRequest(actor=actor_pb(), project_id=project_id))
    return next(views.stage(s) for s in status.project.stages if s.code == stage)
