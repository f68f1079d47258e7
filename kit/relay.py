"""The outbox relay: `python -m kit.relay <service>` publishes the service's outbox rows to the durable topic
exchange `<service>.events` (routing key = event type, JSON envelope) with pipelined publisher confirms, and marks a
row sent only after the broker confirmed it. It reconnects with backoff when the broker goes away, and rows that a
crash left unsent go out when it comes back; consumers drop the duplicates this may cause by `event_id`.

On PostgreSQL each batch is claimed with `SELECT … FOR UPDATE SKIP LOCKED`, so several relays can run at once.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pika
from pika.spec import Basic
from prometheus_client import Counter, Gauge
from sqlalchemy import Connection, Engine, MetaData, Transaction, delete, func, select, update

from kit import config, logs, metrics
from kit.db import make_engine
from kit.outbox import outbox_table

log = logging.getLogger("kit.relay")

PUBLISHED = Counter("zhitong_outbox_published_total", "Events published and confirmed by the broker", ["source"])
NACKED = Counter("zhitong_outbox_nacked_total", "Events the broker refused (they are retried)", ["source"])
BACKLOG = Gauge("zhitong_outbox_backlog", "Events written but not yet confirmed by the broker", ["source"])
OLDEST = Gauge("zhitong_outbox_oldest_unsent_age_seconds", "Age of the oldest unsent event", ["source"])
CONNECTED = Gauge("zhitong_outbox_relay_connected", "1 while the relay is connected to the broker", ["source"])


def envelope(source: str, row) -> dict:
    """The wire format of an event (ARCHITECTURE.md)."""
    return {
        "event_id": row.event_id,
        "type": row.type,
        "occurred_at": row.occurred_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "source": source,
        "correlation_id": row.correlation_id,
        "data": row.data,
    }


@dataclass
class _Batch:
    connection: Connection
    transaction: Transaction | None
    pending: dict[int, int] = field(default_factory=dict)  # delivery tag -> outbox row id
    acked: list[int] = field(default_factory=list)
    nacked: list[int] = field(default_factory=list)
    size: int = 0


class Relay:
    def __init__(
        self,
        source: str,
        engine: Engine,
        amqp_url: str,
        batch_size: int = 500,
        poll_interval: float = 0.25,
        stats_interval: float = 10.0,
        keep_sent: timedelta = timedelta(days=7),
    ):
        self.source = source
        self.engine = engine
        self.table = outbox_table(MetaData())
        self.exchange = f"{source}.events"
        self.parameters = pika.URLParameters(amqp_url)
        self.parameters.heartbeat = 30
        self.parameters.blocked_connection_timeout = 60
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.stats_interval = stats_interval
        self.keep_sent = keep_sent
        self._claims_rows = engine.dialect.name == "postgresql"
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._batch: _Batch | None = None
        self._tag = 0
        self._stopping = False
        self._ready = False
        self._last_stats = 0.0
        self._last_cleanup = 0.0

    # ---- life cycle ----

    def run(self) -> None:
        """Publish until `stop()`; reconnect with exponential backoff (0.5 s to 30 s) while the broker is away."""
        backoff = 0.5
        while not self._stopping:
            self._ready = False
            self._connection = pika.SelectConnection(
                self.parameters,
                on_open_callback=self._on_open,
                on_open_error_callback=lambda _c, err: self._lost(f"cannot connect: {err}"),
                on_close_callback=lambda _c, reason: self._lost(f"connection closed: {reason}"),
            )
            self._connection.ioloop.start()
            self._abandon_batch()
            CONNECTED.labels(self.source).set(0)
            if self._stopping:
                break
            if self._ready:
                backoff = 0.5
            log.warning("relay %s: broker unavailable, retrying in %.1f s", self.source, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)

    def stop(self) -> None:
        """Ask the relay to finish; safe to call from a signal handler or another thread."""
        self._stopping = True
        connection = self._connection
        if connection is not None:
            connection.ioloop.add_callback_threadsafe(self._close)

    def _close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            self._connection.close()
        elif self._connection is not None:
            self._connection.ioloop.stop()

    def _lost(self, why: str) -> None:
        if not self._stopping:
            log.warning("relay %s: %s", self.source, why)
        self._connection.ioloop.stop()

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_channel_open(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(lambda _ch, reason: self._lost(f"channel closed: {reason}"))
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True, callback=self._on_exchange)

    def _on_exchange(self, _frame) -> None:
        self._channel.confirm_delivery(self._on_confirm, callback=self._on_confirm_mode)

    def _on_confirm_mode(self, _frame) -> None:
        self._tag = 0
        self._ready = True
        CONNECTED.labels(self.source).set(1)
        log.info("relay %s: publishing to exchange %s", self.source, self.exchange)
        self._connection.ioloop.call_later(0, self._poll)

    # ---- publishing ----

    def _poll(self) -> None:
        if self._stopping or not self._ready or self._batch is not None:
            return
        self._housekeeping()
        connection = self.engine.connect()
        transaction = connection.begin() if self._claims_rows else None
        query = (
            select(self.table).where(self.table.c.sent_at.is_(None)).order_by(self.table.c.id).limit(self.batch_size)
        )
        if self._claims_rows:
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()
        if transaction is None:
            connection.rollback()  # SQLite: no lock is held while waiting for the broker (one relay per file)
        if not rows:
            if transaction is not None:
                transaction.rollback()
            connection.close()
            self._connection.ioloop.call_later(self.poll_interval, self._poll)
            return
        batch = self._batch = _Batch(connection, transaction, size=len(rows))
        for row in rows:
            self._channel.basic_publish(
                self.exchange,
                row.type,
                json.dumps(envelope(self.source, row), ensure_ascii=False).encode(),
                pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=row.event_id,
                    type=row.type,
                    app_id=self.source,
                ),
            )
            self._tag += 1
            batch.pending[self._tag] = row.id

    def _on_confirm(self, frame) -> None:
        batch = self._batch
        if batch is None:
            return
        method = frame.method
        tags = [t for t in batch.pending if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        target = batch.acked if isinstance(method, Basic.Ack) else batch.nacked
        for tag in tags:
            if tag in batch.pending:
                target.append(batch.pending.pop(tag))
        if not batch.pending:
            self._finish(batch)

    def _finish(self, batch: _Batch) -> None:
        self._batch = None
        connection = batch.connection
        try:
            if batch.acked:
                statement = (
                    update(self.table)
                    .where(self.table.c.id.in_(batch.acked))
                    .values(sent_at=datetime.now(timezone.utc))
                )
                if batch.transaction is None:
                    with connection.begin():
                        connection.execute(statement)
                else:
                    connection.execute(statement)
            if batch.transaction is not None:
                batch.transaction.commit()
        finally:
            connection.close()
        PUBLISHED.labels(self.source).inc(len(batch.acked))
        if batch.nacked:
            NACKED.labels(self.source).inc(len(batch.nacked))
            log.warning("relay %s: broker refused %d events; they will be retried", self.source, len(batch.nacked))
        full = batch.size == self.batch_size and not batch.nacked
        self._connection.ioloop.call_later(0 if full else self.poll_interval, self._poll)

    def _abandon_batch(self) -> None:
        """The connection dropped mid-batch: nothing is marked sent; the rows go out again after reconnecting."""
        batch, self._batch = self._batch, None
        if batch is not None:
            if batch.transaction is not None:
                batch.transaction.rollback()
            batch.connection.close()

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_stats >= self.stats_interval:
            self._last_stats = now
            with self.engine.connect() as connection:
                count, oldest = connection.execute(
                    select(func.count(), func.min(self.table.c.stored_at)).where(self.table.c.sent_at.is_(None))
                ).one()
            BACKLOG.labels(self.source).set(count)
            age = 0.0
            if oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=timezone.utc)
                age = (datetime.now(timezone.utc) - oldest).total_seconds()
            OLDEST.labels(self.source).set(age)
        if now - self._last_cleanup >= 3600:
            self._last_cleanup = now
            cutoff = datetime.now(timezone.utc) - self.keep_sent
            with self.engine.begin() as connection:
                connection.execute(delete(self.table).where(self.table.c.sent_at < cutoff))


def main() -> None:
    service = sys.argv[1] if len(sys.argv) > 1 else ""
    if not service:
        print("usage: python -m kit.relay <service>", file=sys.stderr)
        sys.exit(2)
    logs.setup(f"{service}-relay")
    relay = Relay(
        service,
        make_engine(config.database_url(service)),
        config.text("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
        batch_size=config.integer("ZHITONG_RELAY_BATCH", 500),
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: relay.stop())
    metrics.serve_metrics(config.metrics_port(f"{service}-relay"))
    relay.run()


if __name__ == "__main__":
    main()
