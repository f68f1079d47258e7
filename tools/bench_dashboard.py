"""`make bench`: how fast the supervision dashboard answers over 200,000 projects (2.4 million items) on PostgreSQL.

Starts the whole suite as `make run` does, with workflow and intake on fresh PostgreSQL databases
(`zhitong_bench_*` on the server of `ZHITONG_BENCH_PG`, default the machine's), fills them with
`tools.generate_projects`, then times `GET /api/v1/dashboard/summary` through the gateway (as a supervisor, for the
whole city, and as a department head) and the league table. Fails when the city summary's median exceeds the
target (300 ms)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.conftest import own_vhost, start_suite
from tools.bench_sweep import SERVER
from tools.generate_projects import generate_intake, generate_workflow

TARGET_MS = 300
BENCH_DAY = date(2026, 11, 20)


def timed(api, path: str, params: dict | None = None, runs: int = 20) -> tuple[float, float]:
    for _ in range(3):  # warm the connections and the database's caches
        api.get(path, params=params)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        api.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=200_000)
    args = parser.parse_args()
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    names = {svc: f"zhitong_bench_{svc}_{os.getpid()}" for svc in ("workflow", "intake")}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f"CREATE DATABASE {name}"))
    urls = {svc: SERVER.rsplit("/", 1)[0] + f"/{name}" for svc, name in names.items()}
    os.environ.update(WORKFLOW_DATABASE_URL=urls["workflow"], INTAKE_DATABASE_URL=urls["intake"])
    failed = False
    try:
        with own_vhost() as amqp_url, tempfile.TemporaryDirectory(prefix="zhitong-bench-") as var:
            suite = start_suite(Path(var), amqp_url)
            try:
                suite.set_clock("2026-11-20 10:00")
                started = time.perf_counter()
                generate_workflow(urls["workflow"], args.projects, today=BENCH_DAY)
                generate_intake(urls["intake"], args.projects, today=BENCH_DAY)
                print(
                    f"generated {args.projects:,} projects, {12 * args.projects:,} items in {time.perf_counter() - started:.1f} s"
                )
                supervisor, head = suite.login("supervisor"), suite.login("zjj-head")
                total = supervisor.get("/dashboard/summary")["projects"]["total"]
                assert total >= args.projects, total
                results = {
                    "dashboard summary, whole city (supervisor)": timed(supervisor, "/dashboard/summary"),
                    "dashboard summary, one department (head)": timed(head, "/dashboard/summary"),
                    "department league table, one month": timed(
                        supervisor, "/dashboard/departments", {"month": "2026-11"}
                    ),
                }
                for what, (median, p95) in results.items():
                    print(f"{what}: median {median:.0f} ms, p95 {p95:.0f} ms")
                city_median = results["dashboard summary, whole city (supervisor)"][0]
                if city_median > TARGET_MS:
                    print(f"the city summary's median {city_median:.0f} ms exceeds the target of {TARGET_MS} ms")
                    failed = True
            except BaseException:
                for name in ("gateway", "workflow", "intake"):
                    print(f"--- {name} log (end) ---\n{suite.log(name)[-2500:]}")
                raise
            finally:
                suite.stop()
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
