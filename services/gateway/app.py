"""The API gateway: connexion 3 (spec-first, `openapi.yaml`) on Flask, served by an ASGI server with several
workers. `create_app()` builds everything; nothing happens at import time."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import connexion
import grpc
import yaml
from connexion import context
from connexion.exceptions import ProblemException
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from flask import Response
from grpc_health.v1 import health_pb2, health_pb2_grpc
from python_multipart.exceptions import MultipartParseError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from kit import config, errors, logs
from kit.grpc_client import ServiceError, channel
from services.gateway import auth, oidc, problems, web
from services.gateway.metrics import RequestMetrics
from services.gateway.users import gateway_sessions

HERE = Path(__file__).resolve().parent
BACKENDS = ("workflow", "intake", "consult", "rating", "alerts")


# What the big screen's long-lived, read-only token may call: the dashboard and who it is; nothing else (its token
# sits in a browser in a public hall).
SCREEN_OPERATIONS = frozenset(
    f"services.gateway.api.{name}"
    for name in ("dashboard.summary", "dashboard.trends", "dashboard.departments", "auth.me", "catalog.overview")
)


# What a user with a temporary password may do before choosing their own.
PASSWORD_CHANGE_OPERATIONS = frozenset(
    f"services.gateway.api.{name}" for name in ("auth.me", "auth.change_password", "catalog.overview")
)


def _claims() -> dict:
    try:
        return context.context.get("token_info") or {}
    except LookupError:  # a public operation: no token
        return {}


class JsonResolver(Resolver):
    """Resolves operationIds as usual and marks handler results as `application/json`: the spec also lists
    `application/problem+json` for errors, and connexion needs to be told which of the two a result is."""

    def resolve_function_from_operation_id(self, operation_id):
        handler = super().resolve_function_from_operation_id(operation_id)

        screen_may_call = operation_id in SCREEN_OPERATIONS
        before_password_change = operation_id in PASSWORD_CHANGE_OPERATIONS

        @functools.wraps(handler)
        def json_handler(*args, **kwargs):
            claims = _claims()
            if not screen_may_call and claims.get("role") == "screen":
                raise problems.Problem(403, "大屏账号只能查看督查看板数据")
            if not before_password_change and claims.get("pwd_change"):
                raise problems.Problem(
                    403, "您正在使用临时密码，请先修改密码", title="请先修改密码", code="password_change_required"
                )
            result = handler(*args, **kwargs)
            if isinstance(result, Response):  # a page or a file, already typed
                return result
            body, status = result if isinstance(result, tuple) else (result, 200)
            if status == 204:  # no content, so no content type either
                return "", 204
            return body, status, {"Content-Type": "application/json"}

        return json_handler


def create_app() -> connexion.FlaskApp:
    logs.setup("gateway", config.text("ZHITONG_LOG_LEVEL", "info").upper())
    app = connexion.FlaskApp(__name__, specification_dir=str(HERE))
    problems.learn_parameters(yaml.safe_load((HERE / "openapi.yaml").read_text(encoding="utf-8")))
    app.add_api(
        "openapi.yaml",
        resolver=JsonResolver(),
        strict_validation=True,
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"),
    )
    app.add_error_handler(ServiceError, problems.from_service_error)
    app.add_error_handler(errors.DomainError, problems.from_domain_error)
    app.add_error_handler(problems.Problem, problems.from_problem)
    app.add_error_handler(ProblemException, problems.from_connexion_problem)
    app.add_error_handler(HTTPException, problems.from_http_exception)
    app.add_error_handler(UnicodeEncodeError, problems.from_unencodable_text)
    for unreadable in (UnicodeDecodeError, RecursionError, MultiPartException, MultipartParseError):
        app.add_error_handler(unreadable, problems.from_unreadable_body)
    app.add_error_handler(Exception, problems.from_unexpected)
    app.add_middleware(RequestMetrics, position=MiddlewarePosition.BEFORE_EXCEPTION)  # outermost: counts all
    app.add_middleware(BodyLimit, position=MiddlewarePosition.BEFORE_EXCEPTION)
    flask_app = app.app
    flask_app.json.ensure_ascii = False
    flask_app.config["SESSIONS"] = gateway_sessions()
    auth.use_user_store(flask_app.config["SESSIONS"])
    login = oidc.LoginSettings.from_env()
    flask_app.config["LOGIN"] = login
    flask_app.config["ISSUER"] = oidc.Issuer(login) if login.single_sign_on else None
    auth.use_issuer(flask_app.config["ISSUER"])
    flask_app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    flask_app.add_url_rule("/readyz", "readyz", _ready)
    web.register(flask_app)  # the web client at `/` (fixed routes such as /healthz win over its catch-all)
    return app


class BodyLimit:
    """Refuses request bodies larger than the largest material file (plus form overhead) before reading them;
    JSON bodies are far smaller, so they get a limit of their own."""

    def __init__(self, app, json_limit: int = 1024 * 1024):
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = config.integer("INTAKE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024) + 64 * 1024

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or ())
            multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
            limit = self.upload_limit if multipart else self.json_limit
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                response = problems.respond(413, f"请求体过大（上限 {limit // 1024 // 1024 or 1} MiB）")
                await _send(response, send)
                return
        await self.app(scope, receive, send)


async def _send(response, send) -> None:
    body = response.body
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", (response.content_type or "application/problem+json").encode())]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _ready():
    """Ready when every backend service answers its gRPC health check with SERVING."""
    states = {}
    for name in BACKENDS:
        try:
            reply = health_pb2_grpc.HealthStub(channel(config.grpc_address(name))).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=2
            )
            states[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as exc:
            states[name] = exc.code().name
    ready = all(s == "SERVING" for s in states.values())
    return {"status": "ready" if ready else "not ready", "services": states}, 200 if ready else 503
