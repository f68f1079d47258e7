"""GET/POST /enterprises."""

from __future__ import annotations

from zhitong.intake.v1 import intake_pb2 as ipb

from services.gateway import clients, views
from services.gateway.auth import actor_pb


def registered(code: str) -> bool:
    """Whether `code` is an enterprise registered with intake (as the caller may see it)."""
    found = clients.intake().call("ListEnterprises", ipb.ListEnterprisesRequest(actor=actor_pb()))
    return any(e.code == code for e in found.enterprises)


def search():
    found = clients.intake().call("ListEnterprises", ipb.ListEnterprisesRequest(actor=actor_pb()))
    return {"enterprises": [views.enterprise(e) for e in found.enterprises]}


def create(body):
    created = clients.intake().call(
        "RegisterEnterprise", ipb.RegisterEnterpriseRequest(actor=actor_pb(), enterprise=ipb.Enterprise(**body))
    )
    return views.enterprise(created.enterprise), 201
