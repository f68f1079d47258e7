"""Runs the workflow sweep every `ZHITONG_SWEEP_SECONDS` (60 by default) in a thread of the workflow process,
and at once whenever the manual clock moves."""

from __future__ import annotations

import logging
import threading
import time

from prometheus_client import Counter, Gauge, Histogram

from services.workflow.domain import Workflow

log = logging.getLogger("workflow.sweeper")

SWEEP_SECONDS = Histogram(
    "zhitong_sweep_duration_seconds",
    "Time one sweep over the open items takes",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SWEEP_LAST = Gauge("zhitong_sweep_last_success_timestamp_seconds", "When the last sweep finished (Unix time)")
SWEEP_EVENTS = Counter("zhitong_sweep_events_total", "Events the sweep emitted", ["type"])
SWEEP_FAILURES = Counter("zhitong_sweep_failures_total", "Sweeps that failed")
OPEN_ITEMS = Gauge(
    "zhitong_open_items", "Open items by department and state (red, warning, yellow)", ["department", "state"]
)


class Sweeper:
    def __init__(self, workflow: Workflow, interval: float):
        self.workflow = workflow
        self.interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counted_at = float("-inf")
        self._thread = threading.Thread(target=self._loop, name="workflow-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> dict[str, int]:
        """One sweep, never two at once in this process."""
        with self._lock:
            started = time.perf_counter()
            counts = self.workflow.sweep()
            refreshed = self.workflow.refresh_figures()
            if refreshed:
                log.info("stored colours of %d projects brought up to date", refreshed)
            SWEEP_SECONDS.observe(time.perf_counter() - started)
            SWEEP_LAST.set(time.time())
            for event_type, n in counts.items():
                SWEEP_EVENTS.labels(event_type).inc(n)
            if any(counts.values()):
                log.info("sweep emitted %s", counts)
            if time.monotonic() - self._counted_at >= 60 or any(counts.values()):
                self._count_open_items()
            return counts

    def _count_open_items(self) -> None:
        self._counted_at = time.monotonic()
        OPEN_ITEMS.clear()
        for department, state, n in self.workflow.open_items_by_department():
            OPEN_ITEMS.labels(department, state).set(n)

    def on_clock_change(self) -> None:
        with self._lock:
            self.workflow.clock_changed_event()
        self.run_once()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                SWEEP_FAILURES.inc()
                log.exception("sweep failed; trying again in %s s", self.interval)
