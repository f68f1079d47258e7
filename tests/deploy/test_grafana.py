"""deploy/grafana: the dashboard loads, its panels do not overlap, and every query is valid PromQL over metrics
that the suite exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.manifests import DEPLOY, exported_metric_names, metric_names_in

DASHBOARDS = sorted((DEPLOY / "grafana").glob("*.json"))


def panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries(dashboard: dict) -> list[str]:
    return [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]


@pytest.fixture(params=DASHBOARDS, ids=[d.name for d in DASHBOARDS])
def dashboard(request) -> dict:
    return json.loads(request.param.read_text("utf-8"))


def test_there_is_a_dashboard():
    assert DASHBOARDS


def test_panels_have_ids_a_datasource_and_a_place(dashboard):
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    assert dashboard["uid"] and dashboard["title"]
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
    taken: set[tuple[int, int]] = set()
    for panel in panels(dashboard):
        box = panel["gridPos"]
        assert box["x"] >= 0 and box["x"] + box["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(box["x"], box["x"] + box["w"]) for y in range(box["y"], box["y"] + box["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"], panel["title"]


def test_queries_use_only_metrics_the_code_exports(dashboard):
    unknown = {m for q in queries(dashboard) for m in metric_names_in(q)} - exported_metric_names()
    assert not unknown


def test_queries_are_valid_promql(dashboard, tmp_path: Path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (apt-get install prometheus)")
    # Grafana's variables become what they select by default; promtool then parses each query as a rule.
    rules = [
        {"record": f"dashboard:query_{i}", "expr": re.sub(r"\$\{?job\}?", ".*", q)}
        for i, q in enumerate(queries(dashboard))
    ]
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
