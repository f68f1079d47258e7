"""The same-day reply rule on the 2026 calendar."""

from __future__ import annotations

import pytest

from kit.calendar import WorkingCalendar
from services.consult.rules import OfficeHours, due_at
from tests.conftest import local

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("posted", "due"),
    [
        ("2026-10-12 09:00", "2026-10-12 17:30"),  # Monday morning: the same day
        ("2026-10-12 15:59", "2026-10-12 17:30"),  # just before the cut-off
        ("2026-10-12 16:00", "2026-10-13 17:30"),  # at the cut-off: the next working day
        ("2026-10-16 18:00", "2026-10-19 17:30"),  # Friday evening: Monday
        ("2026-10-17 10:00", "2026-10-19 17:30"),  # Saturday: Monday
        ("2026-09-30 16:30", "2026-10-08 17:30"),  # before National Day: after the holidays
        ("2026-10-03 10:00", "2026-10-08 17:30"),  # during the holidays
        ("2026-10-09 17:00", "2026-10-10 17:30"),  # Friday evening before the adjusted working Saturday
        ("2026-10-10 11:00", "2026-10-10 17:30"),  # the adjusted working Saturday itself
        ("2026-12-31 16:30", "2027-01-01 17:30"),  # into 2027, counted Monday–Friday until loaded
    ],
)
def test_due_time(posted, due):
    assert due_at(local(posted), CAL, OfficeHours()) == local(due)


def test_office_hours_are_configurable():
    hours = OfficeHours(cutoff=local("2026-10-12 15:00").time(), end=local("2026-10-12 17:00").time())
    assert due_at(local("2026-10-12 15:30"), CAL, hours) == local("2026-10-13 17:00")
