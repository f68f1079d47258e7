"""Process entry of the intake service: `python -m services.intake.server`."""

from __future__ import annotations

from zhitong.intake.v1 import intake_pb2, intake_pb2_grpc

from kit import config
from kit.clock import Clock, create_clock
from kit.db import make_engine, reachable, session_factory
from kit.grpc_server import GrpcService, Registration, create_grpc_server, run_service
from kit.workflow_port import WorkflowPort, grpc_workflow
from services.intake.domain import Intake
from services.intake.servicer import IntakeServicer
from services.intake.storage import BlobStore

NAME = "intake"


def create_intake(
    clock: Clock | None = None, database_url: str | None = None, workflow: WorkflowPort | None = None
) -> Intake:
    """The intake use cases wired to their database, file store, clock and workflow from configuration."""
    return Intake(
        sessions=session_factory(make_engine(database_url or config.database_url(NAME))),
        clock=clock or create_clock(NAME),
        workflow=workflow or grpc_workflow(config.grpc_address("workflow")),
        blobs=BlobStore(
            config.var_dir() / "intake" / "blobs",
            max_bytes=config.integer("INTAKE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        ),
        deferrable=frozenset(config.words("ZHITONG_DEFERRABLE_MATERIALS")),
    )


def create_server(intake: Intake | None = None, port: int | None = None) -> GrpcService:
    intake = intake or create_intake()
    return create_grpc_server(
        NAME,
        [
            Registration(
                intake_pb2_grpc.add_IntakeServiceServicer_to_server,
                IntakeServicer(intake),
                intake_pb2.DESCRIPTOR.services_by_name["IntakeService"],
            )
        ],
        clock=intake.clock,
        port=port,
        ready_checks=[lambda: reachable(intake.sessions.kw["bind"])],
    )


def main() -> None:
    run_service(NAME, create_server)


if __name__ == "__main__":
    main()
