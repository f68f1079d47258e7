"""Process entry of the rating worker: `python -m services.rating.worker` consumes decided items and answered
questions and opens rating invitations (nameko on eventlet; grpcio is never imported here)."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import eventlet

eventlet.monkey_patch()

import signal  # noqa: E402

import eventlet.event  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from kit import config, logs, metrics  # noqa: E402
from kit.clock import create_clock  # noqa: E402
from kit.consumer import reliable_event_handler, retried  # noqa: E402
from kit.db import make_engine, session_factory  # noqa: E402
from services.rating.domain import BadEvent, Ratings  # noqa: E402

NAME = "rating"


class RatingsDependency(DependencyProvider):
    def setup(self):
        self.ratings = Ratings(
            sessions=session_factory(make_engine(config.database_url(NAME))), clock=create_clock(f"{NAME}-worker")
        )

    def get_dependency(self, worker_ctx):
        return self.ratings


class RatingWorker:
    name = "rating"

    ratings: Ratings = RatingsDependency()

    @reliable_event_handler("workflow", "item.decided")
    @retried(permanent=(BadEvent,))
    def on_item_decided(self, event):
        self.ratings.open_invitation(event)

    @reliable_event_handler("consult", "question.answered")
    @retried(permanent=(BadEvent,))
    def on_question_answered(self, event):
        self.ratings.open_invitation(event)


def main() -> None:
    logs.setup(f"{NAME}-worker")
    runner = ServiceRunner(
        {
            "AMQP_URI": config.text("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
            "max_workers": 10,
            "serializer": "json",
        }
    )
    runner.add_service(RatingWorker)
    stop = eventlet.event.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.ready() or stop.send(True))
    metrics.serve_metrics(config.metrics_port("rating-worker"))
    runner.start()
    stop.wait()
    runner.stop()


if __name__ == "__main__":
    main()
