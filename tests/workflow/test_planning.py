"""The approval plan (倒排工期) as a pure function, on the 2026 calendar, against dates counted by hand.

The 2026 calendar around National Day, as the State Council published it: Friday 25 September is the Mid-Autumn
Festival (a holiday), Sunday 20 September is a working day, 1–7 October are holidays and Saturday 10 October is a
working day.
"""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from kit import config
from kit.calendar import WorkingCalendar
from kit.catalog import ProjectFacts, load_catalog
from services.workflow.planning import ItemProgress, StageProgress, approval_schedule

CATALOG = load_catalog(config.data_file("catalog.yaml", "ZHITONG_CATALOG"))
CAL = WorkingCalendar()
D = date.fromisoformat


def sample(code: str) -> dict:
    samples = yaml.safe_load(config.data_file("sample_projects.yaml", "ZHITONG_SAMPLE_PROJECTS").read_text("utf-8"))
    return next(p for p in samples["projects"] if p["code"] == code)


def stages_of(code: str, **progress) -> list[StageProgress]:
    """The stages of a sample project as created, with `progress` = {stage code: dict of StageProgress fields}."""
    p = sample(code)
    facts = ProjectFacts(p["type"], p.get("attributes", {}), p.get("regional_evaluation_zone", False))
    planned = CATALOG.plan(facts)
    limits = CATALOG.project_types[p["type"]].stage_days
    stages = []
    for s in CATALOG.stages:
        items = [
            ItemProgress(
                f"{code}-{x.item.code}",
                x.item.code,
                x.item.name_zh,
                x.item.department,
                x.effective_days,
                x.item.materials_for(p["type"]),
                "pending",
            )
            for x in planned
            if x.item.stage == s.code
        ]
        fields = {"status": "pending" if items else "skipped", **progress.get(s.code, {})}
        stages.append(StageProgress(s.code, s.name_zh, stage_days=limits[s.code], items=items, **fields))
    return stages


def by_code(schedule):
    return {s.code: s for s in schedule.stages}


def test_the_2026_calendar_is_the_one_the_hand_computation_uses():
    assert not CAL.is_workday(D("2026-09-25")) and CAL.is_workday(D("2026-09-20"))
    assert not any(CAL.is_workday(D(f"2026-10-0{d}")) for d in range(1, 8))
    assert CAL.is_workday(D("2026-10-10"))


def test_backward_plan_of_p05_for_a_start_after_national_day():
    """P05 (和顺食品冷链加工车间) is a general social investment project: stage limits S1 12, S2 8, S3 5, S4 5
    working days. Target start date (开工日期): Monday 2026-10-26. By hand:

    - S3 (施工许可) must finish by the last working day before the start: Friday 2026-10-23.
    - S3 has 5 days, so it must be accepted 5 working days earlier: back from 23 Oct over 22, 21, 20, 19, 16 →
      accepted Friday 2026-10-16 (check forwards: 19, 20, 21, 22, 23 October are its 5 days).
    - S2 finishes the day S3 is accepted, 16 October; 8 days back: 15, 14, 13, 12, 10 (the working Saturday),
      9, 8, then over the 1–7 October holidays to 30 September → S2 accepted Wednesday 2026-09-30.
    - S1 finishes 30 September; 12 days back: 29, 28, (27 Sunday, 26 Saturday, 25 Mid-Autumn are not working
      days) 24, 23, 22, 21, 20 (the working Sunday), 18, 17, 16, 15, 14 → S1 accepted Monday 2026-09-14.
    - S4 (竣工验收) follows construction: no date from the target.

    Forwards from Tuesday 2026-09-01: S1 accepted 1 September, 12 days: 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17
    → 17 September; S2 8 days: 18, 20, 21, 22, 23, 24, 28, 29 → 29 September; S3 5 days: 30 September, 8, 9, 10,
    12 October → 12 October; construction may start on 13 October. The permit comes 9 working days before the
    latest day (13, 14, 15, 16, 19, 20, 21, 22, 23 October): feasible with 9 days of slack."""
    schedule = approval_schedule(stages_of("P05"), D("2026-09-01"), CAL, "S3", D("2026-10-26"))
    s = by_code(schedule)
    assert (s["S3"].latest.accept, s["S3"].latest.finish) == (D("2026-10-16"), D("2026-10-23"))
    assert (s["S2"].latest.accept, s["S2"].latest.finish) == (D("2026-09-30"), D("2026-10-16"))
    assert (s["S1"].latest.accept, s["S1"].latest.finish) == (D("2026-09-14"), D("2026-09-30"))
    assert s["S4"].latest.accept is None and not s["S4"].binds_start
    assert (s["S1"].forecast.accept, s["S1"].forecast.finish) == (D("2026-09-01"), D("2026-09-17"))
    assert (s["S2"].forecast.accept, s["S2"].forecast.finish) == (D("2026-09-17"), D("2026-09-29"))
    assert (s["S3"].forecast.accept, s["S3"].forecast.finish) == (D("2026-09-29"), D("2026-10-12"))
    assert schedule.earliest_start == D("2026-10-13")
    assert schedule.feasible is True and schedule.slack_days == 9 and schedule.shortfall_days == 0


def test_items_carry_department_limit_materials_and_planned_dates():
    """An item's planned deadline is its stage's planned acceptance plus its own effective limit: in P05 the
    filing S1-01 has limit 0 (the same working day), so accepted by 14 September it is due that day; the
    land-use permit S1-07 (promised 5, S1 limit 12 → 5) is due 5 working days after 14 September: 15, 16, 17,
    18, 20 → Sunday 2026-09-20, the adjusted working day."""
    schedule = approval_schedule(stages_of("P05"), D("2026-09-01"), CAL, "S3", D("2026-10-26"))
    items = {i.item.code: i for i in by_code(schedule)["S1"].items}
    assert items["S1-01"].item.effective_days == 0 and items["S1-01"].latest.finish == D("2026-09-14")
    land = items["S1-07"]
    assert land.item.department == "zrgh" and land.item.effective_days == 5 and land.item.materials
    assert (land.latest.accept, land.latest.finish) == (D("2026-09-14"), D("2026-09-20"))
    assert (land.forecast.accept, land.forecast.finish) == (D("2026-09-01"), D("2026-09-08"))


def test_an_infeasible_target_is_flagged_with_the_shortfall_in_working_days():
    """From Tuesday 2026-09-22 forwards: S1 12 days: 23, 24, 28, 29, 30 September, 8, 9, 10, 12, 13, 14, 15
    October → 15 October; S2 8 days: 16, 19, 20, 21, 22, 23, 26, 27 → 27 October; S3 5 days: 28, 29, 30 October,
    2, 3 November → 3 November; earliest start 4 November. The target 26 October needs the permit by 23 October:
    26, 27, 28, 29, 30 October, 2 and 3 November are 7 working days too late — as many as lie between the latest
    acceptance of S1 (14 September) and today (15, 16, 17, 18, 20, 21, 22)."""
    schedule = approval_schedule(stages_of("P05"), D("2026-09-22"), CAL, "S3", D("2026-10-26"))
    assert by_code(schedule)["S3"].forecast.finish == D("2026-11-03")
    assert schedule.earliest_start == D("2026-11-04")
    assert schedule.feasible is False and schedule.shortfall_days == 7 and schedule.slack_days == 0


def test_the_day_before_the_latest_acceptance_is_feasible_and_the_day_after_is_not():
    target = D("2026-10-26")
    on_time = approval_schedule(stages_of("P05"), D("2026-09-14"), CAL, "S3", target)
    assert on_time.feasible and on_time.slack_days == 0 and on_time.earliest_start == D("2026-10-24")
    late = approval_schedule(stages_of("P05"), D("2026-09-15"), CAL, "S3", target)
    assert late.feasible is False and late.shortfall_days == 1


@pytest.mark.parametrize("today", ["2026-08-03", "2026-09-10", "2026-09-26", "2026-10-04", "2026-12-30"])
@pytest.mark.parametrize("target", ["2026-09-01", "2026-10-01", "2026-10-08", "2026-10-26", "2027-01-04"])
def test_forward_meets_the_target_exactly_when_today_is_no_later_than_the_latest_acceptance(today, target):
    schedule = approval_schedule(stages_of("P02"), D(today), CAL, "S3", D(target))
    first = by_code(schedule)["S1"]
    meets = schedule.earliest_start <= D(target)
    assert schedule.feasible is meets
    assert meets is (CAL.add_workdays(D(today), 0) <= first.latest.accept)


def test_progress_replans_the_remaining_stages_from_the_actual_dates():
    """S1 was accepted on 2026-09-01 and finished late, on Tuesday 2026-09-22 (planned 17 September); today is
    Wednesday 2026-09-23 and S2 is not submitted yet: S2 is forecast from today, 8 days: 24, 28, 29, 30 September,
    8, 9, 10, 12 October → 12 October; S3 5 days: 13, 14, 15, 16, 19 → 19 October; start 20 October."""
    progress = {"S1": {"status": "completed", "accepted_on": D("2026-09-01"), "finished_on": D("2026-09-22")}}
    schedule = approval_schedule(stages_of("P05", **progress), D("2026-09-23"), CAL, "S3", D("2026-10-26"))
    s = by_code(schedule)
    assert (s["S1"].actual.accept, s["S1"].actual.finish) == (D("2026-09-01"), D("2026-09-22"))
    assert s["S1"].latest.finish == D("2026-09-30")  # planned against actual
    assert (s["S2"].forecast.accept, s["S2"].forecast.finish) == (D("2026-09-23"), D("2026-10-12"))
    assert s["S3"].forecast.finish == D("2026-10-19")
    assert schedule.earliest_start == D("2026-10-20") and schedule.slack_days == 4


def test_a_running_stage_is_forecast_by_its_projected_finish_when_later():
    """S2 accepted 2026-09-30 (planned finish 16 October), but a suspension moved its last item's deadline to
    Tuesday 20 October: S3 follows from 20 October, 5 days → 27 October; start 28 October; the target 26 October
    needs the permit by 23 October: 26 and 27 October are 2 working days short."""
    progress = {
        "S1": {"status": "completed", "accepted_on": D("2026-09-14"), "finished_on": D("2026-09-30")},
        "S2": {"status": "accepted", "accepted_on": D("2026-09-30"), "projected_finish": D("2026-10-20")},
    }
    schedule = approval_schedule(stages_of("P05", **progress), D("2026-10-12"), CAL, "S3", D("2026-10-26"))
    assert by_code(schedule)["S2"].forecast.finish == D("2026-10-20")
    assert schedule.earliest_start == D("2026-10-28")
    assert schedule.feasible is False and schedule.shortfall_days == 2


def test_completion_acceptance_is_dated_only_once_accepted():
    """S4 of P05 has 5 days; accepted Monday 2026-11-30 it is forecast to finish 1, 2, 3, 4, 7 December → 7 Dec."""
    done = {"status": "completed", "accepted_on": D("2026-09-01"), "finished_on": D("2026-09-30")}
    progress = {"S1": done, "S2": done, "S3": done}
    before = approval_schedule(stages_of("P05", **progress), D("2026-11-30"), CAL, "S3")
    assert by_code(before)["S4"].forecast.accept is None and before.feasible is None
    progress["S4"] = {"status": "accepted", "accepted_on": D("2026-11-30")}
    after = approval_schedule(stages_of("P05", **progress), D("2026-11-30"), CAL, "S3")
    assert by_code(after)["S4"].forecast.finish == D("2026-12-07")
    assert after.earliest_start == D("2026-10-01")


def test_zero_day_stages_of_land_and_start_chain_on_the_same_day():
    """P03 (拿地即开工): S1 0, S2 0, S3 1. A target start on Monday 2026-11-02 needs the permit by Friday 30
    October; S3 accepted the working day before, Thursday 29 October; S2 and S1 (0 days) that same day."""
    schedule = approval_schedule(stages_of("P03"), D("2026-10-12"), CAL, "S3", D("2026-11-02"))
    s = by_code(schedule)
    assert (s["S3"].latest.accept, s["S3"].latest.finish) == (D("2026-10-29"), D("2026-10-30"))
    assert s["S1"].latest.accept == s["S2"].latest.finish == D("2026-10-29")
    # forwards from Monday 12 October: S1 and S2 that day, the permit on Tuesday 13 October
    assert schedule.earliest_start == D("2026-10-14") and schedule.slack_days == 13


def test_an_item_past_its_deadline_is_forecast_from_today_and_a_decided_one_by_its_decision():
    """S2 of P05 accepted Wednesday 30 September: on Friday 23 October one item is still open although its
    deadline was Thursday 22 October (it cannot finish before today), another was decided on 15 October."""
    stages = stages_of(
        "P05", S1={"status": "completed", "accepted_on": D("2026-09-14"), "finished_on": D("2026-09-30")}
    )
    s2 = next(s for s in stages if s.code == "S2")
    late, done, *rest = s2.items
    items = [
        ItemProgress(
            **{**vars(late), "status": "accepted", "accepted_on": D("2026-09-30"), "deadline": D("2026-10-22")}
        ),
        ItemProgress(
            **{
                **vars(done),
                "status": "approved",
                "accepted_on": D("2026-09-30"),
                "deadline": D("2026-10-16"),
                "decided_on": D("2026-10-15"),
            }
        ),
        *rest,
    ]
    stages[stages.index(s2)] = StageProgress(
        **{**vars(s2), "status": "accepted", "accepted_on": D("2026-09-30"), "items": items}
    )
    schedule = approval_schedule(stages, D("2026-10-23"), CAL, "S3", D("2026-11-02"))
    forecast = {i.item.code: i.forecast for i in by_code(schedule)["S2"].items}
    assert forecast[items[0].code].finish == D("2026-10-23")  # today, not the past deadline
    assert forecast[items[1].code].finish == D("2026-10-15")  # as it happened
