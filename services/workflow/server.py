"""Process entry of the workflow service: `python -m services.workflow.server`."""

from __future__ import annotations

from zhitong.workflow.v1 import workflow_pb2, workflow_pb2_grpc

from kit import config
from kit.catalog import load_catalog
from kit.clock import Clock, create_clock
from kit.db import make_engine, reachable, session_factory
from kit.grpc_server import GrpcService, Registration, create_grpc_server, run_service
from services.workflow import rules
from services.workflow.domain import CalendarStore, Workflow
from services.workflow.servicer import WorkflowServicer
from services.workflow.sweeper import Sweeper

NAME = "workflow"


def create_workflow(clock: Clock | None = None, database_url: str | None = None) -> Workflow:
    """The workflow use cases wired to their database, clock, catalog and calendar from configuration."""
    sessions = session_factory(make_engine(database_url or config.database_url(NAME)))
    return Workflow(
        sessions=sessions,
        clock=clock or create_clock(NAME),
        catalog=load_catalog(config.data_file("catalog.yaml", "ZHITONG_CATALOG")),
        calendars=CalendarStore(sessions),
        policy=rules.ColourPolicy(
            ahead_margin=config.number("ZHITONG_AHEAD_MARGIN", 1 / 3),
            warn_ratio=config.number("ZHITONG_WARN_RATIO", 0.8),
        ),
    )


def create_server(workflow: Workflow | None = None, port: int | None = None) -> GrpcService:
    workflow = workflow or create_workflow()
    sweeper = Sweeper(workflow, config.number("ZHITONG_SWEEP_SECONDS", 60))
    server = create_grpc_server(
        NAME,
        [
            Registration(
                workflow_pb2_grpc.add_WorkflowServiceServicer_to_server,
                WorkflowServicer(workflow),
                workflow_pb2.DESCRIPTOR.services_by_name["WorkflowService"],
            )
        ],
        clock=workflow.clock,
        port=port,
        ready_checks=[lambda: reachable(workflow.sessions.kw["bind"])],
        on_clock_change=[sweeper.on_clock_change],
    )
    server.on_start.append(sweeper.start)
    server.on_stop.append(sweeper.stop)
    return server


def main() -> None:
    run_service(NAME, create_server)


if __name__ == "__main__":
    main()
