"""The built-in user store. `python -m services.gateway.users --demo` creates the demo users (manual clock only):
admin, supervisor, ops, agent, screen, one enterprise user per sample enterprise (e01 …) and, per department of
the catalog, `<dept>-officer` and `<dept>-head`; all with the password in `ZHITONG_DEMO_PASSWORD`.

`python -m services.gateway.users --screen-token` prints a long-lived token of a `screen` user for the big screen
(大屏), which has no keyboard and never shows a login prompt: it is opened once as `/screen?token=…` and keeps
the token."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime, timedelta

import yaml
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kit import config
from kit.catalog import load_catalog
from kit.clock import SystemClock
from kit.db import make_engine, session_factory, transaction
from services.gateway.auth import check_password, hash_password, issue_token
from services.gateway.models import User

log = logging.getLogger(__name__)


def gateway_sessions() -> sessionmaker[Session]:
    return session_factory(make_engine(config.database_url("gateway")))


def demo_users() -> list[dict]:
    """The demo users, built from the catalog's departments and the sample enterprises."""
    catalog = load_catalog(config.data_file("catalog.yaml", "ZHITONG_CATALOG"))
    samples = yaml.safe_load(config.data_file("sample_projects.yaml", "ZHITONG_SAMPLE_PROJECTS").read_text("utf-8"))
    users = [
        {"username": "admin", "role": "admin", "display_name": "系统管理员"},
        {"username": "supervisor", "role": "supervisor", "display_name": "督办员"},
        {"username": "ops", "role": "ops", "display_name": "运维"},
        {"username": "agent", "role": "agent", "display_name": "帮办代办专员"},
        {"username": "agent2", "role": "agent", "display_name": "帮办代办专员（二）"},
        {"username": "screen", "role": "screen", "display_name": "大屏"},
    ]
    for e in samples["enterprises"]:
        users.append(
            {"username": e["code"].lower(), "role": "enterprise", "enterprise": e["code"], "display_name": e["name_zh"]}
        )
    for d in catalog.departments.values():
        users.append(
            {
                "username": f"{d.code}-officer",
                "role": "officer",
                "department": d.code,
                "display_name": f"{d.name_zh}审批人员",
            }
        )
        users.append(
            {
                "username": f"{d.code}-head",
                "role": "dept_head",
                "department": d.code,
                "display_name": f"{d.name_zh}负责人",
            }
        )
    return users


def ensure_demo_users(sessions: sessionmaker[Session], password: str) -> int:
    """Create the demo users that do not exist yet; returns how many were created."""
    created = 0
    now = SystemClock().now()
    hashed = hash_password(password)
    with transaction(sessions) as session:
        existing = set(session.scalars(select(User.username)))
        for u in demo_users():
            if u["username"] in existing:
                continue
            session.add(
                User(
                    password_hash=hashed,
                    demo=True,
                    created_at=now,
                    department=u.get("department", ""),
                    enterprise=u.get("enterprise", ""),
                    **{k: u[k] for k in ("username", "role", "display_name")},
                )
            )
            created += 1
    return created


class LockedOut(Exception):
    """Too many wrong passwords in a row: the user may not log in until `until` (UTC)."""

    def __init__(self, until: datetime):
        super().__init__(until.isoformat())
        self.until = until


def authenticate(sessions: sessionmaker[Session], username: str, password: str, manual_clock: bool) -> User | None:
    """The user whose password this is, or None. After `ZHITONG_LOGIN_MAX_FAILURES` (5) wrong passwords in a row
    the user is locked out for `ZHITONG_LOGIN_LOCK_MINUTES` (15) minutes of real time, whatever the suite's clock,
    and even the right password raises LockedOut until then; a successful login clears the count."""
    now = datetime.now(UTC)
    with sessions() as session:
        user = session.get(User, username)
    if user is None or not user.active or (user.demo and not manual_clock):
        return None
    if user.locked_until is not None and user.locked_until > now:
        raise LockedOut(user.locked_until)
    right = check_password(password, user.password_hash)
    if right and not (user.failed_logins or user.locked_until):
        return user
    with transaction(sessions) as session:
        row = session.get(User, username, with_for_update=True)
        if right:
            row.failed_logins, row.locked_until = 0, None
        else:
            row.failed_logins = (row.failed_logins or 0) + 1
            if row.failed_logins >= config.integer("ZHITONG_LOGIN_MAX_FAILURES", 5):
                row.locked_until = now + timedelta(minutes=config.integer("ZHITONG_LOGIN_LOCK_MINUTES", 15))
                row.failed_logins = 0
                log.warning("user %s locked out after repeated wrong passwords", username)
    return user if right else None


class NotAScreen(ValueError):
    """The user does not exist, is inactive, is not of the `screen` role, or is a demo user on the system clock."""


def issue_screen_token(sessions: sessionmaker[Session], username: str, days: int, manual_clock: bool) -> str:
    """A read-only token of the `screen` user `username`, valid for `days` days."""
    try:
        with sessions() as session:
            user = session.get(User, username)
    except SQLAlchemyError:
        raise NotAScreen("the user store is not set up yet: start the suite once (make run) or migrate it") from None
    if user is None or not user.active or user.role != "screen":
        raise NotAScreen(f"{username!r} is not an active user of the screen role")
    if user.demo and not manual_clock:
        raise NotAScreen(f"{username!r} is a demo user, which exists only with ZHITONG_CLOCK=manual")
    token, _ttl = issue_token(user.username, user.role, "", "", user.display_name, ttl_seconds=days * 86400)
    return token


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="create the demo users (manual clock only)")
    parser.add_argument("--screen-token", action="store_true", help="print a long-lived token for the big screen")
    parser.add_argument("--username", default="screen", help="the screen user (with --screen-token)")
    parser.add_argument("--days", type=int, default=365, help="how long the screen token is valid")
    args = parser.parse_args()
    manual = config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"
    if args.screen_token:
        if not 1 <= args.days <= 3650:
            print("--days must be between 1 and 3650", file=sys.stderr)
            return 2
        try:
            print(issue_screen_token(gateway_sessions(), args.username, args.days, manual))
        except NotAScreen as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    if args.demo:
        if config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) != "manual":
            print("demo users exist only with ZHITONG_CLOCK=manual", file=sys.stderr)
            return 2
        created = ensure_demo_users(gateway_sessions(), config.text("ZHITONG_DEMO_PASSWORD", "demo12345"))
        print(f"demo users ready ({created} created)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
