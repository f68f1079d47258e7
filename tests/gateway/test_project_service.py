"""The gateway's part of the 双一 service with a stand-in workflow: the agent must be an agent user, and the plan is
served as JSON or as a printable Chinese page."""

from __future__ import annotations

import pytest
from zhitong.workflow.v1 import workflow_pb2 as wpb

from services.gateway import clients
from tests.gateway.test_app import login

PLAN = wpb.ApprovalPlan(
    project_id="p1",
    project_name="和顺食品冷链加工车间",
    enterprise="E05",
    major=True,
    today="2026-09-22",
    target_start="2026-10-26",
    construction_after="S3",
    earliest_start="2026-11-04",
    feasible=False,
    shortfall_days=7,
    stages=[
        wpb.PlanStage(
            code="S1",
            name_zh="立项用地规划许可",
            status="open",
            stage_days=12,
            binds_start=True,
            latest=wpb.DateSpan(accept="2026-09-14", finish="2026-09-30"),
            forecast=wpb.DateSpan(accept="2026-09-22", finish="2026-10-15"),
            items=[
                wpb.PlanItem(
                    code="S1-07",
                    name_zh="建设用地规划许可证核发",
                    department="zrgh",
                    department_name="自然资源和规划局",
                    effective_days=5,
                    materials=[wpb.Material(code="M07", name_zh="地形图<script>")],
                    latest=wpb.DateSpan(accept="2026-09-14", finish="2026-09-20"),
                )
            ],
        )
    ],
)


class StandInWorkflow:
    def __init__(self):
        self.calls: list[str] = []

    def call(self, method, request, **kwargs):
        self.calls.append(method)
        if method == "GetApprovalPlan":
            return wpb.GetApprovalPlanResponse(plan=PLAN)
        raise AssertionError(f"unexpected call {method}")


@pytest.fixture
def workflow(monkeypatch):
    stand_in = StandInWorkflow()
    monkeypatch.setattr(clients, "workflow", lambda: stand_in)
    return stand_in


def test_assigning_a_user_who_is_not_an_agent_is_a_400_before_any_backend_call(make_client, workflow):  # noqa: F811
    client = make_client("manual")
    token = login(client, "supervisor").json()["access_token"]
    team = {"lead": {"name": "周主任", "phone": "13900000001"}, "members": []}
    for agent in ("e01", "nobody", "supervisor"):
        r = client.put(
            "/api/v1/projects/p1/service-team",
            json={**team, "agent": agent},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
        assert "帮办代办专员" in r.json()["detail"]
    assert workflow.calls == []


def test_the_plan_as_json_and_as_a_printable_page(make_client, workflow):  # noqa: F811
    client = make_client("manual")
    auth = {"Authorization": f"Bearer {login(client, 'e05').json()['access_token']}"}
    plan = client.get("/api/v1/projects/p1/plan", headers=auth).json()
    assert plan["green_channel"] == "绿色通道" and plan["feasible"] is False and plan["shortfall_days"] == 7
    assert plan["stages"][0]["items"][0]["latest"] == {"accept": "2026-09-14", "finish": "2026-09-20"}
    for page in (
        client.get("/api/v1/projects/p1/plan?format=html", headers=auth),
        client.get("/api/v1/projects/p1/plan", headers={**auth, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
    ):
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "不能按计划开工：相差 7 个工作日" in page.text and "@media print" in page.text and "打印" in page.text
        assert "自然资源和规划局" in page.text and "2026-09-20" in page.text
        assert "<script>" not in page.text  # names are escaped
