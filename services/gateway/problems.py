"""Every error the gateway returns is `application/problem+json` with a Chinese title and detail."""

from __future__ import annotations

import grpc
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.problem import problem

from kit.grpc_client import ServiceError

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
STATUS_OF_KIND = {"unsupported_media": 415, "too_large": 413}
TITLES = {
    400: "请求有误",
    401: "未登录或登录已过期",
    403: "无权操作",
    404: "未找到",
    409: "当前状态不允许此操作",
    413: "文件过大",
    415: "文件类型不支持",
    502: "后台服务出错",
    503: "服务暂不可用",
    504: "服务响应超时",
}


class Problem(Exception):
    """Raised by handlers for errors found in the gateway itself."""

    def __init__(self, status: int, detail: str, **ext):
        super().__init__(detail)
        self.status, self.detail, self.ext = status, detail, ext


def respond(status: int, detail: str, ext: dict | None = None) -> ConnexionResponse:
    return problem(status=status, title=TITLES.get(status, "错误"), detail=detail, ext=ext or None)


def from_service_error(_request: ConnexionRequest, exc: ServiceError) -> ConnexionResponse:
    details = dict(exc.details)
    kind = details.pop("kind", "")
    status = STATUS_OF_KIND.get(kind) or HTTP_STATUS.get(exc.code, 502)
    return respond(status, exc.message or TITLES.get(status, ""), details)


def from_problem(_request: ConnexionRequest, exc: Problem) -> ConnexionResponse:
    return respond(exc.status, exc.detail, exc.ext)
