"""双一 service for major projects: the green channel (绿色通道), the service team (专班) and agent (专员), the
personalised approval plan (量身打造审批服务方案) as JSON or a printable page, the project's whole audit trail, and
follow-up services (后续跟踪服务) with their admin-kept categories."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from zhitong.intake.v1 import intake_pb2 as ipb
from zhitong.workflow.v1 import workflow_pb2 as wpb

from services.gateway import clients, users, views
from services.gateway.api.projects import _project
from services.gateway.auth import actor_pb
from services.gateway.models import User
from services.gateway.problems import Problem


def set_green_channel(project_id, body):
    clients.workflow().call(
        "SetMajor",
        wpb.SetMajorRequest(
            actor=actor_pb(), project_id=project_id, major=body["major"], reason=body.get("reason", "")
        ),
    )
    return _project(project_id)


def get_team(project_id):
    found = clients.workflow().call(
        "GetServiceTeam", wpb.GetServiceTeamRequest(actor=actor_pb(), project_id=project_id)
    )
    return views.team(found.team)


def _person(body: dict, role: str) -> wpb.TeamMember:
    return wpb.TeamMember(
        role=role, name=body.get("name", ""), phone=body.get("phone", ""), department=body.get("department") or ""
    )


def assign_team(project_id, body):
    agent = body["agent"].strip()
    with current_app.config["SESSIONS"]() as session:
        user = session.get(User, agent)
    if user is None or not user.active or user.role != "agent":
        raise Problem(400, f"“{agent[:80]}”不是帮办代办专员（须为角色 agent 的有效用户）", field="agent")
    done = clients.workflow().call(
        "AssignServiceTeam",
        wpb.AssignServiceTeamRequest(
            actor=actor_pb(),
            project_id=project_id,
            agent=agent,
            lead=_person(body["lead"], "lead"),
            members=[_person(m, "member") for m in body["members"]],
        ),
    )
    return views.team(done.team)


def _wants_html(format_: str | None) -> bool:
    if format_:
        return format_ == "html"
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", "text/html"], default="application/json") == "text/html" and (
        accept["text/html"] > accept["application/json"]
    )


def get_plan(project_id, format=None):  # noqa: A002 - the API's parameter name
    found = clients.workflow().call(
        "GetApprovalPlan", wpb.GetApprovalPlanRequest(actor=actor_pb(), project_id=project_id)
    )
    plan = views.plan(found.plan)
    if _wants_html(format):
        return Response(render_template("approval_plan.html", plan=plan), mimetype="text/html")
    return plan


def set_target_start(project_id, body):
    done = clients.workflow().call(
        "SetTargetStart",
        wpb.SetTargetStartRequest(actor=actor_pb(), project_id=project_id, target_start=body["target_start"]),
    )
    return views.plan(done.plan)


def history(project_id):
    actor = actor_pb()
    flow = clients.workflow().call(
        "ListProjectHistory", wpb.ListProjectHistoryRequest(actor=actor, project_id=project_id)
    )
    intake = clients.intake().call(
        "ListProjectHistory", ipb.ListProjectHistoryRequest(actor=actor, project_id=project_id)
    )
    names = users.display_names(current_app.config["SESSIONS"], (e.actor for e in [*intake.entries, *flow.entries]))
    entries = [(e.at.ToDatetime(), 0, views.audit_entry(e, "intake", names)) for e in intake.entries]
    entries += [(e.at.ToDatetime(), 1, views.audit_entry(e, "workflow", names)) for e in flow.entries]
    # One time line: by time; at the same instant intake's step (the upload, the submission) comes first.
    return {"entries": [entry for _, _, entry in sorted(entries, key=lambda t: (t[0], t[1]))]}


def follow_ups(project_id):
    found = clients.workflow().call("ListFollowUps", wpb.ListFollowUpsRequest(actor=actor_pb(), project_id=project_id))
    return {"follow_ups": [views.follow_up(f) for f in found.follow_ups]}


def record_follow_up(project_id, body):
    done = clients.workflow().call(
        "RecordFollowUp",
        wpb.RecordFollowUpRequest(
            actor=actor_pb(),
            project_id=project_id,
            category=body["category"],
            happened_on=body["happened_on"],
            people=body["people"],
            outcome=body["outcome"],
        ),
    )
    return views.follow_up(done.follow_up), 201


def categories():
    found = clients.workflow().call("ListFollowUpCategories", wpb.ListFollowUpCategoriesRequest())
    return {"categories": [{"code": c.code, "name_zh": c.name_zh} for c in found.categories]}


def _put_category(code: str, name_zh: str, create: bool) -> dict:
    done = clients.workflow().call(
        "PutFollowUpCategory",
        wpb.PutFollowUpCategoryRequest(
            actor=actor_pb(), category=wpb.FollowUpCategory(code=code, name_zh=name_zh), create=create
        ),
    )
    return {"code": done.category.code, "name_zh": done.category.name_zh}


def create_category(body):
    return _put_category(body["code"], body["name_zh"], create=True), 201


def rename_category(code, body):
    return _put_category(code, body["name_zh"], create=False)


def delete_category(code):
    clients.workflow().call("DeleteFollowUpCategory", wpb.DeleteFollowUpCategoryRequest(actor=actor_pb(), code=code))
    return None, 204
