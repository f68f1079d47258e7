"""Shared fixtures: a manual clock, a temporary embedded database per service, and PostgreSQL databases for
integration tests."""

from __future__ import annotations

import os
import random
import socket
import struct
import uuid
import zlib
from datetime import datetime
from pathlib import Path

import pytest

from kit.clock import LOCAL_TZ, ManualClock
from kit.migrate import upgrade

# The smallest whole files of the kinds intake accepts, as a scanner or an office program would send them.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(width: int = 8, height: int = 8) -> bytes:
    """A white greyscale PNG, as a scanner at the window would send an image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PG_ADMIN_URL = os.environ.get("ZHITONG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class LibraryCalendars:
    """A calendar store without admin-loaded years (what workflow serves when nobody loaded one)."""

    def __init__(self):
        from kit.calendar import WorkingCalendar

        self._calendar = WorkingCalendar()

    def calendar(self, around=None):
        return self._calendar

    def invalidate(self):
        pass


def free_ports(count: int) -> list[int]:
    """`count` different TCP ports nobody listens on right now, outside the range the kernel hands out to outgoing
    connections (so that a client socket of another process cannot take one before the test's server binds it)."""
    held: list[socket.socket] = []
    try:
        while len(held) < count:
            candidate = socket.socket()
            try:
                candidate.bind(("127.0.0.1", random.randint(20000, 32000)))
            except OSError:
                candidate.close()
                continue
            held.append(candidate)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    return free_ports(1)[0]


def local(text: str) -> datetime:
    """A local (Asia/Shanghai) time written as 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=local("2026-09-28 09:00"))


@pytest.fixture
def sqlite_url(tmp_path: Path):
    def make(service: str) -> str:
        url = f"sqlite:///{tmp_path / (service + '.db')}"
        upgrade(service, url)
        return url

    return make


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database per test (migrated by the caller), dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make(service: str) -> str:
        name = f"zt_test_{service}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        upgrade(service, url)
        return url

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
