"""A department's queue, one item, its actions and its history."""

from __future__ import annotations

from flask import current_app
from zhitong.workflow.v1 import workflow_pb2 as wpb

from kit.proto import enum_value
from services.gateway import clients, users, views
from services.gateway.auth import actor_pb


def search(department=None, status=None, colour=None, project_id=None):
    found = clients.workflow().call(
        "ListItems",
        wpb.ListItemsRequest(
            actor=actor_pb(),
            department=department or "",
            status=status or "",
            colour=enum_value(wpb.Colour, "COLOUR", colour),
            project_id=project_id or "",
        ),
    )
    return {"items": [views.item(i) for i in found.items], "calendar_warning": found.calendar_warning or None}


def get(item_id):
    found = clients.workflow().call("GetItem", wpb.GetItemRequest(actor=actor_pb(), item_id=item_id))
    return {**views.item(found.item), "calendar_warning": found.calendar_warning or None}


def act(item_id, body):
    done = clients.workflow().call(
        "ActOnItem",
        wpb.ActOnItemRequest(actor=actor_pb(), item_id=item_id, action=body["action"], reason=body.get("reason", "")),
    )
    return {**views.item(done.item), "calendar_warning": done.calendar_warning or None}


def history(item_id):
    found = clients.workflow().call("ListItemHistory", wpb.ListItemHistoryRequest(actor=actor_pb(), item_id=item_id))
    names = users.display_names(current_app.config["SESSIONS"], (e.actor for e in found.entries))
    return [views.audit_entry(e, "workflow", names) for e in found.entries]
