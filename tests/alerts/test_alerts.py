"""Who gets which SMS, once, outside quiet hours; and what the SMS log shows."""

from __future__ import annotations

import pytest

from kit import errors
from kit.actor import Actor
from services.alerts.domain import BadEvent
from tests.alerts.conftest import item_event
from tests.conftest import local

SUPERVISOR = Actor("supervisor", "supervisor")


def log_of(alerts, **filters):
    return alerts.list_messages(SUPERVISOR, **filters)


def deliver(alerts, event):
    for message_id in alerts.handle(event):
        alerts.send(message_id)


def test_warning_goes_to_the_officers_once_however_often_it_comes(alerts):
    event = item_event("item.warning_started", "2026-10-12 09:00")
    deliver(alerts, event)
    deliver(alerts, event)  # redelivered
    deliver(alerts, item_event("item.warning_started", "2026-10-12 10:00"))  # same subject, level, day
    messages = log_of(alerts)
    assert [(m.level, m.recipient_role, m.phone, m.status) for m in messages] == [
        ("warning", "officer", "13900000018", "sent")
    ]
    assert "建设用地规划许可证核发" in messages[0].text and "2026-10-13" in messages[0].text
    assert messages[0].text.startswith("【直通预警】国庆项目")


def test_red_goes_to_contact_and_head_reminders_escalate_after_three_days(alerts):
    deliver(alerts, item_event("item.turned_red", "2026-10-14 09:00"))
    assert sorted((m.level, m.recipient_role) for m in log_of(alerts)) == [("red", "contact"), ("red", "dept_head")]
    deliver(alerts, item_event("item.still_red", "2026-10-15 09:00", red_days=2))
    deliver(alerts, item_event("item.still_red", "2026-10-16 09:00", red_days=3))
    by_day = sorted((m.created_at.date().isoformat(), m.level, m.recipient_role) for m in log_of(alerts))
    assert by_day == [
        ("2026-10-14", "red", "contact"),
        ("2026-10-14", "red", "dept_head"),
        ("2026-10-15", "reminder", "contact"),
        ("2026-10-15", "reminder", "dept_head"),
        ("2026-10-16", "escalation", "supervisor"),
        ("2026-10-16", "reminder", "contact"),
        ("2026-10-16", "reminder", "dept_head"),
    ]


def test_quiet_hours_hold_until_eight(alerts):
    deliver(alerts, item_event("item.turned_red", "2026-10-14 23:00"))
    held = log_of(alerts)
    assert {m.status for m in held} == {"held"}
    assert {m.hold_until for m in held} == {local("2026-10-15 08:00")}
    alerts.clock.set(local("2026-10-15 07:59"))
    assert alerts.dispatch_due() == 0
    alerts.clock.set(local("2026-10-15 08:00"))
    assert alerts.dispatch_due() == 2
    assert {m.status for m in log_of(alerts)} == {"sent"}


def test_malformed_events_are_refused_for_the_dead_letter_queue(alerts):
    with pytest.raises(BadEvent):
        alerts.handle({"event_id": "x", "type": "item.turned_red", "occurred_at": "garbage", "data": {}})
    with pytest.raises(BadEvent):
        alerts.handle(item_event("item.exploded", "2026-10-14 09:00"))
    assert log_of(alerts) == []


def test_the_log_is_per_department_for_departments(alerts):
    deliver(alerts, item_event("item.turned_red", "2026-10-14 09:00"))
    assert len(alerts.list_messages(Actor("zrgh-head", "dept_head", department="zrgh"))) == 2
    assert alerts.list_messages(Actor("fgw-head", "dept_head", department="fgw")) == []
    with pytest.raises(errors.Forbidden):
        alerts.list_messages(Actor("fgw-head", "dept_head", department="fgw"), department="zrgh")
    with pytest.raises(errors.Forbidden):
        alerts.list_messages(Actor("e01", "enterprise", enterprise="E01"))


def test_directory_and_templates_are_edited_by_the_admin(alerts):
    admin = Actor("admin", "admin")
    alerts.replace_contacts(
        admin,
        "zrgh",
        [
            {"role": "contact", "name": "新联络员", "phone": "13700000001"},
            {"role": "dept_head", "name": "新负责人", "phone": "13700000002"},
        ],
    )
    with pytest.raises(errors.Invalid):
        alerts.replace_contacts(admin, "zrgh", [{"role": "contact", "name": "x", "phone": "123"}])
    with pytest.raises(errors.Forbidden):
        alerts.replace_contacts(SUPERVISOR, "zrgh", [])
    alerts.replace_templates(admin, [{"level": "red", "text": "红色：{project} {item} 时限{deadline}"}])
    with pytest.raises(errors.Invalid):
        alerts.replace_templates(admin, [{"level": "red", "text": "坏模板 {project"}])
    deliver(alerts, item_event("item.turned_red", "2026-10-14 09:00"))
    messages = log_of(alerts)
    assert sorted(m.phone for m in messages) == ["13700000001", "13700000002"]
    assert messages[0].text == "红色：国庆项目 S1-07 建设用地规划许可证核发 时限2026-10-13"


def test_a_held_reminder_and_the_morning_reminder_are_one_sms(alerts):
    deliver(alerts, item_event("item.still_red", "2026-10-15 23:00", red_days=2))
    deliver(alerts, item_event("item.still_red", "2026-10-16 08:00", red_days=3))
    alerts.clock.set(local("2026-10-16 08:00"))
    alerts.dispatch_due()
    reminders = [m for m in log_of(alerts) if m.level == "reminder"]
    assert len(reminders) == 2  # contact and head, once each
    assert all("3个工作日" in m.text and m.status == "sent" for m in reminders)


def test_held_messages_are_cancelled_when_the_item_is_decided_or_turns_red(alerts):
    deliver(alerts, item_event("item.warning_started", "2026-10-12 23:00"))
    deliver(alerts, item_event("item.turned_red", "2026-10-13 01:00"))
    assert {(m.level, m.status) for m in log_of(alerts)} == {("warning", "cancelled"), ("red", "held")}
    deliver(alerts, item_event("item.decided", "2026-10-13 02:00", decision="approved"))
    alerts.clock.set(local("2026-10-13 08:00"))
    assert alerts.dispatch_due() == 0
    assert {m.status for m in log_of(alerts)} == {"cancelled"}
    assert all(m.error for m in log_of(alerts))


def test_a_role_nobody_fills_is_recorded_as_failed_not_dropped(alerts):
    admin = Actor("admin", "admin")
    alerts.replace_contacts(admin, "zrgh", [{"role": "officer", "name": "审批员", "phone": "13700000009"}])
    deliver(alerts, item_event("item.turned_red", "2026-10-14 09:00"))
    messages = log_of(alerts)
    assert sorted((m.recipient_role, m.status) for m in messages) == [("contact", "failed"), ("dept_head", "failed")]
    assert all("通讯录中没有" in m.error for m in messages)


@pytest.mark.parametrize(
    "text",
    ["{project.upper}", "{project.__class__}", "{deadline:>99999}", "{foo}", "{item[0]}", "{project!r}", "{project"],
)
def test_templates_accept_only_their_plain_placeholders(alerts, text):
    with pytest.raises(errors.Invalid):
        alerts.replace_templates(Actor("admin", "admin"), [{"level": "red", "text": text}])


def question_event(occurred: str, escalate: bool = False) -> dict:
    event = item_event("question.overdue", occurred)
    event["data"] = {
        "question_id": "q-1",
        "department": "zrgh",
        "subject": "材料清单",
        "escalate": escalate,
        "due_at": local("2026-10-13 17:30").isoformat(),
    }
    return event


def test_an_overdue_question_warns_the_contact_then_the_supervisor(alerts):
    deliver(alerts, question_event("2026-10-13 17:31"))
    deliver(alerts, question_event("2026-10-14 09:00", escalate=True))
    messages = log_of(alerts, subject_id="q-1")
    assert sorted((m.level, m.recipient_role) for m in messages) == [
        ("question_overdue", "contact"),
        ("question_overdue", "supervisor"),
    ]
    assert "材料清单" in messages[0].text and "10月13日17:30" in messages[0].text


def test_what_people_typed_goes_into_an_sms_short_and_without_links(alerts):
    event = question_event("2026-10-13 17:31")
    event["data"]["subject"] = '=HYPERLINK("http://evil.example/?x=1","点我") 以及施工许可证办理的全部材料清单和要求'
    deliver(alerts, event)
    (text,) = {m.text for m in log_of(alerts, subject_id="q-1")}
    assert "evil.example" not in text and "[链接]" in text
    typed = text.split("“")[1].split("”")[0]
    assert len(typed) == 20 and typed.endswith("…")


def test_a_major_projects_warnings_also_go_to_its_service_team(alerts):
    """Workflow names the project's service team (专班) in its warning events; each member gets the warning, the red
    notice and the reminders, once a day each, but not the escalation meant for supervisors."""
    team = [
        {"name": "周主任", "phone": "13900000101", "role": "lead"},
        {"name": "吴科长", "phone": "13900000102", "role": "member"},
    ]

    def with_team(event_type, occurred, **data):
        event = item_event(event_type, occurred, **data)
        event["data"]["item"].update(major=True, service_team=team)
        return event

    deliver(alerts, with_team("item.warning_started", "2026-10-12 09:00"))
    deliver(alerts, with_team("item.warning_started", "2026-10-12 09:00"))  # redelivered
    deliver(alerts, with_team("item.turned_red", "2026-10-14 09:00"))
    deliver(alerts, with_team("item.still_red", "2026-10-16 09:00", red_days=3))
    to_team = sorted(
        (m.level, m.recipient_name, m.status) for m in log_of(alerts) if m.recipient_role == "service_team"
    )
    assert to_team == [
        ("red", "吴科长", "sent"),
        ("red", "周主任", "sent"),
        ("reminder", "吴科长", "sent"),
        ("reminder", "周主任", "sent"),
        ("warning", "吴科长", "sent"),
        ("warning", "周主任", "sent"),
    ]
    assert {m.phone for m in log_of(alerts) if m.recipient_role == "service_team"} == {"13900000101", "13900000102"}
