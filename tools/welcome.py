"""Run by `make run` beside the services: waits for the suite, loads the sample projects, prints where
everything is and who can log in, then stays until the suite stops."""

from __future__ import annotations

import signal

from kit import config
from services.gateway.users import NotAScreen, demo_users, gateway_sessions, issue_screen_token
from tools.api import Api
from tools.seed import project_ids, seed


def main() -> None:
    port = config.integer("ZHITONG_GATEWAY_PORT", 8080)
    base = f"http://127.0.0.1:{port}"
    password = config.text("ZHITONG_DEMO_PASSWORD", "demo12345")
    api = Api(base)
    api.wait_ready(timeout=120)
    admin = api.login("admin", password)
    manual = config.choice("ZHITONG_CLOCK", "system", ("system", "manual")) == "manual"
    start = config.text("ZHITONG_DEMO_START", "")
    if manual and start and not project_ids(admin):
        # a fresh demo suite: the sample projects are registered when the demo's six weeks begin, so that every
        # date the replay leaves (registration, acceptance, decisions) follows in order
        admin.post("/admin/clock", json={"now": start, "backwards": True})
    ids = seed(admin)
    users = demo_users()
    officers = [u["username"] for u in users if u["role"] == "officer"]
    try:
        screen = f"{base}/screen?token={issue_screen_token(gateway_sessions(), 'screen', 30, manual)}"
    except NotAScreen:
        screen = f"{base}/screen?token=…  (make screen-token prints it)"
    lines = [
        "",
        "  直通 Zhitong is running (manual clock: set the time with POST /api/v1/admin/clock)",
        f"  Web client         : {base}/  (企业端 /enterprise, 部门端 /dept, 窗口端 /window and /window/accounts,",
        "                       督查端 /supervision, 用户管理 /admin/users, 办事指南 /guide; each login lands on its own)",
        f"  Big screen (大屏)  : {screen}  (token valid 30 days; make screen-token: 365)",
        f"  API and Swagger UI : {base}/api/v1/ui/",
        f"  Health             : {base}/healthz   {base}/readyz",
        f"  SMS log            : {base}/api/v1/alerts/sms (as supervisor; the log provider also prints each SMS here)",
        f"  Sample projects    : {len(ids)} loaded ({', '.join(sorted(ids))})",
        "  Metrics (Prometheus): "
        + "  ".join(f"{name} :{config.metrics_port(name)}" for name in config.metrics_processes()),
        f"  Demo logins (password {password}):",
        "    admin, supervisor, ops, agent, agent2, screen",
        "    enterprises: " + ", ".join(u["username"] for u in users if u["role"] == "enterprise"),
        "    officers   : " + ", ".join(officers),
        "    heads      : the same with -head (window-head, zrgh-head, ...)",
        "  Replay a few weeks of approvals: make demo      Stop: Ctrl-C",
        "",
    ]
    print("\n".join(lines), flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    main()
