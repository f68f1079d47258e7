from __future__ import annotations

import pytest

from kit.workflow_port import local_workflow
from services.intake.server import create_intake
from services.workflow.server import create_workflow
from services.workflow.servicer import WorkflowServicer
from tests.conftest import png

PNG = png()


@pytest.fixture
def workflow(clock, sqlite_url):
    return create_workflow(clock=clock, database_url=sqlite_url("workflow"))


@pytest.fixture
def intake(clock, sqlite_url, workflow, tmp_path, monkeypatch):
    monkeypatch.setenv("ZHITONG_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ZHITONG_DEFERRABLE_MATERIALS", "M15,M16")
    return create_intake(
        clock=clock, database_url=sqlite_url("intake"), workflow=local_workflow(WorkflowServicer(workflow))
    )
