"""The gateway on its own (no backends): login, tokens, validation and the clock endpoint's modes."""

from __future__ import annotations

from tests.conftest import free_port


def login(client, username="admin", password="demo12345"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_login_issues_a_token_with_role_and_department(make_client):
    client = make_client("manual")
    r = login(client, "zrgh-officer")
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"] == {
        "username": "zrgh-officer",
        "role": "officer",
        "department": "zrgh",
        "enterprise": None,
        "display_name": "自然资源和规划局审批人员",
        "must_change_password": False,
        "sso": False,
    }
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["department"] == "zrgh"


def test_wrong_password_and_bad_tokens_are_401_problems(make_client):
    client = make_client("manual")
    r = login(client, "admin", "wrong")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "用户名或密码错误"
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "令牌" in r.json()["detail"]


def test_repeated_wrong_passwords_lock_the_user_out_for_a_while(make_client, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from services.gateway.models import User
    from services.gateway.users import gateway_sessions

    monkeypatch.setenv("ZHITONG_LOGIN_MAX_FAILURES", "3")
    client = make_client("manual")
    assert [login(client, "e05", "wrong").status_code for _ in range(2)] == [401, 401]
    assert login(client, "e05").status_code == 200  # a right password clears the count
    assert [login(client, "e05", "wrong").status_code for _ in range(3)] == [401, 401, 401]
    r = login(client, "e05")  # locked: even the right password is refused
    assert r.status_code == 429 and r.headers["content-type"].startswith("application/problem+json")
    assert "已锁定至" in r.json()["detail"]
    assert login(client, "e04").status_code == 200  # others are not affected
    with gateway_sessions().begin() as session:  # the lock has run out
        session.execute(update(User).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert login(client, "e05").status_code == 200


def test_demo_users_cannot_log_in_on_the_system_clock(make_client):
    client = make_client("system")
    assert login(client).status_code == 401


def test_clock_endpoint_is_404_on_the_system_clock(make_client):
    client = make_client("manual")
    token = login(client).json()["access_token"]
    # manual mode: validation happens before any backend is called
    r = client.post("/api/v1/admin/clock", json={"now": "not a time"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400
    # a date alone (which would silently mean midnight) and the basic ISO forms are refused too
    for wrong in ("2026-10-23", "20261023T090000+0800", "2026-W43-5T09:00"):
        r = client.post("/api/v1/admin/clock", json={"now": wrong}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json"), wrong
        assert "带时刻" in r.json()["detail"] and r.json()["field"] == "now"
    system = make_client("system")
    from services.gateway.users import gateway_sessions, set_password_from_console

    set_password_from_console(gateway_sessions(), "root", "a-strong-pass-9", create_admin=True)
    token = login(system, "root", "a-strong-pass-9").json()["access_token"]
    r = system.post(
        "/api/v1/admin/clock", json={"now": "2026-10-01T09:00:00+08:00"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_request_validation_is_a_400_problem(make_client):
    client = make_client("manual")
    token = login(client).json()["access_token"]
    r = client.post(
        "/api/v1/projects",
        json={"name": "", "type": "low_risk", "surprise": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


def test_health_is_served_without_login(make_client, monkeypatch):
    for name in ("WORKFLOW", "INTAKE"):
        monkeypatch.setenv(f"{name}_GRPC_ADDR", f"127.0.0.1:{free_port()}")
    client = make_client("manual")
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 503  # no backend is running in this test
