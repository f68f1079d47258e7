"""A real Prometheus (Debian's package) scrapes the running suite: every process is an `up` target and a request
to the gateway shows up in the scraped metrics."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import requests
import yaml

from tests.conftest import free_port
from tests.e2e.conftest import METRICS, wait_until

pytestmark = pytest.mark.e2e


def test_prometheus_scrapes_every_process(suite, tmp_path):
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed (Debian package `prometheus`; .ci/run installs it)"
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [f"127.0.0.1:{suite.ports[f'metrics:{name}']}"]}]}
            for name in METRICS
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    prometheus = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        suite.login("e01").get("/projects")

        def all_up():
            try:
                targets = requests.get(f"{api}/targets", timeout=2).json()["data"]["activeTargets"]
            except (requests.ConnectionError, ValueError):
                return False
            return len(targets) == len(METRICS) and all(t["health"] == "up" for t in targets)

        wait_until(all_up, timeout=60, what="every target up in Prometheus")

        def gateway_request_scraped():
            query = 'zhitong_http_requests_total{route="services.gateway.api.projects.search",status="200"}'
            result = requests.get(f"{api}/query", params={"query": query}, timeout=2).json()["data"]["result"]
            return result and float(result[0]["value"][1]) >= 1

        wait_until(gateway_request_scraped, timeout=30, what="the gateway request in Prometheus")
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=20)
