"""Counting and colours on the 2026 calendar, including the worked example of RULES.md."""

from __future__ import annotations

from datetime import date

import pytest

from kit.calendar import WorkingCalendar
from services.workflow import rules
from services.workflow.rules import ColourPolicy, ItemClock, item_timing

CAL = WorkingCalendar()
POLICY = ColourPolicy()
D = date.fromisoformat


def test_national_day_worked_example():
    item = ItemClock("accepted", 5, D("2026-09-30"))
    assert item_timing(item, D("2026-10-13"), CAL, POLICY).deadline == D("2026-10-13")
    assert item_timing(item, D("2026-10-13"), CAL, POLICY).colour == "yellow"
    assert item_timing(item, D("2026-10-14"), CAL, POLICY).colour == "red"
    # 8, 9, 10 (adjusted Saturday), 12, 13 October count: used 5 on the 13th
    assert item_timing(item, D("2026-10-13"), CAL, POLICY).used_days == 5


def test_national_day_example_with_suspension():
    resumed = ItemClock(
        "accepted", 5, D("2026-09-30"), suspended_days=CAL.workdays_between(D("2026-10-09"), D("2026-10-12"))
    )
    assert resumed.suspended_days == 2  # 10 and 12 October
    assert item_timing(resumed, D("2026-10-15"), CAL, POLICY).deadline == D("2026-10-15")
    assert item_timing(resumed, D("2026-10-15"), CAL, POLICY).colour == "yellow"
    assert item_timing(resumed, D("2026-10-16"), CAL, POLICY).colour == "red"


def test_running_suspension_stops_the_clock():
    item = ItemClock("suspended", 5, D("2026-09-30"), suspended_since=D("2026-10-09"))
    timing = item_timing(item, D("2026-10-20"), CAL, POLICY)
    assert timing.used_days == 2  # 8 and 9 October only
    assert timing.colour == "yellow"


def test_warning_at_eighty_percent_and_on_deadline_day():
    item = ItemClock("accepted", 5, D("2026-09-30"))
    assert not item_timing(item, D("2026-10-09"), CAL, POLICY).warning  # used 2
    assert item_timing(item, D("2026-10-12"), CAL, POLICY).warning  # used 4 >= 0.8 * 5
    assert item_timing(item, D("2026-10-13"), CAL, POLICY).warning  # deadline day
    assert not item_timing(item, D("2026-10-14"), CAL, POLICY).warning  # red, not warning


def test_same_day_item_no_warning_on_acceptance_day_red_next_day():
    item = ItemClock("accepted", 0, D("2026-10-12"))
    assert item_timing(item, D("2026-10-12"), CAL, POLICY).deadline == D("2026-10-12")
    assert not item_timing(item, D("2026-10-12"), CAL, POLICY).warning
    assert item_timing(item, D("2026-10-13"), CAL, POLICY).colour == "red"


@pytest.mark.parametrize(
    ("decided", "colour"),
    [
        ("2026-10-12", "blue"),
        ("2026-10-13", "blue"),
        ("2026-10-14", "yellow"),
        ("2026-10-15", "yellow"),
        ("2026-10-16", "red"),
    ],
)
def test_decided_item_colours(decided, colour):
    # limit 5 accepted Friday 9 October: 10, 12, 13, 14, 15 count; blue while used <= 5 * 2/3 = 3.33
    item = ItemClock("approved", 5, D("2026-10-09"), decided_on=D(decided))
    assert item_timing(item, D("2026-11-30"), CAL, POLICY).colour == colour


def test_stage_and_project_colours():
    a = D("2026-10-12")
    fast = ItemClock("approved", 5, a, decided_on=D("2026-10-13"))
    slow = ItemClock("accepted", 5, a)
    today = D("2026-10-14")
    pairs = [(c, item_timing(c, today, CAL, POLICY)) for c in (fast, slow)]
    stage = rules.StageClock("accepted", 8, a, None, pairs)
    timing = rules.stage_timing(stage, today, CAL, POLICY)
    assert timing.planned_finish == D("2026-10-22")  # 8 working days after 12 October
    assert timing.projected_finish == D("2026-10-19")  # the open item's deadline
    assert timing.slack_days == 3
    assert timing.colour == "blue"  # 3 >= 8/3
    project = rules.project_timing(
        30,
        [(stage, timing)]
        + [
            (rules.StageClock("pending", d, None, None, []), rules.StageTiming(None, None, 0, 0, d, None))
            for d in (5, 5)
        ],
        POLICY,
    )
    assert project.projected_days == 5 + 5 + 5
    assert project.slack_days == 15
    assert project.colour == "blue"


def test_late_stage_is_red():
    a = D("2026-10-12")
    late = ItemClock("accepted", 5, a)
    today = D("2026-10-20")
    pairs = [(late, item_timing(late, today, CAL, POLICY))]
    timing = rules.stage_timing(rules.StageClock("accepted", 8, a, None, pairs), today, CAL, POLICY)
    assert timing.colour == "red"
