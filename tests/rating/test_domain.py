"""Invitations from events, one rating per subject, rectification of bad ratings, figures."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from kit import errors
from kit.actor import Actor
from services.rating.models import Outbox
from services.rating.server import create_ratings
from tests.conftest import LibraryCalendars, local

E01 = Actor("e01", "enterprise", enterprise="E01")
E02 = Actor("e02", "enterprise", enterprise="E02")
ZRGH = Actor("zrgh-officer", "officer", department="zrgh")
SUPERVISOR = Actor("supervisor", "supervisor")


@pytest.fixture
def ratings(clock, sqlite_url):
    clock.set(local("2026-10-12 10:00"))
    return create_ratings(clock=clock, database_url=sqlite_url("rating"), calendars=LibraryCalendars())


def decided(item_id="item-1", decision="approved", enterprise="E01", event_id=None) -> dict:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "item.decided",
        "occurred_at": "2026-10-12T02:00:00Z",
        "data": {
            "decision": decision,
            "item": {
                "item_id": item_id,
                "item_code": "S1-07",
                "item_name": "用地规划许可",
                "project_id": "p1",
                "project_name": "测试项目",
                "department": "zrgh",
                "enterprise": enterprise,
            },
        },
    }


def test_an_approved_item_invites_its_enterprise_once(ratings):
    event = decided()
    assert ratings.open_invitation(event)
    assert ratings.open_invitation(event) is None  # redelivered
    assert ratings.open_invitation(decided()) is None  # same subject again
    assert ratings.open_invitation(decided("item-2", "withdrawn")) is None
    ((invitation, rated),) = ratings.invitations(E01)
    assert invitation.department == "zrgh" and not rated
    assert ratings.invitations(E02) == []


def test_a_bad_rating_opens_a_rectification_that_runs_its_course(ratings, clock):
    ratings.open_invitation(decided())
    ((invitation, _),) = ratings.invitations(E01)
    with pytest.raises(errors.Invalid):
        ratings.rate(E01, invitation.id, 2, "")  # a comment is required for 1–2
    for bad in (0, 6):
        with pytest.raises(errors.Invalid):
            ratings.rate(E01, invitation.id, bad, "x")
    with pytest.raises(errors.NotFound):
        ratings.rate(E02, invitation.id, 5)
    rating, rectification = ratings.rate(E01, invitation.id, 2, "材料反复退回")
    assert rectification.due_on.isoformat() == "2026-10-19"  # five working days after Monday 12 October
    with pytest.raises(errors.Conflict):
        ratings.rate(E01, invitation.id, 5)
    with ratings.sessions() as session:
        (event,) = session.execute(select(Outbox).where(Outbox.c.type == "rating.bad_received")).all()
    assert event.data["department"] == "zrgh" and event.data["score"] == 2
    ratings.act_on_rectification(ZRGH, rectification.id, "respond", "已优化材料预审流程")
    with pytest.raises(errors.Forbidden):
        ratings.act_on_rectification(ZRGH, rectification.id, "accept", "自己审核")
    ratings.act_on_rectification(SUPERVISOR, rectification.id, "accept", "整改到位")
    done = ratings.act_on_rectification(SUPERVISOR, rectification.id, "revisit", "企业表示满意", satisfied=True)
    assert done.status == "revisited" and done.revisit_satisfied
    (f,) = ratings.stats(SUPERVISOR, "2026-10")
    assert (f.ratings, f.average, f.satisfaction_rate, f.bad, f.rectifications_due, f.rectifications_on_time) == (
        1,
        2.0,
        0.0,
        1,
        1,
        1,
    )


def test_an_unanswered_rectification_is_announced_once(ratings, clock):
    ratings.open_invitation(decided())
    ((invitation, _),) = ratings.invitations(E01)
    ratings.rate(E01, invitation.id, 1, "很不满意")
    clock.set(local("2026-10-20 09:00"))
    assert ratings.sweep() == 1
    assert ratings.sweep() == 0


def test_revisit_surveys_are_kept_by_supervisors(ratings):
    with pytest.raises(errors.Forbidden):
        ratings.record_revisit(ZRGH, "E01", "回访", True)
    ratings.record_revisit(SUPERVISOR, "E01", "电话回访，企业对审批速度满意", True, "无")
    assert [v.enterprise for v in ratings.revisits(SUPERVISOR)] == ["E01"]
