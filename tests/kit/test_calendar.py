"""Working-day arithmetic: the published schedule, admin-loaded years, the fallback, and properties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kit.calendar import ADMIN, FALLBACK, LIBRARY, WorkingCalendar, YearOverride

CAL = WorkingCalendar()
D = date.fromisoformat
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


def test_national_day_and_adjusted_saturday_2026():
    assert not CAL.is_workday(D("2026-10-01"))
    assert not CAL.is_workday(D("2026-10-07"))
    assert CAL.is_workday(D("2026-10-10"))  # adjusted working Saturday
    assert CAL.source(2026) == LIBRARY
    assert CAL.note(D("2026-10-01")) == "国庆节"


def test_unloaded_year_falls_back_to_monday_to_friday_and_says_so():
    assert CAL.source(2027) == FALLBACK
    with CAL.tracking() as fallback:
        assert CAL.is_workday(D("2027-01-01"))  # a Friday; the library does not know 2027
    assert fallback == {2027}
    with CAL.tracking() as none:
        CAL.is_workday(D("2026-06-01"))
    assert none == set()


def test_admin_year_overrides():
    cal = WorkingCalendar({2027: YearOverride(2027, frozenset({D("2027-01-01")}), frozenset({D("2027-01-02")}))})
    assert cal.source(2027) == ADMIN
    assert not cal.is_workday(D("2027-01-01"))
    assert cal.is_workday(D("2027-01-02"))
    with cal.tracking() as fallback:
        cal.add_workdays(D("2027-01-01"), 3)
    assert fallback == set()


@settings(max_examples=300, deadline=None)
@given(start=days, n=st.integers(min_value=0, max_value=60))
def test_add_then_count_round_trips(start, n):
    end = CAL.add_workdays(start, n)
    assert CAL.is_workday(end)
    if n > 0:
        assert CAL.workdays_between(start, end) == n
    else:
        assert end == (start if CAL.is_workday(start) else CAL.next_workday(start))


@settings(max_examples=300, deadline=None)
@given(a=days, b=days)
def test_count_matches_a_day_by_day_walk_and_is_antisymmetric(a, b):
    lo, hi = min(a, b), max(a, b)
    walk = sum(CAL.is_workday(lo + timedelta(i)) for i in range(1, (hi - lo).days + 1))
    assert CAL.workdays_between(lo, hi) == walk
    assert CAL.signed_workdays(a, b) == -CAL.signed_workdays(b, a)


@settings(max_examples=200, deadline=None)
@given(a=days, b=days, c=days)
def test_counts_add_up_across_years(a, b, c):
    x, y, z = sorted((a, b, c))
    assert CAL.workdays_between(x, z) == CAL.workdays_between(x, y) + CAL.workdays_between(y, z)


@settings(max_examples=300, deadline=None)
@given(day=days, n=st.integers(min_value=0, max_value=60))
def test_subtract_is_the_inverse_of_add_on_working_days(day, n):
    end = day if CAL.is_workday(day) else CAL.next_workday(day)
    start = CAL.subtract_workdays(end, n)
    assert CAL.is_workday(start) and CAL.add_workdays(start, n) == end
    before = CAL.previous_workday(day)
    assert before < day and CAL.is_workday(before) and CAL.next_workday(before) >= day


def test_previous_workday_crosses_holidays_and_years():
    assert CAL.previous_workday(D("2026-10-08")) == D("2026-09-30")
    assert CAL.previous_workday(D("2026-10-12")) == D("2026-10-10")  # the adjusted working Saturday
    assert CAL.previous_workday(D("2026-01-04")) == D("2025-12-31")  # 4 January 2026 is a working Sunday
