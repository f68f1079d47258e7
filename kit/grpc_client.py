"""gRPC clients for service-to-service and gateway calls: one channel per target and process, spread over every
address the target resolves to, the caller's request id forwarded, deadlines on every call, and errors turned back
into `ServiceError` with the problem details that the server attached."""

from __future__ import annotations

import collections
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import grpc

from kit import config, logs
from kit.grpc_server import MAX_MESSAGE_BYTES, PROBLEM_KEY, TOKEN_KEY


@dataclass
class ServiceError(Exception):
    code: grpc.StatusCode
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class _CallerInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Adds the caller's request id and the suite's service token to every call."""

    def __init__(self, token: str):
        self._token = token

    def intercept_unary_unary(self, continuation, client_call_details, request):
        metadata = list(client_call_details.metadata or ())
        rid = logs.request_id.get()
        if rid:
            metadata.append(("x-request-id", rid))
        if self._token:
            metadata.append((TOKEN_KEY, self._token))
        client_call_details = _CallDetails(
            client_call_details.method,
            client_call_details.timeout,
            metadata,
            client_call_details.credentials,
            client_call_details.wait_for_ready,
            client_call_details.compression,
        )
        return continuation(client_call_details, request)


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


# A channel lives as long as the process, and HTTP/2 carries every call over the connections it holds: with the
# default policy (pick_first) that is one connection to one address, so a Kubernetes Service (which balances
# connections, not calls) would pin each process to one replica. round_robin keeps a connection to every address
# the target resolves to (`dns:///workflow-grpc:50051`, a headless Service: one address per ready pod) and takes
# them in turn; a target with one address (`127.0.0.1:50051` of `make run`) behaves as before. Servers close
# connections after a maximum age (kit.grpc_server), which makes the channel resolve the name again and so find
# replicas that were added since.
SERVICE_CONFIG = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})

_channels: dict[str, grpc.Channel] = {}
_lock = threading.Lock()


def channel(address: str) -> grpc.Channel:
    """The process's channel to `address` (created once; safe to share between threads). `address` is a gRPC
    target: `host:port`, `dns:///host:port`, or a fixed list such as `ipv4:10.0.0.1:50051,10.0.0.2:50051`."""
    with _lock:
        ch = _channels.get(address)
        if ch is None:
            raw = grpc.insecure_channel(
                address,
                options=[
                    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                    ("grpc.service_config", SERVICE_CONFIG),
                ],
            )
            ch = _channels[address] = grpc.intercept_channel(raw, _CallerInterceptor(config.service_token()))
        return ch


class Client:
    """Wraps a generated stub: `client.call("GetProject", request)` with a deadline and error translation."""

    def __init__(self, stub_class, address: str, timeout: float = 15.0):
        self.address = address
        self._stub = stub_class(channel(address))
        self._timeout = timeout

    def call(self, method: str, request, timeout: float | None = None):
        try:
            return getattr(self._stub, method)(request, timeout=timeout or self._timeout)
        except grpc.RpcError as exc:
            raise to_service_error(exc) from None


def to_service_error(exc: grpc.RpcError) -> ServiceError:
    details: dict[str, Any] = {}
    for key, value in exc.trailing_metadata() or ():
        if key == PROBLEM_KEY:
            details = json.loads(value)
    code = exc.code()
    message = exc.details() or ""
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) and not details:
        message = "后台服务暂时不可用，请稍后重试"
    return ServiceError(code, message, details)
