"""Calls spread over every replica behind one name: real servers on loopback, reached through kit.grpc_client as
the gateway reaches them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from zhitong.clock.v1 import clock_pb2, clock_pb2_grpc

from kit import grpc_client
from kit.clock import ManualClock
from kit.grpc_client import Client
from kit.grpc_server import create_grpc_server

TOKEN = "balancing-test-token"


@pytest.fixture
def start_server(monkeypatch):
    """Starts servers built by the suite's own bootstrap on free loopback ports; stops them and closes the
    channels the test opened."""
    monkeypatch.setenv("ZHITONG_SERVICE_TOKEN", TOKEN)
    monkeypatch.delenv("ZHITONG_BIND_HOST", raising=False)
    servers = []
    channels_before = set(grpc_client._channels)

    def start(name: str, now: datetime):
        server = create_grpc_server(name, [], clock=ManualClock(start=now), port=0)
        server.start()
        servers.append(server)
        return server

    yield start
    for address in set(grpc_client._channels) - channels_before:
        grpc_client._channels.pop(address).close()
    for server in servers:
        server.stop(grace=0)


def clock_year(address: str) -> int:
    reply = Client(clock_pb2_grpc.ClockServiceStub, address, timeout=5).call("GetClock", clock_pb2.GetClockRequest())
    return reply.now.ToDatetime().year


def test_calls_to_one_name_reach_every_replica(start_server):
    # Two replicas of one service, told apart by the time their clocks stand at.
    first = start_server("replica", datetime(2026, 1, 1, tzinfo=UTC))
    second = start_server("replica", datetime(2027, 1, 1, tzinfo=UTC))
    # One target, two addresses: what a headless Service's name resolves to with two ready pods.
    target = f"ipv4:127.0.0.1:{first.port},127.0.0.1:{second.port}"
    answered = Counter(clock_year(target) for _ in range(20))
    assert set(answered) == {2026, 2027}, f"every call went to one replica: {dict(answered)}"
    assert min(answered.values()) >= 5, f"the calls are not spread: {dict(answered)}"


@pytest.mark.parametrize("form", ["127.0.0.1:{port}", "localhost:{port}", "dns:///localhost:{port}"])
def test_a_single_address_works_as_before(start_server, form):
    server = start_server("single", datetime(2026, 9, 28, tzinfo=UTC))
    assert [clock_year(form.format(port=server.port)) for _ in range(3)] == [2026] * 3
