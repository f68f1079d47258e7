"""Load the sample enterprises and projects (`data/sample_projects.yaml`) and the follow-up categories
(`data/follow_up_categories.yaml`) through the API; already loaded ones are
left as they are."""

from __future__ import annotations

import yaml

from kit import config
from tools.api import Api, ApiError


def load_samples() -> dict:
    return yaml.safe_load(config.data_file("sample_projects.yaml", "ZHITONG_SAMPLE_PROJECTS").read_text("utf-8"))


def seed(admin: Api) -> dict[str, str]:
    """Register the sample enterprises, projects and follow-up categories; returns {project code: project id}."""
    samples = load_samples()
    known = {c["code"] for c in admin.get("/admin/follow-up-categories")["categories"]}
    categories = yaml.safe_load(
        config.data_file("follow_up_categories.yaml", "ZHITONG_FOLLOW_UP_CATEGORIES").read_text("utf-8")
    )["categories"]
    for c in categories:
        if c["code"] not in known:
            admin.post("/admin/follow-up-categories", json=c)
    for e in samples["enterprises"]:
        try:
            admin.post("/enterprises", json={k: e[k] for k in ("code", "name_zh", "credit_code", "contact", "phone")})
        except ApiError as exc:
            if exc.status != 409:
                raise
    ids = project_ids(admin)
    for p in samples["projects"]:
        if p["code"] in ids:
            continue
        created = admin.post(
            "/projects",
            json={
                "code": p["code"],
                "name": p["name_zh"],
                "type": p["type"],
                "enterprise": p["enterprise"],
                "attributes": p.get("attributes", {}),
                "regional_evaluation_zone": p.get("regional_evaluation_zone", False),
                "major": p.get("major", False),
                "floor_area_m2": p.get("floor_area_m2", 0),
                "investment_wan": p.get("investment_wan", 0),
            },
        )
        ids[p["code"]] = created["id"]
    return ids


def project_ids(api: Api) -> dict[str, str]:
    """{project code: id} of the projects the caller sees."""
    ids = {}
    for summary in api.get("/projects", params={"limit": 500})["projects"]:
        detail = api.get(f"/projects/{summary['id']}")
        if detail.get("code"):
            ids[detail["code"]] = detail["id"]
    return ids
