"""RED metrics of every gateway route. The gateway runs several uvicorn worker processes, so metrics use
prometheus-client's multiprocess mode: each worker writes to `PROMETHEUS_MULTIPROC_DIR`, and the parent process
serves the sum of them on the gateway's metrics port."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

HTTP_REQUESTS = Counter(
    "zhitong_http_requests_total", "HTTP requests handled by the gateway", ["route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "zhitong_http_request_duration_seconds",
    "Time the gateway took to answer",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PLAIN_ROUTES = {"/healthz", "/readyz", "/"}


class RequestMetrics:
    """ASGI middleware: counts and times each request by its OpenAPI operationId (the route, not the path, so
    ids in URLs do not multiply the series)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("extensions", {})
        started = time.perf_counter()
        status = {"code": 500}

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope["extensions"].get("connexion_routing", {}).get("operation_id")
            if not route:
                path = scope.get("path", "")
                route = path if path in PLAIN_ROUTES else "ui" if "/ui" in path else "unmatched"
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(route, method, str(status["code"])).inc()
            HTTP_LATENCY.labels(route, method).observe(time.perf_counter() - started)


def prepare_multiprocess_dir(path: Path) -> None:
    """Start with an empty directory (stale files of a previous run would add up); set before workers start."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def serve_multiprocess(port: int, host: str) -> None:
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)


def worker_exit(pid: int) -> None:
    mark_process_dead(pid)
