"""gRPC mapping of the alerts read side (runs in `services.alerts.api_server`, never in the nameko worker)."""

from __future__ import annotations

from zhitong.alerts.v1 import alerts_pb2 as pb
from zhitong.alerts.v1 import alerts_pb2_grpc

from kit.actor import Actor
from kit.logs import mask_phone
from kit.proto import from_timestamp, timestamp
from services.alerts.domain import SENDING, Alerts


def message_pb(m) -> pb.SmsMessage:
    return pb.SmsMessage(
        id=m.id,
        level=m.level,
        department=m.department,
        recipient_role=m.recipient_role,
        recipient=mask_phone(m.phone),
        recipient_name=m.recipient_name,
        subject_type=m.subject_type,
        subject_id=m.subject_id,
        status="queued" if m.status == SENDING else m.status,
        attempts=m.attempts,
        created_at=timestamp(m.created_at),
        sent_at=timestamp(m.sent_at),
        hold_until=timestamp(m.hold_until),
        text=m.text,
        provider=m.provider,
        provider_id=m.provider_id,
        error=m.error,
    )


def contact_pb(r) -> pb.Contact:
    return pb.Contact(department=r.department, role=r.role, name=r.name, phone=mask_phone(r.phone))


def template_pb(t) -> pb.Template:
    return pb.Template(level=t.level, text=t.text, provider_template_code=t.provider_template_code)


class AlertsServicer(alerts_pb2_grpc.AlertsServiceServicer):
    def __init__(self, alerts: Alerts):
        self.alerts = alerts

    def ListMessages(self, request, context):
        rows = self.alerts.list_messages(
            Actor.from_proto(request.actor),
            request.department,
            request.status,
            from_timestamp(request.since) if request.HasField("since") else None,
            request.subject_id,
            request.limit or 500,
        )
        return pb.ListMessagesResponse(messages=[message_pb(m) for m in rows])

    def CountMessages(self, request, context):
        counts = self.alerts.count_messages(
            Actor.from_proto(request.actor),
            request.department,
            [(from_timestamp(p.start), from_timestamp(p.end)) for p in request.periods],
        )
        return pb.CountMessagesResponse(counts=[pb.MessageCount(total=t, sent=s, failed=f) for t, s, f in counts])

    def ListContacts(self, request, context):
        rows = self.alerts.contacts(Actor.from_proto(request.actor), request.department)
        return pb.ListContactsResponse(contacts=[contact_pb(r) for r in rows])

    def ReplaceContacts(self, request, context):
        rows = self.alerts.replace_contacts(
            Actor.from_proto(request.actor),
            request.department,
            [{"role": c.role, "name": c.name, "phone": c.phone} for c in request.contacts],
        )
        return pb.ReplaceContactsResponse(contacts=[contact_pb(r) for r in rows])

    def ListTemplates(self, request, context):
        return pb.ListTemplatesResponse(
            templates=[template_pb(t) for t in self.alerts.templates(Actor.from_proto(request.actor))]
        )

    def ReplaceTemplates(self, request, context):
        rows = self.alerts.replace_templates(
            Actor.from_proto(request.actor),
            [
                {"level": t.level, "text": t.text, "provider_template_code": t.provider_template_code}
                for t in request.templates
            ],
        )
        return pb.ReplaceTemplatesResponse(templates=[template_pb(t) for t in rows])
