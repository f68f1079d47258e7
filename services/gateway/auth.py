"""Bearer tokens (JWT, HS256) issued from the built-in user store, with the role, department and enterprise as
claims; connexion calls `bearer_info` for every secured operation. A token also carries its account's generation:
when an account is deactivated, changes role or department, gets a new password or is signed out, its generation
goes up and its earlier tokens stop working (each worker looks the account up again after a few seconds).

When an OpenID Connect issuer is configured (统一身份认证, see `oidc.py`), a token that names it as its `iss` is
verified with the issuer's keys instead, and its claims are mapped to the same ones; the user store has no say
over such a token."""

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
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from zhitong.common.v1 import actor_pb2

from kit import config
from kit.actor import ROLES, Actor
from services.gateway import oidc
from services.gateway.models import User
from services.gateway.problems import Problem

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


def issue_token(user: User, ttl_seconds: int | None = None) -> tuple[str, int]:
    """A signed token of `user` (the screen's account: without department or enterprise) and how long it lasts."""
    s = settings()
    ttl = ttl_seconds or s.ttl_seconds
    now = int(time.time())
    claims = {
        "sub": user.username,
        "role": user.role,
        "department": user.department or "",
        "enterprise": user.enterprise or "",
        "name": user.display_name or "",
        "gen": user.token_generation or 0,
        "iss": s.issuer,
        "iat": now,
        "exp": now + ttl,
    }
    if user.must_change_password:
        claims["pwd_change"] = True
    return jwt.encode(claims, s.secret, algorithm="HS256"), ttl


# ---- whether a token's account still stands as it was when the token was issued ----

_store: sessionmaker[Session] | None = None


@dataclass(frozen=True)
class AccountState:
    """What a token of the account must agree with: its generation and the rights it was issued with."""

    generation: int
    usable: bool  # active (and, for a demo user, on the manual clock)
    role: str
    department: str
    enterprise: str


# username -> (when looked up, what was found)
_accounts: dict[str, tuple[float, AccountState]] = {}


def use_user_store(sessions: sessionmaker[Session] | None) -> None:
    """Check tokens against this user store (the app sets it when it is built)."""
    global _store
    _store = sessions
    _accounts.clear()


def forget_account(username: str) -> None:
    """This worker changed the account: look it up again at the next request (other workers within seconds)."""
    _accounts.pop(username, None)


def _account(username: str) -> AccountState | None:
    hit = _accounts.get(username)
    now = time.monotonic()
    if hit is not None and now - hit[0] < config.number("ZHITONG_TOKEN_RECHECK_SECONDS", 5):
        return hit[1]
    with _store() as session:
        row = session.execute(
            select(User.token_generation, User.active, User.demo, User.role, User.department, User.enterprise).where(
                User.username == username
            )
        ).first()
    if row is None:
        _accounts.pop(username, None)
        return None
    manual = config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"
    state = AccountState(
        row.token_generation, row.active and (manual or not row.demo), row.role, row.department, row.enterprise
    )
    _accounts[username] = (now, state)
    return state


# ---- tokens of the city's identity platform ----

_issuer: oidc.Issuer | None = None


def use_issuer(issuer: oidc.Issuer | None) -> None:
    """Accept the access tokens of this OpenID Connect issuer too (the app sets it when it is built)."""
    global _issuer
    _issuer = issuer


def _issuer_claims(issuer: oidc.Issuer, token: str) -> dict:
    try:
        return issuer.verify(token)
    except oidc.IssuerUnavailable:
        raise Problem(503, f"无法核验统一身份认证登录：{oidc.UNAVAILABLE}") from None


async def _issuer_claims_off_the_loop(issuer: oidc.Issuer, token: str) -> dict:
    # Fetching the issuer's keys may take up to its timeout: not on the event loop that serves the other requests.
    return await run_in_threadpool(_issuer_claims, issuer, token)


def bearer_info(token: str):
    """Called by connexion (x-bearerInfoFunc): the token's claims, or 401 when it is not valid. A token of the
    configured issuer is verified in a worker thread (connexion awaits the coroutine returned for it)."""
    issuer = _issuer
    if issuer is not None and oidc.unverified_issuer(token) == issuer.settings.issuer:
        return _issuer_claims_off_the_loop(issuer, token)
    s = settings()
    try:
        claims = jwt.decode(token, s.secret, algorithms=["HS256"], issuer=s.issuer, options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise OAuthProblem(detail="登录已过期，请重新登录") from None
    except jwt.PyJWTError:
        raise OAuthProblem(detail="访问令牌无效，请重新登录") from None
    if claims.get("role") not in ROLES:
        raise OAuthProblem(detail="访问令牌中的角色无效")
    if _store is not None:
        account = _account(claims["sub"])
        if account is None or not account.usable:
            raise OAuthProblem(detail="账号不存在或已停用，请联系系统管理员")
        # the rights come from the account as stored: a token claiming other ones was not issued here
        issued_as = (claims.get("role"), claims.get("department") or "", claims.get("enterprise") or "")
        stored = (account.role, account.department or "", account.enterprise or "")
        if claims.get("gen", 0) != account.generation or issued_as != stored:
            raise OAuthProblem(detail="登录已失效（密码已修改、账号已变更或已被强制下线），请重新登录")
    return claims


def current_claims() -> dict:
    return context.context["token_info"]


def current_actor() -> Actor:
    claims = current_claims()
    return Actor(claims["sub"], claims["role"], claims.get("department") or "", claims.get("enterprise") or "")


def actor_pb(actor: Actor | None = None) -> actor_pb2.Actor:
    return (actor or current_actor()).to_proto(actor_pb2.Actor)
