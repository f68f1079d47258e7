"""Generate a city's worth of approval history for benchmarks: `python -m tools.generate_projects --projects 200000
--workflow-url ... --intake-url ...` writes projects, their items and their intake records straight into the two
services' (already migrated) databases on PostgreSQL, with set-based SQL.

The mix, by project number g: types 50 % general_social, 30 % low_risk, 10 % land_and_start, 10 % government;
registered over the 24 months before `--today`; 85 % completed, 2 % stopped, 13 % running (spread over the four
stages, a tenth of their open items red and a tenth in warning); 12 items per project in ten departments, decided
ones with their used days and colour (open ones carry the sweep's marks instead); 20–40 materials asked one by one, 12–20 uploaded. Stored colours are as of
`--today`, as the workflow sweep leaves them."""

from __future__ import annotations

import argparse
from datetime import date

from sqlalchemy import create_engine, text

DEPARTMENTS = "(ARRAY['fgw','zrgh','zjj','sthj','swj','rfb','cgj','ylj','qxj','wwj'])"
TYPES = (
    "(ARRAY['general_social','general_social','general_social','general_social','general_social','low_risk',"
    "'low_risk','low_risk','land_and_start','government'])"
)


def generate_workflow(url: str, projects: int, today: date) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(f"""
            INSERT INTO project_plans (id, code, name, enterprise, agent, project_type, major,
                                       regional_evaluation_zone, attributes, target_days, status, current_stage,
                                       created_at, finished_on, colour, colour_on, used_days, materials_asked,
                                       rolled_up)
            SELECT 'gen-' || g, 'G' || g, '生成项目' || g, 'GE' || (g % 500), '', {TYPES}[g % 10 + 1], g % 50 = 0,
                   false, '{{}}', 30,
                   CASE WHEN g % 100 < 85 THEN 'completed' WHEN g % 100 < 87 THEN 'stopped' ELSE 'in_progress' END,
                   CASE WHEN g % 100 >= 87 THEN 'S' || (g % 4 + 1) ELSE '' END,
                   CAST(:today AS timestamp) - (g % 720) * interval '1 day' - interval '60 days',
                   CASE WHEN g % 100 < 85 THEN CAST(:today AS date) - (g % 720) END,
                   (ARRAY['blue','yellow','yellow','red'])[g % 4 + 1],
                   :today, 5 + g % 36, 20 + g % 21, g % 100 < 87
            FROM generate_series(1, :n) g
        """),
            {"n": projects, "today": today},
        )
        # items: decided for finished projects (on the project's finishing day), open for running ones
        conn.execute(
            text(f"""
            INSERT INTO item_instances (id, project_id, code, stage, department, name_zh, promised_days,
                                        effective_days, materials, produces, status, accepted_on, decided_on,
                                        suspended_days, deadline, warn_on, warning_since, red_since, reminded_on,
                                        deferred_materials, colour, used_days)
            SELECT 'gen-' || g || '-' || i, 'gen-' || g, 'X-' || i, 'S' || ((i - 1) % 4 + 1),
                   {DEPARTMENTS}[(g + i) % 10 + 1], '生成事项', 5, 1 + (g + i) % 8, '[]', '',
                   CASE WHEN g % 100 < 85 THEN 'approved' WHEN g % 100 < 87 THEN 'refused' ELSE
                        (ARRAY['accepted','accepted','accepted','suspended'])[i % 4 + 1] END,
                   CAST(:today AS date) - (g % 720) - 10,
                   CASE WHEN g % 100 < 87 THEN CAST(:today AS date) - (g % 720) END,
                   0, CAST(:today AS date) + 3, CAST(:today AS date) + 1,
                   CASE WHEN g % 100 >= 87 AND (g + i) % 10 = 1 THEN CAST(:today AS date) END,
                   CASE WHEN g % 100 >= 87 AND (g + i) % 10 = 0 THEN CAST(:today AS date) - 1 END,
                   NULL, '[]',
                   CASE WHEN g % 100 >= 87 THEN NULL
                        WHEN (g + i) % 9 = 0 THEN 'red' WHEN (g + i) % 3 = 0 THEN 'blue' ELSE 'yellow' END,
                   CASE WHEN g % 100 < 87 THEN (g + i) % 9 END
            FROM generate_series(1, :n) g, generate_series(1, 12) i
        """),
            {"n": projects, "today": today},
        )
        # the history's running totals, the city's (department '') and each department's, as closing each project
        # would have kept them
        conn.execute(
            text("""
            INSERT INTO closed_projects (department, project_type, status, colour, projects, used_days,
                                         materials_asked)
            SELECT d.department, p.project_type, p.status, p.colour, count(*), sum(p.used_days),
                   sum(p.materials_asked)
            FROM project_plans p
            CROSS JOIN LATERAL (SELECT '' AS department
                                UNION SELECT department FROM item_instances WHERE project_id = p.id) d
            WHERE p.id LIKE 'gen-%' AND p.rolled_up
            GROUP BY d.department, p.project_type, p.status, p.colour
            ON CONFLICT (department, project_type, status, colour) DO UPDATE
            SET projects = closed_projects.projects + excluded.projects,
                used_days = closed_projects.used_days + excluded.used_days,
                materials_asked = closed_projects.materials_asked + excluded.materials_asked
        """)
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE item_instances"))
        conn.execute(text("VACUUM ANALYZE project_plans"))
    engine.dispose()


def generate_intake(url: str, projects: int, today: date) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO enterprises (code, name_zh, credit_code, contact, phone, registered_at)
            SELECT 'GE' || e, '生成企业' || e, 'GEN' || lpad(e::text, 15, '0'), '联系人', '', CAST(:today AS timestamp)
            FROM generate_series(0, 499) e
            ON CONFLICT DO NOTHING
        """),
            {"today": today},
        )
        conn.execute(
            text("""
            INSERT INTO projects (id, code, name, enterprise, project_type, attributes, regional_evaluation_zone,
                                  major, floor_area_m2, investment_wan, registered_by, registered_at,
                                  materials_uploaded)
            SELECT 'gen-' || g, 'G' || g, '生成项目' || g, 'GE' || (g % 500), 'general_social', '{}', false,
                   g % 50 = 0, 10000, 5000, 'generator', CAST(:today AS timestamp) - (g % 720) * interval '1 day',
                   12 + g % 9
            FROM generate_series(1, :n) g
        """),
            {"n": projects, "today": today},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE projects"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=200_000)
    parser.add_argument("--workflow-url", required=True)
    parser.add_argument("--intake-url", required=True)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 20))
    args = parser.parse_args()
    generate_workflow(args.workflow_url, args.projects, args.today)
    generate_intake(args.intake_url, args.projects, args.today)
    print(f"generated {args.projects:,} projects with {12 * args.projects:,} items")


if __name__ == "__main__":
    main()
