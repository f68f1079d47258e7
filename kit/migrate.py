"""Alembic migrations per service: `python -m kit.migrate workflow intake gateway` upgrades each service's
database (its `<SERVICE>_DATABASE_URL`, or the embedded SQLite file) to the newest revision."""

from __future__ import annotations

import sys

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool

from kit import config
from kit.db import make_engine


def alembic_config(service: str, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(config.ROOT / "services" / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or config.database_url(service)).replace("%", "%%"))
    return cfg


def upgrade(service: str, url: str | None = None) -> None:
    command.upgrade(alembic_config(service, url), "head")


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if __name__ == "__main__":
    for name in sys.argv[1:] or ["workflow", "intake", "gateway"]:
        upgrade(name)
        print(f"migrated {name}: {config.database_url(name).split('@')[-1]}")
