from __future__ import annotations

import pytest

from kit.actor import Actor
from services.workflow.server import create_workflow

ENTERPRISE = Actor("e01", "enterprise", enterprise="E01")
WINDOW = Actor("window-officer", "officer", department="window")
ADMIN = Actor("admin", "admin")


def officer(dept: str) -> Actor:
    return Actor(f"{dept}-officer", "officer", department=dept)


@pytest.fixture
def workflow(clock, sqlite_url):
    return create_workflow(clock=clock, database_url=sqlite_url("workflow"))
