"""The database schema, kept up to date by Alembic migrations (`storage/migrations/`).

`upgrade(engine)` brings any database to the newest revision: an empty one is
built by running every migration, one made before migrations existed (its
tables, no `alembic_version`) is taken as the first revision and upgraded from
there. Two processes starting at once upgrade once: SQLite's write lock or a
PostgreSQL advisory lock holds the second until the first has committed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema of the releases before migrations
_LOCK = 7_104_221  # pg_advisory_xact_lock key: "one schema upgrade at a time"


@cache
def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


class SchemaError(Exception):
    """The database's schema is not one this release knows (made by a newer release)."""


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    revision = _scripts().get_current_head()
    assert revision is not None
    return revision


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, to: str = "head") -> tuple[str | None, str]:
    """Upgrade the database to `to`; return the revisions before and after."""
    with engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE, see storage.store
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK})")
        before = current(connection)
        target = head() if to == "head" else to
        if before == target:
            return before, target
        if before is not None and before not in revisions():
            raise SchemaError(
                f"the database's schema is at revision {before}, which this release does not "
                f"know (its newest is {head()}): it was upgraded by a newer release"
            )
        config = _config()
        config.attributes["connection"] = connection
        try:
            if before is None and inspect(connection).has_table("conversation"):
                command.stamp(config, BASELINE)
            command.upgrade(config, to)
        finally:
            config.attributes.pop("connection", None)
        return before, current(connection) or target
