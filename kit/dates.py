"""Strict parsing of the dates and times people send: a date is exactly `YYYY-MM-DD`, a moment a date with a time
of day (`YYYY-MM-DDTHH:MM[:SS[.ffffff]]`, optionally `Z` or `±HH:MM`). Python's `fromisoformat` also takes the
basic ISO forms (`20270301`, `2027-W10-1`, `2026-10-23` as midnight), which a person never means here."""

from __future__ import annotations

import re
from datetime import date, datetime

from kit import errors
from kit.calendar import FIRST_YEAR, LAST_YEAR

DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def _quoted(text: str) -> str:
    return "".join(ch for ch in text[:20] if ch.isprintable())


def parse_day(text: object, label: str, field_name: str) -> date:
    """A calendar date written `YYYY-MM-DD` (surrounding blanks ignored) within the working-day calendar's years,
    else `Invalid` naming the field."""
    value = text.strip() if isinstance(text, str) else ""
    if DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise errors.Invalid(f"{label}（{field_name}）“{value}”不是有效的日期", field=field_name) from None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise errors.Invalid(
                f"{label}（{field_name}）须在{FIRST_YEAR}年至{LAST_YEAR}年之间（工作日日历的范围）", field=field_name
            )
        return day
    shown = f"“{_quoted(text)}”" if isinstance(text, str) and text.strip() else ""
    raise errors.Invalid(f"{label}（{field_name}）{shown}格式有误，应为 YYYY-MM-DD，例如 2026-10-26", field=field_name)


def is_moment_shaped(text: object) -> bool:
    """Whether the text has the form of a date with a time of day (real or not, e.g. 2026-02-30T09:00)."""
    return isinstance(text, str) and MOMENT.fullmatch(text.strip()) is not None


def parse_moment(text: object) -> datetime | None:
    """A date with a time of day (`2026-09-30T09:00:00+08:00`, `…Z`, or without an offset); None when the text is
    not of that form or not a real moment."""
    value = text.strip() if isinstance(text, str) else ""
    if not MOMENT.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
