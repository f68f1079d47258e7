"""GET/PUT /calendar/{year}."""

from __future__ import annotations

from zhitong.workflow.v1 import workflow_pb2 as wpb

from services.gateway import clients
from services.gateway.auth import actor_pb


def get(year):
    found = clients.workflow().call("GetCalendarYear", wpb.GetCalendarYearRequest(year=year))
    return {
        "year": found.year,
        "source": found.source,
        "calendar_warning": found.calendar_warning or None,
        "days": [{"date": d.date, "workday": d.workday, "note": d.note} for d in found.days],
    }


def put(year, body):
    clients.workflow().call(
        "PutCalendarYear",
        wpb.PutCalendarYearRequest(
            actor=actor_pb(),
            year=year,
            holidays=body["holidays"],
            workdays=body["workdays"],
            replace_published=body.get("replace_published", False),
        ),
    )
    return get(year)


def delete(year):
    clients.workflow().call("DeleteCalendarYear", wpb.DeleteCalendarYearRequest(actor=actor_pb(), year=year))
    return get(year)
