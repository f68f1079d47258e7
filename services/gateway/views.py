"""JSON shapes of the public API, built from the services' messages. Empty strings become null; colours and
statuses are lower-case words."""

from __future__ import annotations

from zhitong.workflow.v1 import workflow_pb2 as wpb

from kit.clock import LOCAL_TZ
from kit.proto import enum_word, from_timestamp

STATUS_ZH = {
    "pending": "待申报",
    "open": "待申报",
    "submitted": "已提交待受理",
    "pre_review": "预审中",
    "accepted": "办理中",
    "suspended": "暂停计时",
    "approved": "已办结",
    "refused": "不予许可",
    "withdrawn": "已撤回",
    "completed": "已完成",
    "skipped": "无需办理",
    "in_progress": "办理中",
    "stopped": "已终止",
}


GREEN_CHANNEL = "绿色通道"


def _or_none(value: str):
    return value or None


def green_channel(major: bool) -> str | None:
    """The label of a major project (重大项目) wherever it or its items appear."""
    return GREEN_CHANNEL if major else None


def local_time(ts) -> str:
    """An instant as local time (Asia/Shanghai) in ISO 8601 with its offset."""
    return from_timestamp(ts).astimezone(LOCAL_TZ).isoformat()


def colour(value: int) -> str | None:
    return enum_word(wpb.Colour, "COLOUR", value) or None


def item(i: wpb.Item) -> dict:
    return {
        "id": i.id,
        "project_id": i.project_id,
        "project_name": i.project_name,
        "major": i.major,
        "green_channel": green_channel(i.major),
        "code": i.code,
        "name_zh": i.name_zh,
        "stage": i.stage,
        "department": i.department,
        "status": i.status,
        "status_zh": STATUS_ZH.get(i.status, i.status),
        "colour": colour(i.colour),
        "warning": i.warning,
        "promised_days": i.promised_days,
        "effective_days": i.effective_days,
        "used_days": i.used_days,
        "suspended_days": i.suspended_days,
        "deadline": _or_none(i.deadline),
        "accepted_on": _or_none(i.accepted_on),
        "decided_on": _or_none(i.decided_on),
        "materials": list(i.materials),
        "produces": _or_none(i.produces),
        "deferred_materials": list(i.deferred_materials),
    }


def stage(s: wpb.Stage) -> dict:
    return {
        "code": s.code,
        "name_zh": s.name_zh,
        "status": s.status,
        "status_zh": STATUS_ZH.get(s.status, s.status),
        "colour": colour(s.colour),
        "stage_days": s.stage_days,
        "accepted_on": _or_none(s.accepted_on),
        "planned_finish": _or_none(s.planned_finish),
        "projected_finish": _or_none(s.projected_finish),
        "finished_on": _or_none(s.finished_on),
        "slack_days": s.slack_days,
        "used_days": s.used_days,
        "return_reason": _or_none(s.return_reason),
        "items": [item(i) for i in s.items],
    }


def project_summary(p: wpb.Project) -> dict:
    return {
        "id": p.id,
        "code": _or_none(p.code),
        "name": p.name,
        "enterprise": p.enterprise,
        "type": p.project_type,
        "major": p.major,
        "green_channel": green_channel(p.major),
        "status": p.status,
        "status_zh": STATUS_ZH.get(p.status, p.status),
        "colour": colour(p.colour),
        "current_stage": _or_none(p.current_stage),
        "target_days": p.target_days,
        "used_days": p.used_days,
        "slack_days": p.slack_days,
    }


def project(p: wpb.Project, record=None) -> dict:
    body = project_summary(p)
    body.update(
        projected_days=p.projected_days,
        calendar_warning=_or_none(p.calendar_warning),
        agent=_or_none(p.agent),
        stages=[stage(s) for s in p.stages],
        documents=[{"material": d.material, "item_code": d.item_code, "issued_on": d.issued_on} for d in p.documents],
    )
    if record is not None:
        body.update(
            attributes=dict(record.attributes),
            regional_evaluation_zone=record.regional_evaluation_zone,
            floor_area_m2=record.floor_area_m2,
            investment_wan=record.investment_wan,
            registered_at=local_time(record.registered_at) if record.HasField("registered_at") else None,
        )
    return body


def stored_material(m) -> dict:
    return {
        "code": m.code,
        "name_zh": m.name_zh,
        "sha256": _or_none(m.sha256),
        "size": m.size,
        "media_type": _or_none(m.media_type),
        "filename": _or_none(m.filename),
        "source": m.source,
        "produced_by": _or_none(m.produced_by),
        "uploaded_by": _or_none(m.uploaded_by),
        "uploaded_at": local_time(m.uploaded_at) if m.HasField("uploaded_at") else None,
        "version": m.version or None,
        "versions": m.versions or None,
    }


def enterprise(e) -> dict:
    return {"code": e.code, "name_zh": e.name_zh, "credit_code": e.credit_code, "contact": e.contact, "phone": e.phone}


# ---- 双一 service: service team, approval plan, audit trail, follow-ups ----


def team(t: wpb.ServiceTeam) -> dict:
    people = [{"name": m.name, "department": _or_none(m.department), "phone": m.phone} for m in t.members]
    roles = [m.role for m in t.members]
    return {
        "project_id": t.project_id,
        "agent": _or_none(t.agent),
        "lead": people[roles.index("lead")] if "lead" in roles else None,
        "members": [p for p, r in zip(people, roles) if r == "member"],
    }


def _span(s: wpb.DateSpan) -> dict:
    return {"accept": _or_none(s.accept), "finish": _or_none(s.finish)}


def plan(p: wpb.ApprovalPlan) -> dict:
    has_target = bool(p.target_start)
    return {
        "project_id": p.project_id,
        "project_name": p.project_name,
        "enterprise": p.enterprise,
        "type": p.project_type,
        "major": p.major,
        "green_channel": green_channel(p.major),
        "agent": _or_none(p.agent),
        "project_status": p.project_status,
        "today": p.today,
        "target_start": _or_none(p.target_start),
        "construction_after": p.construction_after,
        "earliest_start": _or_none(p.earliest_start),
        "feasible": p.feasible if has_target else None,
        "shortfall_days": p.shortfall_days,
        "slack_days": p.slack_days,
        "calendar_warning": _or_none(p.calendar_warning),
        "stages": [
            {
                "code": s.code,
                "name_zh": s.name_zh,
                "status": s.status,
                "status_zh": STATUS_ZH.get(s.status, s.status),
                "stage_days": s.stage_days,
                "binds_start": s.binds_start,
                "latest": _span(s.latest),
                "forecast": _span(s.forecast),
                "actual": _span(s.actual),
                "items": [
                    {
                        "id": i.id,
                        "code": i.code,
                        "name_zh": i.name_zh,
                        "department": i.department,
                        "department_name": i.department_name,
                        "effective_days": i.effective_days,
                        "materials": [{"code": m.code, "name_zh": m.name_zh} for m in i.materials],
                        "status": i.status,
                        "status_zh": STATUS_ZH.get(i.status, i.status),
                        "latest": _span(i.latest),
                        "forecast": _span(i.forecast),
                        "actual": _span(i.actual),
                    }
                    for i in s.items
                ],
            }
            for s in p.stages
        ],
    }


def audit_entry(e, source: str, names: dict[str, str] | None = None) -> dict:
    """One entry of an audit trail; `names` gives the people's names for their user names."""
    return {
        "at": local_time(e.at),
        "source": source,
        "actor": e.actor,
        "actor_name": (names or {}).get(e.actor) or None,
        "actor_role": e.actor_role,
        "on_behalf_of": _or_none(e.on_behalf_of),
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "action": e.action,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "reason": e.reason,
    }


def follow_up(f: wpb.FollowUp) -> dict:
    return {
        "id": f.id,
        "project_id": f.project_id,
        "category": f.category,
        "category_name": f.category_name,
        "happened_on": f.happened_on,
        "people": list(f.people),
        "outcome": f.outcome,
        "recorded_by": f.recorded_by,
        "recorded_at": local_time(f.recorded_at),
    }
