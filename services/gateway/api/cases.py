"""Joint consultation cases (双线会商)."""

from __future__ import annotations

from zhitong.consult.v1 import consult_pb2 as cpb

from services.gateway import clients, views
from services.gateway.auth import actor_pb


def case(c) -> dict:
    return {
        "id": c.id,
        "project_id": c.project_id,
        "title": c.title,
        "problem": c.problem,
        "raised_by": c.raised_by,
        "enterprise": c.enterprise or None,
        "lead_department": c.lead_department,
        "participants": list(c.participants),
        "plan": c.plan or None,
        "target_date": c.target_date or None,
        "responsible": c.responsible or None,
        "mode": c.mode,
        "meeting_link": c.meeting_link or None,
        "minutes": c.minutes or None,
        "status": c.status,
        "resolution": c.resolution or None,
        "colour": c.colour or None,
        "created_at": views.local_time(c.created_at) if c.HasField("created_at") else None,
        "closed_at": views.local_time(c.closed_at) if c.HasField("closed_at") else None,
        "updates": [{"by": u.by, "at": views.local_time(u.at), "note": u.note, "status": u.status} for u in c.updates],
    }


def create(body):
    fields = {k: v for k, v in body.items() if k != "participants"}
    found = clients.consult().call(
        "OpenCase",
        cpb.OpenCaseRequest(actor=actor_pb(), case=cpb.Case(participants=body.get("participants", []), **fields)),
    )
    return case(found.case), 201


def search(status=None, project_id=None, overdue=None):
    found = clients.consult().call(
        "ListCases",
        cpb.ListCasesRequest(
            actor=actor_pb(), status=status or "", project_id=project_id or "", overdue_only=bool(overdue)
        ),
    )
    return {"cases": [case(c) for c in found.cases]}


def get(case_id):
    return case(clients.consult().call("GetCase", cpb.GetCaseRequest(actor=actor_pb(), case_id=case_id)).case)


def update(case_id, body):
    fields = {k: v for k, v in body.items() if k != "participants"}
    found = clients.consult().call(
        "UpdateCase",
        cpb.UpdateCaseRequest(actor=actor_pb(), case_id=case_id, participants=body.get("participants", []), **fields),
    )
    return case(found.case)
