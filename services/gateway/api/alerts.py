"""The SMS log, the recipient directory and the templates of the alerts service."""

from __future__ import annotations

from zhitong.alerts.v1 import alerts_pb2 as apb

from kit.dates import parse_moment
from kit.proto import timestamp
from services.gateway import clients, views
from services.gateway.auth import actor_pb
from services.gateway.problems import Problem


def message(m) -> dict:
    return {
        "id": m.id,
        "level": m.level,
        "department": m.department,
        "recipient_role": m.recipient_role,
        "recipient": m.recipient,
        "recipient_name": m.recipient_name,
        "subject_type": m.subject_type,
        "subject_id": m.subject_id,
        "status": m.status,
        "attempts": m.attempts,
        "created_at": views.local_time(m.created_at),
        "sent_at": views.local_time(m.sent_at) if m.HasField("sent_at") else None,
        "hold_until": views.local_time(m.hold_until) if m.HasField("hold_until") else None,
        "text": m.text,
        "error": m.error or None,
    }


def _contacts(found) -> dict:
    return {
        "contacts": [
            {"department": c.department, "role": c.role, "name": c.name, "phone": c.phone} for c in found.contacts
        ]
    }


def _templates(found) -> dict:
    return {
        "templates": [
            {"level": t.level, "text": t.text, "provider_template_code": t.provider_template_code}
            for t in found.templates
        ]
    }


def messages(department=None, status=None, since=None, subject_id=None, limit=500):
    request = apb.ListMessagesRequest(
        actor=actor_pb(), department=department or "", status=status or "", subject_id=subject_id or "", limit=limit
    )
    if since:
        moment = parse_moment(since)
        if moment is None:
            raise Problem(400, "since 应为带时刻的时间，例如 2026-10-14T00:00:00+08:00", field="since")
        if moment.tzinfo is None:
            raise Problem(400, "since 须带时区，例如 2026-10-14T00:00:00+08:00")
        request.since.CopyFrom(timestamp(moment))
    found = clients.alerts().call("ListMessages", request)
    return {"messages": [message(m) for m in found.messages]}


def contacts(department=None):
    return _contacts(
        clients.alerts().call("ListContacts", apb.ListContactsRequest(actor=actor_pb(), department=department or ""))
    )


def replace_contacts(body):
    return _contacts(
        clients.alerts().call(
            "ReplaceContacts",
            apb.ReplaceContactsRequest(
                actor=actor_pb(),
                department=body["department"],
                contacts=[apb.Contact(role=c["role"], name=c["name"], phone=c["phone"]) for c in body["contacts"]],
            ),
        )
    )


def templates():
    return _templates(clients.alerts().call("ListTemplates", apb.ListTemplatesRequest(actor=actor_pb())))


def replace_templates(body):
    return _templates(
        clients.alerts().call(
            "ReplaceTemplates",
            apb.ReplaceTemplatesRequest(
                actor=actor_pb(),
                templates=[apb.Template(**t) for t in body["templates"]],
            ),
        )
    )
