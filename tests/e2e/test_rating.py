"""Ratings end to end: an approved item invites its enterprise; a 2-star rating opens a rectification and warns the
department head; the department responds, the supervisor accepts and records the revisit; the figures follow."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.conftest import wait_until
from tests.e2e.test_alerts import SmsLog
from tests.e2e.test_approval_flow import apply_and_accept, item, register
from tools.api import ApiError

pytestmark = pytest.mark.e2e


def test_bad_rating_rectification_and_figures(suite):
    suite.set_clock("2026-12-07 09:00")
    e03, supervisor = suite.login("e03"), suite.login("supervisor")
    pid = register(e03, "评价项目", "low_risk")
    apply_and_accept(suite, e03, pid, "S1")
    filing = item(e03.get(f"/projects/{pid}"), "S1-01")
    suite.login("fgw-officer").post(f"/items/{filing['id']}/actions", json={"action": "approve"})

    invitation = wait_until(
        lambda: next(
            (i for i in e03.get("/ratings/invitations")["invitations"] if i["subject_id"] == filing["id"]), None
        ),
        30,
        "the rating invitation",
    )
    assert invitation["department"] == "fgw"

    for body in (
        {"invitation_id": invitation["id"], "score": 0},
        {"invitation_id": invitation["id"], "score": 6},
        {"invitation_id": invitation["id"], "score": 1},
    ):
        with pytest.raises(ApiError) as refused:
            e03.post("/ratings", json=body)
        assert refused.value.status == 400
    with pytest.raises(ApiError) as foreign:
        suite.login("e01").post("/ratings", json={"invitation_id": invitation["id"], "score": 5})
    assert foreign.value.status == 404

    rated = e03.post("/ratings", json={"invitation_id": invitation["id"], "score": 2, "comment": "多次往返补材料"})
    rectification = rated["rectification"]
    assert rectification["status"] == "open" and rectification["due_on"] == "2026-12-14"
    with pytest.raises(ApiError) as twice:
        e03.post("/ratings", json={"invitation_id": invitation["id"], "score": 5})
    assert twice.value.status == 409

    SmsLog(suite).wait(rectification["id"], Counter({("bad_rating", "dept_head", "sent"): 1}))

    fgw = suite.login("fgw-officer")
    fgw.post(f"/rectifications/{rectification['id']}/actions", json={"action": "respond", "note": "已推行一次性告知"})
    supervisor.post(f"/rectifications/{rectification['id']}/actions", json={"action": "accept", "note": "整改到位"})
    done = supervisor.post(
        f"/rectifications/{rectification['id']}/actions",
        json={"action": "revisit", "note": "企业认可整改", "satisfied": True},
    )
    assert done["status"] == "revisited" and done["revisit_satisfied"]

    stats = supervisor.get("/ratings/stats", params={"month": "2026-12"})
    (row,) = [d for d in stats["departments"] if d["department"] == "fgw"]
    assert row["ratings"] >= 1 and row["bad_ratings"] >= 1 and row["rectifications_due"] >= 1
    assert [r["score"] for r in fgw.get("/ratings", params={"month": "2026-12"})["ratings"]] == [2]
    supervisor.post("/revisits", json={"enterprise": "E03", "outcome": "电话回访，企业满意", "satisfied": True})
    assert supervisor.get("/revisits", params={"enterprise": "E03"})["revisits"][0]["satisfied"] is True
    with pytest.raises(ApiError) as unknown:  # a revisit of an enterprise nobody registered
        supervisor.post("/revisits", json={"enterprise": "E99", "outcome": "电话回访", "satisfied": True})
    assert unknown.value.status == 400 and "尚未登记" in unknown.value.problem["detail"]
