"""The shared gRPC bootstrap: health follows readiness checks, and calls without the service token are refused."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from zhitong.clock.v1 import clock_pb2, clock_pb2_grpc

from kit.clock import ManualClock
from kit.grpc_server import create_grpc_server


@pytest.fixture
def make_server(monkeypatch):
    servers = []

    def make(ready: list[bool], token: str = ""):
        monkeypatch.setenv("ZHITONG_SERVICE_TOKEN", token or "-")
        server = create_grpc_server("probe", [], clock=ManualClock(), port=0, ready_checks=[lambda: ready[0]])
        server.check_interval = 0.05
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop(grace=0)


def health(server) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status


def test_health_follows_the_readiness_checks(make_server):
    ready = [False]
    server = make_server(ready)
    assert health(server) == health_pb2.HealthCheckResponse.NOT_SERVING
    ready[0] = True
    assert server._check_readiness()
    assert health(server) == health_pb2.HealthCheckResponse.SERVING


def test_calls_without_the_service_token_are_refused(make_server):
    server = make_server([True], token="secret-token")
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = clock_pb2_grpc.ClockServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetClock(clock_pb2.GetClockRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        reply = stub.GetClock(
            clock_pb2.GetClockRequest(), timeout=5, metadata=[("x-zhitong-service-token", "secret-token")]
        )
        assert reply.mode == "manual"
