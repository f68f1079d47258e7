"""User administration (用户管理): /admin/users for administrators, and for the one window the accounts of the
enterprises it serves. The rules are in `services/gateway/users.py`."""

from __future__ import annotations

from flask import current_app

from services.gateway import supervision as sv
from services.gateway import users
from services.gateway.api import enterprises
from services.gateway.auth import current_actor


def _sessions():
    return current_app.config["SESSIONS"]


def _directory() -> users.Directory:
    return users.Directory(sv.names().departments, enterprises.registered)


def search(role=None, department=None, enterprise=None, q=None, active=None, limit=50, offset=0):
    rows, total = users.list_users(
        _sessions(),
        current_actor(),
        role=role or "",
        department=department or "",
        enterprise=enterprise or "",
        q=(q or "").strip(),
        active=active,
        limit=limit,
        offset=offset,
    )
    return {"users": rows, "total": total, "limit": limit, "offset": offset}


def create(body):
    created, temporary = users.create_user(_sessions(), current_actor(), body, _directory())
    return {"user": created, "temporary_password": temporary}, 201


def show(username):
    return users.get_user(_sessions(), current_actor(), username)


def update(username, body):
    return users.update_user(_sessions(), current_actor(), username, body, _directory())


def act(username, body):
    changed, temporary = users.act_on_user(
        _sessions(), current_actor(), username, body["action"], body.get("reason", "")
    )
    return {"user": changed, "temporary_password": temporary}


def history(username):
    return {"entries": users.history(_sessions(), current_actor(), username)}
