"""deploy/prometheus: promtool accepts the scrape configuration and the rules, the rules' unit tests pass (and fail
when a rule changes), and the rules only use metrics that the suite exports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kit import config
from tests.deploy.manifests import (
    DEPLOY,
    LOCAL_ONLY_PROCESSES,
    PROCFILE_NAME,
    exported_metric_names,
    metric_names_in,
    procfile,
)

PROMETHEUS = DEPLOY / "prometheus"
RULES = PROMETHEUS / "rules" / "zhitong.rules.yml"
RULE_TESTS = PROMETHEUS / "tests" / "zhitong.rules.test.yml"
# What issue 8 asks the rules to watch, by the metric that shows it.
WATCHED = {
    "service down": "up",
    "error ratio": "zhitong_grpc_server_requests_total",
    "HTTP error ratio": "zhitong_http_requests_total",
    "outbox backlog age": "zhitong_outbox_oldest_unsent_age_seconds",
    "dead letters": "zhitong_consumer_dead_letters_total",
    "SMS failures": "zhitong_sms_total",
    "sweep not running": "zhitong_sweep_last_success_timestamp_seconds",
    "calendar fallback": "zhitong_calendar_fallback_in_use",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (apt-get install prometheus)")
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def alerts() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r]


def test_scrape_configuration_is_valid(promtool):
    done = run(promtool, "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_are_valid(promtool):
    done = run(promtool, "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_fire_on_their_series(promtool):
    done = run(promtool, "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_refuses_a_broken_rule_and_a_changed_threshold(promtool, tmp_path: Path):
    broken = tmp_path / "broken.rules.yml"
    broken.write_text(RULES.read_text().replace("> 0.05", "> > 0.05", 1))
    assert run(promtool, "check", "rules", str(broken)).returncode != 0
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "rules" / RULES.name).write_text(RULES.read_text().replace("> 300", "> 3000"))
    shutil.copy(RULE_TESTS, tmp_path / "tests" / RULE_TESTS.name)
    assert run(promtool, "test", "rules", str(tmp_path / "tests" / RULE_TESTS.name)).returncode != 0


def test_every_process_is_scraped_on_its_metrics_port():
    jobs = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())["scrape_configs"]
    }
    expected = {
        "gateway": config.DEFAULT_PORTS["gateway"][1],
        "workflow": config.DEFAULT_PORTS["workflow"][1],
        "intake": config.DEFAULT_PORTS["intake"][1],
        "consult": config.DEFAULT_PORTS["consult"][1],
        "rating": config.DEFAULT_PORTS["rating"][1],
        "alerts-api": config.DEFAULT_PORTS["alerts"][1],
        "workflow-relay": config.METRICS_ONLY_PORTS["workflow-relay"],
        "intake-relay": config.METRICS_ONLY_PORTS["intake-relay"],
        "consult-relay": config.METRICS_ONLY_PORTS["consult-relay"],
        "rating-relay": config.METRICS_ONLY_PORTS["rating-relay"],
        "alerts-worker": config.METRICS_ONLY_PORTS["alerts-worker"],
        "rating-worker": config.METRICS_ONLY_PORTS["rating-worker"],
    }
    assert jobs == {job: [f"127.0.0.1:{port}"] for job, port in expected.items()}
    assert {PROCFILE_NAME.get(job) for job in jobs} == set(procfile()) - LOCAL_ONLY_PROCESSES, "every process"


def test_rules_watch_what_the_issue_asks():
    used = set().union(*(metric_names_in(a["expr"]) | ({"up"} if "up{" in a["expr"] else set()) for a in alerts()))
    missing = {what for what, metric in WATCHED.items() if metric not in used}
    assert not missing


def test_rules_use_only_metrics_the_code_exports():
    unknown = {(a["alert"], m) for a in alerts() for m in metric_names_in(a["expr"]) - exported_metric_names()}
    assert not unknown


def test_every_alert_says_how_bad_and_what_happened():
    for alert in alerts():
        assert alert["labels"].get("severity") in ("critical", "warning"), alert["alert"]
        assert {"summary", "description"} <= set(alert.get("annotations", {})), alert["alert"]


def test_every_alert_has_a_unit_test():
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {a["alert"] for a in alerts()} == tested
