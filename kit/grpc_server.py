"""gRPC server bootstrap shared by every service: health (grpc.health.v1) per full service name, reflection,
an interceptor for metrics, request ids and domain errors, the suite clock service, a `/metrics` port, a maximum
age of client connections and a graceful SIGTERM drain during which health answers NOT_SERVING."""

from __future__ import annotations

import hmac
import json
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from zhitong.clock.v1 import clock_pb2, clock_pb2_grpc

from kit import config, errors, logs, metrics
from kit.clock import Clock, ManualClock

log = logging.getLogger("kit.grpc")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
PROBLEM_KEY = "zhitong-problem-bin"
TOKEN_KEY = "x-zhitong-service-token"
OPEN_METHODS = ("/grpc.health.v1.Health/",)
MAX_CONNECTION_AGE_SECONDS = (2**31 - 1) // 1000

_STATUS_OF_KIND = {
    "invalid": grpc.StatusCode.INVALID_ARGUMENT,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "forbidden": grpc.StatusCode.PERMISSION_DENIED,
    "conflict": grpc.StatusCode.FAILED_PRECONDITION,
    "exists": grpc.StatusCode.ALREADY_EXISTS,
    "unsupported_media": grpc.StatusCode.INVALID_ARGUMENT,
    "too_large": grpc.StatusCode.INVALID_ARGUMENT,
    "unavailable": grpc.StatusCode.UNAVAILABLE,
}


class _ServerInterceptor(grpc.ServerInterceptor):
    """RED metrics per method, the caller's request id in every log line, domain errors as status codes."""

    def __init__(self, service: str, token: str):
        self._service = service
        self._token = token

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        full_method = handler_call_details.method
        method = full_method.rsplit("/", 1)[-1]
        metadata = dict(handler_call_details.invocation_metadata or ())
        rid = metadata.get("x-request-id") or uuid.uuid4().hex
        trusted = (
            not self._token
            or full_method.startswith(OPEN_METHODS)
            or hmac.compare_digest(metadata.get(TOKEN_KEY, ""), self._token)
        )
        inner = handler.unary_unary
        service = self._service

        def behaviour(request, context: grpc.ServicerContext):
            if not trusted:
                metrics.GRPC_REQUESTS.labels(service, method, "UNAUTHENTICATED").inc()
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "内部服务调用缺少有效的服务令牌")
            token = logs.request_id.set(rid)
            started = time.perf_counter()
            code = "OK"
            try:
                return inner(request, context)
            except errors.DomainError as exc:
                status = _STATUS_OF_KIND[exc.kind]
                code = status.name
                problem = {"kind": exc.kind, **exc.details}
                context.set_trailing_metadata(((PROBLEM_KEY, json.dumps(problem, ensure_ascii=False).encode()),))
                context.abort(status, exc.message)
            except Exception:
                if context.code() not in (None, grpc.StatusCode.OK):
                    code = context.code().name
                    raise
                code = "INTERNAL"
                log.exception("unhandled error in %s", method)
                context.abort(grpc.StatusCode.INTERNAL, "服务内部错误，请稍后重试")
            finally:
                metrics.GRPC_REQUESTS.labels(service, method, code).inc()
                metrics.GRPC_LATENCY.labels(service, method).observe(time.perf_counter() - started)
                logs.request_id.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class ClockServicer(clock_pb2_grpc.ClockServiceServicer):
    """Lets the gateway read and (in manual mode) set the time of this service."""

    def __init__(self, clock: Clock, on_change: Iterable[Callable[[], None]] = ()):
        self._clock = clock
        self._on_change = list(on_change)

    def _now(self) -> Timestamp:
        ts = Timestamp()
        ts.FromDatetime(self._clock.now())
        return ts

    def GetClock(self, request, context):
        return clock_pb2.GetClockResponse(now=self._now(), mode=self._clock.mode)

    def SetClock(self, request, context):
        if not isinstance(self._clock, ManualClock):
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "系统时钟模式下不能设置时间")
        self._clock.set(request.now.ToDatetime(tzinfo=UTC))
        for callback in self._on_change:
            callback()
        return clock_pb2.SetClockResponse(now=self._now(), mode=self._clock.mode)


@dataclass
class Registration:
    """One servicer: the generated `add_..._to_server` function, the servicer and its descriptor."""

    add: Callable[[object, grpc.Server], None]
    servicer: object
    descriptor: object  # the generated module's DESCRIPTOR.services_by_name[...] entry


@dataclass
class GrpcService:
    name: str
    server: grpc.Server
    health: health.HealthServicer
    port: int
    service_names: list[str] = field(default_factory=list)
    # Background work that lives and dies with the server (e.g. the workflow sweeper).
    on_start: list[Callable[[], None]] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    # What must answer for the service to be ready (its database); checked every `check_interval` seconds.
    ready_checks: list[Callable[[], bool]] = field(default_factory=list)
    check_interval: float = 5.0
    _stopped: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.server.start()
        for callback in self.on_start:
            callback()
        self._check_readiness()
        threading.Thread(target=self._watch_readiness, name=f"{self.name}-readiness", daemon=True).start()
        log.info("%s listening on port %s", self.name, self.port)

    def _check_readiness(self) -> bool:
        ready = all(check() for check in self.ready_checks)
        status = health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        self._set_all(status)
        metrics.READY.labels(self.name).set(1 if ready else 0)
        return ready

    def _watch_readiness(self) -> None:
        was_ready = True
        while not self._stopped.wait(self.check_interval):
            ready = self._check_readiness()
            if ready != was_ready:
                log.warning(
                    "%s is %s", self.name, "ready again" if ready else "not ready (a dependency does not answer)"
                )
            was_ready = ready

    def _set_all(self, status) -> None:
        for name in ("", *self.service_names):
            self.health.set(name, status)

    def stop(self, grace: float = 10.0) -> None:
        """Drain: health turns NOT_SERVING at once, in-flight calls get `grace` seconds to finish."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        for callback in self.on_stop:
            callback()
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()

    def run_until_signal(self, grace: float = 10.0) -> None:
        def _terminate(signum, _frame):
            log.info("%s received signal %s, draining", self.name, signum)
            threading.Thread(target=self.stop, args=(grace,), daemon=True).start()

        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _terminate)
        self.start()
        self.server.wait_for_termination()


def connection_age_options() -> list[tuple[str, int]]:
    """The server options that close every client connection after `ZHITONG_GRPC_MAX_CONNECTION_AGE_SECONDS`
    (300 by default; gRPC adds a jitter of ±10 % so that clients do not reconnect all at once), after a GOAWAY that
    lets calls in flight finish for `ZHITONG_GRPC_MAX_CONNECTION_AGE_GRACE_SECONDS` (90: longer than the longest call, a 60 s material upload).

    Clients hold their channels for the life of the process and resolve a name again only when a connection
    closes: without an age, a replica added by a scale-up would get calls only from processes started after it.
    The grace is twice the 15 s deadline of most calls (kit.grpc_client), so that an age does not cut them short."""
    options = []
    for option, setting, default in (
        ("grpc.max_connection_age_ms", "ZHITONG_GRPC_MAX_CONNECTION_AGE_SECONDS", 300.0),
        ("grpc.max_connection_age_grace_ms", "ZHITONG_GRPC_MAX_CONNECTION_AGE_GRACE_SECONDS", 90.0),
    ):
        seconds = config.number(setting, default)
        # gRPC takes whole milliseconds in a 32-bit integer: up to about 24 days.
        if not 0 < seconds <= MAX_CONNECTION_AGE_SECONDS:
            raise config.ConfigError(
                f"setting {setting} must be a number of seconds above 0 and at most {MAX_CONNECTION_AGE_SECONDS}, "
                f"got {seconds:g}"
            )
        options.append((option, max(1, round(seconds * 1000))))
    return options


def create_grpc_server(
    name: str,
    registrations: list[Registration],
    *,
    clock: Clock,
    port: int | None = None,
    on_clock_change: Iterable[Callable[[], None]] = (),
    ready_checks: Iterable[Callable[[], bool]] = (),
    max_workers: int = 16,
) -> GrpcService:
    """A ready-to-start server with health, reflection, the clock service and the shared interceptor."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{name}-rpc"),
        interceptors=[_ServerInterceptor(name, config.service_token())],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            *connection_age_options(),
        ],
    )
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    clock_pb2_grpc.add_ClockServiceServicer_to_server(ClockServicer(clock, on_clock_change), server)
    names = [clock_pb2.DESCRIPTOR.services_by_name["ClockService"].full_name]
    for reg in registrations:
        reg.add(reg.servicer, server)
        names.append(reg.descriptor.full_name)
    reflection.enable_server_reflection((*names, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    port = config.grpc_port(name) if port is None else port
    bound = server.add_insecure_port(f"{config.bind_host()}:{port}")
    if not config.service_token():
        log.warning("ZHITONG_SERVICE_TOKEN is not set: %s accepts gRPC calls from anyone who can reach it", name)
    return GrpcService(name, server, health_servicer, bound, names, ready_checks=list(ready_checks))


def run_service(name: str, create_server: Callable[[], GrpcService]) -> None:
    """The body of every service's `main()`: JSON logs, the server, its `/metrics` port, then serve until
    SIGTERM."""
    logs.setup(name)
    server = create_server()
    metrics.serve_metrics(config.metrics_port(name))
    server.run_until_signal()
