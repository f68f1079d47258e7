"""The same-day reply rule (当日答复): a question posted on a working day before the cut-off (16:00) is due by the
end of office hours (17:30) that day; one posted later, or on a non-working day, by 17:30 of the next working day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from kit.calendar import WorkingCalendar
from kit.clock import LOCAL_TZ


@dataclass(frozen=True)
class OfficeHours:
    """Configurable: `CONSULT_CUTOFF` (16:00) and `ZHITONG_OFFICE_END` (17:30), local time."""

    cutoff: time = time(16, 0)
    end: time = time(17, 30)


def due_at(posted: datetime, cal: WorkingCalendar, hours: OfficeHours) -> datetime:
    """When an answer to a question posted at `posted` is due (timezone-aware, local)."""
    local = posted.astimezone(LOCAL_TZ)
    day = local.date()
    if not (cal.is_workday(day) and local.time() < hours.cutoff):
        day = cal.next_workday(day)
    return datetime.combine(day, hours.end, tzinfo=LOCAL_TZ)
