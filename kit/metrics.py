"""Prometheus metrics shared by every process; each process serves `/metrics` on its own port."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

GRPC_REQUESTS = Counter("zhitong_grpc_server_requests_total", "gRPC requests handled", ["service", "method", "code"])
GRPC_LATENCY = Histogram(
    "zhitong_grpc_server_handling_seconds",
    "Time to handle a gRPC request",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
READY = Gauge(
    "zhitong_service_ready", "1 while the service's dependencies answer (its health says SERVING)", ["service"]
)
CALENDAR_FALLBACK = Gauge(
    "zhitong_calendar_fallback_in_use",
    "1 when a year without a published schedule is counted Monday to Friday in this process",
    ["year"],
)


def serve_metrics(port: int) -> None:
    """Start the `/metrics` endpoint (port 0 disables it, e.g. in tests)."""
    if port:
        from kit.config import bind_host

        start_http_server(port, addr=bind_host())
