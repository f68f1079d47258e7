"""What a careless or hostile client meets: clear Chinese problems with the right status, no echo of
submitted secrets, nothing stored, and no double decisions under concurrent clicks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.test_approval_flow import PDF, apply_and_accept, register, upload_missing
from tools.api import ApiError

pytestmark = pytest.mark.e2e


def raw(suite, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"{suite.base}/api/v1{path}", headers=headers, timeout=30, **kwargs)


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    return body


def test_validation_errors_are_chinese_and_do_not_echo_values(suite):
    secret = "MySecretPw-" + "z" * 300
    body = assert_problem(raw(suite, "POST", "/auth/token", json={"username": "e01", "password": secret}), 400)
    assert "MySecretPw" not in str(body) and "password" in body["detail"]
    assert_problem(raw(suite, "POST", "/auth/token", json={"username": "e01", "password": 12345678}), 400)
    assert_problem(
        raw(suite, "POST", "/auth/token", data=b'\xff\xfe{"name"', headers={"Content-Type": "application/json"}), 400
    )
    assert_problem(
        raw(suite, "POST", "/auth/token", data=b"[" * 100_000, headers={"Content-Type": "application/json"}), 400
    )
    assert_problem(
        raw(suite, "POST", "/auth/token", data=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}),
        413,
    )
    assert_problem(raw(suite, "GET", "/no/such/route"), 404)
    assert_problem(raw(suite, "GET", "/projects"), 401)
    token = suite.login("e01").token
    assert_problem(raw(suite, "GET", "/projects", token, params={"limit": 0}), 400)
    assert_problem(
        raw(
            suite,
            "POST",
            "/projects",
            token,
            data=b'{"name":"x","type":"low_risk","floor_area_m2":Infinity}',
            headers={"Content-Type": "application/json"},
        ),
        400,
    )


def test_clock_refuses_times_outside_the_calendar_range_and_going_back_unasked(suite):
    admin = suite.login("admin")
    for when in ("9999-12-31T23:59:59+14:00", "1900-01-01T00:00:00+08:00"):
        assert_problem(raw(suite, "POST", "/admin/clock", admin.token, json={"now": when}), 400)
    now = admin.get("/admin/clock")["now"]
    back = {"now": "2026-01-05T09:00:00+08:00"}
    body = assert_problem(raw(suite, "POST", "/admin/clock", admin.token, json=back), 409)
    assert "不能把时间往回调" in body["detail"] and "backwards" in body["detail"]
    assert admin.get("/admin/clock")["now"] == now  # nothing moved
    assert admin.post("/admin/clock", json={**back, "backwards": True})["local"].startswith("2026-01-05T09:00")
    admin.post("/admin/clock", json={"now": now, "backwards": True})


def test_registration_and_submission_rules(suite):
    suite.set_clock("2026-11-23 09:00")
    e01 = suite.login("e01")
    assert_problem(
        raw(suite, "POST", "/projects", e01.token, json={"name": "他人项目", "type": "low_risk", "enterprise": "E02"}),
        403,
    )
    assert_problem(
        raw(suite, "POST", "/projects", e01.token, json={"name": "自称重大", "type": "low_risk", "major": True}), 403
    )
    assert_problem(
        raw(
            suite,
            "POST",
            "/projects",
            e01.token,
            json={"name": "未知属性", "type": "low_risk", "attributes": {"castle": True}},
        ),
        400,
    )
    assert_problem(raw(suite, "POST", "/projects", e01.token, json={"name": "a\u202eb", "type": "low_risk"}), 400)
    pid = register(e01, "容缺校验项目", "low_risk")
    body = assert_problem(raw(suite, "POST", f"/projects/{pid}/stages/S2/submit", e01.token), 409)
    assert "S1" in body["detail"]
    assert_problem(
        raw(suite, "POST", f"/projects/{pid}/stages/S1/submit", e01.token, json={"deferred_materials": ["M99"]}), 400
    )
    body = assert_problem(
        raw(
            suite,
            "POST",
            f"/projects/{pid}/materials",
            e01.token,
            data={"material_code": "M03"},
            files={"file": ("m03.pdf", PDF, "application/pdf")},
        ),
        409,
    )
    assert "S1-01" in body["detail"]
    long_name = "长" * 5000 + ".pdf"
    r = raw(
        suite,
        "POST",
        f"/projects/{pid}/materials",
        e01.token,
        data={"material_code": "M01"},
        files={"file": (long_name, PDF, "application/pdf")},
    )
    assert r.status_code in (201, 400), r.text
    if r.status_code == 201:
        assert len(r.json()["filename"]) <= 255


def test_concurrent_clicks_decide_once(suite):
    suite.set_clock("2026-11-24 09:00")
    e04 = suite.login("e04")
    pid = register(e04, "并发点击项目", "low_risk")
    upload_missing(e04, pid, "S1")
    with ThreadPoolExecutor(6) as pool:
        submits = list(
            pool.map(lambda _: raw(suite, "POST", f"/projects/{pid}/stages/S1/submit", e04.token).status_code, range(6))
        )
    assert sorted(submits) == [200] + [409] * 5
    stage = suite.login("window-officer").post(f"/projects/{pid}/stages/S1/actions", json={"action": "accept"})
    land = next(i for i in stage["items"] if i["department"] == "zrgh")
    filing = next(i for i in stage["items"] if i["code"] == "S1-01")
    suite.login("fgw-officer").post(f"/items/{filing['id']}/actions", json={"action": "approve"})
    zrgh = suite.login("zrgh-officer")
    with ThreadPoolExecutor(6) as pool:
        approvals = list(
            pool.map(
                lambda _: (
                    raw(
                        suite, "POST", f"/items/{land['id']}/actions", zrgh.token, json={"action": "approve"}
                    ).status_code
                ),
                range(6),
            )
        )
    assert sorted(approvals) == [200] + [409] * 5
    history = zrgh.get(f"/items/{land['id']}/history")
    assert [h["action"] for h in history] == ["submit", "accept", "approve"]
    assert history[0]["at"].endswith("+08:00")


def test_only_the_window_accepts_and_departments_see_only_their_enterprises(suite):
    suite.set_clock("2026-11-25 09:00")
    e03 = suite.login("e03")
    pid = register(e03, "窗口受理项目", "low_risk")
    upload_missing(e03, pid, "S1")
    e03.post(f"/projects/{pid}/stages/S1/submit")
    filing = next(i for i in e03.get(f"/projects/{pid}")["stages"][0]["items"] if i["department"] == "fgw")
    fgw = suite.login("fgw-officer")
    assert fgw.post(f"/items/{filing['id']}/actions", json={"action": "pre_review"})["status"] == "pre_review"
    with pytest.raises(ApiError) as refused:
        fgw.post(f"/items/{filing['id']}/actions", json={"action": "accept"})
    assert refused.value.status == 403
    visible = {e["code"] for e in suite.login("mzj-officer").get("/enterprises")["enterprises"]}
    every = {e["code"] for e in suite.login("window-officer").get("/enterprises")["enterprises"]}
    assert visible < every
    with pytest.raises(ApiError) as stopped:
        apply_and_accept(suite, e03, pid, "S1")  # already submitted
    assert stopped.value.status == 409
