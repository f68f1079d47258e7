"""Materials as the departments see them: an enterprise uploads its business licence and, after a correction, again;
the department's officer lists both uploads and opens each file in the browser; others get 404."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.test_approval_flow import PDF
from tools.api import ApiError

pytestmark = pytest.mark.e2e


def test_every_upload_of_a_material_can_be_opened_by_the_departments(suite):
    e05 = suite.login("e05")
    project = e05.post(
        "/projects", json={"name": "和顺食品冷库", "type": "low_risk", "attributes": {"eia_registration": True}}
    )
    pid = project["id"]
    first, second = PDF + b"% unsigned\n", PDF + b"% signed and stamped\n"
    for name, content in (("营业执照.pdf", first), ("营业执照（盖章）.pdf", second)):
        stored = e05.post(
            f"/projects/{pid}/materials",
            data={"material_code": "M01"},
            files={"file": (name, content, "application/pdf")},
        )
    assert (stored["version"], stored["versions"]) == (2, 2)
    on_file = {m["code"]: m for m in e05.get(f"/projects/{pid}/materials")["materials"]}["M01"]
    assert (on_file["filename"], on_file["versions"]) == ("营业执照（盖章）.pdf", 2)

    department = next(i["department"] for s in e05.get(f"/projects/{pid}")["stages"] for i in s["items"])
    officer = suite.login(f"{department}-officer")
    versions = officer.get(f"/projects/{pid}/materials/M01/versions")["versions"]
    assert [(v["version"], v["filename"], v["uploaded_by"]) for v in versions] == [
        (1, "营业执照.pdf", "e05"),
        (2, "营业执照（盖章）.pdf", "e05"),
    ]
    current = officer.raw("GET", f"/projects/{pid}/materials/M01/file")
    assert current.content == second and current.headers["Content-Type"] == "application/pdf"
    assert current.headers["X-Content-Type-Options"] == "nosniff"
    assert current.headers["Content-Disposition"].startswith("inline;")
    assert quote("营业执照（盖章）.pdf") in current.headers["Content-Disposition"]
    assert officer.raw("GET", f"/projects/{pid}/materials/M01/file", params={"version": 1}).content == first

    for who, path in (
        ("e01", f"/projects/{pid}/materials/M01/file"),  # another enterprise
        ("e05", f"/projects/{pid}/materials/M01/file?version=3"),
        ("e05", f"/projects/{pid}/materials/M07/versions"),  # never uploaded
    ):
        with pytest.raises(ApiError) as refused:
            suite.login(who).raw("GET", path)
        assert refused.value.status == 404, refused.value.problem
        assert refused.value.headers["Content-Type"].startswith("application/problem+json")
