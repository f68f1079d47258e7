"""Bearer tokens (JWT, HS256) issued from the built-in user store, with the role, department and enterprise as
claims; connexion calls `bearer_info` for every secured operation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from dataclasses import dataclass

import jwt
from connexion import context
from connexion.exceptions import OAuthProblem
from zhitong.common.v1 import actor_pb2

from kit import config
from kit.actor import Actor

ROLES = ("enterprise", "agent", "officer", "dept_head", "supervisor", "admin", "ops", "screen")
_DEV_SECRET = "zhitong-development-secret-not-for-production"


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    ttl_seconds: int
    issuer: str = "zhitong"

    @classmethod
    def from_env(cls) -> TokenSettings:
        manual = config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"
        secret = config.text("ZHITONG_JWT_SECRET", _DEV_SECRET if manual else None)
        return cls(secret, config.integer("ZHITONG_TOKEN_TTL_SECONDS", 8 * 3600))


_settings: TokenSettings | None = None


def settings() -> TokenSettings:
    global _settings
    if _settings is None:
        _settings = TokenSettings.from_env()
    return _settings


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = hash_password(password, base64.b64decode(salt)).split("$")[2]
    return hmac.compare_digest(expected, digest)


def issue_token(
    username: str, role: str, department: str, enterprise: str, name: str = "", ttl_seconds: int | None = None
) -> tuple[str, int]:
    s = settings()
    ttl = ttl_seconds or s.ttl_seconds
    now = int(time.time())
    claims = {
        "sub": username,
        "role": role,
        "department": department,
        "enterprise": enterprise,
        "iss": s.issuer,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, s.secret, algorithm="HS256"), ttl


def bearer_info(token: str) -> dict:
    """Called by connexion (x-bearerInfoFunc): the token's claims, or 401 when it is not valid."""
    s = settings()
    try:
        claims = jwt.decode(token, s.secret, algorithms=["HS256"], issuer=s.issuer, options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise OAuthProblem(detail="登录已过期，请重新登录") from None
    except jwt.PyJWTError:
        raise OAuthProblem(detail="访问令牌无效，请重新登录") from None
    if claims.get("role") not in ROLES:
        raise OAuthProblem(detail="访问令牌中的角色无效")
    return claims


def current_claims() -> dict:
    return context.context["token_info"]


def current_actor() -> Actor:
    claims = current_claims()
    return Actor(claims["sub"], claims["role"], claims.get("department") or "", claims.get("enterprise") or "")


def actor_pb(actor: Actor | None = None) -> actor_pb2.Actor:
    return (actor or current_actor()).to_proto(actor_pb2.Actor)
