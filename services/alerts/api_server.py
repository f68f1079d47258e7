"""Process entry of the alerts read side: `python -m services.alerts.api_server` (gRPC: SMS log, directory,
templates). Shares the alerts database with the nameko worker; it sends nothing itself."""

from __future__ import annotations

from zhitong.alerts.v1 import alerts_pb2, alerts_pb2_grpc

from kit import config
from kit.catalog import load_catalog
from kit.clock import create_clock
from kit.db import make_engine, reachable, session_factory
from kit.grpc_server import GrpcService, Registration, create_grpc_server, run_service
from services.alerts.domain import Alerts
from services.alerts.providers import LogProvider
from services.alerts.servicer import AlertsServicer

NAME = "alerts"


def create_server(port: int | None = None) -> GrpcService:
    alerts = Alerts(
        sessions=session_factory(make_engine(config.database_url(NAME))),
        clock=create_clock(f"{NAME}-api"),
        provider=LogProvider(),  # the read side never sends
        catalog=load_catalog(config.data_file("catalog.yaml", "ZHITONG_CATALOG")),
    )
    return create_grpc_server(
        NAME,
        [
            Registration(
                alerts_pb2_grpc.add_AlertsServiceServicer_to_server,
                AlertsServicer(alerts),
                alerts_pb2.DESCRIPTOR.services_by_name["AlertsService"],
            )
        ],
        clock=alerts.clock,
        port=port,
        ready_checks=[lambda: reachable(alerts.sessions.kw["bind"])],
    )


def main() -> None:
    run_service(NAME, create_server)


if __name__ == "__main__":
    main()
