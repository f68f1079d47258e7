"""Early-warning SMS end to end on a real RabbitMQ: the sweep's events travel through the outbox relay to the
alerts worker, which warns the right people once; quiet hours, redeliveries, poison messages, a relay killed
mid-batch and a broker restart lose nothing and duplicate nothing."""

from __future__ import annotations

import json
import signal
import uuid
from collections import Counter

import pika
import pytest
import requests

from tests.e2e.broker import OwnBroker
from tests.e2e.conftest import start_suite, wait_until
from tests.e2e.test_approval_flow import apply_and_accept, item, register

pytestmark = pytest.mark.e2e


class SmsLog:
    def __init__(self, suite):
        self.api = suite.login("supervisor")

    def of(self, item_id: str) -> list[dict]:
        return self.api.get("/alerts/sms", params={"subject_id": item_id})["messages"]

    def wait(self, item_id: str, expected: Counter, timeout: float = 30.0) -> list[dict]:
        """Wait until the item's SMS are exactly `expected` ((level, recipient_role, status) -> count)."""

        def matches():
            messages = self.of(item_id)
            return (
                messages
                if Counter((m["level"], m["recipient_role"], m["status"]) for m in messages) == expected
                else None
            )

        try:
            return wait_until(matches, timeout, "the expected SMS")
        except TimeoutError:
            seen = Counter((m["level"], m["recipient_role"], m["status"]) for m in self.of(item_id))
            raise AssertionError(f"SMS for {item_id}: expected {dict(expected)}, got {dict(seen)}") from None


def accepted_land_permit(suite, enterprise: str, accepted_at: str, name: str) -> str:
    """A general project whose stage S1 the window accepts at `accepted_at`; returns the id of S1-07 (zrgh)."""
    suite.set_clock(accepted_at)
    api = suite.login(enterprise)
    pid = register(api, name)
    apply_and_accept(suite, api, pid, "S1")
    return item(api.get(f"/projects/{pid}"), "S1-07")["id"]


def test_warning_then_red_then_reminders_and_escalation(suite):
    sms = SmsLog(suite)
    land = accepted_land_permit(suite, "e02", "2026-09-30 09:00", "预警短信项目")  # deadline 13 October
    suite.set_clock("2026-10-12 09:00")  # used 4 of 5: warning
    warning = sms.wait(land, Counter({("warning", "officer", "sent"): 1}))
    assert warning[0]["recipient"] == "139****0018" and warning[0]["department"] == "zrgh"
    assert "预警短信项目" in warning[0]["text"] and "2026-10-13" in warning[0]["text"]

    suite.set_clock("2026-10-13 09:00")  # deadline day: still the one warning
    suite.set_clock("2026-10-14 09:00")  # red
    sms.wait(
        land,
        Counter({("warning", "officer", "sent"): 1, ("red", "contact", "sent"): 1, ("red", "dept_head", "sent"): 1}),
    )
    suite.set_clock("2026-10-15 09:00")  # next working morning: reminder
    suite.set_clock("2026-10-15 14:00")  # the same day again: nothing new
    sms.wait(
        land,
        Counter(
            {
                ("warning", "officer", "sent"): 1,
                ("red", "contact", "sent"): 1,
                ("red", "dept_head", "sent"): 1,
                ("reminder", "contact", "sent"): 1,
                ("reminder", "dept_head", "sent"): 1,
            }
        ),
    )
    suite.set_clock("2026-10-16 09:00")  # red for 3 working days: the supervisor too
    sms.wait(
        land,
        Counter(
            {
                ("warning", "officer", "sent"): 1,
                ("red", "contact", "sent"): 1,
                ("red", "dept_head", "sent"): 1,
                ("reminder", "contact", "sent"): 2,
                ("reminder", "dept_head", "sent"): 2,
                ("escalation", "supervisor", "sent"): 1,
            }
        ),
    )
    head = suite.login("zrgh-head").get("/alerts/sms", params={"subject_id": land})["messages"]
    assert len(head) == 8
    assert suite.login("fgw-head").get("/alerts/sms", params={"subject_id": land})["messages"] == []


def test_red_at_night_is_held_until_eight(suite):
    sms = SmsLog(suite)
    land = accepted_land_permit(suite, "e05", "2026-10-19 09:00", "夜间滞后项目")  # deadline 26 October
    suite.set_clock("2026-10-27 23:00")
    held = sms.wait(land, Counter({("red", "contact", "held"): 1, ("red", "dept_head", "held"): 1}))
    assert {m["hold_until"] for m in held} == {"2026-10-28T08:00:00+08:00"}
    suite.set_clock("2026-10-28 08:00")
    sent = sms.wait(
        land,
        Counter(
            {
                ("red", "contact", "sent"): 1,
                ("red", "dept_head", "sent"): 1,
                ("reminder", "contact", "sent"): 1,
                ("reminder", "dept_head", "sent"): 1,
            }
        ),
    )
    assert {m["sent_at"][:16] for m in sent if m["level"] == "red"} == {"2026-10-28T08:00"}


def publish(suite, envelope: dict) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URL"]))
    channel = connection.channel()
    channel.basic_publish(
        "workflow.events",
        envelope["type"],
        json.dumps(envelope).encode(),
        pika.BasicProperties(content_type="application/json", delivery_mode=2),
    )
    connection.close()


def dead_letters(suite) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URL"]))
    count = connection.channel().queue_declare("zhitong.dead-letter", passive=True).method.message_count
    connection.close()
    return count


def red_event(item_id: str, event_id: str | None = None) -> dict:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "item.turned_red",
        "occurred_at": "2026-11-02T02:00:00Z",
        "source": "workflow",
        "correlation_id": "",
        "data": {
            "item": {
                "item_id": item_id,
                "item_code": "S2-08",
                "item_name": "雷电防护装置设计审核",
                "project_id": "p",
                "project_name": "重复投递项目",
                "department": "qxj",
                "stage": "S2",
            },
            "deadline": "2026-10-30",
            "red_since": "2026-10-31",
        },
    }


def test_a_redelivered_event_sends_nothing_twice_and_poison_goes_to_the_dead_letter_queue(suite):
    sms = SmsLog(suite)
    subject = f"dup-{uuid.uuid4().hex[:8]}"
    event = red_event(subject)
    publish(suite, event)
    publish(suite, event)  # the same event again
    publish(suite, red_event(subject))  # another event about the same subject, level and day
    sms.wait(subject, Counter({("red", "contact", "sent"): 1, ("red", "dept_head", "sent"): 1}))

    before = dead_letters(suite)
    publish(suite, {"event_id": str(uuid.uuid4()), "type": "item.turned_red", "occurred_at": "not a time", "data": {}})
    wait_until(lambda: dead_letters(suite) == before + 1, 30, "the poison message in the dead-letter queue")
    metrics = requests.get(f"http://127.0.0.1:{suite.ports['metrics:alerts-worker']}/metrics", timeout=5).text
    assert any(
        line.startswith("zhitong_consumer_dead_letters_total{") and not line.endswith(" 0.0")
        for line in metrics.splitlines()
    )


def test_relay_killed_mid_batch_loses_and_duplicates_nothing(suite):
    sms = SmsLog(suite)
    lands = [accepted_land_permit(suite, "e04", "2026-11-02 09:00", f"批量滞后项目{n}") for n in range(6)]
    suite.kill("workflow-relay", signal.SIGKILL)
    suite.start("workflow-relay")
    suite.set_clock("2026-11-10 09:00")  # all six turn red at once (deadline 9 November)
    suite.kill("workflow-relay", signal.SIGKILL)  # while it publishes the batch
    suite.start("workflow-relay")
    for land in lands:
        sms.wait(land, Counter({("red", "contact", "sent"): 1, ("red", "dept_head", "sent"): 1}))


def test_broker_restart_loses_nothing(tmp_path):
    broker = OwnBroker()
    broker.start()
    own = None
    try:
        own = start_suite(tmp_path, broker.url)
        sms = SmsLog(own)
        land = accepted_land_permit(own, "e03", "2026-09-30 09:00", "断线项目")
        broker.stop()
        own.set_clock("2026-10-14 09:00")  # turns red while the broker is down
        broker.start()
        sms.wait(land, Counter({("red", "contact", "sent"): 1, ("red", "dept_head", "sent"): 1}), timeout=90)
        own.check_alive()  # every process rode out the broker's absence
    finally:
        if own is not None:
            own.stop()
        broker.remove()
