"""User administration (用户管理) on the gateway alone: accounts made by an administrator or the window, temporary
passwords that must be changed first, tokens that end when an account changes, and the audit trail of it all.
The catalog's departments and the registered enterprises come from a fixed directory here (the end-to-end tests
ask the real services)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from kit.catalog import load_catalog
from kit.config import ROOT

ENTERPRISES = {"E01", "E02"}


@pytest.fixture
def client(make_client, monkeypatch):
    from services.gateway import users
    from services.gateway.api import users as api

    departments = {d.code: d.name_zh for d in load_catalog(ROOT / "data" / "catalog.yaml").departments.values()}
    monkeypatch.setattr(api, "_directory", lambda: users.Directory(departments, ENTERPRISES.__contains__))
    return make_client("manual")


def token_of(client, username, password="demo12345"):
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()["detail"]


def test_a_new_officer_chooses_a_password_before_doing_anything_else(client):
    admin = auth(token_of(client, "admin"))
    r = client.post(
        "/api/v1/admin/users",
        json={"username": "zjj-li", "role": "officer", "department": "zjj", "display_name": "住建局李明"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    created = r.json()
    temporary = created["temporary_password"]
    assert len(temporary) == 12 and created["user"]["must_change_password"] is True
    assert created["user"]["department"] == "zjj" and created["user"]["role_name"] == "审批人员"

    login = client.post("/api/v1/auth/token", json={"username": "zjj-li", "password": temporary}).json()
    assert login["user"]["must_change_password"] is True
    first = auth(login["access_token"])
    assert client.get("/api/v1/me", headers=first).json()["must_change_password"] is True
    r = client.get("/api/v1/items", headers=first)
    assert "临时密码" in problem(r, 403) and r.json()["code"] == "password_change_required"

    for weak, why in (
        ("short1", "8至128位"),
        ("onlyletters", "字母和数字"),
        ("zjj-li-2026", "用户名"),
        ("Good\u200bPass123", "不可见的字符"),
    ):
        r = client.post(
            "/api/v1/me/password", json={"current_password": temporary, "new_password": weak}, headers=first
        )
        assert why in problem(r, 400)
    r = client.post(
        "/api/v1/me/password", json={"current_password": "wrong", "new_password": "Zhu2026jian"}, headers=first
    )
    assert problem(r, 400) == "当前密码不正确"

    r = client.post(
        "/api/v1/me/password", json={"current_password": temporary, "new_password": "Zhu2026jian"}, headers=first
    )
    assert r.status_code == 200 and r.json()["user"]["must_change_password"] is False
    second = auth(r.json()["access_token"])
    assert client.get("/api/v1/me", headers=second).json()["display_name"] == "住建局李明"
    assert "登录已失效" in problem(client.get("/api/v1/me", headers=first), 401)  # the temporary login ended
    assert problem(client.post("/api/v1/auth/token", json={"username": "zjj-li", "password": temporary}), 401)
    token_of(client, "zjj-li", "Zhu2026jian")

    history = client.get("/api/v1/admin/users/zjj-li/history", headers=admin).json()["entries"]
    assert [(e["action"], e["actor"]) for e in history] == [("created", "admin"), ("password_changed", "zjj-li")]
    assert "角色 审批人员，部门 住房和城乡建设局" in history[0]["reason"]


def test_accounts_are_checked_against_the_catalog_and_the_registered_enterprises(client):
    admin = auth(token_of(client, "admin"))

    def create(**fields):
        body = {"username": "new-user", "display_name": "新用户", **fields}
        return client.post("/api/v1/admin/users", json=body, headers=admin)

    assert "须属于一个部门" in problem(create(role="officer"), 400)
    assert "不在事项目录中" in problem(create(role="dept_head", department="nosuch"), 400)
    assert "不属于部门" in problem(create(role="supervisor", department="zjj"), 400)
    assert "尚未登记" in problem(create(role="enterprise", enterprise="E99"), 400)
    assert "须对应一家已登记的企业" in problem(create(role="enterprise"), 400)
    assert "用户名" in problem(create(role="ops", username="Has Space"), 400)
    assert "控制字符" in problem(create(role="ops", display_name="a\u202eb"), 400)
    assert "字母和数字" in problem(create(role="ops", password="abcdefghij"), 400)
    assert problem(create(role="ops", username="zjj-officer"), 409) == "用户名“zjj-officer”已被使用"
    r = create(role="enterprise", enterprise="E02", password="Qiye2026abc")
    assert r.status_code == 201 and r.json()["temporary_password"] is None
    assert r.json()["user"]["must_change_password"] is True  # chosen by someone else: still to be changed

    listed = client.get("/api/v1/admin/users", params={"role": "enterprise", "q": "new"}, headers=admin).json()
    assert listed["total"] == 1 and listed["users"][0]["enterprise"] == "E02"
    assert "password_hash" not in listed["users"][0]
    everyone = client.get("/api/v1/admin/users", params={"limit": 200}, headers=admin).json()
    assert everyone["total"] == len(everyone["users"]) > 30


def test_only_admins_manage_accounts_and_the_window_only_enterprise_ones(client):
    body = {"username": "e01-zhang", "role": "enterprise", "enterprise": "E01", "display_name": "张三"}
    for who in ("supervisor", "zjj-head", "e01", "agent"):
        assert problem(client.post("/api/v1/admin/users", json=body, headers=auth(token_of(client, who))), 403)
    for who in ("zjj-head", "e01", "agent"):
        assert problem(client.get("/api/v1/admin/users", headers=auth(token_of(client, who))), 403)
    # a supervisor finds the agents it assigns to major projects, and nobody else
    supervisor = auth(token_of(client, "supervisor"))
    agents = client.get("/api/v1/admin/users", headers=supervisor).json()["users"]
    assert {u["username"] for u in agents} == {"agent", "agent2"} and {u["role"] for u in agents} == {"agent"}
    assert client.get("/api/v1/admin/users", params={"role": "admin"}, headers=supervisor).json()["total"] == 0
    window = auth(token_of(client, "window-officer"))
    r = client.post("/api/v1/admin/users", json=body, headers=window)
    assert r.status_code == 201 and r.json()["temporary_password"]
    officer = {"username": "x-officer", "role": "officer", "department": "zjj", "display_name": "某人"}
    assert "只能管理办事企业" in problem(client.post("/api/v1/admin/users", json=officer, headers=window), 403)
    listed = client.get("/api/v1/admin/users", params={"limit": 200}, headers=window).json()
    assert {u["role"] for u in listed["users"]} == {"enterprise"}
    assert client.get("/api/v1/admin/users", params={"role": "admin"}, headers=window).json()["total"] == 0
    assert problem(client.get("/api/v1/admin/users/admin", headers=window), 404)  # not told that it exists
    r = client.post("/api/v1/admin/users/e01-zhang/actions", json={"action": "reset_password"}, headers=window)
    assert r.status_code == 200 and r.json()["temporary_password"]
    r = client.post(
        "/api/v1/admin/users/e01-zhang/actions", json={"action": "deactivate", "reason": "x"}, headers=window
    )
    assert "重置密码或解除锁定" in problem(r, 403)


def test_deactivating_ends_every_login_and_activating_restores_the_account(client):
    admin = auth(token_of(client, "admin"))
    officer = auth(token_of(client, "zrgh-officer"))
    assert client.get("/api/v1/me", headers=officer).status_code == 200
    act = "/api/v1/admin/users/zrgh-officer/actions"
    assert "原因不能为空" in problem(client.post(act, json={"action": "deactivate"}, headers=admin), 400)
    r = client.post(act, json={"action": "deactivate", "reason": "调离岗位"}, headers=admin)
    assert r.status_code == 200 and r.json()["user"]["active"] is False
    assert "已停用" in problem(client.get("/api/v1/me", headers=officer), 401)
    r = client.post("/api/v1/auth/token", json={"username": "zrgh-officer", "password": "demo12345"})
    assert problem(r, 401) == "账号已停用，请联系系统管理员"  # told why, once the password is right
    r = client.post("/api/v1/auth/token", json={"username": "zrgh-officer", "password": "wrong"})
    assert problem(r, 401) == "用户名或密码错误"
    assert "已停用" in problem(client.post(act, json={"action": "deactivate", "reason": "再次"}, headers=admin), 409)
    assert client.post(act, json={"action": "activate"}, headers=admin).json()["user"]["active"] is True
    assert "登录已失效" in problem(client.get("/api/v1/me", headers=officer), 401)  # the old token stays ended
    token_of(client, "zrgh-officer")
    me = "/api/v1/admin/users/admin/actions"
    assert "自己的账号" in problem(client.post(me, json={"action": "deactivate", "reason": "试试"}, headers=admin), 409)
    assert "自己的角色" in problem(client.patch("/api/v1/admin/users/admin", json={"role": "ops"}, headers=admin), 409)
    history = client.get("/api/v1/admin/users/zrgh-officer/history", headers=admin).json()["entries"]
    assert [(e["action"], e["from_status"], e["to_status"], e["reason"]) for e in history] == [
        ("deactivate", "active", "inactive", "调离岗位"),
        ("activate", "inactive", "active", ""),
    ]


def test_a_new_department_ends_the_old_logins_a_new_name_does_not(client):
    admin = auth(token_of(client, "admin"))
    officer = auth(token_of(client, "zrgh-officer"))
    r = client.patch("/api/v1/admin/users/zrgh-officer", json={"display_name": "规划局王芳"}, headers=admin)
    assert r.status_code == 200 and r.json()["display_name"] == "规划局王芳"
    assert client.get("/api/v1/me", headers=officer).status_code == 200
    r = client.patch("/api/v1/admin/users/zrgh-officer", json={"department": "nosuch"}, headers=admin)
    assert problem(r, 400)
    r = client.patch("/api/v1/admin/users/zrgh-officer", json={"department": "zjj"}, headers=admin)
    assert r.status_code == 200 and r.json()["department"] == "zjj"
    assert problem(client.get("/api/v1/me", headers=officer), 401)
    assert client.get("/api/v1/me", headers=auth(token_of(client, "zrgh-officer"))).json()["department"] == "zjj"
    # a supervisor belongs to no department: the new role takes the old one away, and a new one given is refused
    r = client.patch(
        "/api/v1/admin/users/zrgh-officer", json={"role": "supervisor", "department": "zjj"}, headers=admin
    )
    assert "不属于部门" in problem(r, 400)
    r = client.patch("/api/v1/admin/users/zrgh-officer", json={"role": "supervisor"}, headers=admin)
    assert r.status_code == 200 and r.json()["department"] is None
    changes = [
        e["reason"] for e in client.get("/api/v1/admin/users/zrgh-officer/history", headers=admin).json()["entries"]
    ]
    assert len(changes) == 3 and "部门 自然资源和规划局" in changes[1] and "部门 住房和城乡建设局" in changes[1]


def test_a_reset_password_unlocks_the_account_and_a_forced_sign_out_ends_the_screen_token(client, monkeypatch):
    from services.gateway.users import gateway_sessions, issue_screen_token

    monkeypatch.setenv("ZHITONG_LOGIN_MAX_FAILURES", "2")
    admin = auth(token_of(client, "admin"))
    for _ in range(2):
        client.post("/api/v1/auth/token", json={"username": "e02", "password": "wrong"})
    assert client.post("/api/v1/auth/token", json={"username": "e02", "password": "demo12345"}).status_code == 429
    assert client.get("/api/v1/admin/users/e02", headers=admin).json()["locked_until"]
    r = client.post(
        "/api/v1/admin/users/e02/actions", json={"action": "reset_password", "reason": "企业来电"}, headers=admin
    )
    temporary = r.json()["temporary_password"]
    assert r.json()["user"]["locked_until"] is None
    assert problem(client.post("/api/v1/auth/token", json={"username": "e02", "password": "demo12345"}), 401)
    assert client.post("/api/v1/auth/token", json={"username": "e02", "password": temporary}).status_code == 200
    r = client.post("/api/v1/admin/users/e02/actions", json={"action": "unlock"}, headers=admin)
    assert problem(r, 409) == "该账号未被锁定"

    screen = auth(issue_screen_token(gateway_sessions(), "screen", 365, manual_clock=True))
    assert client.get("/api/v1/me", headers=screen).status_code == 200
    r = client.post(
        "/api/v1/admin/users/screen/actions", json={"action": "revoke_sessions", "reason": "大屏更换"}, headers=admin
    )
    assert r.status_code == 200
    assert problem(client.get("/api/v1/me", headers=screen), 401)
    actions = [e["action"] for e in client.get("/api/v1/admin/users/e02/history", headers=admin).json()["entries"]]
    assert actions == ["locked", "reset_password"]


def test_the_audit_trail_of_accounts_cannot_be_changed(client):
    from services.gateway.users import gateway_sessions

    admin = auth(token_of(client, "admin"))
    client.post("/api/v1/admin/users/e01/actions", json={"action": "revoke_sessions"}, headers=admin)
    with gateway_sessions()() as session, pytest.raises(Exception, match="append-only"):
        session.execute(text("UPDATE audit_entries SET actor = 'someone else'"))


def test_the_first_administrator_of_a_deployment_comes_from_the_command_line(make_client, monkeypatch, capsys):
    import sys

    from services.gateway import users

    client = make_client("system")
    monkeypatch.setattr(sys, "argv", ["users", "--create-admin", "root"])
    monkeypatch.setenv("ZHITONG_ADMIN_PASSWORD", "weak")
    assert users.main() == 2 and "8至128位" in capsys.readouterr().err
    monkeypatch.setenv("ZHITONG_ADMIN_PASSWORD", "City-admin-2026")
    assert users.main() == 0
    assert users.main() == 2 and "exists already" in capsys.readouterr().err
    login = client.post("/api/v1/auth/token", json={"username": "root", "password": "City-admin-2026"}).json()
    assert login["user"]["role"] == "admin" and login["user"]["must_change_password"] is False
    assert problem(client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo12345"}), 401)

    monkeypatch.setattr(sys, "argv", ["users", "--set-password", "root"])
    monkeypatch.setenv("ZHITONG_ADMIN_PASSWORD", "City-admin-2027")
    assert users.main() == 0
    assert problem(client.get("/api/v1/me", headers=auth(login["access_token"])), 401)
    assert (
        client.post("/api/v1/auth/token", json={"username": "root", "password": "City-admin-2027"}).status_code == 200
    )


def test_guesses_sent_all_at_once_get_no_more_tries_than_one_by_one(make_client, monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from services.gateway import users

    make_client("manual")
    monkeypatch.setenv("ZHITONG_LOGIN_MAX_FAILURES", "5")
    checked, real_check = [], users.check_password

    def counting(password, stored):
        checked.append(password)
        return real_check(password, stored)

    monkeypatch.setattr(users, "check_password", counting)
    sessions, start = users.gateway_sessions(), threading.Barrier(20)

    def guess(n):
        start.wait()
        try:
            return "ok" if users.authenticate(sessions, "e03", f"guess-{n}", True) else "wrong"
        except users.LockedOut:
            return "locked"

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(guess, range(20)))
    assert answers.count("wrong") == len(checked) <= 5 and answers.count("locked") >= 15
    history = [e["action"] for e in users.history(sessions, users.Actor("admin", "admin"), "e03")]
    assert history == ["locked"]  # one lockout, written once
    with pytest.raises(users.LockedOut):  # even the right password, until the lock runs out
        users.authenticate(sessions, "e03", "demo12345", True)


def test_a_token_claiming_rights_its_account_does_not_have_is_refused(client):
    import time

    import jwt

    from services.gateway.auth import settings

    now = int(time.time())
    forged = {"sub": "e01", "role": "admin", "department": "", "enterprise": "", "gen": 0, "iss": "zhitong"}
    token = jwt.encode({**forged, "iat": now, "exp": now + 600}, settings().secret, algorithm="HS256")
    assert "登录已失效" in problem(client.get("/api/v1/admin/users", headers=auth(token)), 401)
    honest = jwt.encode(
        {**forged, "role": "enterprise", "enterprise": "E01", "iat": now, "exp": now + 600},
        settings().secret,
        algorithm="HS256",
    )
    assert client.get("/api/v1/me", headers=auth(honest)).json()["enterprise"] == "E01"
