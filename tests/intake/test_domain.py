"""Registration, the one form per stage, shared materials and submission, with workflow in the same process."""

from __future__ import annotations

import pytest

from kit import errors
from kit.actor import Actor
from services.intake.models import Project
from tests.conftest import PDF
from tests.intake.conftest import PNG

ADMIN = Actor("admin", "admin")
E01 = Actor("e01", "enterprise", enterprise="E01")
E02 = Actor("e02", "enterprise", enterprise="E02")
WINDOW = Actor("window-officer", "officer", department="window")


def officer(dept):
    return Actor(f"{dept}-officer", "officer", department=dept)


@pytest.fixture
def project(intake):
    intake.register_enterprise(ADMIN, "E01", "鸿远物流有限公司", "91370100MA3C000X01")
    intake.register_enterprise(ADMIN, "E02", "宁川置业有限公司", "91370100MA3C000X02")
    return intake.register_project(
        E01,
        Project(
            code="P01",
            name="鸿远物流园二期仓储库房",
            project_type="low_risk",
            attributes={"eia_registration": True, "not_special_fire_project": True},
        ),
    )


def upload_all(intake, actor, project_id, stage, skip=()):
    for line in intake.stage_form(actor, project_id, stage).lines:
        if not line.on_file and not line.produced_by and line.code not in skip:
            intake.upload_material(actor, project_id, line.code, f"{line.code}.pdf", PDF)


def test_form_lists_each_material_once_with_producers(intake, project):
    form = intake.stage_form(E01, project.id, "S1")
    codes = [line.code for line in form.lines]
    assert len(codes) == len(set(codes))
    by_code = {line.code: line for line in form.lines}
    # S1-01 filing produces M03, which S1-07 needs in the same stage: not asked from the enterprise
    assert by_code["M03"].produced_by == "S1-01"
    assert "M03" not in form.missing
    assert sorted(by_code["M02"].required_by) == ["S1-01", "S1-07"]


def test_material_uploaded_once_is_shared_across_stages(intake, workflow, project):
    upload_all(intake, E01, project.id, "S1")
    assert intake.submit_stage(E01, project.id, "S1")[0] == "submitted"
    stage = workflow.act_on_stage(WINDOW, project.id, "S1", "accept")
    for item in stage.items:
        workflow.act_on_item(officer(item.department), item.id, "approve")
    s2 = {line.code: line for line in intake.stage_form(E01, project.id, "S2").lines}
    assert s2["M01"].on_file  # uploaded in S1
    assert s2["M06"].on_file and s2["M06"].produced_by == "S1-07"  # land-use permit issued in S1
    stored = {m.code: m for m in intake.list_materials(E01, project.id)}
    assert stored["M06"].source == "decision"


def test_submission_refused_with_missing_materials(intake, project):
    with pytest.raises(errors.Conflict) as refused:
        intake.submit_stage(E01, project.id, "S1")
    assert "M01" in refused.value.details["missing"]


def test_deferrable_material_may_be_supplied_later(intake, workflow, project):
    upload_all(intake, E01, project.id, "S1")
    for stage in ("S1", "S2"):
        if stage == "S2":
            upload_all(intake, E01, project.id, "S2")
        intake.submit_stage(E01, project.id, stage)
        for item in workflow.act_on_stage(WINDOW, project.id, stage, "accept").items:
            workflow.act_on_item(officer(item.department), item.id, "approve")
    upload_all(intake, E01, project.id, "S3", skip={"M16"})
    with pytest.raises(errors.Conflict):
        intake.submit_stage(E01, project.id, "S3")  # M16 missing and not asked to be deferred
    status, deferred = intake.submit_stage(E01, project.id, "S3", deferred=["M16"])
    assert deferred == ["M16"]
    permit = next(i for i in workflow.act_on_stage(WINDOW, project.id, "S3", "accept").items if "M16" in i.materials)
    with pytest.raises(errors.Conflict):
        workflow.act_on_item(officer("zjj"), permit.id, "approve")
    intake.upload_material(E01, project.id, "M16", "funding.png", PNG)
    item, _ = workflow.act_on_item(officer("zjj"), permit.id, "approve")
    assert item.status == "approved"


def test_uploads_are_checked(intake, project, monkeypatch):
    with pytest.raises(errors.UnsupportedMedia):
        intake.upload_material(E01, project.id, "M01", "licence.pdf", b"MZ\x90\x00 not a pdf")
    for glued in (b"%PDF-1.4\nMZ\x00\x00", b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", b"\xff\xd8\xff<html>"):
        with pytest.raises(errors.UnsupportedMedia, match="内容不完整或夹带了其他内容"):  # a header glued on
            intake.upload_material(E01, project.id, "M01", "licence.pdf", glued)
    with pytest.raises(errors.Invalid):
        intake.upload_material(E01, project.id, "M99", "x.pdf", PDF)
    with pytest.raises(errors.NotFound):
        intake.upload_material(E02, project.id, "M01", "x.pdf", PDF)
    intake.blobs.max_bytes = 10
    with pytest.raises(errors.TooLarge):
        intake.upload_material(E01, project.id, "M01", "x.pdf", PDF)
    assert intake.list_materials(E01, project.id) == []


def test_registration_rules(intake, project):
    with pytest.raises(errors.Invalid):
        intake.register_project(E01, Project(name="城堡", project_type="castle"))
    with pytest.raises(errors.AlreadyExists):
        intake.register_project(E01, Project(code="P01", name="重复", project_type="low_risk"))
    with pytest.raises(errors.Invalid):
        intake.register_project(ADMIN, Project(name="无企业", project_type="low_risk"))
    with pytest.raises(errors.NotFound):
        intake.get_project(E02, project.id)
    with pytest.raises(errors.Invalid):
        intake.register_enterprise(ADMIN, "E09", "某公司", "123")


def test_an_agents_upload_and_submission_are_recorded_for_the_enterprise(intake, workflow, project):
    """A supervisor makes the project major and assigns it agent `agent`: its upload and submission are recorded in
    intake's and workflow's audit trails as by agent `agent` for enterprise E01; another agent does not find it."""
    from services.workflow.domain import TeamMemberInput

    supervisor, agent, other = Actor("supervisor", "supervisor"), Actor("agent", "agent"), Actor("agent2", "agent")
    workflow.set_major(supervisor, project.id, True)
    workflow.assign_service_team(
        supervisor,
        project.id,
        "agent",
        TeamMemberInput("周主任", "13900000001"),
        [TeamMemberInput("吴科长", "13900000002", "zrgh")],
    )
    with pytest.raises(errors.NotFound):
        intake.upload_material(other, project.id, "M01", "licence.pdf", PDF)
    with pytest.raises(errors.NotFound):
        intake.project_history(other, project.id)
    upload_all(intake, agent, project.id, "S1")
    assert intake.submit_stage(agent, project.id, "S1")[0] == "submitted"
    entries = [(e.actor, e.actor_role, e.on_behalf_of, e.action) for e in intake.project_history(E01, project.id)]
    assert entries[0] == ("e01", "enterprise", "", "register")
    assert ("agent", "agent", "E01", "upload") in entries and entries[-1] == ("agent", "agent", "E01", "submit")
    submitted = [e for e in workflow.project_history(E01, project.id) if e.action == "submit"]
    assert submitted and {(e.actor, e.on_behalf_of) for e in submitted} == {("agent", "E01")}


def test_a_reupload_keeps_every_version_and_each_can_be_read_by_those_who_see_the_project(intake, project):
    first, second = PDF + b"% first scan\n", PDF + b"% second scan, signed\n"
    assert intake.upload_material(E01, project.id, "M01", "营业执照.pdf", first).version == 1
    again = intake.upload_material(E01, project.id, "M01", "营业执照（盖章）.pdf", second)
    assert (again.version, again.versions) == (2, 2)
    on_file = {m.code: m for m in intake.list_materials(E01, project.id)}["M01"]
    assert (on_file.filename, on_file.version, on_file.versions) == ("营业执照（盖章）.pdf", 2, 2)
    versions = intake.material_versions(officer("zrgh"), project.id, "M01")
    assert [(v.version, v.filename) for v in versions] == [(1, "营业执照.pdf"), (2, "营业执照（盖章）.pdf")]
    assert intake.material_file(officer("zrgh"), project.id, "M01")[1] == second
    assert intake.material_file(WINDOW, project.id, "M01", 1)[1] == first
    with pytest.raises(errors.NotFound):
        intake.material_file(E01, project.id, "M01", 3)
    with pytest.raises(errors.NotFound):  # never uploaded
        intake.material_file(E01, project.id, "M07")
    with pytest.raises(errors.NotFound):  # another enterprise does not learn that the project exists
        intake.material_file(E02, project.id, "M01")
    with pytest.raises(errors.NotFound):  # a department with no item in the project
        intake.material_versions(officer("wwj"), project.id, "M01")
    intake.blobs.path(versions[0].sha256).unlink()  # a file lost on disk: a clear error, not a crash
    with pytest.raises(errors.Unavailable):
        intake.material_file(E01, project.id, "M01", 1)


def test_a_material_under_review_is_replaced_only_after_a_request_for_supplements(intake, workflow, project):
    upload_all(intake, E01, project.id, "S1")
    intake.upload_material(E01, project.id, "M01", "营业执照.pdf", PDF + b"% v2\n")  # not submitted yet: fine
    intake.submit_stage(E01, project.id, "S1")
    with pytest.raises(errors.Conflict, match="正在审批中") as refused:  # the window has it in hand
        intake.upload_material(E01, project.id, "M01", "营业执照.pdf", PDF + b"% v3\n")
    assert set(refused.value.details["items"]) == {"S1-01", "S1-07"}
    stage = workflow.act_on_stage(WINDOW, project.id, "S1", "accept")
    with pytest.raises(errors.Conflict, match="请联系审批部门发起补正"):
        intake.upload_material(E01, project.id, "M01", "营业执照.pdf", PDF + b"% v3\n")
    s1_07, s1_01 = (next(i for i in stage.items if i.code == code) for code in ("S1-07", "S1-01"))
    workflow.act_on_item(officer(s1_07.department), s1_07.id, "suspend", reason="营业执照未盖章，请补正")
    with pytest.raises(errors.Conflict, match="S1-01"):  # the other department still has it in hand
        intake.upload_material(E01, project.id, "M01", "营业执照（盖章）.pdf", PDF + b"% v3\n")
    workflow.act_on_item(officer(s1_01.department), s1_01.id, "suspend", reason="同上，请补正营业执照")
    assert intake.upload_material(E01, project.id, "M01", "营业执照（盖章）.pdf", PDF + b"% v3\n").version == 3
    with pytest.raises(errors.Invalid):  # a material no item needs is refused as before, refused or not
        intake.upload_material(E01, project.id, "M99", "x.pdf", PDF)


def test_a_file_keeps_its_name_but_ends_as_its_content_is(intake, project):
    from services.intake.domain import safe_filename

    assert safe_filename("营业执照.cmd", "application/pdf") == "营业执照.pdf"
    assert safe_filename("C:\\fakepath\\扫描件.JPEG.html", "image/jpeg") == "扫描件.JPEG.jpg"
    assert safe_filename("../../地形图", "image/png") == "地形图.png"
    assert safe_filename(" ../. ", "application/pdf") == ""  # nothing left of the name
    stored = intake.upload_material(E01, project.id, "M01", "营业执照.cmd", PDF)
    assert stored.filename == "营业执照.pdf"
