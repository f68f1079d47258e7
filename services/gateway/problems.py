"""Every error the gateway returns is `application/problem+json` with a Chinese title and detail. Framework
errors (validation, authentication, routing) are translated here; a submitted value is never echoed back, so a
password that fails validation does not end up in a response or a log."""

from __future__ import annotations

import ast
import logging
import re

import grpc
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.problem import problem
from starlette.exceptions import HTTPException

from kit.errors import DomainError
from kit.grpc_client import ServiceError

log = logging.getLogger("gateway.problems")

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
# the gateway's own rules (the user store) raise kit.errors like every service's domain
STATUS_OF_DOMAIN_KIND = {
    "invalid": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "exists": 409,
    "unavailable": 503,
    **STATUS_OF_KIND,
}
TITLES = {
    400: "请求有误",
    401: "未登录或登录已过期",
    403: "无权操作",
    404: "未找到",
    405: "不支持该请求方法",
    409: "当前状态不允许此操作",
    413: "请求过大",
    415: "内容类型不支持",
    500: "系统内部错误",
    502: "后台服务出错",
    503: "服务暂不可用",
    504: "服务响应超时",
}
RESERVED = {"type", "title", "status", "detail", "instance"}


class Problem(Exception):
    """Raised by handlers for errors found in the gateway itself."""

    def __init__(self, status: int, detail: str, title: str | None = None, **ext):
        super().__init__(detail)
        self.status, self.detail, self.title, self.ext = status, detail, title, ext


def respond(status: int, detail: str, ext: dict | None = None, title: str | None = None) -> ConnexionResponse:
    extra = {k: v for k, v in (ext or {}).items() if k not in RESERVED}
    return problem(status=status, title=title or TITLES.get(status, "错误"), detail=detail, ext=extra or None)


def from_service_error(_request: ConnexionRequest, exc: ServiceError) -> ConnexionResponse:
    details = dict(exc.details)
    kind = details.pop("kind", "")
    title = details.pop("title", None)
    status = STATUS_OF_KIND.get(kind) or HTTP_STATUS.get(exc.code, 502)
    if status >= 500:
        log.warning("backend error %s: %s", exc.code.name, exc.message)
    return respond(status, exc.message or TITLES.get(status, ""), details, title)


def from_domain_error(_request: ConnexionRequest, exc: DomainError) -> ConnexionResponse:
    return respond(STATUS_OF_DOMAIN_KIND.get(exc.kind, 400), exc.message, exc.details)


def from_problem(_request: ConnexionRequest, exc: Problem) -> ConnexionResponse:
    return respond(exc.status, exc.detail, exc.ext, exc.title)


# ---- framework errors ----

_FIELD = re.compile(r" - '([^']+)'$")
# (pattern, Chinese template, whether the sentence is about one field)
_TRANSLATIONS: list[tuple[re.Pattern, str, bool]] = [
    (re.compile(r"'([^']+)' is a required property"), "缺少必填字段“{0}”", False),
    (
        re.compile(r"Additional properties are not allowed \((.+?) (?:was|were) unexpected\)"),
        "不允许的字段：{0}",
        False,
    ),
    (re.compile(r"is not of type '(\w+)'"), "类型应为{type}", True),
    (re.compile(r"is not one of (\[.*\])"), "取值无效，可选值：{0}", True),
    (re.compile(r"is too long"), "过长", True),
    (re.compile(r"is too short|should be non-empty"), "过短或为空", True),
    (re.compile(r"is less than the minimum of (\S+)"), "不能小于{0}", True),
    (re.compile(r"is greater than the maximum of (\S+)"), "不能大于{0}", True),
    (re.compile(r"is not a '([\w-]+)'"), "格式应为{0}", True),
    (re.compile(r"does not match '"), "格式不正确", True),
    (re.compile(r"Missing (?:query|path|header) parameter '([^']+)'"), "缺少参数“{0}”", False),
    (re.compile(r"Request body must not be empty"), "请求体不能为空", False),
    (re.compile(r"Expecting|Extra data|Invalid control character|Unterminated|JSON"), "请求体不是有效的 JSON", False),
    (re.compile(r"Extra (?:query|formData) parameter\(s\) (.+?) not in spec"), "不支持的参数：{0}", False),
    (re.compile(r"No authorization token provided"), "未提供访问令牌，请先登录", False),
    (re.compile(r"Invalid authorization header"), "Authorization 请求头应为“Bearer <访问令牌>”", False),
    (re.compile(r"Invalid Content-type"), "Content-Type 不正确，请按接口说明发送", False),
]
_TYPES = {
    "string": "字符串",
    "integer": "整数",
    "number": "数字",
    "boolean": "布尔值",
    "object": "对象",
    "array": "数组",
}


def _readable(fragment: str) -> str:
    """A Python list of allowed values as the Chinese list a user reads: ['a', 'b'] -> a、b."""
    if fragment.startswith("[") and fragment.endswith("]"):
        try:
            values = ast.literal_eval(fragment)
            return "、".join(str(v) for v in values)
        except (ValueError, SyntaxError):
            return fragment
    return fragment


# (schema, name) of every parameter in the API spec: a parameter's validation message names its schema, not
# the parameter, so the schema tells which parameter it was.
_PARAMETERS: list[tuple[dict, str]] = []
_SCHEMA = re.compile(r"in schema:\n(.*?)\n\nOn instance", re.S)


def learn_parameters(spec: dict) -> None:
    """Remember the parameters of the API spec (called once when the app is built)."""
    shared = (spec.get("components") or {}).get("parameters") or {}
    _PARAMETERS.clear()
    for path in (spec.get("paths") or {}).values():
        for operation in path.values():
            for p in (operation.get("parameters") or []) if isinstance(operation, dict) else []:
                if "$ref" in p:
                    p = shared.get(p["$ref"].rsplit("/", 1)[-1], {})
                if "schema" in p and "name" in p:
                    _PARAMETERS.append((p["schema"], p["name"]))


def _parameter_of(text: str) -> str:
    match = _SCHEMA.search(text)
    if not match:
        return ""
    try:
        schema = ast.literal_eval(match.group(1).strip())
    except (ValueError, SyntaxError):
        return ""
    names = {name for known, name in _PARAMETERS if known == schema}
    return names.pop() if len(names) == 1 else ""


def translate(detail: str | None) -> str:
    """A Chinese sentence for a framework message, naming the field but never the submitted value."""
    text = (detail or "").strip()
    first_line = text.split("\n", 1)[0]
    field = _FIELD.search(first_line)
    parameter = "" if field else _parameter_of(text)
    where = f"字段“{field.group(1)[:60]}”" if field else f"参数“{parameter}”" if parameter else ""
    for pattern, template, about_field in _TRANSLATIONS:
        match = pattern.search(first_line)
        if match:
            groups = [_readable(g[:300]) for g in match.groups()]
            message = template.format(*groups, type=_TYPES.get(groups[0], groups[0]) if groups else "")
            return (where or "参数") + message if about_field else message
    if any("\u4e00" <= ch <= "\u9fff" for ch in first_line) and "'" not in first_line:
        return first_line[:300]  # one of our own Chinese messages
    return f"{where}不符合接口规范" if where else "请求不符合接口规范，请对照接口文档检查"


def from_connexion_problem(_request, exc: ProblemException) -> ConnexionResponse:
    status = exc.status or 400
    if status >= 500:
        log.error("framework error %s", type(exc).__name__)
    return respond(status, translate(exc.detail) if status < 500 else "系统内部错误，请稍后重试")


def from_http_exception(_request, exc: HTTPException) -> ConnexionResponse:
    details = {404: "接口不存在，请检查地址", 405: "该接口不支持此请求方法", 413: "请求体过大"}
    return respond(exc.status_code, details.get(exc.status_code) or translate(str(exc.detail)))


def from_unencodable_text(_request, exc: Exception) -> ConnexionResponse:
    return respond(400, "文本中含有无效的字符（不成对的 Unicode 代理码点），请检查输入")


def from_unreadable_body(_request, exc: Exception) -> ConnexionResponse:
    return respond(400, "请求体无法解析：请使用 UTF-8 编码的 JSON，或格式正确的 multipart/form-data（文件名不宜过长）")


def from_unexpected(_request, exc: Exception) -> ConnexionResponse:
    log.error("unexpected error", exc_info=exc)
    return respond(500, "系统内部错误，请稍后重试；如持续出现请联系管理员")
