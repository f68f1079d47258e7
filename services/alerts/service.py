"""The alerts nameko service: one entrypoint per trigger of RULES.md's SMS table, and a timer that sends what
quiet hours held back and what failed before. Runs in its own process (`python -m services.alerts.worker`)."""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from kit.consumer import reliable_event_handler, retried
from services.alerts.domain import Alerts, BadEvent


class AlertsDependency(DependencyProvider):
    """Gives each worker the alerts use cases, built once per process by `create_alerts()`."""

    def setup(self):
        from services.alerts.worker import create_alerts

        self.alerts = create_alerts()

    def get_dependency(self, worker_ctx):
        return self.alerts


class AlertsService:
    name = "alerts"

    alerts: Alerts = AlertsDependency()

    @reliable_event_handler("workflow", "item.warning_started")
    @retried(permanent=(BadEvent,))
    def on_warning_started(self, event):
        self._send(self.alerts.handle(event))

    @reliable_event_handler("workflow", "item.turned_red")
    @retried(permanent=(BadEvent,))
    def on_turned_red(self, event):
        self._send(self.alerts.handle(event))

    @reliable_event_handler("workflow", "item.still_red")
    @retried(permanent=(BadEvent,))
    def on_still_red(self, event):
        self._send(self.alerts.handle(event))

    @reliable_event_handler("consult", "question.overdue")
    @retried(permanent=(BadEvent,))
    def on_question_overdue(self, event):
        self._send(self.alerts.handle(event))

    @reliable_event_handler("rating", "rating.bad_received")
    @retried(permanent=(BadEvent,))
    def on_bad_rating(self, event):
        self._send(self.alerts.handle(event))

    @reliable_event_handler("rating", "rectification.overdue")
    @retried(permanent=(BadEvent,))
    def on_rectification_overdue(self, event):
        self._send(self.alerts.handle(event))

    @reliable_event_handler("workflow", "item.decided")
    @retried(permanent=(BadEvent,))
    def on_decided(self, event):
        self.alerts.handle(event)  # cancels what quiet hours still hold for the item

    @reliable_event_handler("workflow", "clock.changed")
    @retried(permanent=(BadEvent,))
    def on_clock_changed(self, event):
        self.alerts.clock_moved(event)
        self.alerts.dispatch_due()

    @timer(interval=5)
    def send_due(self):
        self.alerts.dispatch_due()

    def _send(self, message_ids):
        for message_id in message_ids:
            self.alerts.send(message_id)
