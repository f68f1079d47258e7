from __future__ import annotations

import pytest

from kit.workflow_port import local_workflow
from services.consult.server import create_consult
from services.workflow.server import create_workflow
from services.workflow.servicer import WorkflowServicer
from tests.conftest import LibraryCalendars


@pytest.fixture
def workflow(clock, sqlite_url):
    return create_workflow(clock=clock, database_url=sqlite_url("workflow"))


@pytest.fixture
def consult(clock, sqlite_url, workflow):
    return create_consult(
        clock=clock,
        database_url=sqlite_url("consult"),
        workflow=local_workflow(WorkflowServicer(workflow)),
        calendars=LibraryCalendars(),
    )
