"""Small conversions between protobuf messages and Python values, the same in every servicer and client."""

from __future__ import annotations

from datetime import UTC, date, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def enum_value(enum_type, prefix: str, word: str | None) -> int:
    """`colour` "red" -> COLOUR_RED; empty or None -> the _UNSPECIFIED zero."""
    return enum_type.Value(f"{prefix}_{word.upper()}") if word else 0


def enum_word(enum_type, prefix: str, value: int) -> str:
    """COLOUR_RED -> "red"; the _UNSPECIFIED zero -> ""."""
    return "" if value == 0 else enum_type.Name(value).removeprefix(prefix + "_").lower()


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def parse_day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def from_timestamp(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)
