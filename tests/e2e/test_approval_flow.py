"""The suite end to end through the gateway: a sample project through four stages, colours on the 2026
calendar, the 2027 fallback, and the refusals a user meets."""

from __future__ import annotations

import grpc
import pytest
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tools.api import Api, ApiError
from tools.seed import project_ids

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload_missing(api: Api, project_id: str, stage: str) -> dict[str, str]:
    """Upload every material the stage's form still asks for; returns {code: sha256}."""
    shas = {}
    for code in api.get(f"/projects/{project_id}/stages/{stage}/form")["missing"]:
        stored = api.post(
            f"/projects/{project_id}/materials",
            data={"material_code": code},
            files={"file": (f"{code}.pdf", PDF + code.encode(), "application/pdf")},
        )
        shas[code] = stored["sha256"]
    return shas


def apply_and_accept(suite, enterprise: Api, project_id: str, stage: str) -> dict:
    upload_missing(enterprise, project_id, stage)
    assert enterprise.post(f"/projects/{project_id}/stages/{stage}/submit")["status"] == "submitted"
    return suite.login("window-officer").post(
        f"/projects/{project_id}/stages/{stage}/actions", json={"action": "accept"}
    )


def item(project: dict, code: str) -> dict:
    return next(i for s in project["stages"] for i in s["items"] if i["code"] == code)


def register(api: Api, name: str, type_: str = "general_social", **extra) -> str:
    return api.post("/projects", json={"name": name, "type": type_, **extra})["id"]


def test_sample_project_goes_through_four_stages_sharing_materials(suite):
    suite.set_clock("2026-11-02 09:00")
    e01 = suite.login("e01")
    pid = project_ids(e01)["P01"]
    uploaded: dict[str, str] = {}
    for day, stage in zip(("02", "04", "06", "10"), ("S1", "S2", "S3", "S4")):
        suite.set_clock(f"2026-11-{day} 09:00")
        form = {m["code"]: m for m in e01.get(f"/projects/{pid}/stages/{stage}/form")["materials"]}
        if stage == "S2":
            # the land-use permit S1-07 issued is on file without any upload
            assert form["M06"]["on_file"] and form["M06"]["produced_by"] == "S1-07"
            assert "M06" not in uploaded
        if stage == "S3":
            # the business licence uploaded in S1 is shared: on file, same file
            assert form["M01"]["on_file"] and form["M01"]["sha256"] == uploaded["M01"]
        uploaded |= upload_missing(e01, pid, stage)
        e01.post(f"/projects/{pid}/stages/{stage}/submit")
        accepted = suite.login("window-officer").post(
            f"/projects/{pid}/stages/{stage}/actions", json={"action": "accept"}
        )
        assert {i["status"] for i in accepted["items"]} == {"accepted"}
        suite.set_clock(f"2026-11-{day} 16:00")  # same-day (即办) items must be decided the day they are accepted
        for it in accepted["items"]:
            done = suite.login(f"{it['department']}-officer").post(
                f"/items/{it['id']}/actions", json={"action": "approve"}
            )
            assert done["status"] == "approved"
    project = e01.get(f"/projects/{pid}")
    assert project["status"] == "completed"
    assert project["colour"] == "blue"
    assert {d["material"] for d in project["documents"]} == {"M03", "M06", "M10"}
    decisions = {m["code"] for m in e01.get(f"/projects/{pid}/materials")["materials"] if m["source"] == "decision"}
    assert decisions == {"M03", "M06", "M10"}


def test_national_day_example_red_blue_and_suspension(suite):
    suite.set_clock("2026-09-30 09:00")
    e02 = suite.login("e02")
    plain = register(e02, "国庆示例项目甲")
    paused = register(e02, "国庆示例项目乙")
    quick = register(e02, "国庆示例项目丙")
    for pid in (plain, paused, quick):
        apply_and_accept(suite, e02, pid, "S1")
    zrgh = suite.login("zrgh-officer")
    # S1-07 (promised 5, stage limit 12): accepted Wednesday 30 September, counts 8, 9, 10, 12, 13 October
    assert item(e02.get(f"/projects/{plain}"), "S1-07")["deadline"] == "2026-10-13"

    suite.set_clock("2026-10-09 09:00")
    zrgh.post(
        f"/items/{item(e02.get(f'/projects/{paused}'), 'S1-07')['id']}/actions",
        json={"action": "suspend", "reason": "请补正总平面图"},
    )
    suite.login("fgw-officer").post(
        f"/items/{item(e02.get(f'/projects/{quick}'), 'S1-01')['id']}/actions", json={"action": "approve"}
    )  # the filing issues M03, which the land-use permit needs
    blue = zrgh.post(f"/items/{item(e02.get(f'/projects/{quick}'), 'S1-07')['id']}/actions", json={"action": "approve"})
    assert blue["colour"] == "blue" and blue["used_days"] == 2

    suite.set_clock("2026-10-12 09:00")
    resumed = zrgh.post(
        f"/items/{item(e02.get(f'/projects/{paused}'), 'S1-07')['id']}/actions", json={"action": "resume"}
    )
    assert resumed["suspended_days"] == 2 and resumed["deadline"] == "2026-10-15"

    suite.set_clock("2026-10-13 09:00")
    on_deadline = item(e02.get(f"/projects/{plain}"), "S1-07")
    assert on_deadline["colour"] == "yellow" and on_deadline["warning"]

    suite.set_clock("2026-10-14 09:00")
    assert item(e02.get(f"/projects/{plain}"), "S1-07")["colour"] == "red"
    assert e02.get(f"/projects/{plain}")["colour"] == "red"
    assert item(e02.get(f"/projects/{paused}"), "S1-07")["colour"] == "yellow"
    red_queue = zrgh.get("/items", params={"colour": "red"})["items"]
    red_projects = {i["project_id"] for i in red_queue if i["code"] == "S1-07"}
    assert plain in red_projects and not {paused, quick} & red_projects

    suite.set_clock("2026-10-16 09:00")
    assert item(e02.get(f"/projects/{paused}"), "S1-07")["colour"] == "red"
    history = zrgh.get(f"/items/{item(e02.get(f'/projects/{paused}'), 'S1-07')['id']}/history")
    assert [h["action"] for h in history] == ["submit", "accept", "suspend", "resume"]
    assert history[2]["actor"] == "zrgh-officer" and history[2]["reason"] == "请补正总平面图"


def test_2027_counts_monday_to_friday_until_an_admin_loads_it(suite):
    suite.set_clock("2026-12-30 09:00")
    e05 = suite.login("e05")
    pid = register(e05, "跨年项目", "low_risk")
    apply_and_accept(suite, e05, pid, "S1")
    project = e05.get(f"/projects/{pid}")
    # S1-07 limit 3 (low_risk S1): 31 December, then 1 and 4 January counted Monday–Friday
    assert item(project, "S1-07")["deadline"] == "2027-01-04"
    assert "2027" in project["calendar_warning"]
    year = suite.api().get("/calendar/2027")
    assert year["source"] == "fallback" and year["calendar_warning"]

    admin = suite.login("admin")
    loaded = admin.put("/calendar/2027", json={"holidays": ["2027-01-01"], "workdays": []})
    assert loaded["source"] == "admin" and loaded["calendar_warning"] is None
    project = e05.get(f"/projects/{pid}")
    assert item(project, "S1-07")["deadline"] == "2027-01-05"
    assert project["calendar_warning"] is None
    assert admin.delete("/calendar/2027")["source"] == "fallback"
    assert "2027" in e05.get(f"/projects/{pid}")["calendar_warning"]
    admin.put("/calendar/2027", json={"holidays": ["2027-01-01"], "workdays": []})

    # a year the library publishes is not replaced by accident
    with pytest.raises(ApiError) as published:
        admin.put("/calendar/2026", json={"holidays": [], "workdays": []})
    assert published.value.status == 409 and "replace_published" in published.value.problem["detail"]
    assert suite.api().get("/calendar/2026")["source"] == "library"


def test_refusals_are_clear_problems(suite):
    suite.set_clock("2026-11-16 09:00")
    e01, e02 = suite.login("e01"), suite.login("e02")
    pid = project_ids(e01)["P07"]

    with pytest.raises(ApiError) as bad_type:
        e01.post("/projects", json={"name": "城堡", "type": "castle"})
    assert bad_type.value.status == 400 and "castle" in bad_type.value.problem["detail"]

    with pytest.raises(ApiError) as hidden:
        e02.get(f"/projects/{pid}")
    assert hidden.value.status == 404

    with pytest.raises(ApiError) as missing:
        e01.post(f"/projects/{pid}/stages/S1/submit")
    assert missing.value.status == 409 and "M01" in missing.value.problem["missing"]

    r = requests.post(
        f"{suite.base}/api/v1/projects/{pid}/materials",
        data={"material_code": "M01"},
        files={"file": ("licence.pdf", b"MZ\x90\x00 this is no pdf", "application/pdf")},
        headers={"Authorization": f"Bearer {e01.token}"},
        timeout=30,
    )
    assert r.status_code == 415
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert e01.get(f"/projects/{pid}/stages/S1/form")["missing"][0] == "M01"  # nothing stored

    accepted = apply_and_accept(suite, e01, pid, "S1")
    zrgh_item = next(i for i in accepted["items"] if i["department"] == "zrgh")
    with pytest.raises(ApiError) as other_dept:
        suite.login("fgw-officer").post(f"/items/{zrgh_item['id']}/actions", json={"action": "approve"})
    assert other_dept.value.status == 403
    with pytest.raises(ApiError) as wrong_state:
        suite.login("zrgh-officer").post(f"/items/{zrgh_item['id']}/actions", json={"action": "resume"})
    assert wrong_state.value.status == 409

    r = requests.get(f"{suite.base}/api/v1/projects", timeout=10)
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("application/problem+json")


def test_every_service_answers_health_and_reflection(suite):
    for name in ("workflow", "intake"):
        with grpc.insecure_channel(f"127.0.0.1:{suite.ports[name]}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            answer = next(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
            names = {s.name for s in answer.list_services_response.service}
            assert f"zhitong.{name}.v1.{name.capitalize()}Service" in names
            assert "grpc.health.v1.Health" in names
            # the services trust only callers that carry the suite's service token
            with pytest.raises(grpc.RpcError) as refused:
                channel.unary_unary(f"/zhitong.{name}.v1.{name.capitalize()}Service/GetProject")(b"", timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert requests.get(f"{suite.base}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{suite.base}/readyz", timeout=5).json()["status"] == "ready"


def test_every_process_serves_metrics_and_the_gateway_counts_routes(suite):
    suite.login("e01").get("/projects")
    for process in ("gateway", "workflow", "intake", "alerts", "workflow-relay", "intake-relay", "alerts-worker"):
        text = requests.get(f"http://127.0.0.1:{suite.ports[f'metrics:{process}']}/metrics", timeout=5).text
        assert "# TYPE" in text, process
    gateway = requests.get(f"http://127.0.0.1:{suite.ports['metrics:gateway']}/metrics", timeout=5).text
    assert (
        'zhitong_http_requests_total{method="GET",route="services.gateway.api.projects.search",status="200"}' in gateway
    )
    workflow = requests.get(f"http://127.0.0.1:{suite.ports['metrics:workflow']}/metrics", timeout=5).text
    assert 'zhitong_grpc_server_requests_total{code="OK",method="ListProjects",service="workflow"}' in workflow
    assert 'zhitong_service_ready{service="workflow"} 1.0' in workflow
