"""The outbox relay against the machine's RabbitMQ: every row arrives once, in order, as the JSON envelope; rows
are marked sent only after the broker confirmed them; two relays on PostgreSQL never publish a row twice."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone

import pika
import pytest
from sqlalchemy import func, select

from kit.db import make_engine, session_factory, transaction
from kit.outbox import Outbox
from kit.relay import Relay
from services.workflow.models import Outbox as OutboxTable

pytestmark = pytest.mark.integration
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def collect(queue: str, expected: int, timeout: float = 20.0) -> list[dict]:
    """Consume from `queue` until `expected` messages came or nothing came for `timeout` seconds."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    bodies = []
    for method, properties, body in channel.consume(queue, inactivity_timeout=timeout):
        if method is None:
            break
        bodies.append(json.loads(body) | {"_content_type": properties.content_type})
        channel.basic_ack(method.delivery_tag)
        if len(bodies) >= expected:
            break
    channel.cancel()
    connection.close()
    return bodies


@pytest.fixture
def broker_queue():
    """A fresh source name with a queue bound to all of its events."""
    source = f"relaytest{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.exchange_declare(f"{source}.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare(f"{source}-probe", durable=False, auto_delete=False).method.queue
    channel.queue_bind(queue, f"{source}.events", routing_key="#")
    yield source, queue
    channel.queue_delete(queue)
    channel.exchange_delete(f"{source}.events")
    connection.close()


def fill(engine, n: int) -> None:
    outbox = Outbox(OutboxTable)
    now = datetime.now(timezone.utc)
    with transaction(session_factory(engine)) as session:
        outbox.emit_many(session, [outbox.row("item.turned_red", {"n": i}, now) for i in range(n)])


def run_relays(relays: list[Relay]) -> list[threading.Thread]:
    threads = [threading.Thread(target=r.run, daemon=True) for r in relays]
    for t in threads:
        t.start()
    return threads


def stop(relays, threads):
    for r in relays:
        r.stop()
    for t in threads:
        t.join(timeout=10)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_every_row_is_published_once_in_order_and_marked_sent(database, broker_queue, pg_url, sqlite_url):
    source, queue = broker_queue
    engine = make_engine(pg_url("workflow") if database == "postgresql" else sqlite_url("workflow"))
    fill(engine, 1200)
    relays = [Relay(source, engine, AMQP_URL, batch_size=500, poll_interval=0.05)]
    threads = run_relays(relays)
    try:
        received = collect(queue, 1200)
    finally:
        stop(relays, threads)
    assert [m["data"]["n"] for m in received] == list(range(1200))
    first = received[0]
    assert set(first) >= {"event_id", "type", "occurred_at", "source", "correlation_id", "data"}
    assert first["type"] == "item.turned_red" and first["source"] == source
    assert first["_content_type"] == "application/json"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(OutboxTable.c.sent_at.is_(None))).scalar() == 0
    engine.dispose()


def test_two_relays_on_postgresql_share_the_work_without_duplicates(broker_queue, pg_url):
    source, queue = broker_queue
    engine = make_engine(pg_url("workflow"))
    fill(engine, 3000)
    relays = [Relay(source, engine, AMQP_URL, batch_size=100, poll_interval=0.05) for _ in range(2)]
    threads = run_relays(relays)
    try:
        received = collect(queue, 3000)
    finally:
        stop(relays, threads)
    numbers = [m["data"]["n"] for m in received]
    assert sorted(numbers) == list(range(3000))
    assert len({m["event_id"] for m in received}) == 3000
    engine.dispose()
