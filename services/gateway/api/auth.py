"""POST /auth/token, GET /me, POST /me/password."""

from __future__ import annotations

from flask import current_app

from kit import config
from kit.clock import LOCAL_TZ
from services.gateway import auth
from services.gateway.problems import Problem
from services.gateway.users import LockedOut, authenticate, change_own_password


def _user_json(username, role, department, enterprise, display_name="", must_change_password=False):
    return {
        "username": username,
        "role": role,
        "department": department or None,
        "enterprise": enterprise or None,
        "display_name": display_name,
        "must_change_password": bool(must_change_password),
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
    manual = config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"
    try:
        user = authenticate(current_app.config["SESSIONS"], body["username"], body["password"], manual)
    except LockedOut as locked:
        until = locked.until.astimezone(LOCAL_TZ).strftime("%H:%M")
        raise Problem(
            429, f"密码连续输错次数过多，账号已锁定至{until}，请稍后再试或联系系统管理员", title="登录失败"
        ) from None
    if user is None:
        raise Problem(401, "用户名或密码错误", title="登录失败")
    return _token_json(user)


def me():
    a, claims = auth.current_actor(), auth.current_claims()
    return _user_json(
        a.username, a.role, a.department, a.enterprise, claims.get("name", ""), claims.get("pwd_change", False)
    )


def change_password(body):
    """The person changes their own password; the answer is a new token, since every earlier one ends."""
    if auth.current_actor().role == "screen":
        raise Problem(403, "大屏账号没有密码可改")
    user = change_own_password(
        current_app.config["SESSIONS"], auth.current_actor().username, body["current_password"], body["new_password"]
    )
    return _token_json(user)
