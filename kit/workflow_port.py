"""How a service asks workflow for plans and visibility and tells it about submissions (intake, consult). Over
gRPC in the suite; in unit tests the same calls go straight to a workflow servicer in the same process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc
from zhitong.common.v1 import actor_pb2
from zhitong.workflow.v1 import workflow_pb2 as pb
from zhitong.workflow.v1 import workflow_pb2_grpc

from kit import errors
from kit.actor import Actor
from kit.grpc_client import Client, ServiceError

_KIND_OF_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.Invalid,
    grpc.StatusCode.NOT_FOUND: errors.NotFound,
    grpc.StatusCode.PERMISSION_DENIED: errors.Forbidden,
    grpc.StatusCode.FAILED_PRECONDITION: errors.Conflict,
    grpc.StatusCode.ALREADY_EXISTS: errors.AlreadyExists,
}


class WorkflowPort:
    def __init__(self, call: Callable[[str, object], object], catalog_ttl: float = 300.0):
        self._call = call
        self._catalog: pb.GetCatalogResponse | None = None
        self._catalog_at = 0.0
        self._ttl = catalog_ttl
        self._lock = threading.Lock()

    def catalog(self) -> pb.GetCatalogResponse:
        with self._lock:
            if self._catalog is None or time.monotonic() - self._catalog_at > self._ttl:
                self._catalog = self._call("GetCatalog", pb.GetCatalogRequest())
                self._catalog_at = time.monotonic()
            return self._catalog

    def material_names(self) -> dict[str, str]:
        return {m.code: m.name_zh for m in self.catalog().materials}

    def preview(self, facts: pb.ProjectFacts) -> pb.PreviewPlanResponse:
        return self._call("PreviewPlan", pb.PreviewPlanRequest(facts=facts))

    def create_plan(
        self,
        actor: Actor,
        project_id: str,
        name: str,
        enterprise: str,
        facts: pb.ProjectFacts,
        agent: str,
        code: str = "",
    ) -> pb.Project:
        return self._call(
            "CreatePlan",
            pb.CreatePlanRequest(
                actor=actor.to_proto(actor_pb2.Actor),
                project_id=project_id,
                project_name=name,
                enterprise=enterprise,
                facts=facts,
                agent=agent,
                project_code=code,
            ),
        ).project

    def project(self, actor: Actor, project_id: str) -> pb.Project:
        return self._call(
            "GetProject", pb.GetProjectRequest(actor=actor.to_proto(actor_pb2.Actor), project_id=project_id)
        ).project

    def visible_enterprises(self, actor: Actor) -> set[str]:
        """Enterprises of the projects the actor may see."""
        found = self._call(
            "ListProjects", pb.ListProjectsRequest(actor=actor.to_proto(actor_pb2.Actor), limit=1_000_000)
        )
        return {p.enterprise for p in found.projects}

    def visible_project_ids(self, actor: Actor) -> set[str]:
        """Ids of the projects the actor may see (for an agent: the projects assigned to them now)."""
        found = self._call(
            "ListProjects", pb.ListProjectsRequest(actor=actor.to_proto(actor_pb2.Actor), limit=1_000_000)
        )
        return {p.id for p in found.projects}

    def submit_stage(self, actor: Actor, project_id: str, stage: str, deferred: list[str]) -> pb.Stage:
        return self._call(
            "SubmitStage",
            pb.SubmitStageRequest(
                actor=actor.to_proto(actor_pb2.Actor),
                project_id=project_id,
                stage=stage,
                deferred_materials=deferred,
            ),
        ).stage

    def supply_material(self, actor: Actor, project_id: str, material: str) -> list[str]:
        return list(
            self._call(
                "SupplyMaterial",
                pb.SupplyMaterialRequest(
                    actor=actor.to_proto(actor_pb2.Actor),
                    project_id=project_id,
                    material=material,
                ),
            ).item_ids
        )


def grpc_workflow(address: str) -> WorkflowPort:
    client = Client(workflow_pb2_grpc.WorkflowServiceStub, address)

    def call(method: str, request):
        try:
            return client.call(method, request)
        except ServiceError as exc:
            kind = _KIND_OF_STATUS.get(exc.code)
            if kind is None:
                raise errors.Unavailable("审批流程服务暂时不可用，请稍后重试") from None
            raise kind(exc.message, **{k: v for k, v in exc.details.items() if k != "kind"}) from None

    return WorkflowPort(call)


def local_workflow(servicer: workflow_pb2_grpc.WorkflowServiceServicer) -> WorkflowPort:
    return WorkflowPort(lambda method, request: getattr(servicer, method)(request, None))
