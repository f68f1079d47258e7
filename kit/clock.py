"""The one clock every service reads. `system` in production; `manual` (dev, demo, tests) lets an operator set
the time of the whole suite through the gateway, so that weeks of approvals can be replayed in seconds.

Times are stored in UTC; business rules use local dates in Asia/Shanghai.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    mode: str

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    mode = "system"

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still at the time an operator set; kept in a small file so a restart keeps it."""

    mode = "manual"

    def __init__(self, state_file: Path | None = None, start: datetime | None = None):
        self._lock = threading.Lock()
        self._state_file = state_file
        self._now = start or datetime.now(UTC)
        if state_file is not None and state_file.exists():
            self._now = datetime.fromisoformat(json.loads(state_file.read_text())["now"])

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("the time must carry a UTC offset")
        when = when.astimezone(UTC)
        with self._lock:
            self._now = when
            if self._state_file is not None:
                self._state_file.parent.mkdir(parents=True, exist_ok=True)
                tmp = self._state_file.with_suffix(".tmp")
                tmp.write_text(json.dumps({"now": when.isoformat()}))
                tmp.replace(self._state_file)
        return when


def local_now(clock: Clock) -> datetime:
    return clock.now().astimezone(LOCAL_TZ)


def local_today(clock: Clock) -> date:
    return local_now(clock).date()


def create_clock(service: str) -> Clock:
    """The clock chosen by `ZHITONG_CLOCK` (`system` or `manual`)."""
    from kit import config

    mode = config.choice("ZHITONG_CLOCK", "system", ("system", "manual"))
    if mode == "system":
        return SystemClock()
    return ManualClock(config.var_dir() / f"clock-{service}.json")
