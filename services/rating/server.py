"""Process entry of the rating service: `python -m services.rating.server` (gRPC, plus the rectification sweep)."""

from __future__ import annotations

import logging

from zhitong.rating.v1 import rating_pb2, rating_pb2_grpc

from kit import config
from kit.clock import Clock, create_clock
from kit.db import make_engine, reachable, session_factory
from kit.grpc_server import GrpcService, Registration, create_grpc_server, run_service
from kit.periodic import Periodic
from kit.remote_calendar import RemoteCalendarStore
from services.rating.domain import Ratings
from services.rating.servicer import RatingServicer

NAME = "rating"
log = logging.getLogger(NAME)


def create_ratings(clock: Clock | None = None, database_url: str | None = None, calendars=None) -> Ratings:
    return Ratings(
        sessions=session_factory(make_engine(database_url or config.database_url(NAME))),
        clock=clock or create_clock(NAME),
        calendars=calendars or RemoteCalendarStore(config.grpc_address("workflow")),
        rectification_days=config.integer("RATING_RECTIFICATION_DAYS", 5),
    )


def create_server(ratings: Ratings | None = None, port: int | None = None) -> GrpcService:
    ratings = ratings or create_ratings()

    def sweep() -> None:
        if ratings.sweep():
            log.info("rectifications overdue announced")

    sweeper = Periodic("rating-sweeper", sweep, config.number("ZHITONG_SWEEP_SECONDS", 60))

    server = create_grpc_server(
        NAME,
        [
            Registration(
                rating_pb2_grpc.add_RatingServiceServicer_to_server,
                RatingServicer(ratings),
                rating_pb2.DESCRIPTOR.services_by_name["RatingService"],
            )
        ],
        clock=ratings.clock,
        port=port,
        on_clock_change=[sweeper.run_once],
        ready_checks=[lambda: reachable(ratings.sessions.kw["bind"])],
    )
    server.on_start.append(sweeper.start)
    server.on_stop.append(sweeper.stop)
    return server


def main() -> None:
    run_service(NAME, create_server)


if __name__ == "__main__":
    main()
