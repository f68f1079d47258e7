"""Process entry of the alerts worker: `python -m services.alerts.worker` runs the nameko service on eventlet.
grpcio is never imported in this process (the gRPC API of alerts runs apart, `services.alerts.api_server`)."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet announces its own deprecation; nameko 2.14 needs it all the same
    import eventlet

eventlet.monkey_patch()


from kit import config  # noqa: E402
from kit.catalog import load_catalog  # noqa: E402
from kit.clock import create_clock  # noqa: E402
from kit.consumer import run_worker  # noqa: E402
from kit.db import make_engine, session_factory  # noqa: E402
from services.alerts.domain import AlertPolicy, Alerts  # noqa: E402
from services.alerts.providers import create_provider  # noqa: E402

NAME = "alerts"


def create_alerts() -> Alerts:
    """The alerts use cases wired from configuration, with the directory and templates seeded when empty."""
    alerts = Alerts(
        sessions=session_factory(make_engine(config.database_url(NAME))),
        clock=create_clock(NAME),
        provider=create_provider(),
        catalog=load_catalog(config.data_file("catalog.yaml", "ZHITONG_CATALOG")),
        policy=AlertPolicy(
            escalate_red_days=config.integer("ALERTS_ESCALATE_RED_DAYS", 3),
            max_attempts=config.integer("ALERTS_MAX_ATTEMPTS", 5),
            retry_base_seconds=config.number("ALERTS_RETRY_BASE_SECONDS", 30),
        ),
    )
    alerts.seed(
        config.data_file("demo_directory.yaml", "ALERTS_DIRECTORY"),
        config.data_file("sms_templates.yaml", "ALERTS_TEMPLATES"),
    )
    return alerts


def main() -> None:
    from services.alerts.service import AlertsService

    run_worker(AlertsService, "alerts-worker", max_workers=config.integer("ALERTS_WORKERS", 10))


if __name__ == "__main__":
    main()
