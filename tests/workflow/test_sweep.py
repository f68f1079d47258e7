"""The sweep announces each warning and each turn to red once, and a reminder every working morning while red;
people's actions write their own events in the same transaction."""

from __future__ import annotations

from sqlalchemy import select

from kit.catalog import ProjectFacts
from services.workflow.models import Outbox
from tests.conftest import local
from tests.workflow.conftest import ADMIN, ENTERPRISE, WINDOW, officer


def events(workflow, event_type=None):
    with workflow.sessions() as session:
        rows = session.execute(select(Outbox).order_by(Outbox.c.id)).all()
    return [r for r in rows if event_type is None or r.type == event_type]


def land_permit(workflow, clock):
    """A general project accepted on 30 September: S1-07 has limit 5, deadline 13 October."""
    workflow.create_plan(ADMIN, "p1", "国庆项目", "E01", ProjectFacts("general_social"))
    clock.set(local("2026-09-30 09:00"))
    workflow.submit_stage(ENTERPRISE, "p1", "S1")
    stage = workflow.act_on_stage(WINDOW, "p1", "S1", "accept")
    return next(i for i in stage.items if i.code == "S1-07")


def turned_red(workflow, item_id):
    return [e for e in events(workflow, "item.turned_red") if e.data["item"]["item_id"] == item_id]


def sweep_at(workflow, clock, when):
    clock.set(local(when))
    return workflow.sweep()


def test_warning_red_and_reminders_each_once(workflow, clock):
    item = land_permit(workflow, clock)
    assert sweep_at(workflow, clock, "2026-10-09 09:00")["item.warning_started"] == 0  # used 2 of 5
    assert sweep_at(workflow, clock, "2026-10-12 09:00")["item.warning_started"] >= 1  # used 4 >= 0.8 * 5
    assert sweep_at(workflow, clock, "2026-10-12 15:00") == {
        "item.warning_started": 0,
        "item.turned_red": 0,
        "item.still_red": 0,
    }
    warned = [e for e in events(workflow, "item.warning_started") if e.data["item"]["item_code"] == "S1-07"]
    assert len(warned) == 1 and warned[0].data["deadline"] == "2026-10-13"
    assert warned[0].data["item"]["department"] == "zrgh" and warned[0].data["item"]["project_name"] == "国庆项目"

    assert sweep_at(workflow, clock, "2026-10-13 09:00")["item.turned_red"] == 0  # deadline day
    sweep_at(workflow, clock, "2026-10-14 09:00")
    red = [e for e in events(workflow, "item.turned_red") if e.data["item"]["item_id"] == item.id]
    assert len(red) == 1 and red[0].data["red_since"] == "2026-10-14"

    sweep_at(workflow, clock, "2026-10-15 00:05")
    sweep_at(workflow, clock, "2026-10-15 09:00")
    sweep_at(workflow, clock, "2026-10-17 09:00")  # Saturday: no reminder
    sweep_at(workflow, clock, "2026-10-19 09:00")
    reminders = [e.data for e in events(workflow, "item.still_red") if e.data["item"]["item_id"] == item.id]
    assert [(r["reminder_on"], r["red_days"]) for r in reminders] == [("2026-10-15", 2), ("2026-10-19", 4)]

    filing = next(i for i in workflow.get_project(ENTERPRISE, "p1").stages[0].items if i.code == "S1-01")
    workflow.act_on_item(officer("fgw"), filing.id, "approve")
    workflow.act_on_item(officer("zrgh"), item.id, "approve")
    sweep_at(workflow, clock, "2026-10-20 09:00")
    assert len([e for e in events(workflow, "item.still_red") if e.data["item"]["item_id"] == item.id]) == 2
    decided = [e.data for e in events(workflow, "item.decided") if e.data["item"]["item_id"] == item.id]
    assert decided[0]["decision"] == "approved" and decided[0]["colour"] == "red"


def test_moving_the_manual_clock_back_takes_back_the_marks_of_days_to_come(workflow, clock):
    item = land_permit(workflow, clock)

    def red_counts() -> tuple[dict, dict]:
        """The dashboard's red items per department, and those the items' own colours give today."""
        counted = {d: n for d, state, n in workflow.figures.dashboard(ADMIN).open_items if state == "red"}
        live: dict[str, int] = {}
        for it in workflow.get_project(ENTERPRISE, "p1").stages[0].items:
            if it.colour == "red":
                live[it.department] = live.get(it.department, 0) + 1
        return counted, live

    sweep_at(workflow, clock, "2026-10-20 09:00")  # S1-07 red since 14 October, reminded on 20 October
    counted, live = red_counts()
    assert counted == live and counted["zrgh"] >= 1
    clock.set(local("2026-10-12 09:00"))  # back: S1-07 is in warning, not red
    workflow.clock_changed_event()
    workflow.sweep()
    counted, live = red_counts()
    assert counted == live
    assert next(i for i in workflow.get_project(ENTERPRISE, "p1").stages[0].items if i.id == item.id).colour != "red"
    assert len(turned_red(workflow, item.id)) == 1
    sweep_at(workflow, clock, "2026-10-14 09:00")  # its day comes again: red again, announced again
    assert len(turned_red(workflow, item.id)) == 2


def test_suspended_items_do_not_turn_red_while_the_clock_stops(workflow, clock):
    item = land_permit(workflow, clock)
    clock.set(local("2026-10-09 09:00"))
    workflow.act_on_item(officer("zrgh"), item.id, "suspend", "补正")
    sweep_at(workflow, clock, "2026-10-20 09:00")
    assert not [e for e in events(workflow, "item.turned_red") if e.data["item"]["item_id"] == item.id]
    clock.set(local("2026-10-21 09:00"))
    resumed, _ = workflow.act_on_item(officer("zrgh"), item.id, "resume")
    # 8 and 9 October counted before the suspension; the deadline moves by the suspended working days
    assert resumed.deadline.isoformat() == "2026-10-26"
    sweep_at(workflow, clock, "2026-10-26 09:00")
    assert turned_red(workflow, item.id) == []
    sweep_at(workflow, clock, "2026-10-27 09:00")
    assert len(turned_red(workflow, item.id)) == 1


def test_people_write_their_events_with_their_changes(workflow, clock):
    land_permit(workflow, clock)
    types = [e.type for e in events(workflow)]
    assert types.count("stage.submitted") == 1 and types.count("stage.accepted") == 1
    assert types.count("item.accepted") == len([t for t in types if t == "item.accepted"]) > 0
    envelope_fields = {"event_id", "type", "occurred_at", "correlation_id", "data"}
    assert envelope_fields <= set(events(workflow)[0]._mapping)


def test_loading_a_calendar_moves_stored_deadlines(workflow, clock):
    workflow.create_plan(ADMIN, "p2", "跨年项目", "E01", ProjectFacts("low_risk"))
    clock.set(local("2026-12-30 09:00"))
    workflow.submit_stage(ENTERPRISE, "p2", "S1")
    stage = workflow.act_on_stage(WINDOW, "p2", "S1", "accept")
    land = next(i for i in stage.items if i.code == "S1-07")
    assert land.deadline.isoformat() == "2027-01-04"
    workflow.put_calendar_year(ADMIN, 2027, ["2027-01-01"], [])
    sweep_at(workflow, clock, "2027-01-05 09:00")
    assert turned_red(workflow, land.id) == []  # the deadline moved to 5 January
    sweep_at(workflow, clock, "2027-01-06 09:00")
    assert len(turned_red(workflow, land.id)) == 1


def test_sweep_payloads_keep_to_the_declared_event_messages(workflow, clock):
    from google.protobuf import json_format
    from zhitong.events.v1 import events_pb2

    from kit.outbox import as_data

    item = land_permit(workflow, clock)
    for when in ("2026-10-12 09:00", "2026-10-14 09:00", "2026-10-15 09:00"):
        sweep_at(workflow, clock, when)
    declared = {
        "item.warning_started": events_pb2.ItemWarningStarted,
        "item.turned_red": events_pb2.ItemTurnedRed,
        "item.still_red": events_pb2.ItemStillRed,
    }
    for event_type, message in declared.items():
        (event,) = [e for e in events(workflow, event_type) if e.data["item"]["item_id"] == item.id]
        assert as_data(json_format.ParseDict(event.data, message())) == event.data
