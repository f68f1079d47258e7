"""The built-in user store (用户管理): accounts with a role, a department or an enterprise, logins with lockout,
temporary passwords that must be changed, and tokens that stop working when an account changes; every change is in
the gateway's audit trail.

`python -m services.gateway.users --create-admin NAME` creates the first administrator of a new deployment (the
password from `ZHITONG_ADMIN_PASSWORD` or asked for twice); `--set-password NAME` gives any user a new password
(for an administrator who is locked out). `--demo` creates the demo users (manual clock only): admin, supervisor,
ops, agent, screen, one enterprise user per sample enterprise (e01 …) and, per department of the catalog,
`<dept>-officer` and `<dept>-head`; all with the password in `ZHITONG_DEMO_PASSWORD`.

`python -m services.gateway.users --screen-token` prints a long-lived token of a `screen` user for the big screen
(大屏), which has no keyboard and never shows a login prompt: it is opened once as `/screen?token=…` and keeps
the token."""

from __future__ import annotations

import argparse
import functools
import getpass
import logging
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import yaml
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kit import audit, config, errors
from kit.actor import HANDLER_ROLES, SYSTEM, Actor
from kit.catalog import load_catalog
from kit.clock import LOCAL_TZ, SystemClock
from kit.db import make_engine, session_factory, transaction
from kit.text import CONTROL_IN_LINE, clean_text, printable
from services.gateway.auth import ROLES, check_password, forget_account, hash_password, issue_token
from services.gateway.models import AuditEntry, User

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


class Deactivated(Exception):
    """The right password of an account an administrator deactivated."""


@functools.cache
def _nobody() -> str:
    """A hash to check against when there is no such user, so that an unknown name takes as long as a known one."""
    return hash_password("no such user")


def authenticate(sessions: sessionmaker[Session], username: str, password: str, manual_clock: bool) -> User | None:
    """The user whose password this is, or None. After `ZHITONG_LOGIN_MAX_FAILURES` (5) wrong passwords in a row
    the user is locked out for `ZHITONG_LOGIN_LOCK_MINUTES` (15) minutes of real time, whatever the suite's clock,
    and even the right password raises LockedOut until then; a successful login clears the count. Each attempt is
    counted before its password is checked, so that guesses sent all at once get no more tries than one by one."""
    now = datetime.now(UTC)
    most = config.integer("ZHITONG_LOGIN_MAX_FAILURES", 5)
    with transaction(sessions) as session:
        row = session.get(User, username, with_for_update=True)
        usable = row is not None and (manual_clock or not row.demo)
        if usable:
            if row.locked_until is not None and row.locked_until > now:
                raise LockedOut(row.locked_until)
            if row.failed_logins >= most:  # attempts still being checked have used up the tries
                _lock(session, row, now)
            else:
                row.failed_logins += 1
    if not usable:
        check_password(password, _nobody())
        return None
    if row.locked_until is not None and row.locked_until > now:
        raise LockedOut(row.locked_until)
    right = check_password(password, row.password_hash)
    with transaction(sessions) as session:
        row = session.get(User, username, with_for_update=True)
        if right:
            row.failed_logins = 0
        elif row.failed_logins >= most and (row.locked_until is None or row.locked_until <= now):
            _lock(session, row, now)
        session.flush()
        session.expunge(row)
    if right and not row.active:
        raise Deactivated(username)
    return row if right and row.active else None


def _lock(session: Session, row: User, now: datetime) -> None:
    row.locked_until = now + timedelta(minutes=config.integer("ZHITONG_LOGIN_LOCK_MINUTES", 15))
    row.failed_logins = 0
    _audit(session, now, SYSTEM, row.username, "locked", reason="密码连续输错次数过多")
    log.warning("user %s locked out after repeated wrong passwords", row.username)


# ---------------- user administration (用户管理) ----------------

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
ROLE_NAMES = {
    "enterprise": "办事企业",
    "agent": "帮办代办专员",
    "officer": "审批人员",
    "dept_head": "部门负责人",
    "supervisor": "督办员",
    "admin": "系统管理员",
    "ops": "运维",
    "screen": "大屏",
}
ACTIONS = ("reset_password", "revoke_sessions", "unlock", "deactivate", "activate")
# what a temporary password is made of: no 0/O, 1/l/I, so that it can be read out at the window
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Directory:
    """What new and changed accounts are checked against: the catalog's departments (code → name) and whether an
    enterprise is registered (asked of intake)."""

    departments: Mapping[str, str]
    enterprise_exists: Callable[[str], bool]


def _now() -> datetime:
    # Accounts live in real time, whatever the suite's clock: a lockout or a password change is a security event.
    return datetime.now(UTC)


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).isoformat()


def _audit(session: Session, at: datetime, actor: Actor, username: str, action: str, **fields) -> None:
    audit.record(session, AuditEntry, at, actor, subject_type="user", subject_id=username, action=action, **fields)


def view(user: User, now: datetime | None = None) -> dict:
    """A user as the API shows it (never the password hash)."""
    now = now or _now()
    return {
        "username": user.username,
        "role": user.role,
        "role_name": ROLE_NAMES.get(user.role, user.role),
        "department": user.department or None,
        "enterprise": user.enterprise or None,
        "display_name": user.display_name,
        "active": user.active,
        "demo": user.demo,
        "must_change_password": user.must_change_password,
        "locked_until": _local(user.locked_until) if user.locked_until and user.locked_until > now else None,
        "created_at": _local(user.created_at),
    }


def check_new_password(password: str, username: str, field: str = "new_password") -> None:
    """Refuses a password that is too easy or cannot be typed again: at least 8 characters with letters and digits,
    not the user name, no blanks at its ends and no invisible characters."""
    if not 8 <= len(password) <= 128:
        raise errors.Invalid("密码长度须为8至128位", field=field)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        raise errors.Invalid("密码须同时包含字母和数字", field=field)
    if username.lower() in password.lower():
        raise errors.Invalid("密码不能包含用户名", field=field)
    if password != password.strip() or CONTROL_IN_LINE.search(password):
        raise errors.Invalid("密码不能以空格开头或结尾，也不能含有不可见的字符", field=field)


def temporary_password() -> str:
    """A random 12-character password with letters and digits, easy to read out."""
    while True:
        word = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(12))
        if re.search(r"[A-Za-z]", word) and re.search(r"[0-9]", word):
            return word


def _may_manage(actor: Actor, role: str) -> None:
    """Administrators manage every account; the one window (综合窗口) opens and resets the accounts of the
    enterprises it serves; nobody else manages accounts."""
    if actor.role == "admin":
        return
    if actor.at_window and role == "enterprise":
        return
    if actor.at_window:
        raise errors.Forbidden("综合窗口只能管理办事企业的账号")
    raise errors.Forbidden("只有系统管理员可以管理用户账号")


def _placement(role: str, department: str, enterprise: str, directory: Directory) -> tuple[str, str]:
    """The department and enterprise an account of `role` must have, checked: officers and heads belong to a
    department of the catalog, an enterprise account to a registered enterprise, every other role to neither."""
    if role not in ROLES:
        raise errors.Invalid(f"角色无效，可选：{'、'.join(ROLES)}", field="role")
    department, enterprise = (department or "").strip(), (enterprise or "").strip()
    if role in HANDLER_ROLES:
        if not department:
            raise errors.Invalid(f"{ROLE_NAMES[role]}须属于一个部门（department）", field="department")
        if department not in directory.departments:
            raise errors.Invalid(f"部门“{printable(department)}”不在事项目录中", field="department")
    elif department:
        raise errors.Invalid(f"{ROLE_NAMES[role]}不属于部门，请不要填写 department", field="department")
    if role == "enterprise":
        if not enterprise:
            raise errors.Invalid("办事企业账号须对应一家已登记的企业（enterprise）", field="enterprise")
        if not directory.enterprise_exists(enterprise):
            raise errors.Invalid(f"企业“{printable(enterprise)}”尚未登记，请先登记企业", field="enterprise")
    elif enterprise:
        raise errors.Invalid(f"{ROLE_NAMES[role]}不对应企业，请不要填写 enterprise", field="enterprise")
    return department, enterprise


def _found(session: Session, username: str, actor: Actor, lock: bool = False) -> User:
    user = session.get(User, username, with_for_update=lock)
    # a window clerk does not learn which other accounts exist
    if user is None or (actor.role != "admin" and user.role != "enterprise"):
        raise errors.NotFound(f"用户“{printable(username, 40)}”不存在")
    return user


def list_users(
    sessions: sessionmaker[Session],
    actor: Actor,
    role: str = "",
    department: str = "",
    enterprise: str = "",
    q: str = "",
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """One page of accounts (by user name) and how many match; the window sees enterprise accounts only, a
    supervisor the agents (帮办代办专员) it assigns to major projects."""
    visible = {"supervisor": "agent"}.get(actor.role, "enterprise" if actor.at_window else "")
    if actor.role != "admin" and not visible:
        raise errors.Forbidden("只有系统管理员可以查看用户账号")
    query = select(User)
    if actor.role != "admin":
        if role and role != visible:
            return [], 0
        role = visible
    if role:
        query = query.where(User.role == role)
    if department:
        query = query.where(User.department == department)
    if enterprise:
        query = query.where(User.enterprise == enterprise)
    if active is not None:
        query = query.where(User.active == active)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.username.like(pattern, escape="\\"), User.display_name.like(pattern, escape="\\")))
    now = _now()
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.scalars(query.order_by(User.username).limit(limit).offset(offset))
        return [view(u, now) for u in rows], total


def display_names(sessions: sessionmaker[Session], usernames) -> dict[str, str]:
    """The names people are shown by (住建局李明 rather than zjj-li), for the user names of an audit trail."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    with sessions() as session:
        rows = session.execute(select(User.username, User.display_name).where(User.username.in_(wanted)))
        return {username: name for username, name in rows if name}


def get_user(sessions: sessionmaker[Session], actor: Actor, username: str) -> dict:
    _may_manage(actor, "enterprise")  # the window may look at enterprise accounts; _found hides the others
    with sessions() as session:
        return view(_found(session, username, actor))


def create_user(
    sessions: sessionmaker[Session], actor: Actor, fields: Mapping, directory: Directory
) -> tuple[dict, str | None]:
    """A new account. Without a password a temporary one is made and returned once; either way the person must
    choose their own at the first login (except the big screen's account, which never logs in by hand)."""
    username = (fields.get("username") or "").strip()
    if not USERNAME.match(username):
        raise errors.Invalid("用户名须为2至40位小写字母、数字或 . _ -，并以字母或数字开头", field="username")
    role = fields.get("role") or ""
    _may_manage(actor, role if role in ROLES else "")
    department, enterprise = _placement(role, fields.get("department", ""), fields.get("enterprise", ""), directory)
    display_name = clean_text(fields.get("display_name"), "姓名或名称", 60, "display_name")
    password = fields.get("password") or ""
    issued = None
    if password:
        check_new_password(password, username, "password")
    else:
        password = issued = temporary_password()
    now = _now()
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        department=department,
        enterprise=enterprise,
        display_name=display_name,
        demo=False,
        active=True,
        created_at=now,
        must_change_password=role != "screen",
        failed_logins=0,
        token_generation=0,
    )
    try:
        with transaction(sessions) as session:
            if session.get(User, username) is not None:
                raise errors.AlreadyExists(f"用户名“{username}”已被使用")
            session.add(user)
            _audit(session, now, actor, username, "created", to_status=role, reason=_placement_text(user, directory))
    except IntegrityError:  # the same name created at the same moment
        raise errors.AlreadyExists(f"用户名“{username}”已被使用") from None
    log.info("user %s (%s) created by %s", username, role, actor.username)
    return view(user, now), issued


def _placement_text(user: User, directory: Directory) -> str:
    """The account's role, department or enterprise and name as a person reads them in its trail."""
    department = directory.departments.get(user.department, user.department)
    where = f"部门 {department}" if user.department else (f"企业 {user.enterprise}" if user.enterprise else "")
    role = ROLE_NAMES.get(user.role, user.role)
    return "，".join(p for p in (f"角色 {role}", where, f"名称 {user.display_name}") if p)


def update_user(
    sessions: sessionmaker[Session], actor: Actor, username: str, changes: Mapping, directory: Directory
) -> dict:
    """Changes the name, role, department or enterprise of an account. A new role, department or enterprise ends
    the account's logins, so that nobody keeps rights that a token of the old account carried."""
    now = _now()
    with transaction(sessions) as session:
        user = _found(session, username, actor, lock=True)
        _may_manage(actor, user.role)
        role = changes.get("role", user.role)
        if role != user.role:
            _may_manage(actor, role)
            if user.username == actor.username:
                raise errors.Conflict("不能更改自己的角色")
        department, enterprise = _placement(
            role,
            changes.get("department", user.department if role == user.role else ""),
            changes.get("enterprise", user.enterprise if role == user.role else ""),
            directory,
        )
        before = _placement_text(user, directory)
        placement_changed = (role, department, enterprise) != (user.role, user.department, user.enterprise)
        if "display_name" in changes:
            user.display_name = clean_text(changes["display_name"], "姓名或名称", 60, "display_name")
        user.role, user.department, user.enterprise = role, department, enterprise
        after = _placement_text(user, directory)
        if after == before:
            return view(user, now)
        if placement_changed:
            user.token_generation += 1
        _audit(session, now, actor, username, "changed", reason=f"{before} → {after}")
    forget_account(username)
    return view(user, now)


def act_on_user(
    sessions: sessionmaker[Session], actor: Actor, username: str, action: str, reason: str = ""
) -> tuple[dict, str | None]:
    """An administrative action on an account: `reset_password` (a temporary password, returned once, to be changed
    at the next login; ends the lockout and every login), `revoke_sessions` (强制下线: every token of the account
    stops working), `unlock`, `deactivate` (停用; also ends every login) and `activate`."""
    if action not in ACTIONS:
        raise errors.Invalid(f"操作无效，可选：{'、'.join(ACTIONS)}", field="action")
    reason = clean_text(reason, "原因", 500, "reason", required=action == "deactivate")
    now = _now()
    issued = None
    with transaction(sessions) as session:
        user = _found(session, username, actor, lock=True)
        _may_manage(actor, user.role)
        if actor.role != "admin" and action not in ("reset_password", "unlock"):
            raise errors.Forbidden("综合窗口只能为企业重置密码或解除锁定")
        if user.username == actor.username and action in ("deactivate", "revoke_sessions", "reset_password"):
            raise errors.Conflict("不能对自己的账号执行此操作；修改自己的密码请用“修改密码”")
        before = "active" if user.active else "inactive"
        if action == "reset_password":
            issued = temporary_password()
            user.password_hash = hash_password(issued)
            user.must_change_password = user.role != "screen"
            user.failed_logins, user.locked_until = 0, None
            user.token_generation += 1
        elif action == "revoke_sessions":
            user.token_generation += 1
        elif action == "unlock":
            if user.locked_until is None or user.locked_until <= now:
                raise errors.Conflict("该账号未被锁定")
            user.failed_logins, user.locked_until = 0, None
        elif action == "deactivate":
            if not user.active:
                raise errors.Conflict("该账号已停用")
            user.active = False
            user.token_generation += 1
        elif action == "activate":
            if user.active:
                raise errors.Conflict("该账号未停用")
            user.active = True
        after = "active" if user.active else "inactive"
        _audit(session, now, actor, username, action, from_status=before, to_status=after, reason=reason)
    forget_account(username)
    log.info("user %s: %s by %s", username, action, actor.username)
    return view(user, now), issued


def change_own_password(sessions: sessionmaker[Session], username: str, current: str, new: str) -> User:
    """The person changes their own password: the current one is checked, the new one must differ and be strong
    enough; every other login of the account ends (the caller gets a new token)."""
    now = _now()
    with transaction(sessions) as session:
        user = session.get(User, username, with_for_update=True)
        if user is None or not user.active:
            raise errors.NotFound("账号不存在或已停用")
        if user.demo:
            raise errors.Conflict("演示账号不能修改密码")
        if not check_password(current, user.password_hash):
            raise errors.Invalid("当前密码不正确", field="current_password")
        if new == current:
            raise errors.Invalid("新密码不能与当前密码相同", field="new_password")
        check_new_password(new, username)
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.token_generation += 1
        _audit(
            session,
            now,
            Actor(user.username, user.role, user.department, user.enterprise),
            username,
            "password_changed",
        )
        session.flush()
        session.expunge(user)
    forget_account(username)
    return user


def history(sessions: sessionmaker[Session], actor: Actor, username: str) -> list[dict]:
    """The audit trail of one account, oldest first."""
    _may_manage(actor, "enterprise")
    with sessions() as session:
        _found(session, username, actor)
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == "user", AuditEntry.subject_id == username)
            .order_by(AuditEntry.id)
        )
        return [
            {
                "at": _local(e.at),
                "actor": e.actor,
                "actor_role": e.actor_role,
                "action": e.action,
                "from_status": e.from_status or None,
                "to_status": e.to_status or None,
                "reason": e.reason,
            }
            for e in rows
        ]


def set_password_from_console(sessions: sessionmaker[Session], username: str, password: str, *, create_admin: bool):
    """What the command line does for operators: create the first administrator, or give a user a new password
    (clearing the lockout and ending every login)."""
    check_new_password(password, username)
    now = _now()
    operator = Actor("console", "admin")
    with transaction(sessions) as session:
        user = session.get(User, username, with_for_update=True)
        if create_admin:
            if user is not None:
                raise errors.AlreadyExists(f"user {username} exists already (use --set-password)")
            if not USERNAME.match(username):
                raise errors.Invalid("user names are 2 to 40 lower-case letters, digits, '.', '_' or '-'")
            session.add(
                User(
                    username=username,
                    password_hash=hash_password(password),
                    role="admin",
                    department="",
                    enterprise="",
                    display_name="系统管理员",
                    demo=False,
                    active=True,
                    created_at=now,
                    must_change_password=False,
                    failed_logins=0,
                    token_generation=0,
                )
            )
            _audit(session, now, operator, username, "created", to_status="admin", reason="命令行创建")
            return
        if user is None:
            raise errors.NotFound(f"user {username} does not exist")
        user.password_hash = hash_password(password)
        user.failed_logins, user.locked_until, user.must_change_password = 0, None, False
        user.token_generation += 1
        _audit(session, now, operator, username, "password_set", reason="命令行设置")


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
    token, _ttl = issue_token(user, ttl_seconds=days * 86400)
    return token


def _console_password() -> str | None:
    """The password for --create-admin/--set-password: ZHITONG_ADMIN_PASSWORD, else asked for twice."""
    given = os.environ.get("ZHITONG_ADMIN_PASSWORD")
    if given:
        return given
    if not sys.stdin.isatty():
        print("set ZHITONG_ADMIN_PASSWORD or run this in a terminal to type the password", file=sys.stderr)
        return None
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        print("the two passwords differ", file=sys.stderr)
        return None
    return first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", help="create the demo users (manual clock only)")
    parser.add_argument(
        "--create-admin", metavar="NAME", help="create an administrator (the first one of a deployment)"
    )
    parser.add_argument("--set-password", metavar="NAME", help="give a user a new password and unlock the account")
    parser.add_argument("--screen-token", action="store_true", help="print a long-lived token for the big screen")
    parser.add_argument("--username", default="screen", help="the screen user (with --screen-token)")
    parser.add_argument("--days", type=int, default=365, help="how long the screen token is valid")
    args = parser.parse_args()
    manual = config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"
    if args.create_admin or args.set_password:
        password = _console_password()
        if password is None:
            return 2
        try:
            set_password_from_console(
                gateway_sessions(),
                args.create_admin or args.set_password,
                password,
                create_admin=bool(args.create_admin),
            )
        except errors.DomainError as exc:
            print(exc.message, file=sys.stderr)
            return 2
        except SQLAlchemyError:
            print("the user store is not set up yet: migrate it first (python -m kit.migrate gateway)", file=sys.stderr)
            return 2
        print(
            f"{'created administrator' if args.create_admin else 'new password set for'} {args.create_admin or args.set_password}"
        )
        return 0
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
        if not manual:
            print("demo users exist only with ZHITONG_CLOCK=manual", file=sys.stderr)
            return 2
        created = ensure_demo_users(gateway_sessions(), config.text("ZHITONG_DEMO_PASSWORD", "demo12345"))
        print(f"demo users ready ({created} created)")
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
