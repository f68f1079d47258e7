from __future__ import annotations

import uuid

import pytest

from kit.catalog import load_catalog
from kit.clock import ManualClock
from kit.config import ROOT
from kit.db import make_engine, session_factory
from services.alerts.domain import AlertPolicy, Alerts
from services.alerts.providers import LogProvider
from tests.conftest import local


@pytest.fixture
def alerts(sqlite_url):
    a = Alerts(
        sessions=session_factory(make_engine(sqlite_url("alerts"))),
        clock=ManualClock(start=local("2026-10-12 09:00")),
        provider=LogProvider(),
        catalog=load_catalog(ROOT / "data" / "catalog.yaml"),
        policy=AlertPolicy(retry_base_seconds=0),
    )
    a.seed(ROOT / "data" / "demo_directory.yaml", ROOT / "data" / "sms_templates.yaml")
    return a


def item_event(event_type: str, occurred: str, item_id: str = "item-1", **data) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": local(occurred).isoformat(),
        "source": "workflow",
        "correlation_id": "",
        "data": {
            "item": {
                "item_id": item_id,
                "item_code": "S1-07",
                "item_name": "建设用地规划许可证核发",
                "project_id": "p1",
                "project_name": "国庆项目",
                "department": "zrgh",
                "stage": "S1",
            },
            "deadline": "2026-10-13",
            **data,
        },
    }
