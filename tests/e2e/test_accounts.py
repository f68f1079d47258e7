"""Accounts on the running suite: the window registers a walk-in enterprise and opens its account, the enterprise
logs in with the temporary password, must choose its own, then sees its project; an administrator's new officer
is checked against the catalog and the registered enterprises; a deactivated officer is refused by every gateway
worker within seconds."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import wait_until
from tools.api import ApiError

pytestmark = pytest.mark.e2e


def refused(call, status: int) -> dict:
    with pytest.raises(ApiError) as caught:
        call()
    assert caught.value.status == status, caught.value.problem
    return caught.value.problem


def test_the_window_opens_an_account_for_a_walk_in_enterprise(suite):
    window = suite.login("window-officer")
    code = "W" + uuid.uuid4().hex[:6].upper()
    window.post(
        "/enterprises", json={"code": code, "name_zh": "临江建材有限公司", "credit_code": "91330100MA2B" + code[:6]}
    )
    project = window.post(
        "/projects",
        json={"name": "临江建材仓库", "type": "low_risk", "enterprise": code, "attributes": {"eia_registration": True}},
    )
    username = code.lower() + "-zhang"
    opened = window.post(
        "/admin/users", json={"username": username, "role": "enterprise", "enterprise": code, "display_name": "张经理"}
    )
    temporary = opened["temporary_password"]
    assert opened["user"]["must_change_password"] is True

    first = suite.api().login(username, temporary)
    problem = refused(lambda: first.get("/projects"), 403)
    assert problem["code"] == "password_change_required" and "临时密码" in problem["detail"]
    changed = first.post("/me/password", json={"current_password": temporary, "new_password": "Linjiang2026"})
    enterprise = suite.api().login(username, "Linjiang2026")
    assert changed["user"]["must_change_password"] is False
    assert [p["id"] for p in enterprise.get("/projects")["projects"]] == [project["id"]]

    wrong = {"username": username + "2", "role": "enterprise", "enterprise": "NOSUCH", "display_name": "某企业"}
    assert "尚未登记" in refused(lambda: window.post("/admin/users", json=wrong), 400)["detail"]


def test_an_administrator_adds_and_deactivates_an_officer(suite):
    admin = suite.login("admin")
    username = "zjj-" + uuid.uuid4().hex[:6]
    wrong = {"username": username, "role": "officer", "department": "nosuch", "display_name": "李明"}
    assert "不在事项目录中" in refused(lambda: admin.post("/admin/users", json=wrong), 400)["detail"]
    created = admin.post(
        "/admin/users",
        json={
            "username": username,
            "role": "officer",
            "department": "zjj",
            "display_name": "李明",
            "password": "Zjj2026li",
        },
    )
    assert created["temporary_password"] is None
    first = suite.api().login(username, "Zjj2026li")
    first.post("/me/password", json={"current_password": "Zjj2026li", "new_password": "Zjj2026ming"})
    officer = suite.api().login(username, "Zjj2026ming")
    assert officer.get("/me")["department"] == "zjj"
    assert all(i["department"] == "zjj" for i in officer.get("/items")["items"])

    admin.post(f"/admin/users/{username}/actions", json={"action": "deactivate", "reason": "调离岗位"})

    def refused_everywhere():
        # several requests, so that every gateway worker answers at least once
        for _ in range(8):
            try:
                officer.get("/me")
                return False
            except ApiError as exc:
                if exc.status != 401:
                    raise
        return True

    wait_until(refused_everywhere, 15, "the deactivated officer refused by every worker")
    assert "已停用" in refused(lambda: officer.get("/me"), 401)["detail"]
    entries = admin.get(f"/admin/users/{username}/history")["entries"]
    assert [e["action"] for e in entries] == ["created", "password_changed", "deactivate"]
