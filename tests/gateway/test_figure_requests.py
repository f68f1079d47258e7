"""The supervision endpoints' refusals that the gateway decides by itself: who may call them (the big screen's
token only the dashboard) and malformed query parameters, named in Chinese."""

from __future__ import annotations

import pytest

from tests.gateway.test_app import login


@pytest.fixture
def client(make_client):
    return make_client("manual")


def bearer(client, username: str) -> dict:
    return {"Authorization": f"Bearer {login(client, username).json()['access_token']}"}


@pytest.mark.parametrize(
    "path",
    ["/api/v1/projects", "/api/v1/items", "/api/v1/alerts/sms", "/api/v1/consultations/stats?month=2026-10"],
)
def test_the_screen_token_reads_nothing_but_the_dashboard(client, path):
    r = client.get(path, headers=bearer(client, "screen"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "大屏账号只能查看督查看板数据"


def test_the_screen_token_may_ask_who_it_is(client):
    assert client.get("/api/v1/me", headers=bearer(client, "screen")).json()["role"] == "screen"


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/reports/monthly?month=abc", "month"),
        ("/api/v1/reports/monthly?month=2026-1", "month"),
        ("/api/v1/reports/assessment?period=abc", "period"),
        ("/api/v1/dashboard/trends?months=0", "months"),
        ("/api/v1/dashboard/summary?department=FGW", "department"),
        ("/api/v1/projects?offset=2147483648", "offset"),
    ],
)
def test_malformed_parameters_are_named(client, path, field):
    r = client.get(path, headers=bearer(client, "supervisor"))
    assert r.status_code == 400
    assert f"“{field}”" in r.json()["detail"], r.json()


def test_a_missing_month_is_named(client):
    r = client.get("/api/v1/reports/monthly", headers=bearer(client, "supervisor"))
    assert r.status_code == 400 and "month" in r.json()["detail"]
