"""The bi-monthly assessment's scoring: weights, measures left out when nothing was counted, flag penalties."""

from __future__ import annotations

import pytest

from services.gateway.supervision import DepartmentRow, assess, league

RULES = {
    "weights": {"on_time_rate": 40, "compression": 20, "timely_rate": 20, "satisfaction_rate": 20},
    "penalties": {"late_flag": 2, "perfunctory_flag": 3},
}


def test_full_marks_need_every_measure_at_its_best():
    row = DepartmentRow("zjj", decided=10, on_time=10, used_ratio_sum=0.0, questions_due=4, replied_on_time=4)
    row.ratings, row.satisfied = 5, 5.0
    assert assess(row, RULES)["score"] == 100


def test_a_measure_with_nothing_to_count_is_left_out_and_the_others_scale_up():
    # 8 of 10 on time, used half of the limits on average; no question due, no rating:
    # on_time 0.8 × 40 and compression 0.5 × 20 scaled by 100 / 60 → (32 + 10) × 100/60 = 70
    row = DepartmentRow("fgw", decided=10, on_time=8, used_ratio_sum=5.0)
    result = assess(row, RULES)
    assert result["score"] == pytest.approx(70.0)
    left_out = {m["measure"] for m in result["measures"] if m["points"] is None}
    assert left_out == {"timely_rate", "satisfaction_rate"}


def test_flags_are_penalties_and_the_score_never_goes_below_zero():
    row = DepartmentRow("swj", decided=2, on_time=0, used_ratio_sum=4.0, late_flags=3, perfunctory_flags=1)
    result = assess(row, RULES)
    assert [d["points"] for d in result["deductions"]] == [-6.0, -3.0]
    assert result["score"] == 0


def test_nothing_counted_at_all_gives_no_score():
    assert assess(DepartmentRow("qxj"), RULES)["score"] is None


def test_league_puts_departments_without_decisions_last():
    busy = DepartmentRow("zjj", decided=4, on_time=3)
    idle = DepartmentRow("qxj")
    perfect = DepartmentRow("fgw", decided=2, on_time=2)
    assert [r["department"] for r in league([idle, busy, perfect])] == ["fgw", "zjj", "qxj"]
