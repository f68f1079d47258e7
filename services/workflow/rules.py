"""Counting working days and colouring items, stages and projects (蓝黄红), exactly as RULES.md says.

Pure functions over plain values: no database, no clock; `today` is a local date passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kit.calendar import WorkingCalendar

BLUE, YELLOW, RED = "blue", "yellow", "red"
OPEN_STATUSES = ("accepted", "suspended")
DECIDED_STATUSES = ("approved", "refused")
CLOSED_STATUSES = (*DECIDED_STATUSES, "withdrawn")


@dataclass(frozen=True)
class ColourPolicy:
    """Thresholds; configuration, not code (`ZHITONG_AHEAD_MARGIN`, `ZHITONG_WARN_RATIO`)."""

    ahead_margin: float = 1 / 3
    warn_ratio: float = 0.8


@dataclass(frozen=True)
class ItemClock:
    """What an item's timing depends on."""

    status: str
    limit: int  # effective limit in working days
    accepted_on: date | None
    decided_on: date | None = None
    suspended_days: int = 0  # finished suspensions
    suspended_since: date | None = None  # a running suspension

    @classmethod
    def of(cls, item) -> ItemClock:
        """The clock of a stored item instance."""
        return cls(
            item.status,
            item.effective_days,
            item.accepted_on,
            item.decided_on,
            item.suspended_days,
            item.suspended_since,
        )


@dataclass(frozen=True)
class ItemTiming:
    used_days: int
    suspended_days: int
    deadline: date | None
    colour: str | None  # None before acceptance: no clock runs yet
    warning: bool


def suspended_total(item: ItemClock, today: date, cal: WorkingCalendar) -> int:
    """Finished suspended days plus the working days `d` with `S < d <= today` of a running suspension."""
    running = cal.workdays_between(item.suspended_since, today) if item.suspended_since else 0
    return item.suspended_days + running


def deadline(accepted_on: date, limit: int, suspended: int, cal: WorkingCalendar) -> date:
    """End of the `limit`-th working day after acceptance, moved later by the suspended days."""
    return cal.add_workdays(accepted_on, limit + suspended)


def item_timing(item: ItemClock, today: date, cal: WorkingCalendar, policy: ColourPolicy) -> ItemTiming:
    """Used days, deadline, colour and warning of one item on `today`."""
    if item.accepted_on is None:
        return ItemTiming(0, 0, None, None, False)
    end = item.decided_on if item.status in CLOSED_STATUSES and item.decided_on else today
    suspended = suspended_total(item, end, cal)
    used = max(cal.workdays_between(item.accepted_on, end) - suspended, 0)
    due = deadline(item.accepted_on, item.limit, suspended, cal)
    late = end > due
    if late:
        colour = RED
    elif item.status in DECIDED_STATUSES and used <= item.limit * (1 - policy.ahead_margin):
        colour = BLUE
    else:
        colour = YELLOW
    warning = (
        item.status in OPEN_STATUSES
        and not late
        and today != item.accepted_on
        and (used >= policy.warn_ratio * item.limit or today == due)
    )
    return ItemTiming(used, suspended, due, colour, warning)


@dataclass(frozen=True)
class StageClock:
    status: str
    stage_days: int
    accepted_on: date | None
    finished_on: date | None
    items: Sequence[tuple[ItemClock, ItemTiming]]


@dataclass(frozen=True)
class StageTiming:
    planned_finish: date | None
    projected_finish: date | None
    slack_days: int
    used_days: int
    projected_days: int
    colour: str | None


def stage_timing(stage: StageClock, today: date, cal: WorkingCalendar, policy: ColourPolicy) -> StageTiming:
    """Planned and projected finish, slack (working days) and colour of an accepted stage."""
    if stage.accepted_on is None:
        return StageTiming(None, None, 0, 0, stage.stage_days, None)
    planned = cal.add_workdays(stage.accepted_on, stage.stage_days)
    ends: list[date] = []
    for clock, timing in stage.items:
        if clock.status == "withdrawn":
            continue
        if clock.status in DECIDED_STATUSES and clock.decided_on:
            ends.append(clock.decided_on)
        elif timing.deadline is not None:
            ends.append(timing.deadline)
    projected = max(ends) if ends else (stage.finished_on or planned)
    slack = cal.signed_workdays(projected, planned)
    used = cal.workdays_between(stage.accepted_on, stage.finished_on or today)
    projected_days = cal.workdays_between(stage.accepted_on, projected)
    any_red = any(timing.colour == RED for _, timing in stage.items)
    if any_red or slack < 0:
        colour = RED
    elif stage.stage_days == 0:
        colour = BLUE if stage.finished_on is not None and stage.finished_on == stage.accepted_on else YELLOW
    elif slack >= policy.ahead_margin * stage.stage_days:
        colour = BLUE
    else:
        colour = YELLOW
    return StageTiming(planned, projected, slack, used, projected_days, colour)


@dataclass(frozen=True)
class ProjectTiming:
    used_days: int
    projected_days: int
    slack_days: int
    colour: str


def project_timing(
    target_days: int,
    stages: Sequence[tuple[StageClock, StageTiming]],
    policy: ColourPolicy,
) -> ProjectTiming:
    """Projected total = used days of finished stages + projected days of the running stage + limits of the
    stages still to come; slack = target − projected total."""
    used = projected = 0
    any_red = False
    for clock, timing in stages:
        if clock.status == "skipped":
            continue
        if clock.accepted_on is None:
            projected += clock.stage_days
            continue
        used += timing.used_days
        projected += timing.used_days if clock.finished_on else timing.projected_days
        any_red = any_red or timing.colour == RED
    slack = target_days - projected
    if any_red or slack < 0:
        colour = RED
    elif slack >= policy.ahead_margin * target_days:
        colour = BLUE
    else:
        colour = YELLOW
    return ProjectTiming(used, projected, slack, colour)
