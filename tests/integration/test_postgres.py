"""Every service's Alembic migrations on the machine's PostgreSQL, and the workflow and intake use cases on it:
row locks, the append-only audit trail, and two windows accepting the same stage at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, inspect, text

from kit import errors
from kit.actor import Actor
from kit.catalog import ProjectFacts
from kit.workflow_port import local_workflow
from services.intake.models import Project
from services.intake.server import create_intake
from services.workflow.server import create_workflow
from services.workflow.servicer import WorkflowServicer
from tests.conftest import PDF

pytestmark = pytest.mark.integration

ADMIN = Actor("admin", "admin")
E01 = Actor("e01", "enterprise", enterprise="E01")
WINDOW = Actor("window-officer", "officer", department="window")


def test_migrations_create_every_table(pg_url):
    expected = {
        "workflow": {
            "project_plans",
            "stage_runs",
            "item_instances",
            "suspensions",
            "issued_documents",
            "calendar_years",
            "audit_entries",
        },
        "intake": {"enterprises", "projects", "material_files", "stage_applications", "audit_entries"},
        "gateway": {"users"},
        "consult": {"questions", "messages", "flags", "cases", "case_updates", "audit_entries", "outbox"},
        "rating": {"invitations", "ratings", "rectifications", "revisits", "handled_events", "audit_entries", "outbox"},
        "alerts": {"recipients", "templates", "sms_messages", "handled_events"},
    }
    for service, tables in expected.items():
        engine = create_engine(pg_url(service))
        assert tables <= set(inspect(engine).get_table_names())
        engine.dispose()


@pytest.fixture
def suite_on_pg(pg_url, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("ZHITONG_VAR_DIR", str(tmp_path))
    workflow = create_workflow(clock=clock, database_url=pg_url("workflow"))
    intake = create_intake(
        clock=clock, database_url=pg_url("intake"), workflow=local_workflow(WorkflowServicer(workflow))
    )
    intake.register_enterprise(ADMIN, "E01", "鸿远物流有限公司", "91370100MA3C000X01")
    yield workflow, intake
    for engine in (workflow.sessions.kw["bind"], intake.sessions.kw["bind"]):
        engine.dispose()


def test_project_through_stage_one_on_postgres(suite_on_pg):
    workflow, intake = suite_on_pg
    project = intake.register_project(
        E01, Project(name="仓储库房", project_type="low_risk", attributes={"eia_registration": True})
    )
    for line in intake.stage_form(E01, project.id, "S1").lines:
        if not line.on_file and not line.produced_by:
            intake.upload_material(E01, project.id, line.code, "x.pdf", PDF)
    intake.submit_stage(E01, project.id, "S1")
    stage = workflow.act_on_stage(WINDOW, project.id, "S1", "accept")
    for it in stage.items:
        workflow.act_on_item(Actor("o", "officer", department=it.department), it.id, "approve")
    view = workflow.get_project(E01, project.id)
    assert view.stages[0].status == "completed" and view.stages[1].status == "open"
    assert {d.material for d in view.documents} == {"M03", "M06"}


def test_audit_trail_is_append_only_on_postgres(suite_on_pg):
    workflow, intake = suite_on_pg
    workflow.create_plan(ADMIN, "p-audit", "测试", "E01", ProjectFacts("low_risk"))
    for sessions in (workflow.sessions, intake.sessions):
        with sessions() as session, pytest.raises(Exception, match="append-only"):
            session.execute(text("UPDATE audit_entries SET reason = 'changed'"))
        with sessions() as session, pytest.raises(Exception, match="append-only"):
            session.execute(text("DELETE FROM audit_entries"))


def test_two_windows_accepting_one_stage_accept_it_once(suite_on_pg):
    workflow, _ = suite_on_pg
    workflow.create_plan(ADMIN, "p-race", "并发", "E01", ProjectFacts("low_risk", {"eia_registration": True}))
    workflow.submit_stage(E01, "p-race", "S1")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def accept():
        barrier.wait()
        try:
            workflow.act_on_stage(WINDOW, "p-race", "S1", "accept")
            outcomes.append("accepted")
        except errors.Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["accepted", "conflict"]
    with workflow.sessions() as session:
        accepts = session.execute(
            text("SELECT count(*) FROM audit_entries WHERE subject_type = 'stage' AND action = 'accept'")
        ).scalar()
    assert accepts == 1


def test_two_sweeps_at_once_announce_each_change_once(suite_on_pg, clock):
    from tests.conftest import local

    workflow, _ = suite_on_pg
    for n in range(20):
        workflow.create_plan(ADMIN, f"p-sweep-{n}", f"并发巡检{n}", "E01", ProjectFacts("general_social"))
        workflow.submit_stage(E01, f"p-sweep-{n}", "S1")
        workflow.act_on_stage(WINDOW, f"p-sweep-{n}", "S1", "accept")
    clock.set(local("2026-12-31 09:00"))
    barrier = threading.Barrier(2)
    results: list[dict] = []

    def sweep():
        barrier.wait()
        results.append(workflow.sweep())

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with workflow.sessions() as session:
        red_events = session.execute(text("SELECT count(*) FROM outbox WHERE type = 'item.turned_red'")).scalar()
        open_items = session.execute(text("SELECT count(*) FROM item_instances WHERE status = 'accepted'")).scalar()
    assert red_events == open_items > 0
    assert sum(r["item.turned_red"] for r in results) == red_events


def test_figures_on_postgres_count_stored_colours_and_decisions(suite_on_pg, clock):
    """The dashboard's set-based queries on PostgreSQL: a stage decided two working days after acceptance gives
    the stored colours, the used days of the finished stage, the decided items of the month and the late ones."""
    from tests.conftest import local

    workflow, intake = suite_on_pg
    supervisor = Actor("supervisor", "supervisor")
    clock.set(local("2026-11-02 09:00"))  # a Monday
    project = intake.register_project(
        E01, Project(name="仓储库房", project_type="low_risk", attributes={"eia_registration": True})
    )
    for line in intake.stage_form(E01, project.id, "S1").lines:
        if not line.on_file and not line.produced_by:
            intake.upload_material(E01, project.id, line.code, "x.pdf", PDF)
    intake.submit_stage(E01, project.id, "S1")
    stage = workflow.act_on_stage(WINDOW, project.id, "S1", "accept")
    clock.set(local("2026-11-04 10:00"))  # 2 working days later
    for it in stage.items:
        workflow.act_on_item(Actor("o", "officer", department=it.department), it.id, "approve")
    dash = workflow.figures.dashboard(supervisor)
    assert sum(p.count for p in dash.projects) == 1
    (running,) = dash.projects
    assert (running.status, running.stage) == ("in_progress", "S2") and running.colour in ("blue", "yellow", "red")
    assert dash.materials_asked == sum(len(it.materials) for it in stage.items)
    assert intake.material_figures(supervisor)[1] > 0
    departments, projects = workflow.figures.monthly(supervisor, "2026-11", "2026-11")
    assert sum(r.decided for r in departments) == len(stage.items)
    late = [it for it in stage.items if it.effective_days < 2]
    assert sum(r.red for r in departments) == len(late)
    assert sum(p.registered for p in projects) == 1
    found, as_of = workflow.figures.late_items(supervisor, month="2026-11")
    assert sorted(r.days_overdue for r in found) == sorted(2 - it.effective_days for it in late)
    own = workflow.figures.dashboard(Actor("h", "dept_head", department=stage.items[0].department))
    assert {d for d, _, _ in own.open_items} <= {stage.items[0].department}
    with pytest.raises(errors.Forbidden):
        workflow.figures.dashboard(E01)


def test_two_replicas_storing_figures_at_once_count_a_closed_project_once(suite_on_pg):
    """Running totals of the history on PostgreSQL: two refreshes at once (two workflow replicas after a restart)
    add each closed project once."""
    from sqlalchemy import func, select

    from services.workflow.models import ClosedProjects, ProjectPlan

    workflow, _ = suite_on_pg
    for i in range(40):
        workflow.create_plan(ADMIN, f"p-closed-{i}", "历史项目", "E01", ProjectFacts("low_risk"))
    with workflow.sessions() as session:  # as if closed before the running totals existed
        session.execute(
            text("UPDATE project_plans SET status = 'completed', colour_on = NULL, rolled_up = false, used_days = 3")
        )
        session.commit()
    barrier = threading.Barrier(2)

    def refresh():
        barrier.wait()
        workflow.refresh_figures(batch=7)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with workflow.sessions() as session:
        totals = session.execute(
            select(func.sum(ClosedProjects.projects), func.sum(ClosedProjects.used_days)).where(
                ClosedProjects.department == ""
            )
        ).one()
        used = session.scalar(select(func.sum(ProjectPlan.used_days)))
        flagged = session.scalar(select(func.count()).where(ProjectPlan.rolled_up))
    assert tuple(totals) == (40, used) and flagged == 40
