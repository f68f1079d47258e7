"""Process entry of the rating worker: `python -m services.rating.worker` consumes decided items and answered
questions and opens rating invitations (nameko on eventlet; grpcio is never imported here)."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import eventlet

eventlet.monkey_patch()


from nameko.extensions import DependencyProvider  # noqa: E402

from kit import config  # noqa: E402
from kit.clock import create_clock  # noqa: E402
from kit.consumer import reliable_event_handler, retried, run_worker  # noqa: E402
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
    run_worker(RatingWorker, "rating-worker", max_workers=10)


if __name__ == "__main__":
    main()
