"""The transactional outbox: a service writes its events into its own `outbox` table in the same transaction as
the state change they describe; `kit.relay` publishes them to RabbitMQ afterwards and marks them sent only when
the broker has confirmed them. Nothing is lost if the process dies between commit and publish."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, insert, text
from sqlalchemy.orm import Session

from kit import logs
from kit.db import UTCDateTime


def outbox_table(metadata: MetaData) -> Table:
    """The outbox table, the same in every service's database."""
    return Table(
        "outbox",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(60), nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("correlation_id", String(64), nullable=False, default=""),
        Column("data", JSON, nullable=False),
        # Real time of writing and of the broker's confirm (occurred_at follows the suite clock).
        Column("stored_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime),
        Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL"), sqlite_where=text("sent_at IS NULL")),
    )


def as_data(payload: Message | dict) -> dict:
    """A payload message of `proto/zhitong/events/v1` as the JSON object it travels as."""
    if isinstance(payload, Message):
        return json_format.MessageToDict(
            payload, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    return payload


class Outbox:
    """Writes events of one service into its outbox table, inside the caller's transaction."""

    def __init__(self, table: Table):
        self.table = table

    def emit(self, session: Session, event_type: str, payload: Message | dict, occurred_at: datetime) -> str:
        event_id = str(uuid.uuid4())
        session.execute(insert(self.table).values(self.row(event_type, payload, occurred_at, event_id)))
        return event_id

    def emit_many(self, session: Session, rows: list[dict]) -> None:
        if rows:
            session.execute(insert(self.table), rows)

    @staticmethod
    def row(event_type: str, payload: Message | dict, occurred_at: datetime, event_id: str | None = None) -> dict:
        return {
            "event_id": event_id or str(uuid.uuid4()),
            "type": event_type,
            "occurred_at": occurred_at,
            "correlation_id": logs.request_id.get()[:64],
            "data": as_data(payload),
            "stored_at": datetime.now(timezone.utc),
        }
