"""The gateway's gRPC clients, one set per worker process."""

from __future__ import annotations

from functools import cache

from zhitong.alerts.v1 import alerts_pb2_grpc
from zhitong.clock.v1 import clock_pb2_grpc
from zhitong.consult.v1 import consult_pb2_grpc
from zhitong.intake.v1 import intake_pb2_grpc
from zhitong.rating.v1 import rating_pb2_grpc
from zhitong.workflow.v1 import workflow_pb2_grpc

from kit import config
from kit.grpc_client import Client

# Services whose clocks the manual-clock endpoint sets; each new service adds its name here.
CLOCKED_SERVICES = ("workflow", "intake", "consult", "rating")


@cache
def workflow() -> Client:
    return Client(workflow_pb2_grpc.WorkflowServiceStub, config.grpc_address("workflow"))


@cache
def intake() -> Client:
    return Client(intake_pb2_grpc.IntakeServiceStub, config.grpc_address("intake"))


@cache
def consult() -> Client:
    return Client(consult_pb2_grpc.ConsultServiceStub, config.grpc_address("consult"))


@cache
def rating() -> Client:
    return Client(rating_pb2_grpc.RatingServiceStub, config.grpc_address("rating"))


@cache
def alerts() -> Client:
    return Client(alerts_pb2_grpc.AlertsServiceStub, config.grpc_address("alerts"))


@cache
def clock(service: str) -> Client:
    return Client(clock_pb2_grpc.ClockServiceStub, config.grpc_address(service), timeout=5.0)
