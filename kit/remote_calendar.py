"""The working-day calendar for services other than workflow: the library's schedule plus the years an admin
loaded into workflow, fetched over gRPC and refreshed every few minutes."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

from zhitong.workflow.v1 import workflow_pb2, workflow_pb2_grpc

from kit.calendar import ADMIN, WorkingCalendar, YearOverride
from kit.grpc_client import Client, ServiceError

log = logging.getLogger("kit.calendar")


class RemoteCalendarStore:
    def __init__(self, workflow_address: str, years_around: int = 1, ttl: float = 300.0):
        self._client = Client(workflow_pb2_grpc.WorkflowServiceStub, workflow_address, timeout=5)
        self._years_around = years_around
        self._ttl = ttl
        self._lock = threading.Lock()
        self._calendar: WorkingCalendar | None = None
        self._loaded_at = float("-inf")

    def calendar(self, around: date | None = None) -> WorkingCalendar:
        """The calendar with the admin-loaded years near `around` (default today); the last good one if workflow
        does not answer."""
        with self._lock:
            if self._calendar is None or time.monotonic() - self._loaded_at > self._ttl:
                self._calendar = WorkingCalendar(self._fetch((around or date.today()).year))
                self._loaded_at = time.monotonic()
            return self._calendar

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def _fetch(self, year: int) -> dict[int, YearOverride]:
        overrides: dict[int, YearOverride] = {}
        for y in range(year - self._years_around, year + self._years_around + 1):
            try:
                found = self._client.call("GetCalendarYear", workflow_pb2.GetCalendarYearRequest(year=y))
            except ServiceError as exc:
                log.warning("calendar %s not available from workflow (%s); counting without its admin load", y, exc)
                if self._calendar is not None:
                    return self._calendar.overrides
                continue
            if found.source == ADMIN:
                days = [(date.fromisoformat(d.date), d.workday) for d in found.days]
                overrides[y] = YearOverride(
                    y,
                    frozenset(d for d, work in days if not work and d.weekday() < 5),
                    frozenset(d for d, work in days if work and d.weekday() >= 5),
                )
        return overrides
