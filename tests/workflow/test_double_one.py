"""双一 service in workflow: the green channel, the service team and agent, the approval plan and follow-ups, on an
embedded database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kit import errors
from kit.actor import Actor
from kit.catalog import ProjectFacts
from services.workflow.domain import TeamMemberInput
from services.workflow.models import Outbox
from tests.conftest import local
from tests.workflow.conftest import ADMIN, ENTERPRISE, WINDOW, officer
from tests.workflow.test_planning import sample

SUPERVISOR = Actor("supervisor", "supervisor")
AGENT = Actor("agent", "agent")
OTHER_AGENT = Actor("agent2", "agent")
LEAD = TeamMemberInput("周主任", "13900000001")
MEMBERS = [TeamMemberInput("吴科长", "13900000002", "zrgh"), TeamMemberInput("郑工", "13900000003", "zjj")]
LOW_RISK = ProjectFacts("low_risk", {"eia_registration": True, "not_special_fire_project": True})


def p05(workflow):
    """Sample project P05 (general social investment), registered for enterprise E05."""
    p = sample("P05")
    facts = ProjectFacts(p["type"], p["attributes"], p["regional_evaluation_zone"])
    return workflow.create_plan(ADMIN, "p05", p["name_zh"], "E05", facts, code="P05")


def major_with_team(workflow, pid="p1", agent=AGENT):
    workflow.create_plan(ADMIN, pid, "重点项目", "E01", LOW_RISK)
    workflow.set_major(SUPERVISOR, pid, True, "市重点项目")
    return workflow.assign_service_team(SUPERVISOR, pid, agent.username, LEAD, MEMBERS)


def history(workflow, pid):
    return [(e.actor, e.on_behalf_of, e.action) for e in workflow.project_history(SUPERVISOR, pid)]


def test_supervisor_flags_the_green_channel_with_an_audit_entry(workflow):
    workflow.create_plan(ADMIN, "p1", "项目", "E01", LOW_RISK)
    with pytest.raises(errors.Forbidden):
        workflow.set_major(ENTERPRISE, "p1", True)
    with pytest.raises(errors.NotFound):
        workflow.set_major(AGENT, "p1", True)  # not this agent's project: it does not exist for them
    view = workflow.set_major(SUPERVISOR, "p1", True, "市重点项目")
    assert view.major
    entry = workflow.project_history(SUPERVISOR, "p1")[-1]
    assert (entry.actor, entry.action, entry.from_status, entry.to_status, entry.reason) == (
        "supervisor",
        "green_channel",
        "ordinary",
        "major",
        "市重点项目",
    )
    assert not workflow.set_major(ADMIN, "p1", False).major


def test_major_items_come_first_in_a_department_queue_at_an_equal_deadline(workflow, clock):
    clock.set(local("2026-09-30 09:00"))
    for pid in ("a-ordinary", "b-major"):
        workflow.create_plan(ADMIN, pid, pid, "E01", LOW_RISK)
        workflow.submit_stage(ENTERPRISE, pid, "S1")
        workflow.act_on_stage(WINDOW, pid, "S1", "accept")

    def land_permits():
        queue, _ = workflow.list_items(officer("zrgh"))
        return [i for i in queue if i.code == "S1-07"]

    workflow.set_major(SUPERVISOR, "b-major", True)
    first, second = land_permits()
    assert first.deadline == second.deadline and (first.project_id, first.major) == ("b-major", True)
    workflow.set_major(SUPERVISOR, "b-major", False)
    workflow.set_major(SUPERVISOR, "a-ordinary", True)
    assert [i.project_id for i in land_permits()] == ["a-ordinary", "b-major"]


def test_team_and_agent_need_a_major_project_a_lead_members_and_good_phones(workflow):
    workflow.create_plan(ADMIN, "p1", "项目", "E01", LOW_RISK)
    with pytest.raises(errors.Conflict):
        workflow.assign_service_team(SUPERVISOR, "p1", "agent", LEAD, MEMBERS)
    workflow.set_major(SUPERVISOR, "p1", True)
    bad = [
        ("agent", None, MEMBERS),
        ("agent", LEAD, []),
        ("", LEAD, MEMBERS),
        ("agent", TeamMemberInput("周主任", "12345"), MEMBERS),
        ("agent", LEAD, [TeamMemberInput("吴科长", "13900000002", "nowhere")]),
        ("agent", LEAD, [TeamMemberInput("吴科长", "13900000002")]),
        ("agent", LEAD, [TeamMemberInput(" ", "13900000002", "zrgh")]),
        ("agent", LEAD, [MEMBERS[0]] * 50),  # the same person fifty times
        ("agent", LEAD, [TeamMemberInput(LEAD.name, LEAD.phone, "zrgh")]),  # the lead again as a member
    ]
    for agent, lead, members in bad:
        with pytest.raises(errors.Invalid):
            workflow.assign_service_team(SUPERVISOR, "p1", agent, lead, members)
    with pytest.raises(errors.Forbidden):
        workflow.assign_service_team(ENTERPRISE, "p1", "agent", LEAD, MEMBERS)
    team = workflow.assign_service_team(SUPERVISOR, "p1", "agent", LEAD, MEMBERS)
    assert team.agent == "agent" and [m.role for m in team.members] == ["lead", "member", "member"]
    assert history(workflow, "p1")[-1] == ("supervisor", "", "service_assigned")
    assert "吴科长（自然资源和规划局）" in workflow.project_history(SUPERVISOR, "p1")[-1].reason


def test_team_phones_are_masked_except_for_supervisors_and_admins(workflow):
    """Mobile numbers are personal data (RULES.md): the people who assign teams see them, everyone else who sees
    the project gets them masked as in the SMS log."""
    major_with_team(workflow)
    workflow.submit_stage(ENTERPRISE, "p1", "S1")  # so that the departments see the project

    def phones(actor):
        return [(m.role, m.name, m.department, m.phone) for m in workflow.service_team(actor, "p1").members]

    clear = [("lead", "周主任", "", "13900000001"), ("member", "吴科长", "zrgh", "13900000002")]
    clear.append(("member", "郑工", "zjj", "13900000003"))
    assert phones(SUPERVISOR) == phones(ADMIN) == clear
    masked = [(role, name, dept, phone[:3] + "****" + phone[-4:]) for role, name, dept, phone in clear]
    for actor in (ENTERPRISE, AGENT.for_enterprise("E01"), officer("zrgh"), WINDOW, Actor("screen", "screen")):
        assert phones(actor) == masked, actor
    # masking the answer changes nothing stored: the warnings still reach the team's real numbers
    assert phones(SUPERVISOR) == clear


def test_the_agent_acts_for_the_enterprise_and_another_agent_gets_not_found(workflow):
    major_with_team(workflow)
    assert workflow.get_project(AGENT, "p1").agent == "agent"
    workflow.submit_stage(AGENT.for_enterprise("E01"), "p1", "S1")
    assert ("agent", "E01", "submit") in history(workflow, "p1")
    for call in (
        lambda: workflow.get_project(OTHER_AGENT, "p1"),
        lambda: workflow.approval_plan(OTHER_AGENT, "p1"),
        lambda: workflow.service_team(OTHER_AGENT, "p1"),
        lambda: workflow.follow_ups(OTHER_AGENT, "p1"),
        lambda: workflow.set_target_start(OTHER_AGENT, "p1", "2027-03-01"),
    ):
        with pytest.raises(errors.NotFound):
            call()
    assert workflow.list_projects(OTHER_AGENT)[1] == 0
    # reassigning the project hands it to the other agent; the first one no longer sees it
    workflow.assign_service_team(SUPERVISOR, "p1", "agent2", LEAD, MEMBERS)
    assert workflow.get_project(OTHER_AGENT, "p1").agent == "agent2"
    with pytest.raises(errors.NotFound):
        workflow.get_project(AGENT, "p1")


def test_unflagging_the_green_channel_dissolves_the_team_and_the_agent(workflow, clock):
    """Only a major project has a service team and an agent: unflagging it removes both in the same step, with an
    audit entry naming them and the event saying so; the former agent then finds nothing, and the project's
    warnings no longer go to the old team."""
    major_with_team(workflow)
    clock.set(local("2026-09-30 09:00"))
    workflow.submit_stage(AGENT.for_enterprise("E01"), "p1", "S1")
    workflow.act_on_stage(WINDOW, "p1", "S1", "accept")
    view = workflow.set_major(SUPERVISOR, "p1", False, "不再列入市重点项目")
    assert not view.major and view.agent == ""
    team = workflow.service_team(SUPERVISOR, "p1")
    assert (team.agent, team.members) == ("", [])
    off, dissolved = workflow.project_history(SUPERVISOR, "p1")[-2:]
    assert (off.action, off.reason) == ("green_channel_off", "不再列入市重点项目")
    assert (dissolved.actor, dissolved.action, dissolved.from_status, dissolved.to_status) == (
        "supervisor",
        "service_dissolved",
        "agent",
        "",
    )
    assert "周主任" in dissolved.reason and "撤销帮办代办专员agent" in dissolved.reason
    with workflow.sessions() as session:
        changed = session.execute(Outbox.select().where(Outbox.c.type == "project.major_changed")).all()[-1]
    assert (changed.data["major"], changed.data["former_agent"], changed.data["team_dissolved"]) == (
        False,
        "agent",
        True,
    )
    for call in (
        lambda: workflow.get_project(AGENT, "p1"),
        lambda: workflow.approval_plan(AGENT, "p1"),
        lambda: workflow.set_target_start(AGENT, "p1", "2027-03-01"),
        lambda: workflow.service_team(AGENT, "p1"),
        lambda: workflow.project_history(AGENT, "p1"),
    ):
        with pytest.raises(errors.NotFound):
            call()
    assert workflow.list_projects(AGENT)[1] == 0
    assert workflow.list_items(AGENT, project_id="p1")[0] == []
    # the warnings of its items go to nobody of the old team
    clock.set(local("2026-10-12 09:00"))
    workflow.sweep()
    with workflow.sessions() as session:
        rows = session.execute(Outbox.select().where(Outbox.c.type == "item.turned_red")).all()
    assert rows and all(r.data["item"]["service_team"] == [] for r in rows)
    # unflagging again changes nothing; flagging again gives no team back until one is assigned
    workflow.set_major(SUPERVISOR, "p1", False)
    assert [e.action for e in workflow.project_history(SUPERVISOR, "p1")][-2:] == [
        "green_channel_off",
        "service_dissolved",
    ]
    workflow.set_major(SUPERVISOR, "p1", True)
    assert workflow.service_team(SUPERVISOR, "p1").agent == ""


def test_target_start_must_be_a_well_formed_future_date(workflow, clock):
    clock.set(local("2026-09-01 10:00"))
    p05(workflow)
    wrong_forms = ("20261026", "2026-W44-1", "2026W441", "2026-299", "2026-10-26T00:00")  # basic ISO forms
    for wrong in ("2026-13-01", "26/10/2026", "", "2026-09-01", "2026-08-31", "2150-01-01", *wrong_forms):
        with pytest.raises(errors.Invalid):
            workflow.set_target_start(Actor("e05", "enterprise", enterprise="E05"), "p05", wrong)
    with pytest.raises(errors.Forbidden):
        workflow.set_target_start(officer("zrgh"), "p05", "2026-10-26")
    plan = workflow.set_target_start(Actor("e05", "enterprise", enterprise="E05"), "p05", "2026-10-26")
    assert history(workflow, "p05")[-1] == ("e05", "", "target_start")
    s = {st.code: st for st in plan.schedule.stages}
    # the hand computation of tests/workflow/test_planning.py, through the service
    assert (s["S1"].latest.accept, s["S3"].latest.finish) == (date(2026, 9, 14), date(2026, 10, 23))
    assert plan.schedule.feasible and plan.schedule.slack_days == 9 and not plan.calendar_warning


def test_the_plan_follows_progress(workflow, clock):
    """P05's S1 accepted on 2026-09-01 and every item approved on Tuesday 2026-09-22: the plan shows S1's actual
    dates against the planned ones and re-plans S2 from the next day (see test_planning)."""
    clock.set(local("2026-09-01 10:00"))
    p05(workflow)
    workflow.set_target_start(SUPERVISOR, "p05", "2026-10-26")
    workflow.submit_stage(Actor("e05", "enterprise", enterprise="E05"), "p05", "S1")
    stage = workflow.act_on_stage(WINDOW, "p05", "S1", "accept")
    clock.set(local("2026-09-22 10:00"))
    for item in sorted(stage.items, key=lambda i: i.code):  # the filing S1-01 issues what S1-07 needs
        workflow.act_on_item(officer(item.department), item.id, "approve")
    clock.set(local("2026-09-23 10:00"))
    schedule = workflow.approval_plan(SUPERVISOR, "p05").schedule
    s = {st.code: st for st in schedule.stages}
    assert (s["S1"].actual.accept, s["S1"].actual.finish) == (date(2026, 9, 1), date(2026, 9, 22))
    assert s["S1"].latest.finish == date(2026, 9, 30)
    assert s["S2"].forecast.finish == date(2026, 10, 12) and schedule.earliest_start == date(2026, 10, 20)
    s1_07 = next(i for i in s["S1"].items if i.item.code == "S1-07")
    assert s1_07.item.decided_on == date(2026, 9, 22) and s1_07.forecast.accept == date(2026, 9, 1)


def test_follow_ups_only_after_completion_with_a_known_category(workflow, clock):
    team = major_with_team(workflow)
    assert team.agent == "agent"
    with pytest.raises(errors.Forbidden):
        workflow.put_follow_up_category(SUPERVISOR, "financing", "融资服务")
    for code, name in (("Bad Code", "x"), ("financing", "")):
        with pytest.raises(errors.Invalid):
            workflow.put_follow_up_category(ADMIN, code, name)
    assert workflow.put_follow_up_category(ADMIN, "financing", "融资对接")[1] is True
    assert workflow.put_follow_up_category(ADMIN, "financing", "融资服务")[1] is False
    workflow.put_follow_up_category(ADMIN, "hiring", "用工招聘")
    with pytest.raises(errors.Conflict) as refused:
        workflow.record_follow_up(AGENT, "p1", "financing", "2026-09-28", ["周主任"], "对接银行授信")
    assert "竣工验收" in refused.value.message
    for stage in ("S1", "S2", "S3", "S4"):
        view = workflow.submit_stage(ENTERPRISE, "p1", stage) and workflow.act_on_stage(WINDOW, "p1", stage, "accept")
        for item in sorted(view.items, key=lambda i: i.code):
            workflow.act_on_item(officer(item.department), item.id, "approve")
    clock.set(clock.now() + timedelta(days=2))
    with pytest.raises(errors.Conflict, match="已办结"):  # no target start once the project is completed
        workflow.set_target_start(AGENT, "p1", "2027-03-01")
    today = clock.now().date().isoformat()
    for category, day, people, outcome in (
        ("nothing", today, ["周主任"], "x"),
        ("financing", "2026-02-30", ["周主任"], "x"),
        ("financing", today.replace("-", ""), ["周主任"], "x"),  # basic ISO form of today
        ("financing", "2099-01-01", ["周主任"], "x"),
        ("financing", "2026-09-01", ["周主任"], "x"),  # before completion acceptance
        ("financing", today, [], "x"),
        ("financing", today, ["周主任"], ""),
    ):
        with pytest.raises(errors.Invalid):
            workflow.record_follow_up(AGENT, "p1", category, day, people, outcome)
    with pytest.raises(errors.Forbidden):
        workflow.record_follow_up(ENTERPRISE, "p1", "financing", today, ["周主任"], "对接银行授信")
    done = workflow.record_follow_up(AGENT, "p1", "financing", today, ["周主任", "吴科长"], "对接银行授信2000万元")
    assert done.people == ["周主任", "吴科长"]
    assert [f.outcome for f in workflow.follow_ups(ENTERPRISE, "p1")] == ["对接银行授信2000万元"]
    assert history(workflow, "p1")[-1] == ("agent", "E01", "follow_up")
    with pytest.raises(errors.Conflict):
        workflow.delete_follow_up_category(ADMIN, "financing")
    workflow.delete_follow_up_category(ADMIN, "hiring")
    assert [c.code for c in workflow.follow_up_categories()] == ["financing"]


def test_warnings_of_a_project_carry_its_service_team(workflow, clock):
    """Low-risk S1-07 accepted on 2026-09-30 has limit 3 (8, 9, 10 October): warning from 10 October."""
    major_with_team(workflow)
    workflow.create_plan(ADMIN, "p2", "普通项目", "E01", LOW_RISK)
    clock.set(local("2026-09-30 09:00"))
    for pid in ("p1", "p2"):
        workflow.submit_stage(ENTERPRISE, pid, "S1")
        workflow.act_on_stage(WINDOW, pid, "S1", "accept")
    clock.set(local("2026-10-12 09:00"))
    workflow.sweep()
    with workflow.sessions() as session:
        rows = session.execute(Outbox.select().where(Outbox.c.type == "item.turned_red")).all()
    teams = {r.data["item"]["project_id"]: r.data["item"]["service_team"] for r in rows}
    assert teams["p2"] == []
    assert teams["p1"] == [
        {"name": "周主任", "phone": "13900000001", "role": "lead"},
        {"name": "吴科长", "phone": "13900000002", "role": "member"},
        {"name": "郑工", "phone": "13900000003", "role": "member"},
    ]


def test_creating_a_taken_category_or_renaming_an_unknown_one_is_refused(workflow):
    workflow.put_follow_up_category(ADMIN, "policy", "政策兑现", create=True)
    with pytest.raises(errors.AlreadyExists):
        workflow.put_follow_up_category(ADMIN, "policy", "政策落实", create=True)
    with pytest.raises(errors.NotFound):
        workflow.put_follow_up_category(ADMIN, "hiring", "用工招聘", create=False)
    assert workflow.put_follow_up_category(ADMIN, "policy", "政策落实", create=False)[0].name_zh == "政策落实"
    with pytest.raises(errors.NotFound):
        workflow.delete_follow_up_category(ADMIN, "hiring")


def test_a_plan_counted_in_an_unpublished_year_says_so(workflow, clock):
    """2027's holidays are not published in the library: counting back from a start in March 2027 uses the
    Monday–Friday fallback for 2027 and the plan carries the calendar warning; once an admin loads 2027 it does
    not."""
    clock.set(local("2026-12-01 10:00"))
    p05(workflow)
    plan = workflow.set_target_start(SUPERVISOR, "p05", "2027-03-01")
    assert "2027年" in plan.calendar_warning
    workflow.put_calendar_year(ADMIN, 2027, ["2027-02-15", "2027-02-16"], ["2027-02-20"])
    again = workflow.approval_plan(SUPERVISOR, "p05")
    assert again.calendar_warning == ""
    # S3 must finish Friday 26 February 2027; 5 days back: 25, 24, 23, 22 and the loaded working Saturday 20
    # February, so it must be accepted on that Saturday (on the fallback it would be Friday 19 February)
    s3 = next(s for s in again.schedule.stages if s.code == "S3")
    assert (s3.latest.accept, s3.latest.finish) == (date(2027, 2, 20), date(2027, 2, 26))
    assert next(s for s in plan.schedule.stages if s.code == "S3").latest.accept == date(2027, 2, 19)
