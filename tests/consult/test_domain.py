"""Questions, replies, flags, figures, overdue notices and joint cases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kit import errors
from kit.actor import Actor
from kit.catalog import ProjectFacts
from services.consult.models import Outbox
from tests.conftest import local

E01 = Actor("e01", "enterprise", enterprise="E01")
E02 = Actor("e02", "enterprise", enterprise="E02")
ZRGH = Actor("zrgh-officer", "officer", department="zrgh")
FGW = Actor("fgw-officer", "officer", department="fgw")
WINDOW = Actor("window-officer", "officer", department="window")
SUPERVISOR = Actor("supervisor", "supervisor")
ADMIN = Actor("admin", "admin")


def events(consult, event_type):
    with consult.sessions() as session:
        return [r.data for r in session.execute(select(Outbox).where(Outbox.c.type == event_type))]


def test_answered_on_time_counts_as_timely(consult, clock):
    clock.set(local("2026-10-12 10:00"))
    q = consult.post_question(E01, "zrgh", "用地规划许可需要哪些材料？", "请告知所需材料清单。")
    assert q.due_at == local("2026-10-12 17:30")
    clock.set(local("2026-10-12 15:00"))
    answered = consult.reply(ZRGH, q.id, "需要营业执照、地形图等，详见办事指南。")
    assert answered.status == "answered" and not consult.is_overdue(answered)
    rows, city = consult.stats(SUPERVISOR, "2026-10")
    assert [(f.department, f.due, f.replied, f.replied_on_time) for f in rows] == [("zrgh", 1, 1, 1)]
    assert city.timely_rate == 1.0


def test_late_and_missing_answers_are_overdue_and_announced(consult, clock):
    clock.set(local("2026-10-12 16:30"))  # after the cut-off: due Tuesday 17:30
    late = consult.post_question(E01, "zrgh", "问题一", "内容一")
    silent = consult.post_question(E01, "zrgh", "问题二", "内容二")
    clock.set(local("2026-10-13 18:00"))
    assert consult.sweep() == {"overdue": 2, "escalated": 0}
    assert consult.sweep() == {"overdue": 0, "escalated": 0}
    consult.reply(ZRGH, late.id, "迟到的答复")
    clock.set(local("2026-10-14 09:00"))  # the next working day: the supervisor too
    assert consult.sweep() == {"overdue": 0, "escalated": 1}
    notices = events(consult, "question.overdue")
    assert sorted((n["question_id"], n.get("escalate", False)) for n in notices) == sorted(
        [(late.id, False), (silent.id, False), (silent.id, True)]
    )
    rows, _ = consult.stats(SUPERVISOR, "2026-10")
    assert [(f.due, f.replied, f.replied_on_time) for f in rows] == [(2, 1, 0)]
    assert {q.id for q in consult.list_questions(SUPERVISOR, overdue="true")} == {silent.id, late.id}


def test_visibility_and_who_may_reply(consult, clock, workflow):
    q = consult.post_question(E01, "zrgh", "标题", "内容")
    with pytest.raises(errors.NotFound):
        consult.get_question(E02, q.id)
    with pytest.raises(errors.NotFound):
        consult.reply(FGW, q.id, "不是我的部门")
    assert consult.list_questions(FGW) == []
    with pytest.raises(errors.Forbidden):  # another department's questions, asked for by name
        consult.list_questions(FGW, department="zrgh")
    consult.reply(E01, q.id, "补充说明")  # a follow-up by the asker
    with pytest.raises(errors.Invalid):
        consult.post_question(E01, "zrgh", "", "内容")
    with pytest.raises(errors.Invalid):
        consult.post_question(E01, "zrgh", "标题", "长" * 5001)
    with pytest.raises(errors.Invalid):
        consult.post_question(E01, "castle", "标题", "内容")
    workflow.create_plan(ADMIN, "p-e02", "别人的项目", "E02", ProjectFacts("low_risk"))
    with pytest.raises(errors.NotFound):
        consult.post_question(E01, "zrgh", "标题", "内容", project_id="p-e02")
    consult.close(E01, q.id)
    with pytest.raises(errors.Conflict):
        consult.reply(ZRGH, q.id, "已关闭")


def test_window_forwards_and_supervisor_flags(consult, clock):
    q = consult.post_question(E01, "window", "不知道找哪个部门", "内容")
    with pytest.raises(errors.Forbidden):
        consult.forward(ZRGH, q.id, "fgw")
    forwarded = consult.forward(WINDOW, q.id, "fgw")
    assert forwarded.department == "fgw" and forwarded.forwarded_from == "window"
    with pytest.raises(errors.Conflict):
        consult.flag(SUPERVISOR, q.id, "perfunctory", "还没有回复")
    consult.reply(FGW, q.id, "请看指南")
    with pytest.raises(errors.Forbidden):
        consult.flag(FGW, q.id, "late", "自己标记")
    with pytest.raises(errors.Invalid):
        consult.flag(SUPERVISOR, q.id, "rude", "无此类型")
    flag = consult.flag(SUPERVISOR, q.id, "perfunctory", "答复敷衍，未说明具体材料")
    assert flag.department == "fgw" and flag.flagged_by == "supervisor"
    month = clock.now().strftime("%Y-%m")
    assert [f.note for f, _ in consult.list_flags(FGW)] == ["答复敷衍，未说明具体材料"]
    rows, _ = consult.stats(FGW, month)
    assert [(f.department, f.perfunctory_flags) for f in rows] == [("fgw", 1)]
    with pytest.raises(errors.Forbidden):
        consult.stats(ZRGH, month) and consult.list_flags(ZRGH, department="fgw")


def test_a_flag_counts_in_the_month_its_question_was_due(consult, clock):
    clock.set(local("2026-11-30 10:00"))  # due 17:30 that Monday, answered the next morning
    q = consult.post_question(E01, "fgw", "施工许可", "请问需要哪些材料？")
    clock.set(local("2026-12-01 09:00"))
    consult.reply(FGW, q.id, "请见办事指南")
    consult.flag(SUPERVISOR, q.id, "late", "超过当日答复时限")  # flagged in December
    assert [f.note for f, _ in consult.list_flags(SUPERVISOR, month="2026-11")] == ["超过当日答复时限"]
    assert consult.list_flags(SUPERVISOR, month="2026-12") == []
    rows, _ = consult.stats(SUPERVISOR, "2026-11")
    assert [(f.department, f.due, f.replied_on_time, f.late_flags) for f in rows] == [("fgw", 1, 0, 1)]
    assert [f.late_flags for f in consult.stats(SUPERVISOR, "2026-12")[0]] == []


def test_joint_case_is_red_past_its_target_until_closed(consult, clock, workflow):
    workflow.create_plan(ADMIN, "p1", "会商项目", "E01", ProjectFacts("general_social"))
    clock.set(local("2026-10-12 10:00"))
    case = consult.open_case(
        E01,
        "p1",
        "用地红线调整",
        "红线与规划不一致",
        "zrgh",
        ["fgw", "zjj"],
        target_date="2026-10-20",
        mode="online",
        meeting_link="https://meet.example.gov.cn/1",
    )
    assert consult.case_colour(case) == "yellow" and case.participants == ["fgw", "zjj"]
    with pytest.raises(errors.NotFound):
        consult.open_case(E02, "p1", "别人的项目", "x", "zrgh", [])
    consult.update_case(ZRGH, case.id, "已约定会商时间", minutes="各方同意调整方案")
    with pytest.raises(errors.Forbidden):
        consult.update_case(ZRGH, case.id, "办结", status="closed", resolution="完成")
    with pytest.raises(errors.Forbidden):
        consult.update_case(FGW, case.id, "我不是牵头部门")
    clock.set(local("2026-10-21 10:00"))
    assert consult.case_colour(consult.get_case(SUPERVISOR, case.id)) == "red"
    with pytest.raises(errors.Invalid) as past:  # a new target must not lie in the past either
        consult.update_case(SUPERVISOR, case.id, "改期", target_date="2026-10-20")
    assert past.value.details["field"] == "target_date"
    assert [c.id for c in consult.list_cases(SUPERVISOR, overdue_only=True)] == [case.id]
    assert [c.id for c in consult.list_cases(FGW)] == [case.id]  # a participating department sees it
    closed = consult.update_case(SUPERVISOR, case.id, "已办结", status="closed", resolution="调整红线完成")
    assert closed.status == "closed" and consult.case_colour(closed) == ""


def test_second_looks_are_refused_clearly(consult, clock, workflow):
    clock.set(local("2026-10-12 09:00"))
    q = consult.post_question(E01, "window", "转办", "内容\r\n第二行")  # Windows line breaks are fine
    consult.forward(WINDOW, q.id, "zrgh")
    with pytest.raises(errors.Conflict):
        consult.forward(WINDOW, q.id, "fgw")  # already forwarded, and the window still sees it
    consult.reply(ZRGH, q.id, "答复")
    consult.flag(SUPERVISOR, q.id, "late", "迟了")
    with pytest.raises(errors.Conflict):
        consult.flag(SUPERVISOR, q.id, "late", "再标一次")
    closed = consult.post_question(E01, "window", "关闭后转办", "内容")
    consult.close(E01, closed.id)
    with pytest.raises(errors.Conflict):
        consult.forward(WINDOW, closed.id, "zrgh")
    rows, city = consult.stats(ZRGH, "2026-10")
    assert city is None and [r.department for r in rows] == ["zrgh"]
    workflow.create_plan(ADMIN, "p9", "会商项目", "E01", ProjectFacts("low_risk"))
    with pytest.raises(errors.Invalid):
        consult.open_case(SUPERVISOR, "p9", "t", "p", "window", [])
    with pytest.raises(errors.Invalid):
        consult.open_case(SUPERVISOR, "p9", "t", "p", "zrgh", [], target_date="2020-01-01")
    for wrong in ("20991231", "2099-W52-1"):  # basic ISO forms of dates in the future
        with pytest.raises(errors.Invalid) as refused:
            consult.open_case(SUPERVISOR, "p9", "t", "p", "zrgh", [], target_date=wrong)
        assert refused.value.details["field"] == "target_date" and "YYYY-MM-DD" in refused.value.message


def test_the_agent_serving_a_project_sees_and_follows_up_its_questions_and_cases(consult, workflow, clock):
    """Questions and cases belong to the project's enterprise side: the agent now serving the project sees the
    enterprise's question and may follow it up; the agent it is taken from, or any other, finds nothing."""
    from services.workflow.domain import TeamMemberInput

    agent, other = Actor("agent", "agent"), Actor("agent2", "agent")
    workflow.create_plan(ADMIN, "p1", "重点项目", "E01", ProjectFacts("low_risk"))
    workflow.set_major(SUPERVISOR, "p1", True)
    team = (TeamMemberInput("周主任", "13900000001"), [TeamMemberInput("吴科长", "13900000002", "zrgh")])
    workflow.assign_service_team(SUPERVISOR, "p1", "agent", *team)
    clock.set(local("2026-10-12 10:00"))
    asked = consult.post_question(E01, "zrgh", "地形图比例尺？", "请告知要求。", project_id="p1")
    by_agent = consult.post_question(agent, "zrgh", "能否容缺受理？", "营业执照正在换发。", project_id="p1")
    assert {q.id for q in consult.list_questions(agent)} == {asked.id, by_agent.id}
    assert consult.reply(agent, asked.id, "补充：1:500").status == "open"
    with pytest.raises(errors.NotFound):
        consult.post_question(other, "zrgh", "问题", "内容", project_id="p1")
    assert consult.list_questions(other) == []
    workflow.assign_service_team(SUPERVISOR, "p1", "agent2", *team)
    assert {q.id for q in consult.list_questions(other)} == {asked.id, by_agent.id}
    assert consult.list_questions(agent) == []
    with pytest.raises(errors.NotFound):
        consult.get_question(agent, by_agent.id)


def test_the_agent_of_a_project_no_longer_major_loses_its_questions_and_cases(consult, workflow, clock):
    """Consult asks workflow which projects an agent serves: once a supervisor unflags the green channel, the
    former agent finds none of the project's questions and cases and can ask nothing about it."""
    from services.workflow.domain import TeamMemberInput

    agent = Actor("agent", "agent")
    workflow.create_plan(ADMIN, "p1", "重点项目", "E01", ProjectFacts("low_risk"))
    workflow.set_major(SUPERVISOR, "p1", True)
    team = (TeamMemberInput("周主任", "13900000001"), [TeamMemberInput("吴科长", "13900000002", "zrgh")])
    workflow.assign_service_team(SUPERVISOR, "p1", "agent", *team)
    clock.set(local("2026-10-12 10:00"))
    asked = consult.post_question(agent, "zrgh", "能否容缺受理？", "营业执照正在换发。", project_id="p1")
    case = consult.open_case(agent, "p1", "消防审查难题", "需要会商", "zrgh", ["zjj"])
    assert [c.id for c in consult.list_cases(agent)] == [case.id]
    workflow.set_major(SUPERVISOR, "p1", False)
    assert consult.list_questions(agent) == [] and consult.list_cases(agent) == []
    for call in (
        lambda: consult.get_question(agent, asked.id),
        lambda: consult.get_case(agent, case.id),
        lambda: consult.post_question(agent, "zrgh", "问题", "内容", project_id="p1"),
    ):
        with pytest.raises(errors.NotFound):
            call()
    assert [q.id for q in consult.list_questions(E01)] == [asked.id]
