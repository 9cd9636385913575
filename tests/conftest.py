"""Shared fixtures: the policy, a clock, and stores on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url

from bot.langid import LanguageIdentifier
from bot.service import Desk
from flows.policy import Policy, load_policy
from storage.store import SqlStore
from tests.support import pgserver
from tests.support.chat import Chat, Clock

ROME = ZoneInfo("Europe/Rome")
_db_names = itertools.count()


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def postgres() -> Iterator[pgserver.PostgresServer]:
    server = pgserver.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sportello.db'}"
    server: pgserver.PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t{next(_db_names)}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema at head, built once."""
    path = tmp_path_factory.mktemp("template") / "sportello.db"
    SqlStore(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres: pgserver.PostgresServer) -> str:
    """A PostgreSQL database with the schema at head, built once, to copy."""
    SqlStore(postgres.create_database("template_head")).close()
    return "template_head"


@pytest.fixture
def store(request: pytest.FixtureRequest, db_url: str) -> Iterator[SqlStore]:
    """A store on `db_url`'s fresh database, its schema copied from one built once: a
    migration run per test cost more than most tests (`tests/test_migrations.py` runs them)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        shutil.copyfile(request.getfixturevalue("sqlite_template"), url.database)
    else:
        template = request.getfixturevalue("postgres_template")
        request.getfixturevalue("postgres").create_database(url.database, template=template)
    s = SqlStore(db_url)
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    """Friday 20 November 2026, 11:00 in Rome: inside office hours."""
    return Clock(datetime(2026, 11, 20, 11, 0, tzinfo=ROME))


@pytest.fixture(scope="session")
def identify() -> LanguageIdentifier:
    """The real language identifier, loaded once."""
    return LanguageIdentifier()


@pytest.fixture
def desk(store: SqlStore, policy: Policy, clock: Clock, identify: LanguageIdentifier) -> Desk:
    return Desk(store, policy, clock=clock, identify=identify)


@pytest.fixture
def chat(desk: Desk) -> Chat:
    """A customer on the terminal channel, already greeted."""
    c = Chat(desk, user="customer-1")
    c.start()
    return c
