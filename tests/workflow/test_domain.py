"""The item life cycle, stage flow, permissions and the audit trail, on an embedded database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from kit import errors
from kit.actor import Actor
from kit.catalog import ProjectFacts
from tests.conftest import local
from tests.workflow.conftest import ADMIN, ENTERPRISE, WINDOW, officer

LOW_RISK = ProjectFacts("low_risk", {"eia_registration": True, "not_special_fire_project": True})


def register(workflow, pid="p1", facts=LOW_RISK, enterprise="E01"):
    return workflow.create_plan(ADMIN, pid, "测试项目", enterprise, facts)


def submit_and_accept(workflow, pid, stage):
    workflow.submit_stage(ENTERPRISE, pid, stage)
    return workflow.act_on_stage(WINDOW, pid, stage, "accept")


def items_of(view, stage):
    return {i.code: i for s in view.stages if s.code == stage for i in s.items}


def test_plan_uses_type_attributes_zone_and_stage_limits(workflow):
    view = register(workflow)
    s1 = items_of(view, "S1")
    # low_risk S1: filing, land-use permit, and EIA registration because the attribute is set
    assert set(s1) == {"S1-01", "S1-07", "S1-10"}
    # effective limit = min(promised 5, low_risk S1 stage limit 3)
    assert s1["S1-07"].effective_days == 3
    assert view.current_stage == "S1" and view.stages[0].status == "open"
    zone = workflow.create_plan(
        ADMIN, "p2", "区域评估项目", "E01", ProjectFacts("general_social", {"in_flood_zone": True}, True)
    )
    assert "S1-16" not in items_of(zone, "S1")  # waived by the regional evaluation
    plain = workflow.create_plan(
        ADMIN, "p3", "普通项目", "E01", ProjectFacts("general_social", {"in_flood_zone": True})
    )
    assert "S1-16" in items_of(plain, "S1")


def test_unknown_type_is_invalid(workflow):
    with pytest.raises(errors.Invalid):
        register(workflow, facts=ProjectFacts("castle"))


def test_four_stages_to_completion_and_documents(workflow, clock):
    register(workflow)
    for stage in ("S1", "S2", "S3", "S4"):
        view = submit_and_accept(workflow, "p1", stage)
        assert view.status == "accepted"
        for item in view.items:
            workflow.act_on_item(officer(item.department), item.id, "approve")
        clock.set(clock.now() + timedelta(days=1))
    project = workflow.get_project(ENTERPRISE, "p1")
    assert project.status == "completed"
    assert {d.material for d in project.documents} == {"M03", "M06", "M10"}
    assert project.colour == "blue"


def test_item_life_cycle_suspension_and_history(workflow, clock):
    register(workflow)
    clock.set(local("2026-09-30 10:00"))
    stage = submit_and_accept(workflow, "p1", "S1")
    land = next(i for i in stage.items if i.code == "S1-07")
    assert land.accepted_on.isoformat() == "2026-09-30"
    zrgh = officer("zrgh")
    clock.set(local("2026-10-09 10:00"))
    for unreadable in ("补正\x00地形图", "\u202e补正地形图"):  # a NUL (which PostgreSQL refuses), a direction override
        with pytest.raises(errors.Invalid, match="控制字符"):
            workflow.act_on_item(zrgh, land.id, "suspend", unreadable)
    workflow.act_on_item(zrgh, land.id, "suspend", "请补正地形图")
    clock.set(local("2026-10-12 10:00"))
    item, _ = workflow.act_on_item(zrgh, land.id, "resume")
    assert item.suspended_days == 2
    # limit 3 (stage limit) + 2 suspended days after 30 September
    assert item.deadline.isoformat() == "2026-10-13"
    history = workflow.item_history(ENTERPRISE, land.id)
    assert [(h.action, h.from_status, h.to_status) for h in history] == [
        ("submit", "pending", "submitted"),
        ("accept", "submitted", "accepted"),
        ("suspend", "accepted", "suspended"),
        ("resume", "suspended", "accepted"),
    ]
    assert history[2].reason == "请补正地形图" and history[2].actor == "zrgh-officer"


def test_permissions_and_status_rules(workflow):
    register(workflow)
    stage = submit_and_accept(workflow, "p1", "S1")
    land = next(i for i in stage.items if i.code == "S1-07")
    with pytest.raises(errors.Forbidden):
        workflow.act_on_item(officer("fgw"), land.id, "approve")
    with pytest.raises(errors.NotFound):
        workflow.act_on_item(Actor("e02", "enterprise", enterprise="E02"), land.id, "withdraw", "不办了")
    with pytest.raises(errors.Invalid):
        workflow.act_on_item(officer("zrgh"), land.id, "refuse", " ")
    with pytest.raises(errors.Conflict):
        workflow.act_on_item(officer("zrgh"), land.id, "resume")
    with pytest.raises(errors.Forbidden):
        workflow.act_on_stage(officer("zrgh"), "p1", "S1", "accept")
    with pytest.raises(errors.NotFound):
        workflow.get_project(Actor("e02", "enterprise", enterprise="E02"), "p1")
    # an officer sees projects with items in their department only
    assert workflow.list_projects(officer("zrgh"))[1] == 1
    assert workflow.list_projects(officer("mzj"))[1] == 0


def test_refusal_stops_the_project(workflow):
    register(workflow)
    stage = submit_and_accept(workflow, "p1", "S1")
    for item in stage.items:
        action, reason = ("refuse", "用地性质不符") if item.code == "S1-07" else ("approve", "")
        workflow.act_on_item(officer(item.department), item.id, action, reason)
    project = workflow.get_project(ENTERPRISE, "p1")
    assert project.status == "stopped"
    assert project.stages[0].status == "refused"
    assert project.stages[1].status == "pending"


def test_deferred_material_blocks_approval_until_supplied(workflow):
    register(workflow)
    workflow.submit_stage(ENTERPRISE, "p1", "S1", deferred=["M08"])
    stage = workflow.act_on_stage(WINDOW, "p1", "S1", "accept")
    land = next(i for i in stage.items if i.code == "S1-07")
    assert land.deferred_materials == ["M08"]
    with pytest.raises(errors.Conflict) as refused:
        workflow.act_on_item(officer("zrgh"), land.id, "approve")
    assert refused.value.details["missing"] == ["M08"]
    assert workflow.supply_material(ENTERPRISE, "p1", "M08") == [land.id]
    with pytest.raises(errors.Conflict) as waiting:
        workflow.act_on_item(officer("zrgh"), land.id, "approve")
    assert waiting.value.details["waiting_for"] == ["S1-01"]  # the filing that issues M03 comes first
    filing = next(i for i in stage.items if i.code == "S1-01")
    workflow.act_on_item(officer("fgw"), filing.id, "approve")
    item, _ = workflow.act_on_item(officer("zrgh"), land.id, "approve")
    assert item.status == "approved"


def test_window_return_sends_stage_back(workflow):
    register(workflow)
    workflow.submit_stage(ENTERPRISE, "p1", "S1")
    with pytest.raises(errors.Invalid):
        workflow.act_on_stage(WINDOW, "p1", "S1", "return")
    stage = workflow.act_on_stage(WINDOW, "p1", "S1", "return", "营业执照不清晰")
    assert stage.status == "open" and stage.return_reason == "营业执照不清晰"
    assert all(i.status == "pending" for i in stage.items)


def test_calendar_year_load_and_fallback(workflow):
    assert workflow.calendar_year(2027).source == "fallback"
    assert workflow.calendar_year(2027).calendar_warning
    with pytest.raises(errors.Forbidden):
        workflow.put_calendar_year(ENTERPRISE, 2027, ["2027-01-01"], [])
    with pytest.raises(errors.Invalid):
        workflow.put_calendar_year(ADMIN, 2027, ["2026-01-01"], [])
    for holidays, workdays in ((["20270101"], []), ([], ["2027-W01-6"])):  # basic ISO forms
        with pytest.raises(errors.Invalid) as refused:
            workflow.put_calendar_year(ADMIN, 2027, holidays, workdays)
        assert refused.value.details["field"] == ("holidays" if holidays else "workdays")
    assert workflow.calendar_year(2027).source == "fallback"
    workflow.put_calendar_year(ADMIN, 2027, ["2027-01-01"], ["2027-01-02"])
    year = workflow.calendar_year(2027)
    assert year.source == "admin" and not year.calendar_warning
    assert dict((d.isoformat(), w) for d, w, _ in year.days)["2027-01-02"] is True


def test_audit_trail_is_append_only(workflow):
    register(workflow)
    with workflow.sessions() as session, pytest.raises(Exception, match="append-only"):
        session.execute(text("UPDATE audit_entries SET reason = 'x'"))
    with workflow.sessions() as session, pytest.raises(Exception, match="append-only"):
        session.execute(text("DELETE FROM audit_entries"))


def test_dashboard_running_totals_equal_a_recount_of_the_projects(workflow, clock):
    """The finished history is kept as running totals; they must equal a scan of the projects themselves, and a
    project is counted once however often its figures are stored again."""
    from sqlalchemy import func, select

    from services.workflow.models import ItemInstance, ProjectPlan

    supervisor = Actor("supervisor", "supervisor")
    for pid in ("done1", "done2", "stopped", "running"):
        register(workflow, pid)
    for pid in ("done1", "done2"):
        for stage in ("S1", "S2", "S3", "S4"):
            for item in submit_and_accept(workflow, pid, stage).items:
                workflow.act_on_item(officer(item.department), item.id, "approve")
            clock.set(clock.now() + timedelta(days=1))
    for item in submit_and_accept(workflow, "stopped", "S1").items:
        action, reason = ("refuse", "用地性质不符") if item.code == "S1-07" else ("approve", "")
        workflow.act_on_item(officer(item.department), item.id, action, reason)
    submit_and_accept(workflow, "running", "S1")
    with workflow.sessions() as session:  # stored again, as a calendar change or a second sweep would
        session.execute(text("UPDATE project_plans SET colour_on = NULL"))
        session.commit()
    workflow.refresh_figures()

    dash = workflow.figures.dashboard(supervisor)
    counted = {(p.status, p.colour): p.count for p in dash.projects}
    with workflow.sessions() as session:
        recount = {
            (status, colour): n
            for status, colour, n in session.execute(
                select(ProjectPlan.status, ProjectPlan.colour, func.count()).group_by(
                    ProjectPlan.status, ProjectPlan.colour
                )
            )
        }
        used = session.scalar(select(func.sum(ProjectPlan.used_days)).where(ProjectPlan.status == "completed"))
    assert counted == recount
    assert sum(n for (status, _), n in counted.items() if status == "completed") == 2
    (low_risk,) = dash.compression
    assert (low_risk.finished, low_risk.used_days) == (2, used)
    assert dash.open_items  # the running project's S1 items are open
    # each department's view: the projects with items of the department, the finished ones from its own totals
    with workflow.sessions() as session:
        involved = dict(
            session.execute(
                select(ItemInstance.department, func.count(ItemInstance.project_id.distinct())).group_by(
                    ItemInstance.department
                )
            ).all()
        )
    for department, n in involved.items():
        own = workflow.figures.dashboard(Actor("h", "dept_head", department=department))
        assert sum(p.count for p in own.projects) == n, department
        assert sum(c.finished for c in own.compression) <= 2
