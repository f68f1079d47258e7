"""The personalised approval plan (量身打造审批服务方案) of a project: counted backwards from the enterprise's target
start date (开工日期, 倒排工期) to the latest day each stage must be accepted, and forwards from today (and from the
stages already under way) to the earliest feasible start. The rules are in docs/approval-plan.md.

Pure functions over plain values: no database, no clock; `today` is a local date passed in.

- A stage accepted on working day `A` with limit `L` finishes at the end of `add_workdays(A, L)` (RULES.md,
  "Counting, exactly").
- The next stage is submitted and accepted the same working day the previous one finishes: its decision documents
  are shared electronically (材料共享), and the whole-process target is the sum of the stage limits with no gap.
- Construction may start on any calendar day after the construction-permit stage finishes (the catalog's
  `construction_starts_after`). So for a target start `T` that stage must finish by the last working day before
  `T`; the stages after it (completion acceptance) follow construction and do not bind `T`.
- Backwards every step is the exact inverse of the forward step (`subtract_workdays`), so the forward plan meets
  the target exactly when today is no later than the backward plan's latest acceptance of the first stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from kit.calendar import WorkingCalendar

FINISHED = ("completed", "refused")


@dataclass(frozen=True)
class ItemProgress:
    """An applicable item of the project as it stands."""

    id: str
    code: str
    name_zh: str
    department: str
    effective_days: int
    materials: tuple[str, ...]
    status: str
    accepted_on: date | None = None
    deadline: date | None = None
    decided_on: date | None = None


@dataclass(frozen=True)
class StageProgress:
    """A stage of the project as it stands: its limit for the project type and what has happened so far."""

    code: str
    name_zh: str
    status: str  # pending, open, submitted, accepted, completed, refused, skipped
    stage_days: int
    accepted_on: date | None = None
    finished_on: date | None = None
    # The latest deadline or decision of its items (suspensions included), once accepted.
    projected_finish: date | None = None
    items: Sequence[ItemProgress] = ()


@dataclass(frozen=True)
class Span:
    accept: date | None = None
    finish: date | None = None


@dataclass(frozen=True)
class ItemPlan:
    item: ItemProgress
    latest: Span  # accept and deadline by the backward plan (empty without a target)
    forecast: Span  # accept and deadline by the forward plan (empty after construction until accepted)


@dataclass(frozen=True)
class StagePlan:
    code: str
    name_zh: str
    status: str
    stage_days: int
    binds_start: bool  # the stage must finish before construction starts
    latest: Span  # backward from the target start date
    forecast: Span  # forward from today and the actual progress
    actual: Span  # accepted_on and finished_on as they happened
    items: list[ItemPlan] = field(default_factory=list)


@dataclass(frozen=True)
class ApprovalSchedule:
    today: date
    target_start: date | None
    construction_after: str
    # The first calendar day construction may start by the forward plan; None if no stage binds the start.
    earliest_start: date | None
    # Whether the target can be met (None without a target).
    feasible: bool | None
    # Working days the forward plan finishes the construction permit after (shortfall) or before (slack) the
    # latest day the target allows; 0 without a target.
    shortfall_days: int
    slack_days: int
    stages: list[StagePlan]


def backward(stages: Sequence[StageProgress], target_start: date, cal: WorkingCalendar) -> dict[str, Span]:
    """Latest acceptance and finish of each stage (skipped ones left out) so that the last of them finishes by
    the last working day before `target_start`."""
    spans: dict[str, Span] = {}
    finish = cal.previous_workday(target_start)
    for stage in reversed([s for s in stages if s.status != "skipped"]):
        accept = cal.subtract_workdays(finish, stage.stage_days)
        spans[stage.code] = Span(accept, finish)
        finish = accept
    return spans


def forward(stages: Sequence[StageProgress], today: date, cal: WorkingCalendar) -> dict[str, Span]:
    """Earliest acceptance and finish of each stage (skipped ones left out): a finished stage as it happened; a
    running one by the later of its planned and projected finish (no earlier than today's working day); the ones
    still to come accepted the day the previous one finishes, but no earlier than today's working day."""
    spans: dict[str, Span] = {}
    first_day = cal.add_workdays(today, 0)  # today if a working day, else the next one
    cursor: date | None = None
    for stage in stages:
        if stage.status == "skipped":
            continue
        if stage.finished_on is not None and stage.status in FINISHED:
            accept, finish = stage.accepted_on or stage.finished_on, stage.finished_on
        elif stage.accepted_on is not None:
            accept = stage.accepted_on
            finish = max(cal.add_workdays(accept, stage.stage_days), stage.projected_finish or accept, first_day)
        else:
            accept = max(cursor or first_day, first_day)
            finish = cal.add_workdays(accept, stage.stage_days)
        spans[stage.code] = Span(accept, finish)
        cursor = finish
    return spans


def approval_schedule(
    stages: Sequence[StageProgress],
    today: date,
    cal: WorkingCalendar,
    construction_after: str,
    target_start: date | None = None,
) -> ApprovalSchedule:
    """The project's plan: for every stage and item the latest dates the target start allows, the forecast from
    today and the progress so far, and the actual dates; whether the target can be met and by how many working
    days it is missed (or kept)."""
    codes = [s.code for s in stages]
    cut = codes.index(construction_after) + 1 if construction_after in codes else len(codes)
    binding, following = list(stages[:cut]), list(stages[cut:])
    latest = backward(binding, target_start, cal) if target_start else {}
    fwd = forward(binding, today, cal)
    # Stages after construction have dates only once they are accepted; they are counted from their acceptance.
    fwd.update({k: v for k, v in forward(following, today, cal).items() if _started(stages, k)})

    permit = next((s.code for s in reversed(binding) if s.status != "skipped"), "")
    earliest = fwd[permit].finish + timedelta(days=1) if permit else None
    feasible, shortfall, slack = None, 0, 0
    if target_start is not None:
        if permit:
            margin = cal.signed_workdays(fwd[permit].finish, latest[permit].finish)
            shortfall, slack = max(-margin, 0), max(margin, 0)
            feasible = margin >= 0
        else:
            feasible = True

    first_day = cal.add_workdays(today, 0)
    planned: list[StagePlan] = []
    for index, stage in enumerate(stages):
        stage_latest, stage_forecast = latest.get(stage.code, Span()), fwd.get(stage.code, Span())
        items = [
            ItemPlan(
                item,
                _item_span(stage_latest.accept, item.effective_days, cal),
                _item_forecast(item, stage_forecast.accept, first_day, cal),
            )
            for item in stage.items
        ]
        planned.append(
            StagePlan(
                stage.code,
                stage.name_zh,
                stage.status,
                stage.stage_days,
                index < cut and stage.status != "skipped",
                stage_latest,
                stage_forecast,
                Span(stage.accepted_on, stage.finished_on),
                items,
            )
        )
    return ApprovalSchedule(today, target_start, construction_after, earliest, feasible, shortfall, slack, planned)


def _started(stages: Sequence[StageProgress], code: str) -> bool:
    return any(s.code == code and s.accepted_on is not None for s in stages)


def _item_forecast(item: ItemProgress, stage_accept: date | None, first_day: date, cal: WorkingCalendar) -> Span:
    """When an item will be (or was) finished: decided ones as they were; open ones by their deadline, but no
    earlier than today's working day when they are already late; those not accepted yet from the stage's forecast."""
    if item.decided_on is not None:
        return Span(item.accepted_on, item.decided_on)
    if item.accepted_on is not None:
        return Span(item.accepted_on, max(item.deadline, first_day) if item.deadline else None)
    return _item_span(stage_accept, item.effective_days, cal)


def _item_span(accept: date | None, days: int, cal: WorkingCalendar) -> Span:
    return Span(accept, cal.add_workdays(accept, days)) if accept else Span()
