"""The consultation board: questions, replies, forwarding, closing, supervisor flags and monthly figures."""

from __future__ import annotations

from zhitong.consult.v1 import consult_pb2 as cpb

from services.gateway import clients, views
from services.gateway.api import ratings
from services.gateway.auth import actor_pb


def _when(message, name):
    return views.local_time(getattr(message, name)) if message.HasField(name) else None


def question(q) -> dict:
    return {
        "id": q.id,
        "status": q.status,
        "department": q.department,
        "forwarded_from": q.forwarded_from or None,
        "subject": q.subject,
        "body": q.body,
        "asker": q.asker,
        "enterprise": q.enterprise or None,
        "project_id": q.project_id or None,
        "item_id": q.item_id or None,
        "posted_at": _when(q, "posted_at"),
        "due_at": _when(q, "due_at"),
        "first_reply_at": _when(q, "first_reply_at"),
        "closed_at": _when(q, "closed_at"),
        "overdue": q.overdue,
        "timely": q.timely,
        "messages": [
            {
                "id": m.id,
                "author": m.author,
                "author_role": m.author_role,
                "kind": m.kind,
                "body": m.body,
                "at": _when(m, "at"),
            }
            for m in q.messages
        ],
        "flags": [flag(f) for f in q.flags],
    }


def flag(f) -> dict:
    return {
        "id": f.id,
        "question_id": f.question_id,
        "kind": f.kind,
        "note": f.note,
        "flagged_by": f.flagged_by,
        "at": _when(f, "at"),
        "department": f.department,
        "subject": f.subject or None,
    }


def figures(f) -> dict:
    return {
        "department": f.department or None,
        "due": f.due,
        "replied": f.replied,
        "replied_on_time": f.replied_on_time,
        "reply_rate": f.reply_rate if f.due else None,  # nothing due: no rate, not 0
        "timely_rate": f.timely_rate if f.due else None,
        "flags": f.flags,
        "late_flags": f.late_flags,
        "perfunctory_flags": f.perfunctory_flags,
    }


def create(body):
    found = clients.consult().call(
        "PostQuestion",
        cpb.PostQuestionRequest(
            actor=actor_pb(),
            department=body["department"],
            subject=body["subject"],
            body=body["body"],
            project_id=body.get("project_id", ""),
            item_id=body.get("item_id", ""),
        ),
    )
    return question(found.question), 201


def search(department=None, status=None, overdue=None):
    found = clients.consult().call(
        "ListQuestions",
        cpb.ListQuestionsRequest(
            actor=actor_pb(),
            department=department or "",
            status=status or "",
            overdue="" if overdue is None else ("true" if overdue else "false"),
        ),
    )
    return {"consultations": [question(q) for q in found.questions]}


def get(question_id):
    return question(
        clients.consult()
        .call("GetQuestion", cpb.GetQuestionRequest(actor=actor_pb(), question_id=question_id))
        .question
    )


def reply(question_id, body):
    return question(
        clients.consult()
        .call("PostReply", cpb.PostReplyRequest(actor=actor_pb(), question_id=question_id, body=body["body"]))
        .question
    )


def forward(question_id, body):
    return question(
        clients.consult()
        .call(
            "ForwardQuestion",
            cpb.ForwardQuestionRequest(actor=actor_pb(), question_id=question_id, department=body["department"]),
        )
        .question
    )


def close(question_id):
    return question(
        clients.consult()
        .call("CloseQuestion", cpb.CloseQuestionRequest(actor=actor_pb(), question_id=question_id))
        .question
    )


def flag_reply(question_id, body):
    found = clients.consult().call(
        "FlagReply",
        cpb.FlagReplyRequest(actor=actor_pb(), question_id=question_id, kind=body["kind"], note=body["note"]),
    )
    return flag(found.flag), 201


def flags(department=None, month=None):
    found = clients.consult().call(
        "ListFlags", cpb.ListFlagsRequest(actor=actor_pb(), department=department or "", month=month or "")
    )
    return {"flags": [flag(f) for f in found.flags]}


def stats(month):
    from services.gateway import supervision

    supervision.check_started(month, supervision.today())
    found = clients.consult().call("GetStats", cpb.GetStatsRequest(actor=actor_pb(), month=month))
    satisfaction = ratings.question_satisfaction(month)  # absent for a department whose answers nobody rated
    departments = []
    for f in found.departments:
        row = figures(f)
        if f.department in satisfaction:
            row["satisfaction_rate"] = satisfaction[f.department]
        departments.append(row)
    return {
        "month": found.month,
        "departments": departments,
        "city": figures(found.city) if found.HasField("city") else None,  # a department sees only its own row
    }
