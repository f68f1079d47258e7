"""Starts the whole suite the way `make run` does — migrations, demo users, then every Procfile process with the
same commands and settings — on free ports, with a temporary var/ directory and a RabbitMQ virtual host of its
own, so that a developer's running suite never sees the test's events. Processes are supervised one by one so
that fault tests can kill and restart any of them."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from kit import config
from kit.clock import LOCAL_TZ
from kit.config import ROOT
from tests.conftest import free_ports
from tools.api import Api

VENV_BIN = Path(sys.executable).parent
PROCESS_PORTS = ("gateway", "workflow", "intake", "consult", "rating", "alerts")
METRICS = config.metrics_processes()


def run_env() -> dict[str, str]:
    values = {}
    for line in (ROOT / "config" / "run.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def wait_until(condition, timeout: float = 30.0, what: str = "condition"):
    """Poll `condition()` (backing off from 20 ms to 0.5 s) until it returns something truthy, or fail."""
    deadline, delay = time.monotonic() + timeout, 0.02
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


@dataclass
class Suite:
    base: str
    ports: dict[str, int]
    var: Path
    env: dict[str, str]
    password: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def api(self) -> Api:
        return Api(self.base)

    def login(self, username: str) -> Api:
        return self.api().login(username, self.password)

    def set_clock(self, local_time: str) -> None:
        when = datetime.fromisoformat(local_time).replace(tzinfo=LOCAL_TZ)
        # tests move the clock where each scenario needs it, back as well as forth
        self.login("admin").post("/admin/clock", json={"now": when.isoformat(), "backwards": True})

    def log(self, name: str) -> str:
        return (self.var / f"{name}.log").read_text(errors="replace")

    def start(self, name: str) -> None:
        command = procfile()[name]
        with (self.var / f"{name}.log").open("ab") as out:
            self.processes[name] = subprocess.Popen(
                shlex.split(command),
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, name: str, signum: int = signal.SIGTERM) -> None:
        proc = self.processes.pop(name)
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:  # it had already exited
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} stopped:\n{self.log(name)[-3000:]}")


def start_suite(var: Path, amqp_url: str, extra_env: Mapping[str, str] | None = None) -> Suite:
    """The whole suite on free ports; `extra_env` adds or overrides settings of every process (e.g. the
    identity platform's)."""
    names = [*PROCESS_PORTS, *(f"metrics:{name}" for name in METRICS)]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    env = {**os.environ, **run_env()}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        ZHITONG_VAR_DIR=str(var),
        ZHITONG_GATEWAY_PORT=str(ports["gateway"]),
        AMQP_URL=amqp_url,
        ZHITONG_SWEEP_SECONDS="3600",  # sweeps come from clock changes in tests, not from the timer
        ALERTS_RETRY_BASE_SECONDS="1",
    )
    env.update(extra_env or {})
    for name in ("workflow", "intake", "consult", "rating", "alerts"):
        env[f"{name.upper()}_GRPC_ADDR"] = f"127.0.0.1:{ports[name]}"
    for name in METRICS:
        env[f"{name.upper().replace('-', '_')}_METRICS_PORT"] = str(ports[f"metrics:{name}"])
    python = str(VENV_BIN / "python")
    subprocess.run(
        [python, "-m", "kit.migrate", "workflow", "intake", "consult", "rating", "alerts", "gateway"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [python, "-m", "services.gateway.users", "--demo"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    suite = Suite(f"http://127.0.0.1:{ports['gateway']}", ports, var, env, env["ZHITONG_DEMO_PASSWORD"])
    for name in procfile():
        suite.start(name)
    try:

        def welcomed():
            suite.check_alive()
            return "Zhitong is running" in suite.log("welcome")

        wait_until(welcomed, timeout=120, what="the welcome screen")
    except BaseException:
        suite.stop()
        raise
    return suite


@contextlib.contextmanager
def own_vhost():
    """A RabbitMQ virtual host of the machine's broker, only for one suite of this test run."""
    name = f"zhitong-e2e-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True, capture_output=True
    )
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)


@pytest.fixture(scope="session")
def vhost():
    with own_vhost() as url:
        yield url


@pytest.fixture(scope="session")
def suite(tmp_path_factory, vhost) -> Suite:
    s = start_suite(tmp_path_factory.mktemp("var"), vhost)
    yield s
    s.stop()
