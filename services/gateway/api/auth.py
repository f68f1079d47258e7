"""POST /auth/token, GET /me."""

from __future__ import annotations

from flask import current_app

from kit import config
from kit.clock import LOCAL_TZ
from services.gateway import auth
from services.gateway.problems import Problem
from services.gateway.users import LockedOut, authenticate


def _user_json(username, role, department, enterprise, display_name=""):
    return {
        "username": username,
        "role": role,
        "department": department or None,
        "enterprise": enterprise or None,
        "display_name": display_name,
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
    access, ttl = auth.issue_token(user.username, user.role, user.department, user.enterprise, user.display_name)
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl,
        "user": _user_json(user.username, user.role, user.department, user.enterprise, user.display_name),
    }


def me():
    a = auth.current_actor()
    return _user_json(a.username, a.role, a.department, a.enterprise, auth.current_claims().get("name", ""))
