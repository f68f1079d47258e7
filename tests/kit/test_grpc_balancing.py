"""Calls spread over every replica behind one name, and servers close connections after a maximum age so that
clients resolve the name again: real servers on loopback, reached through kit.grpc_client as the gateway reaches
them."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from types import SimpleNamespace

import grpc
import pytest
from zhitong.clock.v1 import clock_pb2, clock_pb2_grpc

from kit import grpc_client
from kit.clock import ManualClock
from kit.config import ConfigError
from kit.grpc_client import Client
from kit.grpc_server import Registration, connection_age_options, create_grpc_server

TOKEN = "balancing-test-token"
PEER_SERVICE = "zhitong.test.v1.PeerService"


def _add_peer_service(servicer, server: grpc.Server) -> None:
    # Answers each call with the client's address and port as the server sees them: a new port is a new connection.
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: context.peer().encode())
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(PEER_SERVICE, {"Peer": handler}),))


PEER_REGISTRATION = Registration(_add_peer_service, None, SimpleNamespace(full_name=PEER_SERVICE))


@pytest.fixture
def start_server(monkeypatch):
    """Starts servers built by the suite's own bootstrap on free loopback ports; stops them and closes the
    channels the test opened."""
    monkeypatch.setenv("ZHITONG_SERVICE_TOKEN", TOKEN)
    monkeypatch.delenv("ZHITONG_BIND_HOST", raising=False)
    servers = []
    channels_before = set(grpc_client._channels)

    def start(name: str, now: datetime | None = None, registrations=()):
        server = create_grpc_server(name, list(registrations), clock=ManualClock(start=now), port=0)
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


def test_connections_are_closed_after_their_age_and_calls_go_on(start_server, monkeypatch):
    monkeypatch.setenv("ZHITONG_GRPC_MAX_CONNECTION_AGE_SECONDS", "0.2")
    monkeypatch.setenv("ZHITONG_GRPC_MAX_CONNECTION_AGE_GRACE_SECONDS", "0.5")
    server = start_server("aging", registrations=[PEER_REGISTRATION])
    peer = grpc_client.channel(f"127.0.0.1:{server.port}").unary_unary(f"/{PEER_SERVICE}/Peer")
    first = peer(b"", timeout=5)
    # Calls keep coming as they would from a busy gateway; each must succeed, and after the age (0.2 s and a jitter
    # of 10 %) they arrive on a new connection. Without the age the connection would last for ever: give up after 4 s.
    deadline = time.monotonic() + 4
    calls = 1
    latest = first
    while latest == first and time.monotonic() < deadline:
        latest = peer(b"", timeout=5)
        calls += 1
    assert latest != first, f"{calls} calls in 4 s, all on the connection of {first.decode()}"
    assert all(peer(b"", timeout=5) for _ in range(5)), "calls go on over the new connection"


def test_connection_age_defaults_and_bad_values(monkeypatch):
    monkeypatch.delenv("ZHITONG_GRPC_MAX_CONNECTION_AGE_SECONDS", raising=False)
    monkeypatch.delenv("ZHITONG_GRPC_MAX_CONNECTION_AGE_GRACE_SECONDS", raising=False)
    assert connection_age_options() == [
        ("grpc.max_connection_age_ms", 300_000),
        ("grpc.max_connection_age_grace_ms", 90_000),
    ]
    monkeypatch.setenv("ZHITONG_GRPC_MAX_CONNECTION_AGE_SECONDS", "90")
    assert connection_age_options()[0] == ("grpc.max_connection_age_ms", 90_000)
    for bad in ("0", "-5", "five minutes", "nan", "inf"):
        monkeypatch.setenv("ZHITONG_GRPC_MAX_CONNECTION_AGE_SECONDS", bad)
        with pytest.raises(ConfigError, match="ZHITONG_GRPC_MAX_CONNECTION_AGE_SECONDS"):
            connection_age_options()
