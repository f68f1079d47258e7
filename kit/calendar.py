"""Working-day calendar (工作日): Chinese public holidays and adjusted working days (调休).

Sources, in order: a year loaded by an admin, the `chinesecalendar` library's published schedule, and for a
year that nobody has published yet a visible Monday–Friday fallback. Whatever computation touched a fallback
year can say so: `with calendar.tracking() as used:` collects the fallback years it met.
"""

from __future__ import annotations

import bisect
import contextvars
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import chinese_calendar

from kit import metrics

LIBRARY, ADMIN, FALLBACK = "library", "admin", "fallback"
# The years the suite counts in; dates outside are refused where they enter (clock, calendar loads).
FIRST_YEAR, LAST_YEAR = 2000, 2099

_fallback_seen: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("fallback_seen", default=None)


@dataclass(frozen=True)
class YearOverride:
    """A year's schedule as loaded by an admin: holidays (on weekdays or not) and adjusted working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    notes: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self):
        wrong = [d for d in (*self.holidays, *self.workdays) if d.year != self.year]
        if wrong:
            raise ValueError(f"dates outside {self.year}: {', '.join(map(str, sorted(wrong)))}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and working day: {', '.join(map(str, sorted(both)))}")


@dataclass(frozen=True)
class _Year:
    source: str
    workdays: tuple[date, ...]  # sorted working days of the year
    flags: bytes  # flags[day_of_year - 1] == 1 on a working day
    notes: Mapping[date, str]


def fallback_warning(years: Iterable[int]) -> str:
    """The sentence shown wherever a Monday–Friday fallback year was counted."""
    ys = sorted(set(years))
    if not ys:
        return ""
    listed = "、".join(f"{y}年" for y in ys)
    return f"{listed}节假日安排尚未加载，已按周一至周五为工作日计算，结果可能有误差；请管理员导入该年度日历。"


class WorkingCalendar:
    """Answers working-day questions in local dates. Cheap to query: each year is computed once."""

    def __init__(self, overrides: Mapping[int, YearOverride] | None = None):
        self._overrides = dict(overrides or {})
        self._years: dict[int, _Year] = {}

    # ---- sources ----

    @property
    def overrides(self) -> dict[int, YearOverride]:
        return dict(self._overrides)

    def with_overrides(self, overrides: Mapping[int, YearOverride]) -> WorkingCalendar:
        return WorkingCalendar(overrides)

    def source(self, year: int) -> str:
        return self._year(year, track=False).source

    def _year(self, year: int, track: bool = True) -> _Year:
        entry = self._years.get(year)
        if entry is None:
            entry = self._years[year] = self._build(year)
        if track and entry.source == FALLBACK:
            seen = _fallback_seen.get()
            if seen is not None:
                seen.add(year)
        return entry

    def _build(self, year: int) -> _Year:
        days = [date(year, 1, 1) + timedelta(n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        override = self._overrides.get(year)
        notes: dict[date, str] = {}
        if override is not None:
            source = ADMIN
            flags = [d not in override.holidays and (d in override.workdays or d.weekday() < 5) for d in days]
            notes = {d: override.notes.get(d, "节假日") for d in override.holidays}
            notes.update({d: override.notes.get(d, "调休上班") for d in override.workdays})
        else:
            try:
                flags = [chinese_calendar.is_workday(d) for d in days]
                source = LIBRARY
                for d in days:
                    on_holiday, name = chinese_calendar.get_holiday_detail(d)
                    if name and on_holiday:
                        notes[d] = _zh_holiday(name)
                    elif name and not on_holiday:
                        notes[d] = f"{_zh_holiday(name)}调休上班"
            except NotImplementedError:
                flags = [d.weekday() < 5 for d in days]
                source = FALLBACK
        metrics.CALENDAR_FALLBACK.labels(str(year)).set(1 if source == FALLBACK else 0)
        return _Year(source, tuple(d for d, f in zip(days, flags) if f), bytes(flags), notes)

    # ---- questions ----

    @contextmanager
    def tracking(self) -> Iterator[set[int]]:
        """Collect the fallback years met inside the block (nested blocks share one set)."""
        seen = _fallback_seen.get()
        if seen is not None:
            yield seen
            return
        seen = set()
        token = _fallback_seen.set(seen)
        try:
            yield seen
        finally:
            _fallback_seen.reset(token)

    def is_workday(self, day: date) -> bool:
        return bool(self._year(day.year).flags[day.timetuple().tm_yday - 1])

    def note(self, day: date) -> str:
        return self._year(day.year, track=False).notes.get(day, "")

    def year_days(self, year: int) -> list[tuple[date, bool, str]]:
        entry = self._year(year)
        start = date(year, 1, 1)
        return [
            (start + timedelta(i), bool(f), entry.notes.get(start + timedelta(i), ""))
            for i, f in enumerate(entry.flags)
        ]

    def _count_through(self, day: date) -> int:
        """Working days from 1 January of `day`'s year through `day` inclusive."""
        return bisect.bisect_right(self._year(day.year).workdays, day)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days `d` with `start < d <= end`; 0 when `end <= start`."""
        if end <= start:
            return 0
        if start.year == end.year:
            return self._count_through(end) - self._count_through(start)
        total = len(self._year(start.year).workdays) - self._count_through(start)
        for year in range(start.year + 1, end.year):
            total += len(self._year(year).workdays)
        return total + self._count_through(end)

    def signed_workdays(self, start: date, end: date) -> int:
        """Working days from `start` to `end`: positive when `end` is later, negative when earlier."""
        if end >= start:
            return self.workdays_between(start, end)
        return -self.workdays_between(end, start)

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        entry = self._year(day.year)
        i = bisect.bisect_right(entry.workdays, day)
        if i < len(entry.workdays):
            return entry.workdays[i]
        return self._first_of(day.year + 1)

    def previous_workday(self, day: date) -> date:
        """The last working day strictly before `day`."""
        entry = self._year(day.year)
        i = bisect.bisect_left(entry.workdays, day)
        if i > 0:
            return entry.workdays[i - 1]
        return self._last_of(day.year - 1)

    def _last_of(self, year: int) -> date:
        entry = self._year(year)
        return entry.workdays[-1] if entry.workdays else self._last_of(year - 1)

    def subtract_workdays(self, end: date, n: int) -> date:
        """The inverse of `add_workdays` on a working day: the working day `start` with
        `add_workdays(start, n) == end`. `end` must be a working day."""
        if n < 0:
            raise ValueError("n must not be negative")
        if not self.is_workday(end):
            raise ValueError(f"{end} is not a working day")
        day = end
        for _ in range(n):
            day = self.previous_workday(day)
        return day

    def _first_of(self, year: int) -> date:
        entry = self._year(year)
        return entry.workdays[0] if entry.workdays else self._first_of(year + 1)

    def add_workdays(self, start: date, n: int) -> date:
        """The `n`-th working day after `start`; for `n == 0`, `start` itself if it is a working day, else the
        next working day. This is the day by whose end a limit of `n` working days counted from `start` ends."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start if n == 0 and self.is_workday(start) else self.next_workday(start)
        for _ in range(max(n - 1, 0)):
            day = self.next_workday(day)
        return day


_ZH = {h.value: getattr(h, "chinese", h.value) for h in chinese_calendar.Holiday}


def _zh_holiday(name: str) -> str:
    return _ZH.get(name, name)


def months_in(first: str, last: str) -> list[str]:
    """Every month 'YYYY-MM' from `first` to `last`, both included (empty when `last` is earlier)."""
    start, _ = month_bounds(first)
    end, _ = month_bounds(last)
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = y + (m == 12), m % 12 + 1
    return months


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The local (Asia/Shanghai) start of a month written 'YYYY-MM' and of the month after; refuses anything else."""
    from kit import errors
    from kit.clock import LOCAL_TZ

    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", month or ""):
        raise errors.Invalid("月份格式应为 YYYY-MM", field="month")
    if not 1 <= int(month[5:]) <= 12:
        raise errors.Invalid("月份须在01至12之间", field="month")
    year, m = map(int, month.split("-"))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise errors.Invalid(f"月份须在{FIRST_YEAR}年至{LAST_YEAR}年之间", field="month")
    return datetime(year, m, 1, tzinfo=LOCAL_TZ), datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=LOCAL_TZ)
