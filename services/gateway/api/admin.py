"""The suite's clock: read it, and in manual mode set it for every service at once."""

from __future__ import annotations

from zhitong.clock.v1 import clock_pb2

from kit import config
from kit.calendar import FIRST_YEAR, LAST_YEAR
from kit.clock import LOCAL_TZ
from kit.dates import is_moment_shaped, parse_moment
from kit.proto import from_timestamp, timestamp
from services.gateway import clients
from services.gateway.auth import current_actor
from services.gateway.problems import Problem


def _manual() -> bool:
    return config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"


def _view(response) -> dict:
    now = from_timestamp(response.now)
    return {"now": now.isoformat(), "local": now.astimezone(LOCAL_TZ).isoformat(), "mode": response.mode}


def get_clock():
    if not _manual():
        raise Problem(404, "系统时钟模式下没有可设置的时钟")
    return _view(clients.clock("workflow").call("GetClock", clock_pb2.GetClockRequest()))


def set_clock(body):
    if not _manual():
        raise Problem(404, "系统时钟模式下没有可设置的时钟")
    if current_actor().role not in ("admin", "ops"):
        raise Problem(403, "只有系统管理员或运维可以设置时间")
    when = parse_moment(body["now"])
    if when is None and is_moment_shaped(body["now"]):
        raise Problem(400, "时间（now）不是真实存在的日期或时刻（如 2 月 30 日、25 点）", field="now")
    if when is None:
        raise Problem(
            400, "时间（now）须为带时刻的日期时间，例如 2026-09-30T09:00:00+08:00；只写日期不会被当作零点", field="now"
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=LOCAL_TZ)
    if not FIRST_YEAR <= when.year <= LAST_YEAR or not FIRST_YEAR <= when.astimezone(LOCAL_TZ).year <= LAST_YEAR:
        raise Problem(400, f"时间须在{FIRST_YEAR}年至{LAST_YEAR}年之间（工作日日历的范围）")
    current = from_timestamp(clients.clock("workflow").call("GetClock", clock_pb2.GetClockRequest()).now)
    if when < current and not body.get("backwards"):
        raise Problem(
            409,
            f"不能把时间往回调（当前 {current.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}）：已发出的预警会在再次到期时重发，"
            "已登记的数据也不会消失；确需回调（如重新演示）请同时传 backwards: true",
            current=current.isoformat(),
        )
    request = clock_pb2.SetClockRequest(now=timestamp(when))
    response = None
    for service in clients.CLOCKED_SERVICES:
        response = clients.clock(service).call("SetClock", request)
    return _view(response)
