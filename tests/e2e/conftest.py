"""Starts the whole suite the way `make run` does — migrations, demo users, then every Procfile process under
honcho — on free ports with a temporary var/ directory, and stops it after the session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from kit.clock import LOCAL_TZ
from kit.config import ROOT
from tests.conftest import free_port
from tools.api import Api

VENV_BIN = Path(sys.executable).parent


def run_env() -> dict[str, str]:
    values = {}
    for line in (ROOT / "config" / "run.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@dataclass
class Suite:
    base: str
    ports: dict[str, int]
    log: Path
    password: str

    def api(self) -> Api:
        return Api(self.base)

    def login(self, username: str) -> Api:
        return self.api().login(username, self.password)

    def set_clock(self, local_time: str) -> None:
        when = datetime.fromisoformat(local_time).replace(tzinfo=LOCAL_TZ)
        self.login("admin").post("/admin/clock", json={"now": when.isoformat()})


def _wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float) -> None:
    """Wait until the suite's log shows `text` (the welcome screen, printed once the samples are loaded)."""
    deadline, delay = time.monotonic() + timeout, 0.05
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"the suite stopped:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    raise TimeoutError(f"no '{text}' in {log} after {timeout}s:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="session")
def suite(tmp_path_factory) -> Suite:
    var = tmp_path_factory.mktemp("var")
    ports = {name: free_port() for name in ("gateway", "workflow", "intake", "workflow_m", "intake_m")}
    env = {**os.environ, **run_env()}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        ZHITONG_VAR_DIR=str(var),
        ZHITONG_GATEWAY_PORT=str(ports["gateway"]),
        WORKFLOW_GRPC_ADDR=f"127.0.0.1:{ports['workflow']}",
        INTAKE_GRPC_ADDR=f"127.0.0.1:{ports['intake']}",
        WORKFLOW_METRICS_PORT=str(ports["workflow_m"]),
        INTAKE_METRICS_PORT=str(ports["intake_m"]),
    )
    python = str(VENV_BIN / "python")
    subprocess.run(
        [python, "-m", "kit.migrate", "workflow", "intake", "gateway"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [python, "-m", "services.gateway.users", "--demo"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    log = var / "suite.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "-f", "Procfile", "start"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_line(log, "Zhitong is running", proc, timeout=120)
        yield Suite(f"http://127.0.0.1:{ports['gateway']}", ports, log, env["ZHITONG_DEMO_PASSWORD"])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
