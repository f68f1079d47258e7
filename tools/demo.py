"""`make demo`: replay six weeks of approvals (14 September – 23 October 2026, across the National Day holidays)
through the API of a running suite with the manual clock, leaving blue, yellow and red projects, then print a
one-screen summary.

Each sample project follows a scenario: when its enterprise applies, how fast the departments decide (a share of
each item's limit), which item a department leaves lying (it turns red) and which is suspended for supplements.
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kit import config
from kit.calendar import WorkingCalendar
from kit.clock import LOCAL_TZ
from tools.api import Api, ApiError
from tools.seed import load_samples, seed

PDF = b"%PDF-1.4\n% Zhitong demo material\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Scenario:
    start: date  # the enterprise applies for S1
    pace: float  # departments decide once this share of the item's limit is used
    stall: set[str] = field(default_factory=set)  # items left undecided
    suspend: dict[str, tuple[date, date]] = field(default_factory=dict)  # item -> (suspend on, resume on)


D = date.fromisoformat
SCENARIOS = {
    "P01": Scenario(D("2026-09-14"), pace=0.0),
    "P07": Scenario(D("2026-09-15"), pace=0.2),
    "P03": Scenario(D("2026-09-16"), pace=0.0),
    "P02": Scenario(D("2026-09-28"), pace=0.8, suspend={"S1-07": (D("2026-10-09"), D("2026-10-12"))}),
    "P05": Scenario(D("2026-09-29"), pace=0.6, stall={"S1-12"}),
    "P04": Scenario(D("2026-10-12"), pace=0.9),
    "P06": Scenario(D("2026-10-14"), pace=1.0, stall={"S1-15"}),
    "P08": Scenario(D("2026-10-19"), pace=0.5),
}
FIRST, LAST = D("2026-09-14"), D("2026-10-23")


ZH = {"blue": "蓝 超前", "yellow": "黄 正常", "red": "红 滞后"}
LEVEL_ZH = {"warning": "预警", "red": "滞后", "reminder": "催办", "escalation": "督办"}


def pad(text: str, width: int) -> str:
    """Left-align in a terminal, counting a Chinese character as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


class Replay:
    def __init__(self, base: str, password: str, quiet: bool = False):
        self.api = Api(base)
        self.password = password
        self.quiet = quiet
        self._logins: dict[str, Api] = {}

    def as_user(self, username: str) -> Api:
        if username not in self._logins:
            self._logins[username] = self.api.login(username, self.password)
        return self._logins[username]

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def run(self, first: date = FIRST, last: date = LAST) -> dict:
        self.api.wait_ready()
        admin = self.as_user("admin")
        ids = seed(admin)
        started = [
            code
            for code in SCENARIOS
            if code in ids and admin.get(f"/projects/{ids[code]}")["stages"][0]["status"] != "open"
        ]
        if started:
            raise SystemExit(
                f"样例项目 {'、'.join(started)} 已经办理过：演示回放只能在新启动的系统上运行一次。\n"
                "重新开始：停止 make run，删除 var/ 目录，再 make run 和 make demo。"
            )
        admin.post(
            "/admin/clock",
            json={"now": datetime.combine(first, datetime.min.time()).replace(hour=9, tzinfo=LOCAL_TZ).isoformat()},
        )
        owners = {p["code"]: p["enterprise"].lower() for p in load_samples()["projects"]}
        cal = WorkingCalendar()
        day = first
        while day <= last:
            if cal.is_workday(day):
                admin.post(
                    "/admin/clock", json={"now": datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ).isoformat()}
                )
                for code, scenario in SCENARIOS.items():
                    if code in ids and day >= scenario.start:
                        self.step(day, code, ids[code], owners[code], scenario)
            day += timedelta(days=1)
        admin.post(
            "/admin/clock", json={"now": datetime(last.year, last.month, last.day, 17, tzinfo=LOCAL_TZ).isoformat()}
        )
        return self.summary(admin)

    def step(self, day: date, code: str, project_id: str, owner: str, scenario: Scenario) -> None:
        enterprise = self.as_user(owner)
        project = enterprise.get(f"/projects/{project_id}")
        if project["status"] != "in_progress":
            return
        for stage in project["stages"]:
            if stage["status"] == "open":
                form = enterprise.get(f"/projects/{project_id}/stages/{stage['code']}/form")
                for material in form["missing"]:
                    enterprise.post(
                        f"/projects/{project_id}/materials",
                        data={"material_code": material},
                        files={"file": (f"{material}.pdf", PDF, "application/pdf")},
                    )
                enterprise.post(f"/projects/{project_id}/stages/{stage['code']}/submit")
                self.say(f"{day} {code} {stage['code']} 提交申请")
            if stage["status"] in ("open", "submitted"):
                self.as_user("window-officer").post(
                    f"/projects/{project_id}/stages/{stage['code']}/actions", json={"action": "accept"}
                )
                self.say(f"{day} {code} {stage['code']} 综合窗口受理")
                project = enterprise.get(f"/projects/{project_id}")
        for stage in project["stages"]:
            for item in stage["items"]:
                self.handle(day, code, item, scenario)

    def handle(self, day: date, code: str, item: dict, scenario: Scenario) -> None:
        officer = self.as_user(f"{item['department']}-officer")
        window = scenario.suspend.get(item["code"])
        if window and item["status"] == "accepted" and day == window[0]:
            officer.post(f"/items/{item['id']}/actions", json={"action": "suspend", "reason": "请补正材料"})
            self.say(f"{day} {code} {item['code']} 暂停计时（补正）")
        elif window and item["status"] == "suspended" and day >= window[1]:
            officer.post(f"/items/{item['id']}/actions", json={"action": "resume"})
            self.say(f"{day} {code} {item['code']} 恢复计时")
        elif item["status"] == "accepted" and item["code"] not in scenario.stall:
            if item["used_days"] >= math.ceil(scenario.pace * item["effective_days"]) and not (
                window and day < window[1]
            ):
                try:
                    officer.post(f"/items/{item['id']}/actions", json={"action": "approve"})
                except ApiError as exc:
                    if exc.status != 409:  # 409: it waits for a document another item issues; tomorrow then
                        raise

    def summary(self, admin: Api) -> dict:
        projects = admin.get("/projects", params={"limit": 500})["projects"]
        counts = {c: sum(1 for p in projects if p["colour"] == c) for c in ("blue", "yellow", "red")}
        now = admin.get("/admin/clock")["local"]
        print(f"\n直通 demo replay — now {now[:16]}")
        print(f"{pad('项目', 30)}{pad('类型', 16)}{pad('阶段', 8)}{pad('颜色', 8)}{'已用/目标':>10}{'余量':>6}")
        for p in sorted(projects, key=lambda p: p["name"]):
            where = p["current_stage"] or p["status_zh"]
            print(
                f"{pad(p['name'][:14], 30)}{pad(p['type'], 16)}{pad(where, 8)}{pad(ZH[p['colour']], 8)}"
                f"{p['used_days']:>6}/{p['target_days']:<4}{p['slack_days']:>6}"
            )
        print(f"\nblue (超前) {counts['blue']}   yellow (正常) {counts['yellow']}   red (滞后) {counts['red']}")
        messages = self.as_user("supervisor").get("/alerts/sms", params={"limit": 2000})["messages"]
        by_level = {}
        for m in messages:
            by_level[m["level"]] = by_level.get(m["level"], 0) + 1
        print("预警短信: " + ("，".join(f"{LEVEL_ZH.get(k, k)} {v}" for k, v in sorted(by_level.items())) or "无"))
        reds = admin.get("/items", params={"colour": "red"})["items"]
        for item in reds:
            print(
                f"  red item: {item['project_name']} {item['code']} {item['name_zh']} ({item['department']}), "
                f"deadline {item['deadline']}"
            )
        return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{config.integer('ZHITONG_GATEWAY_PORT', 8080)}"
    Replay(base, config.text("ZHITONG_DEMO_PASSWORD", "demo12345"), quiet=args.quiet).run()


if __name__ == "__main__":
    main()
