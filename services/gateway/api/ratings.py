"""Ratings of departments, rectifications of bad ratings, revisit surveys."""

from __future__ import annotations

from zhitong.rating.v1 import rating_pb2 as rpb

from kit.text import printable
from services.gateway import clients, views
from services.gateway.api import enterprises
from services.gateway.auth import actor_pb
from services.gateway.problems import Problem


def _at(message, name):
    return views.local_time(getattr(message, name)) if message.HasField(name) else None


def rating(r) -> dict:
    return {
        "id": r.id,
        "invitation_id": r.invitation_id,
        "rater": r.rater,
        "enterprise": r.enterprise,
        "department": r.department,
        "subject_type": r.subject_type,
        "subject_id": r.subject_id,
        "title": r.title,
        "score": r.score,
        "comment": r.comment or None,
        "at": _at(r, "at"),
    }


def rectification(r) -> dict:
    return {
        "id": r.id,
        "rating_id": r.rating_id,
        "department": r.department,
        "status": r.status,
        "due_on": r.due_on,
        "overdue": r.overdue,
        "response": r.response or None,
        "review_note": r.review_note or None,
        "revisit_note": r.revisit_note or None,
        "revisit_satisfied": r.revisit_satisfied,
        "score": r.score,
        "comment": r.comment or None,
        "title": r.title,
        "created_at": _at(r, "created_at"),
    }


def revisit(v) -> dict:
    return {
        "id": v.id,
        "enterprise": v.enterprise,
        "by": v.by,
        "at": _at(v, "at"),
        "outcome": v.outcome,
        "satisfied": v.satisfied,
        "note": v.note or None,
    }


def invitations(include_rated=False):
    found = clients.rating().call(
        "ListInvitations", rpb.ListInvitationsRequest(actor=actor_pb(), include_rated=include_rated)
    )
    return {
        "invitations": [
            {
                "id": i.id,
                "subject_type": i.subject_type,
                "subject_id": i.subject_id,
                "department": i.department,
                "project_id": i.project_id or None,
                "title": i.title,
                "opened_at": _at(i, "opened_at"),
                "rated": i.rated,
            }
            for i in found.invitations
        ]
    }


def create(body):
    found = clients.rating().call(
        "SubmitRating",
        rpb.SubmitRatingRequest(
            actor=actor_pb(), invitation_id=body["invitation_id"], score=body["score"], comment=body.get("comment", "")
        ),
    )
    return {
        "rating": rating(found.rating),
        "rectification": rectification(found.rectification) if found.HasField("rectification") else None,
    }, 201


def search(department=None, month=None):
    found = clients.rating().call(
        "ListRatings", rpb.ListRatingsRequest(actor=actor_pb(), department=department or "", month=month or "")
    )
    return {"ratings": [rating(r) for r in found.ratings]}


def stats(month):
    from services.gateway import supervision

    supervision.check_started(month, supervision.today())
    found = clients.rating().call("GetStats", rpb.GetStatsRequest(actor=actor_pb(), month=month))
    return {
        "month": found.month,
        "departments": [
            {
                "department": f.department,
                "ratings": f.ratings,
                "average": f.average,
                "satisfaction_rate": f.satisfaction_rate,
                "bad_ratings": f.bad_ratings,
                "rectifications_due": f.rectifications_due,
                "rectifications_on_time": f.rectifications_on_time,
            }
            for f in found.departments
        ],
    }


def question_satisfaction(month: str) -> dict[str, float]:
    """Satisfaction with answers to questions per department, for the consultation figures (absent when no
    answer of the department was rated that month)."""
    found = clients.rating().call("GetStats", rpb.GetStatsRequest(actor=actor_pb(), month=month))
    return {f.department: f.question_satisfaction_rate for f in found.departments if f.question_ratings}


def rectifications(department=None, status=None):
    found = clients.rating().call(
        "ListRectifications",
        rpb.ListRectificationsRequest(actor=actor_pb(), department=department or "", status=status or ""),
    )
    return {"rectifications": [rectification(r) for r in found.rectifications]}


def act(rectification_id, body):
    found = clients.rating().call(
        "ActOnRectification",
        rpb.ActOnRectificationRequest(
            actor=actor_pb(),
            rectification_id=rectification_id,
            action=body["action"],
            note=body["note"],
            satisfied=body.get("satisfied", False),
        ),
    )
    return rectification(found.rectification)


def revisits(enterprise=None):
    found = clients.rating().call(
        "ListRevisits", rpb.ListRevisitsRequest(actor=actor_pb(), enterprise=enterprise or "")
    )
    return {"revisits": [revisit(v) for v in found.revisits]}


def record_revisit(body):
    if not enterprises.registered(body["enterprise"]):
        raise Problem(400, f"企业“{printable(body['enterprise'], 40)}”尚未登记", field="enterprise")
    found = clients.rating().call(
        "RecordRevisit",
        rpb.RecordRevisitRequest(
            actor=actor_pb(),
            revisit=rpb.Revisit(
                enterprise=body["enterprise"],
                outcome=body["outcome"],
                satisfied=body["satisfied"],
                note=body.get("note", ""),
            ),
        ),
    )
    return revisit(found.revisit), 201
