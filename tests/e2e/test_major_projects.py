"""双一 service through the gateway: a major project registered by an agent, its service team, the agent uploading
and submitting for the enterprise, the audit trail naming both, the approval plan counted by hand, another agent
finding nothing, and follow-ups refused before completion acceptance."""

from __future__ import annotations

import pytest

from tests.e2e.test_approval_flow import upload_missing
from tests.e2e.test_bad_input import assert_problem, raw
from tools.seed import load_samples

pytestmark = pytest.mark.e2e

TEAM = {
    "lead": {"name": "周主任", "phone": "13900000001"},
    "members": [
        {"name": "吴科长", "phone": "13900000002", "department": "zrgh"},
        {"name": "郑工", "phone": "13900000003", "department": "zjj"},
    ],
}


def test_major_project_with_team_agent_plan_and_follow_ups(suite):
    suite.set_clock("2026-09-01 09:00")
    agent, agent2 = suite.login("agent"), suite.login("agent2")
    supervisor, admin, e05 = suite.login("supervisor"), suite.login("admin"), suite.login("e05")

    # The agent registers a copy of sample project P05 for enterprise E05 and flags it major at registration.
    p05 = next(p for p in load_samples()["projects"] if p["code"] == "P05")
    project = agent.post(
        "/projects",
        json={
            "name": "和顺食品冷链加工车间（绿色通道）",
            "type": p05["type"],
            "enterprise": "E05",
            "attributes": p05["attributes"],
            "regional_evaluation_zone": p05["regional_evaluation_zone"],
            "major": True,
        },
    )
    pid = project["id"]
    assert project["major"] and project["green_channel"] == "绿色通道" and project["agent"] == "agent"

    # A supervisor assigns the service team and the agent; bad input is a Chinese 400.
    token = supervisor.token
    body = assert_problem(raw(suite, "PUT", f"/projects/{pid}/service-team", token, json={**TEAM, "agent": "e05"}), 400)
    assert "帮办代办专员" in body["detail"]
    assert_problem(
        raw(suite, "PUT", f"/projects/{pid}/service-team", token, json={**TEAM, "agent": "agent", "members": []}), 400
    )
    bad_phone = {**TEAM, "agent": "agent", "lead": {"name": "周主任", "phone": "123"}}
    assert_problem(raw(suite, "PUT", f"/projects/{pid}/service-team", token, json=bad_phone), 400)
    assert_problem(
        raw(suite, "PUT", f"/projects/{pid}/service-team", agent.token, json={**TEAM, "agent": "agent"}), 403
    )
    team = supervisor.put(f"/projects/{pid}/service-team", json={**TEAM, "agent": "agent"})
    assert team["agent"] == "agent" and team["lead"]["name"] == "周主任" and len(team["members"]) == 2
    assert supervisor.get(f"/projects/{pid}/service-team") == team and team["lead"]["phone"] == "13900000001"
    # the enterprise (and the agent, the departments) see the people with their mobile numbers masked
    masked = {
        **team,
        "lead": {"name": "周主任", "department": None, "phone": "139****0001"},
        "members": [
            {"name": "吴科长", "department": "zrgh", "phone": "139****0002"},
            {"name": "郑工", "department": "zjj", "phone": "139****0003"},
        ],
    }
    assert e05.get(f"/projects/{pid}/service-team") == masked == agent.get(f"/projects/{pid}/service-team")

    # agent2 serves another major project (flagged by a supervisor after registration).
    other = admin.post("/projects", json={"name": "宁川物流中心", "type": "low_risk", "enterprise": "E02"})["id"]
    assert_problem(raw(suite, "PUT", f"/projects/{other}/service-team", token, json={**TEAM, "agent": "agent2"}), 409)
    assert supervisor.put(f"/projects/{other}/green-channel", json={"major": True})["green_channel"] == "绿色通道"
    supervisor.put(f"/projects/{other}/service-team", json={**TEAM, "agent": "agent2"})

    # The agent uploads and submits S1 for the enterprise; the audit trail names both.
    upload_missing(agent, pid, "S1")
    assert agent.post(f"/projects/{pid}/stages/S1/submit")["status"] == "submitted"
    entries = e05.get(f"/projects/{pid}/history")["entries"]
    by_agent = {(e["source"], e["action"]) for e in entries if (e["actor"], e["on_behalf_of"]) == ("agent", "E05")}
    assert {("intake", "register"), ("intake", "upload"), ("intake", "submit"), ("workflow", "submit")} <= by_agent
    assert ("supervisor", "service_assigned") in {(e["actor"], e["action"]) for e in entries}
    item = next(i for i in agent.get(f"/items?project_id={pid}")["items"] if i["code"] == "S1-07")
    assert item["green_channel"] == "绿色通道"
    assert agent.get(f"/items/{item['id']}/history")[-1]["on_behalf_of"] == "E05"

    # The approval plan: target start Monday 2026-10-26 (hand computation in tests/workflow/test_planning.py).
    assert_problem(raw(suite, "PUT", f"/projects/{pid}/plan", agent.token, json={"target_start": "2026-08-31"}), 400)
    assert_problem(raw(suite, "PUT", f"/projects/{pid}/plan", agent.token, json={"target_start": "26.10.2026"}), 400)
    for basic in ("20261026", "2026-W44-1"):  # basic ISO forms of the same Monday
        body = assert_problem(
            raw(suite, "PUT", f"/projects/{pid}/plan", agent.token, json={"target_start": basic}), 400
        )
        assert "YYYY-MM-DD" in body["detail"] and body["field"] == "target_start"
    assert e05.get(f"/projects/{pid}/plan")["target_start"] is None
    plan = agent.put(f"/projects/{pid}/plan", json={"target_start": "2026-10-26"})
    stages = {s["code"]: s for s in plan["stages"]}
    assert stages["S1"]["latest"] == {"accept": "2026-09-14", "finish": "2026-09-30"}
    assert stages["S3"]["latest"] == {"accept": "2026-10-16", "finish": "2026-10-23"}
    assert stages["S3"]["forecast"]["finish"] == "2026-10-12" and plan["earliest_start"] == "2026-10-13"
    assert plan["feasible"] is True and plan["slack_days"] == 9 and plan["green_channel"] == "绿色通道"
    land = next(i for i in stages["S1"]["items"] if i["code"] == "S1-07")
    assert land["department_name"] and land["materials"] and land["latest"]["finish"] == "2026-09-20"
    suite.set_clock("2026-09-22 09:00")
    late = e05.get(f"/projects/{pid}/plan")
    assert late["feasible"] is False and late["shortfall_days"] == 7 and late["earliest_start"] == "2026-11-04"
    page = raw(suite, "GET", f"/projects/{pid}/plan?format=html", e05.token)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "绿色通道" in page.text and "2026-09-14" in page.text and "相差 7 个工作日" in page.text

    # Another project's agent finds nothing of this project.
    for path in ("", "/plan", "/history", "/service-team", "/follow-ups", "/stages/S1/form"):
        assert_problem(raw(suite, "GET", f"/projects/{pid}{path}", agent2.token), 404)
    assert_problem(
        raw(
            suite,
            "POST",
            f"/projects/{pid}/materials",
            agent2.token,
            data={"material_code": "M01"},
            files={"file": ("a.pdf", b"%PDF-1.4\n")},
        ),
        404,
    )
    assert pid not in {p["id"] for p in agent2.get("/projects")["projects"]}

    # Follow-up services: categories kept by the admin (the demo loads data/follow_up_categories.yaml); before
    # completion acceptance the answer is 409.
    categories = {c["code"] for c in admin.get("/admin/follow-up-categories")["categories"]}
    assert {"policy", "hiring", "financing"} <= categories
    assert_problem(
        raw(suite, "POST", "/admin/follow-up-categories", supervisor.token, json={"code": "hiring", "name_zh": "用工"}),
        403,
    )
    admin.post("/admin/follow-up-categories", json={"code": "tmp_visit", "name_zh": "临时类别"})
    deleted = raw(suite, "DELETE", "/admin/follow-up-categories/tmp_visit", admin.token)
    assert deleted.status_code == 204 and deleted.content == b""  # an unused category goes; nothing to say
    assert_problem(raw(suite, "DELETE", "/admin/follow-up-categories/tmp_visit", admin.token), 404)
    visit = {"category": "financing", "happened_on": "2026-09-22", "people": ["周主任"], "outcome": "对接银行授信"}
    body = assert_problem(raw(suite, "POST", f"/projects/{pid}/follow-ups", agent.token, json=visit), 409)
    assert "竣工验收" in body["detail"]
    basic = {**visit, "happened_on": "20260922"}
    body = assert_problem(raw(suite, "POST", f"/projects/{pid}/follow-ups", agent.token, json=basic), 400)
    assert body["field"] == "happened_on"
    assert e05.get(f"/projects/{pid}/follow-ups") == {"follow_ups": []}

    # Unflagging the green channel dissolves the other project's team and agent: agent2 then finds nothing of it.
    assert agent2.get(f"/projects/{other}")["agent"] == "agent2"
    unflagged = supervisor.put(f"/projects/{other}/green-channel", json={"major": False, "reason": "调出重点项目"})
    assert unflagged["major"] is False and unflagged["green_channel"] is None and unflagged["agent"] is None
    assert supervisor.get(f"/projects/{other}/service-team") == {
        "project_id": other,
        "agent": None,
        "lead": None,
        "members": [],
    }
    entries = supervisor.get(f"/projects/{other}/history")["entries"]
    assert [e["action"] for e in entries][-2:] == ["green_channel_off", "service_dissolved"]
    for path in ("", "/plan", "/service-team", "/history"):
        assert_problem(raw(suite, "GET", f"/projects/{other}{path}", agent2.token), 404)
    assert_problem(raw(suite, "PUT", f"/projects/{other}/plan", agent2.token, json={"target_start": "2026-12-01"}), 404)
    assert other not in {p["id"] for p in agent2.get("/projects")["projects"]}
