"""`make bench`: how long one workflow sweep takes over 1,000,000 open items on PostgreSQL, 1 % of which change
colour (0.5 % enter warning, 0.5 % turn red) while 0.5 % are red and already reminded today.

Generates the rows with set-based SQL in a fresh database (`zhitong_bench_<pid>` on the server of `ZHITONG_BENCH_PG`,
default the machine's PostgreSQL), migrates it with Alembic, then times the sweep twice: once with the changes,
once with nothing left to announce."""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime

from sqlalchemy import create_engine, func, select, text

from kit.clock import LOCAL_TZ, ManualClock
from kit.migrate import upgrade
from services.workflow.models import Outbox
from services.workflow.server import create_workflow

SERVER = os.environ.get("ZHITONG_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TODAY = date(2026, 11, 16)  # a Monday


def generate(url: str, projects: int, items_per_project: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO project_plans (id, code, name, enterprise, agent, project_type, major,
                                       regional_evaluation_zone, attributes, target_days, status, current_stage,
                                       created_at)
            SELECT 'bench-' || g, '', '基准项目' || g, 'E' || (g % 500), '', 'general_social', g % 50 = 0, false,
                   '{}', 30, 'in_progress', 'S1', now()
            FROM generate_series(1, :n) g
        """),
            {"n": projects},
        )
        # n = 0 … 199: 0 turns red today, 1 enters warning today, 2 is red and reminded today, the rest is calm.
        conn.execute(
            text("""
            INSERT INTO item_instances (id, project_id, code, stage, department, name_zh, promised_days,
                                        effective_days, materials, produces, status, accepted_on, suspended_days,
                                        deadline, warn_on, red_since, reminded_on, deferred_materials)
            SELECT 'bench-' || p || '-' || i, 'bench-' || p, 'X-' || i, 'S1',
                   (ARRAY['fgw','zrgh','zjj','sthj','swj','rfb','cgj','ylj','qxj','wwj'])[i], '基准事项', 5, 5,
                   '[]', '', 'accepted', CAST(:today AS date) - 3, 0,
                   CASE (p * :k + i) % 200 WHEN 0 THEN CAST(:today AS date) - 1
                                           WHEN 1 THEN CAST(:today AS date) + 1
                                           WHEN 2 THEN CAST(:today AS date) - 5
                                           ELSE CAST(:today AS date) + 12 END,
                   CASE (p * :k + i) % 200 WHEN 0 THEN CAST(:today AS date) - 2
                                           WHEN 1 THEN CAST(:today AS date)
                                           WHEN 2 THEN CAST(:today AS date) - 6
                                           ELSE CAST(:today AS date) + 10 END,
                   CASE WHEN (p * :k + i) % 200 = 2 THEN CAST(:today AS date) - 4 END,
                   CASE WHEN (p * :k + i) % 200 = 2 THEN CAST(:today AS date) END,
                   '[]'
            FROM generate_series(1, :n) p, generate_series(1, :k) i
        """),
            {"n": projects, "k": items_per_project, "today": TODAY},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE item_instances"))
        conn.execute(text("VACUUM ANALYZE project_plans"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000, help="open items to generate (default 1,000,000)")
    args = parser.parse_args()
    per_project = 10
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    database = f"zhitong_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {database}"))
    url = SERVER.rsplit("/", 1)[0] + f"/{database}"
    upgrade("workflow", url)
    started = time.perf_counter()
    generate(url, args.items // per_project, per_project)
    generated = time.perf_counter() - started

    clock = ManualClock(start=datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=LOCAL_TZ))
    workflow = create_workflow(clock=clock, database_url=url)
    workflow.calendars.calendar().is_workday(TODAY)  # build the calendar outside the timing
    started = time.perf_counter()
    counts = workflow.sweep()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = workflow.sweep()
    second = time.perf_counter() - started
    with workflow.sessions() as session:
        outbox_rows = session.scalar(select(func.count()).select_from(Outbox))
    expected = args.items // 200
    assert counts == {"item.warning_started": expected, "item.turned_red": expected, "item.still_red": 0}, counts
    assert not any(again.values()), again
    assert outbox_rows == 2 * expected
    print(f"generated {args.items:,} open items in {generated:.1f} s")
    print(f"sweep with {2 * expected:,} changes (1 %): {first * 1000:.0f} ms  {counts}")
    print(f"sweep with nothing to announce: {second * 1000:.0f} ms")
    workflow.sessions.kw["bind"].dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
    admin.dispose()


if __name__ == "__main__":
    main()
