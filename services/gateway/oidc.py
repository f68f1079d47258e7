"""Single sign-on (统一身份认证) with the city's OpenID Connect issuer (e.g. Keycloak), beside or instead of the
built-in user store.

The issuer's access tokens are verified here with the issuer's signing keys (its JWKS, found through discovery and
cached), and their claims are mapped to the suite's: user name, role, department, enterprise and name. The web
client logs in with the authorization code flow with PKCE; the code is exchanged for a token here, on the server,
so that the issuer need not allow the browser's origin and a confidential client's secret never leaves the
gateway. Every call to the issuer has a timeout: an issuer that cannot be reached is `IssuerUnavailable` (503),
never a hang."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from connexion.exceptions import OAuthProblem

from kit import config
from kit.actor import HANDLER_ROLES, ROLES
from kit.text import printable
from services.gateway.problems import Problem

log = logging.getLogger("gateway.oidc")

# Asymmetric signatures only: the issuer's public keys can never be used as a shared secret (an HS256 token
# that names the issuer is refused before any key is looked up).
ALGORITHMS = ("RS256", "ES256", "PS256")
TIMEOUT_SECONDS = 5
LEEWAY_SECONDS = 30
# The discovery document rarely changes; a stale copy keeps serving while the issuer cannot be reached.
DISCOVERY_SECONDS = 3600
JWKS_SECONDS = 300
UNAVAILABLE = "统一身份认证平台暂时无法访问，请稍后重试"


@dataclass(frozen=True)
class LoginSettings:
    """How people log in: with a password of the built-in user store, and, when `issuer` is set, with the city's
    unified identity platform. Claim names may be dotted paths into nested claims (`realm_access.roles`)."""

    password_login: bool = True
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    audience: str = ""
    scope: str = "openid profile"
    username_claim: str = "preferred_username"
    role_claim: str = "zhitong_role"
    role_prefix: str = ""
    department_claim: str = "zhitong_department"
    enterprise_claim: str = "zhitong_enterprise"
    name_claim: str = "name"

    @property
    def single_sign_on(self) -> bool:
        return bool(self.issuer)

    @classmethod
    def from_env(cls) -> LoginSettings:
        password_login = config.flag("ZHITONG_PASSWORD_LOGIN", True)
        issuer = config.optional("ZHITONG_OIDC_ISSUER").strip()
        if not issuer:
            if not password_login:
                raise config.ConfigError(
                    "ZHITONG_PASSWORD_LOGIN=0 needs ZHITONG_OIDC_ISSUER: otherwise nobody could log in"
                )
            return cls()
        _check_issuer_url(issuer)
        client_id = config.text("ZHITONG_OIDC_CLIENT_ID")
        return cls(
            password_login=password_login,
            issuer=issuer,
            client_id=client_id,
            client_secret=config.optional("ZHITONG_OIDC_CLIENT_SECRET"),
            audience=config.text("ZHITONG_OIDC_AUDIENCE", client_id),
            scope=config.text("ZHITONG_OIDC_SCOPE", cls.scope),
            username_claim=config.text("ZHITONG_OIDC_USERNAME_CLAIM", cls.username_claim),
            role_claim=config.text("ZHITONG_OIDC_ROLE_CLAIM", cls.role_claim),
            role_prefix=config.optional("ZHITONG_OIDC_ROLE_PREFIX"),
            department_claim=config.text("ZHITONG_OIDC_DEPARTMENT_CLAIM", cls.department_claim),
            enterprise_claim=config.text("ZHITONG_OIDC_ENTERPRISE_CLAIM", cls.enterprise_claim),
            name_claim=config.text("ZHITONG_OIDC_NAME_CLAIM", cls.name_claim),
        )


def _check_issuer_url(issuer: str) -> None:
    """HTTPS, except on this machine (a test issuer): tokens and codes travel to it."""
    parts = urllib.parse.urlsplit(issuer)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise config.ConfigError(f"ZHITONG_OIDC_ISSUER must be an https:// address, got {issuer!r}")
    if parts.query or parts.fragment or not parts.hostname:
        raise config.ConfigError(f"ZHITONG_OIDC_ISSUER must be the issuer's address, got {issuer!r}")
    if issuer == "zhitong":
        raise config.ConfigError("ZHITONG_OIDC_ISSUER must differ from the built-in issuer")


class IssuerUnavailable(Exception):
    """The issuer could not be reached in time, or answered something that is not what OpenID Connect says."""


def unverified_issuer(token: str) -> str | None:
    """The `iss` a token claims, read without checking anything: only to choose how to verify it."""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return issuer if isinstance(issuer, str) else None


def _claim(claims: dict, path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _texts(value: Any) -> list[str]:
    """A claim that is a string or a list of strings, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _first_text(value: Any) -> str:
    return next((v.strip() for v in _texts(value) if v.strip()), "")


class Issuer:
    """The configured OpenID Connect issuer: its discovery document and signing keys (both cached), verification of
    its access tokens, and the exchange of an authorization code for one."""

    def __init__(self, settings: LoginSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._discovery: dict | None = None
        self._discovered_at = 0.0
        self._keys: jwt.PyJWKClient | None = None

    # ---- what the issuer publishes ----

    def discovery(self) -> dict:
        """`{issuer}/.well-known/openid-configuration`, fetched once an hour; IssuerUnavailable when it cannot be
        had and no earlier copy is kept."""
        with self._lock:
            fresh = self._discovery is not None and time.monotonic() - self._discovered_at < DISCOVERY_SECONDS
            if fresh:
                return self._discovery
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                document = _json_of(_open(urllib.request.Request(url, headers={"Accept": "application/json"})))
                self._check_discovery(document)
            except IssuerUnavailable as exc:
                if self._discovery is None:
                    log.warning("OpenID discovery at %s failed: %s", url, exc)
                    raise
                log.warning("OpenID discovery at %s failed, keeping the earlier copy: %s", url, exc)
                # try again in a minute, not at every request (each try may wait for the timeout)
                self._discovered_at = time.monotonic() - DISCOVERY_SECONDS + 60
                return self._discovery
            if self._keys is None or self._keys.uri != document["jwks_uri"]:
                self._keys = jwt.PyJWKClient(document["jwks_uri"], lifespan=JWKS_SECONDS, timeout=TIMEOUT_SECONDS)
            self._discovery, self._discovered_at = document, time.monotonic()
            return document

    def _check_discovery(self, document: Any) -> None:
        if not isinstance(document, dict):
            raise IssuerUnavailable("the discovery document is not a JSON object")
        if document.get("issuer") != self.settings.issuer:
            raise IssuerUnavailable(
                f"the discovery document names the issuer {document.get('issuer')!r}, not {self.settings.issuer!r}"
            )
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(endpoint)
            if not isinstance(value, str) or urllib.parse.urlsplit(value).scheme not in ("http", "https"):
                raise IssuerUnavailable(f"the discovery document has no usable {endpoint}")

    def _signing_key(self, kid: str | None) -> jwt.PyJWK:
        self.discovery()
        keys = self._keys
        try:
            known = keys.match_kid(keys.get_signing_keys(), kid)
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, OSError, ValueError) as exc:
            log.warning("the issuer's signing keys (%s) could not be had: %s", keys.uri, exc)
            raise IssuerUnavailable(str(exc)) from None
        if known is not None:
            return known
        try:  # a key the cached set does not have yet (rotated): fetched once more, at most every 30 s
            return keys.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise IssuerUnavailable(str(exc)) from None
        except (jwt.PyJWKClientError, jwt.PyJWKSetError):
            raise OAuthProblem(detail="访问令牌的签名密钥不属于统一身份认证平台，请重新登录") from None

    # ---- tokens ----

    def verify(self, token: str) -> dict:
        """The claims of one of the issuer's access tokens in the suite's form (`sub`, `role`, `department`,
        `enterprise`, `name`), or OAuthProblem (401) saying in Chinese why it is refused."""
        s = self.settings
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise OAuthProblem(detail="访问令牌无效，请重新登录") from None
        if header.get("alg") not in ALGORITHMS:
            raise OAuthProblem(detail="统一身份认证令牌的签名算法不被接受（须为 RS256、ES256 或 PS256），请重新登录")
        key = self._signing_key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[header["alg"]],
                audience=s.audience,
                issuer=s.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise OAuthProblem(detail="登录已过期，请重新登录") from None
        except jwt.InvalidAudienceError:
            raise OAuthProblem(
                detail=f"访问令牌不是签发给本系统的（受众 aud 不是“{printable(s.audience, 80)}”），请联系系统管理员"
            ) from None
        except jwt.PyJWTError:
            raise OAuthProblem(detail="访问令牌无效，请重新登录") from None
        return self.suite_claims(claims)

    def suite_claims(self, claims: dict) -> dict:
        """The issuer's claims mapped to the suite's; refused when they do not make a usable account."""
        s = self.settings
        username = _first_text(_claim(claims, s.username_claim))
        if not username:
            raise OAuthProblem(detail=f"统一身份认证令牌中缺少用户名（{s.username_claim}），请联系系统管理员")
        who = f"统一身份认证账号“{printable(username, 40)}”"
        prefix = s.role_prefix
        offered = [v for v in _texts(_claim(claims, s.role_claim)) if v.startswith(prefix)]
        role = next((v[len(prefix) :] for v in offered if v[len(prefix) :] in ROLES), None)
        if role is None and not offered:
            where = s.role_claim + (f"，前缀 {prefix}" if prefix else "")
            raise OAuthProblem(detail=f"{who}未分配本系统的角色（{where}），请联系系统管理员")
        if role is None:
            named = "、".join(printable(v, 40) for v in offered[:5])
            raise OAuthProblem(detail=f"{who}的角色“{named}”不是本系统的角色，请联系系统管理员")
        department = _first_text(_claim(claims, s.department_claim)) if role in HANDLER_ROLES else ""
        if role in HANDLER_ROLES and not department:
            raise OAuthProblem(
                detail=f"{who}是审批人员或部门负责人，但未指定所属部门（{s.department_claim}），请联系系统管理员"
            )
        enterprise = _first_text(_claim(claims, s.enterprise_claim)) if role == "enterprise" else ""
        if role == "enterprise" and not enterprise:
            raise OAuthProblem(
                detail=f"{who}是办事企业账号，但未指定对应的企业（{s.enterprise_claim}），请联系系统管理员"
            )
        return {
            "sub": username,
            "role": role,
            "department": department,
            "enterprise": enterprise,
            "name": _first_text(_claim(claims, s.name_claim)),
            "iss": s.issuer,
            "exp": claims["exp"],
            "sso": True,
        }

    # ---- the authorization code flow ----

    def exchange(self, code: str, code_verifier: str, redirect_uri: str) -> tuple[str, int, dict]:
        """Exchanges an authorization code (with its PKCE verifier) at the issuer's token endpoint: the access
        token, how many seconds it lasts, and its claims in the suite's form."""
        s = self.settings
        document = self.discovery()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": s.client_id,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        if s.client_secret:
            methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            if "client_secret_basic" in methods:
                pair = f"{urllib.parse.quote(s.client_id, safe='')}:{urllib.parse.quote(s.client_secret, safe='')}"
                headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            else:
                form["client_secret"] = s.client_secret
        request = urllib.request.Request(
            document["token_endpoint"], data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST"
        )
        try:
            answer = _json_of(_open(request))
        except _Refused as refused:
            error = refused.body.get("error") if isinstance(refused.body, dict) else None
            error = error if isinstance(error, str) and error.replace("_", "").isalnum() and len(error) <= 40 else ""
            log.info("the issuer refused a code exchange: %s %s", refused.status, error or "(no error code)")
            if error in ("invalid_client", "unauthorized_client"):
                raise Problem(
                    502,
                    f"本系统在统一身份认证平台的客户端配置有误（{error}），请联系系统管理员",
                    title="统一身份认证登录失败",
                ) from None
            if error == "invalid_grant":
                detail = "授权码无效、已使用或已过期，请重新登录"
            else:
                detail = f"统一身份认证平台拒绝了登录请求（{error or refused.status}），请重新登录"
            raise Problem(400, detail, title="统一身份认证登录失败", **({"error": error} if error else {})) from None
        access = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(access, str) or not access:
            raise Problem(502, "统一身份认证平台没有返回访问令牌", title="统一身份认证登录失败")
        claims = self.verify(access)
        lifetime = answer.get("expires_in")
        if not isinstance(lifetime, int) or lifetime <= 0:
            lifetime = max(int(claims["exp"] - time.time()), 0)
        return access, lifetime, claims


class _Refused(IssuerUnavailable):
    """The issuer answered with a 4xx status (for the token endpoint: the code or the client was refused)."""

    def __init__(self, status: int, body: Any):
        super().__init__(f"HTTP {status}")
        self.status, self.body = status, body


def _open(request: urllib.request.Request) -> bytes:
    """The body of the issuer's answer, within TIMEOUT_SECONDS; a 4xx answer is _Refused (with its JSON body, if
    any); anything else that goes wrong is IssuerUnavailable."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http/https checked)
            return response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        with exc:
            status = exc.code
            body = exc.read(64 * 1024)
        if 400 <= status < 500:
            try:
                raise _Refused(status, json.loads(body)) from None
            except ValueError:
                raise _Refused(status, None) from None
        raise IssuerUnavailable(f"HTTP {status} from {request.full_url}") from None
    except (OSError, ValueError) as exc:  # refused, reset, timed out, unreadable address
        raise IssuerUnavailable(f"{type(exc).__name__}: {exc}") from None


def _json_of(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise IssuerUnavailable("the answer is not JSON") from None
