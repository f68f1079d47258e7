"""A job that a service runs every few seconds in a thread of its own process (overdue sweeps), never twice at
once, and also on demand (when the manual clock moves)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("kit.periodic")


class Periodic:
    def __init__(self, name: str, job: Callable[[], None], interval: float):
        self.name = name
        self._job = job
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def run_once(self) -> None:
        """Run the job now; a failure is logged and the next round tries again."""
        with self._lock:
            try:
                self._job()
            except Exception:
                log.exception("%s failed; trying again in %s s", self.name, self._interval)

    def start(self) -> None:
        threading.Thread(target=self._loop, name=self.name, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()
