"""POST /auth/token, GET /auth/providers, POST /auth/oidc/token, GET /me, POST /me/password."""

from __future__ import annotations

from flask import current_app

from kit import config
from kit.clock import LOCAL_TZ
from services.gateway import auth, oidc
from services.gateway.problems import Problem
from services.gateway.users import Deactivated, LockedOut, authenticate, change_own_password


def _user_json(username, role, department, enterprise, display_name="", must_change_password=False, sso=False):
    return {
        "username": username,
        "role": role,
        "department": department or None,
        "enterprise": enterprise or None,
        "display_name": display_name,
        "must_change_password": bool(must_change_password),
        "sso": bool(sso),
    }


def _token_json(user) -> dict:
    access, ttl = auth.issue_token(user)
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl,
        "user": _user_json(
            user.username, user.role, user.department, user.enterprise, user.display_name, user.must_change_password
        ),
    }


def token(body):
    if not current_app.config["LOGIN"].password_login:
        raise Problem(
            403,
            "本系统已关闭用户名密码登录，请使用统一身份认证登录",
            title="请使用统一身份认证",
            code="password_login_disabled",
        )
    manual = config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"
    try:
        user = authenticate(current_app.config["SESSIONS"], body["username"], body["password"], manual)
    except Deactivated:
        raise Problem(401, "账号已停用，请联系系统管理员", title="登录失败") from None
    except LockedOut as locked:
        until = locked.until.astimezone(LOCAL_TZ).strftime("%H:%M")
        raise Problem(
            429, f"密码连续输错次数过多，账号已锁定至{until}，请稍后再试或联系系统管理员", title="登录失败"
        ) from None
    if user is None:
        raise Problem(401, "用户名或密码错误", title="登录失败")
    return _token_json(user)


def providers():
    """How one may log in: with a password, and with the city's identity platform (where the web client sends the
    browser, with which client id and scope)."""
    login, issuer = current_app.config["LOGIN"], current_app.config["ISSUER"]
    if issuer is None:
        return {"password_login": login.password_login, "oidc": None}
    try:
        document = issuer.discovery()
    except oidc.IssuerUnavailable:
        raise Problem(503, oidc.UNAVAILABLE, password_login=login.password_login) from None
    return {
        "password_login": login.password_login,
        "oidc": {
            "issuer": login.issuer,
            "authorization_endpoint": document["authorization_endpoint"],
            "client_id": login.client_id,
            "scope": login.scope,
        },
    }


def oidc_token(body):
    """The web client's authorization code (with its PKCE verifier), exchanged at the issuer for an access token,
    which is checked as every request's will be."""
    issuer = current_app.config["ISSUER"]
    if issuer is None:
        raise Problem(404, "本系统未接入统一身份认证", title="未配置统一身份认证")
    try:
        access, lifetime, claims = issuer.exchange(body["code"], body["code_verifier"], body["redirect_uri"])
    except oidc.IssuerUnavailable:
        raise Problem(503, oidc.UNAVAILABLE) from None
    user = _user_json(
        claims["sub"], claims["role"], claims["department"], claims["enterprise"], claims["name"], sso=True
    )
    return {"access_token": access, "token_type": "bearer", "expires_in": lifetime, "user": user}


def me():
    a, claims = auth.current_actor(), auth.current_claims()
    return _user_json(
        a.username,
        a.role,
        a.department,
        a.enterprise,
        claims.get("name", ""),
        claims.get("pwd_change", False),
        claims.get("sso", False),
    )


def change_password(body):
    """The person changes their own password; the answer is a new token, since every earlier one ends."""
    if auth.current_actor().role == "screen":
        raise Problem(403, "大屏账号没有密码可改")
    if auth.current_claims().get("sso"):
        raise Problem(403, "统一身份认证账号的密码请在统一身份认证平台修改")
    user = change_own_password(
        current_app.config["SESSIONS"], auth.current_actor().username, body["current_password"], body["new_password"]
    )
    return _token_json(user)
