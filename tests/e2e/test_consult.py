"""The consultation board end to end: an answer in time counts as timely; an unanswered question turns overdue
and the department contact gets an SMS; a supervisor's flag shows in the department's figures."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from tests.e2e.conftest import wait_until
from tests.e2e.test_alerts import SmsLog
from tools.api import ApiError

pytestmark = pytest.mark.e2e


def test_questions_replies_overdue_sms_and_flags(suite):
    suite.set_clock("2026-11-02 10:00")
    e01, zrgh, supervisor = suite.login("e01"), suite.login("zrgh-officer"), suite.login("supervisor")
    answered = e01.post(
        "/consultations",
        json={"department": "zrgh", "subject": "规划许可材料", "body": "建设工程规划许可需要哪些材料？"},
    )
    assert answered["due_at"] == "2026-11-02T17:30:00+08:00" and answered["status"] == "open"
    silent = e01.post("/consultations", json={"department": "zrgh", "subject": "无人答复的问题", "body": "请答复"})
    suite.set_clock("2026-11-02 15:00")
    replied = zrgh.post(f"/consultations/{answered['id']}/replies", json={"body": "请见办事指南第三节。"})
    assert replied["status"] == "answered" and replied["timely"]

    suite.set_clock("2026-11-02 17:45")  # the second question passes its due time unanswered
    sms = SmsLog(suite)
    sms.wait(silent["id"], Counter({("question_overdue", "contact", "sent"): 1}))
    metrics = requests.get(f"http://127.0.0.1:{suite.ports['metrics:consult']}/metrics", timeout=5).text
    assert 'zhitong_questions_overdue{department="zrgh"}' in metrics
    suite.set_clock("2026-11-03 09:00")  # the next working day: the supervisor too
    sms.wait(
        silent["id"],
        Counter({("question_overdue", "contact", "sent"): 1, ("question_overdue", "supervisor", "sent"): 1}),
    )

    supervisor.post(f"/consultations/{answered['id']}/flags", json={"kind": "perfunctory", "note": "答复过于笼统"})
    stats = supervisor.get("/consultations/stats", params={"month": "2026-11"})
    (zrgh_row,) = [d for d in stats["departments"] if d["department"] == "zrgh"]
    assert zrgh_row["due"] >= 2 and zrgh_row["replied_on_time"] >= 1 and zrgh_row["perfunctory_flags"] == 1
    assert "satisfaction_rate" not in zrgh_row  # nobody rated an answer yet: absent, not zero
    invitation = wait_until(
        lambda: next(
            (i for i in e01.get("/ratings/invitations")["invitations"] if i["subject_id"] == answered["id"]), None
        ),
        30,
        "the invitation to rate the answer",
    )
    assert invitation["opened_at"].startswith("2026-11-02T15:00")  # when the answer came, in suite time
    e01.post("/ratings", json={"invitation_id": invitation["id"], "score": 4})
    stats = supervisor.get("/consultations/stats", params={"month": "2026-11"})
    (zrgh_row,) = [d for d in stats["departments"] if d["department"] == "zrgh"]
    assert zrgh_row["satisfaction_rate"] == 1.0
    assert [f["note"] for f in zrgh.get("/consultations/flags")["flags"]] == ["答复过于笼统"]
    own = zrgh.get("/consultations/stats", params={"month": "2026-11"})
    assert [d["department"] for d in own["departments"]] == ["zrgh"] and own["city"] is None
    assert silent["id"] in {q["id"] for q in zrgh.get("/consultations", params={"overdue": "true"})["consultations"]}


def test_consultation_refusals(suite):
    e01, e02 = suite.login("e01"), suite.login("e02")
    with pytest.raises(ApiError) as empty:
        e01.post("/consultations", json={"department": "zrgh", "subject": " ", "body": "内容"})
    assert empty.value.status == 400
    with pytest.raises(ApiError) as huge:
        e01.post("/consultations", json={"department": "zrgh", "subject": "标题", "body": "长" * 5001})
    assert huge.value.status == 400
    other = e02.get("/projects")["projects"][0]["id"]
    with pytest.raises(ApiError) as foreign:
        e01.post("/consultations", json={"department": "zrgh", "subject": "标题", "body": "内容", "project_id": other})
    assert foreign.value.status == 404
    r = requests.post(
        f"{suite.base}/api/v1/consultations",
        data=b'{"department":"zrgh","subject":"x","body":"a\\ud800b"}',
        headers={"Authorization": f"Bearer {e01.token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("application/problem+json")
    q = e01.post("/consultations", json={"department": "zrgh", "subject": "标题", "body": "内容"})
    with pytest.raises(ApiError) as wrong_department:
        suite.login("fgw-officer").post(f"/consultations/{q['id']}/replies", json={"body": "我来答"})
    assert wrong_department.value.status == 404
    with pytest.raises(ApiError) as hidden:
        e02.get(f"/consultations/{q['id']}")
    assert hidden.value.status == 404


def test_joint_case_turns_red_past_its_target(suite):
    suite.set_clock("2026-11-09 10:00")
    e01, supervisor = suite.login("e01"), suite.login("supervisor")
    pid = e01.get("/projects")["projects"][0]["id"]
    case = e01.post(
        "/cases",
        json={
            "project_id": pid,
            "title": "管线迁改协调",
            "problem": "需多部门协调管线迁改",
            "lead_department": "cgj",
            "participants": ["zrgh", "gysy"],
            "target_date": "2026-11-13",
            "mode": "offline",
        },
    )
    assert case["colour"] == "yellow" and case["participants"] == ["gysy", "zrgh"]
    suite.set_clock("2026-11-16 10:00")
    assert supervisor.get(f"/cases/{case['id']}")["colour"] == "red"
    assert case["id"] in {c["id"] for c in supervisor.get("/cases", params={"overdue": "true"})["cases"]}
    closed = supervisor.post(
        f"/cases/{case['id']}/updates",
        json={"note": "已协调完成", "status": "closed", "resolution": "管线迁改方案确定", "minutes": "三方会签"},
    )
    assert closed["status"] == "closed" and closed["colour"] is None
