"""Process entry of the consult service: `python -m services.consult.server` (gRPC, plus the overdue sweep)."""

from __future__ import annotations

import logging
from datetime import time

from prometheus_client import Gauge
from zhitong.consult.v1 import consult_pb2, consult_pb2_grpc

from kit import config
from kit.catalog import load_catalog
from kit.clock import Clock, create_clock
from kit.db import make_engine, reachable, session_factory
from kit.grpc_server import GrpcService, Registration, create_grpc_server, run_service
from kit.periodic import Periodic
from kit.remote_calendar import RemoteCalendarStore
from kit.workflow_port import WorkflowPort, grpc_workflow
from services.consult.domain import Consult
from services.consult.rules import OfficeHours
from services.consult.servicer import ConsultServicer

NAME = "consult"
log = logging.getLogger(NAME)
QUESTIONS_OVERDUE = Gauge("zhitong_questions_overdue", "Questions unanswered past their due time", ["department"])


def create_consult(
    clock: Clock | None = None, database_url: str | None = None, workflow: WorkflowPort | None = None, calendars=None
) -> Consult:
    """The consult use cases wired from configuration."""
    return Consult(
        sessions=session_factory(make_engine(database_url or config.database_url(NAME))),
        clock=clock or create_clock(NAME),
        catalog=load_catalog(config.data_file("catalog.yaml", "ZHITONG_CATALOG")),
        calendars=calendars or RemoteCalendarStore(config.grpc_address("workflow")),
        workflow=workflow or grpc_workflow(config.grpc_address("workflow")),
        hours=OfficeHours(
            cutoff=time.fromisoformat(config.text("CONSULT_CUTOFF", "16:00")),
            end=time.fromisoformat(config.text("ZHITONG_OFFICE_END", "17:30")),
        ),
    )


def create_server(consult: Consult | None = None, port: int | None = None) -> GrpcService:
    consult = consult or create_consult()

    def sweep() -> None:
        counts = consult.sweep()
        if any(counts.values()):
            log.info("overdue sweep: %s", counts)
        QUESTIONS_OVERDUE.clear()
        for department, n in consult.overdue_by_department():
            QUESTIONS_OVERDUE.labels(department).set(n)

    sweeper = Periodic("consult-sweeper", sweep, config.number("ZHITONG_SWEEP_SECONDS", 60))

    def on_clock_change() -> None:
        consult.calendars.invalidate()
        sweeper.run_once()

    server = create_grpc_server(
        NAME,
        [
            Registration(
                consult_pb2_grpc.add_ConsultServiceServicer_to_server,
                ConsultServicer(consult),
                consult_pb2.DESCRIPTOR.services_by_name["ConsultService"],
            )
        ],
        clock=consult.clock,
        port=port,
        on_clock_change=[on_clock_change],
        ready_checks=[lambda: reachable(consult.sessions.kw["bind"])],
    )
    server.on_start.append(sweeper.start)
    server.on_stop.append(sweeper.stop)
    return server


def main() -> None:
    run_service(NAME, create_server)


if __name__ == "__main__":
    main()
