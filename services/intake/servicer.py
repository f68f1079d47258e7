"""gRPC mapping for the intake service."""

from __future__ import annotations

from zhitong.intake.v1 import intake_pb2 as pb
from zhitong.intake.v1 import intake_pb2_grpc

from kit.actor import Actor
from kit.proto import timestamp
from services.intake.domain import Intake, StoredMaterial
from services.intake.models import Enterprise, Project


def enterprise_pb(e: Enterprise) -> pb.Enterprise:
    return pb.Enterprise(code=e.code, name_zh=e.name_zh, credit_code=e.credit_code, contact=e.contact, phone=e.phone)


def project_pb(p: Project) -> pb.ProjectRecord:
    return pb.ProjectRecord(
        id=p.id,
        code=p.code or "",
        name=p.name,
        enterprise=p.enterprise,
        project_type=p.project_type,
        attributes=p.attributes or {},
        regional_evaluation_zone=p.regional_evaluation_zone,
        major=p.major,
        floor_area_m2=p.floor_area_m2,
        investment_wan=p.investment_wan,
        registered_by=p.registered_by,
        registered_at=timestamp(p.registered_at),
    )


def material_pb(m: StoredMaterial) -> pb.StoredMaterial:
    return pb.StoredMaterial(
        code=m.code,
        name_zh=m.name_zh,
        sha256=m.sha256,
        size=m.size,
        media_type=m.media_type,
        filename=m.filename,
        uploaded_by=m.uploaded_by,
        uploaded_at=timestamp(m.uploaded_at),
        source=m.source,
        produced_by=m.produced_by,
        version=m.version,
        versions=m.versions,
    )


class IntakeServicer(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self, intake: Intake):
        self.intake = intake

    def RegisterEnterprise(self, request, context):
        e = request.enterprise
        created = self.intake.register_enterprise(
            Actor.from_proto(request.actor), e.code, e.name_zh, e.credit_code, e.contact, e.phone
        )
        return pb.RegisterEnterpriseResponse(enterprise=enterprise_pb(created))

    def ListEnterprises(self, request, context):
        rows = self.intake.list_enterprises(Actor.from_proto(request.actor))
        return pb.ListEnterprisesResponse(enterprises=[enterprise_pb(e) for e in rows])

    def RegisterProject(self, request, context):
        p = request.project
        record = Project(
            code=p.code,
            name=p.name,
            enterprise=p.enterprise,
            project_type=p.project_type,
            attributes=dict(p.attributes),
            regional_evaluation_zone=p.regional_evaluation_zone,
            major=p.major,
            floor_area_m2=p.floor_area_m2,
            investment_wan=p.investment_wan,
        )
        created = self.intake.register_project(Actor.from_proto(request.actor), record)
        return pb.RegisterProjectResponse(project=project_pb(created))

    def GetProject(self, request, context):
        return pb.GetProjectResponse(
            project=project_pb(self.intake.get_project(Actor.from_proto(request.actor), request.project_id))
        )

    def GetStageForm(self, request, context):
        form = self.intake.stage_form(Actor.from_proto(request.actor), request.project_id, request.stage)
        return pb.GetStageFormResponse(
            stage=form.stage,
            missing=form.missing,
            materials=[
                pb.FormMaterial(
                    code=line.code,
                    name_zh=line.name_zh,
                    required_by=line.required_by,
                    on_file=line.on_file,
                    produced_by=line.produced_by,
                    sha256=line.sha256,
                    deferrable=line.deferrable,
                    uploads=line.uploads,
                )
                for line in form.lines
            ],
        )

    def UploadMaterial(self, request, context):
        stored = self.intake.upload_material(
            Actor.from_proto(request.actor),
            request.project_id,
            request.material_code,
            request.filename,
            request.content,
        )
        return pb.UploadMaterialResponse(material=material_pb(stored))

    def ListMaterials(self, request, context):
        rows = self.intake.list_materials(Actor.from_proto(request.actor), request.project_id)
        return pb.ListMaterialsResponse(materials=[material_pb(m) for m in rows])

    def ListMaterialVersions(self, request, context):
        rows = self.intake.material_versions(Actor.from_proto(request.actor), request.project_id, request.material_code)
        return pb.ListMaterialVersionsResponse(versions=[material_pb(m) for m in rows])

    def GetMaterialFile(self, request, context):
        stored, content = self.intake.material_file(
            Actor.from_proto(request.actor), request.project_id, request.material_code, request.version
        )
        return pb.GetMaterialFileResponse(material=material_pb(stored), content=content)

    def SubmitStage(self, request, context):
        status, deferred = self.intake.submit_stage(
            Actor.from_proto(request.actor), request.project_id, request.stage, request.deferred_materials
        )
        return pb.SubmitStageResponse(
            project_id=request.project_id, stage=request.stage, status=status, deferred_materials=deferred
        )

    def GetStageApplication(self, request, context):
        found = self.intake.stage_application(Actor.from_proto(request.actor), request.project_id, request.stage)
        names = self.intake.workflow.material_names()
        return pb.GetStageApplicationResponse(
            project_id=found.project_id,
            stage=found.stage,
            submitted_by=found.submitted_by,
            submitted_at=timestamp(found.submitted_at),
            materials=[
                pb.ApplicationMaterial(
                    code=code,
                    name_zh=names.get(code, code),
                    sha256="" if kept.startswith("decision:") else kept,
                    produced_by=kept.removeprefix("decision:") if kept.startswith("decision:") else "",
                )
                for code, kept in sorted(found.materials.items())
            ],
            deferred_materials=list(found.deferred_materials or []),
        )

    def ListProjectHistory(self, request, context):
        entries = self.intake.project_history(Actor.from_proto(request.actor), request.project_id)
        return pb.ListProjectHistoryResponse(
            entries=[
                pb.AuditEntry(
                    at=timestamp(e.at),
                    actor=e.actor,
                    actor_role=e.actor_role,
                    on_behalf_of=e.on_behalf_of,
                    action=e.action,
                    from_status=e.from_status,
                    to_status=e.to_status,
                    reason=e.reason,
                    subject_type=e.subject_type,
                    subject_id=e.subject_id,
                    project_id=e.project_id,
                )
                for e in entries
            ]
        )

    def GetMaterialFigures(self, request, context):
        projects, uploaded = self.intake.material_figures(Actor.from_proto(request.actor))
        return pb.GetMaterialFiguresResponse(projects=projects, materials_uploaded=uploaded)
