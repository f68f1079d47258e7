"""A RabbitMQ node of a test's own (own node name, ports and data directory), for fault tests that stop and
start the broker; the machine's broker is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.conftest import free_ports


class OwnBroker:
    def __init__(self):
        self.node = f"zt{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_ports(2)
        self.base = Path(tempfile.mkdtemp(prefix="zhitong-rabbit-", dir="/tmp"))
        for sub in ("log", "mnesia"):
            (self.base / sub).mkdir()
        (self.base / "enabled_plugins").write_text("[].")
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        shutil.chown(self.base, "rabbitmq", "rabbitmq")
        for path in self.base.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def start(self) -> None:
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, capture_output=True)
        pid_file = self.base / "mnesia" / f"{self.node}.pid"
        subprocess.run(
            ["rabbitmqctl", "-n", self.node, "-q", "wait", "--timeout", "90", str(pid_file)],
            env=self.env,
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(["rabbitmqctl", "-n", self.node, "-q", "stop"], env=self.env, capture_output=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
