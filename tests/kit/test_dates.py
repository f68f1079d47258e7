"""Strict dates and moments: only `YYYY-MM-DD`, and a moment only with its time of day."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from kit import errors
from kit.dates import is_moment_shaped, parse_day, parse_moment


def test_a_day_is_exactly_yyyy_mm_dd():
    assert parse_day("2027-03-01", "开工日期", "target_start") == date(2027, 3, 1)
    assert parse_day(" 2027-03-01 ", "开工日期", "target_start") == date(2027, 3, 1)
    # Python's fromisoformat takes all of these; a person never means them
    for wrong in ("20270301", "2027-W10-1", "2027W101", "2027-060", "2027-03-01T00:00", "２０２７-03-01"):
        with pytest.raises(errors.Invalid) as refused:
            parse_day(wrong, "开工日期", "target_start")
        assert refused.value.details["field"] == "target_start"
        assert "开工日期（target_start）" in refused.value.message and "YYYY-MM-DD" in refused.value.message
    for wrong in ("2026-02-30", "2026-13-01", "", None, 20270301):
        with pytest.raises(errors.Invalid):
            parse_day(wrong, "服务日期", "happened_on")
    for far in ("2999-01-01", "1999-12-31", "9999-12-31"):  # outside the working-day calendar's years
        with pytest.raises(errors.Invalid, match="须在2000年至2099年之间"):
            parse_day(far, "目标日期", "target_date")


def test_a_moment_needs_its_time_of_day():
    east8 = timezone(timedelta(hours=8))
    assert parse_moment("2026-09-30T09:00:00+08:00") == datetime(2026, 9, 30, 9, tzinfo=east8)
    assert parse_moment("2026-09-30T01:00Z") == datetime(2026, 9, 30, 1, tzinfo=timezone.utc)
    assert parse_moment("2026-09-30 09:00:00.5") == datetime(2026, 9, 30, 9, 0, 0, 500000)
    for wrong in ("2026-10-23", "20261023T090000", "2026-10-23T9:00", "2026-10-23T25:00", "2026-W43-5T09:00", "", None):
        assert parse_moment(wrong) is None, wrong
    assert is_moment_shaped("2026-02-30T09:00:00+08:00") and not is_moment_shaped("2026-02-30")
