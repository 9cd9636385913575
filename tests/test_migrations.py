"""Schema migrations (Alembic, `storage/migrations/`) on SQLite and PostgreSQL.

A database made by the releases before migrations (`create_all`, no
`alembic_version`) is upgraded in place and keeps every row; the migrations
build exactly the tables the code declares; two processes starting at once
upgrade once; `sportello db upgrade` reports what it did.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from bot import cli
from flows.model import Conversation
from storage import schema
from storage.store import SqlStore, make_engine

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _old_release_database(url: str) -> sa.Engine:
    """A database as the releases before migrations left it: the baseline tables, no version."""
    engine = make_engine(url)
    schema.upgrade(engine, schema.BASELINE)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    return engine


def _fill(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Rows in every table, written with plain SQL (the old schema has no new columns)."""
    rows: dict[str, list[dict[str, Any]]] = {
        "conversation": [
            {
                "id": 1,
                "channel": "telegram",
                "user_id": "4242",
                "state": "ask_mailbox",
                "language": "it",
                "data": Conversation(
                    channel="telegram", user="4242", state="ask_mailbox", language="it"
                ).model_dump_json(),
                "updated_at": NOW,
            }
        ],
        "ticket": [
            {
                "id": 1,
                "code": "SPT-001-00001",
                "category": "email_receiving",
                "team": "technical",
                "priority": "normal",
                "status": "open",
                "language": "it",
                "channel": "telegram",
                "user_id": "4242",
                "topic": "email",
                "mailbox": "info@rossi-srl.example",
                "domain": "rossi-srl.example",
                "direction": "receive",
                "fields": '{"mailbox": "info@rossi-srl.example", "error_text": "550 5.1.1 àèì"}',
                "dns": None,
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
        "ticket_note": [
            {
                "id": 1,
                "ticket_id": 1,
                "kind": "status",
                "body": '{"status": "open"}',
                "created_at": NOW,
            }
        ],
        "attachment": [
            {
                "id": 1,
                "ticket_id": 1,
                "channel": "telegram",
                "user_id": "4242",
                "filename": "errore.png",
                "content_type": "image/png",
                "size": 4,
                "data": b"\x89PNG",
                "created_at": NOW,
            }
        ],
        "processed_update": [
            {"id": 1, "channel": "telegram", "update_key": "77", "created_at": NOW}
        ],
        "outbox": [
            {
                "id": 1,
                "key": "alert:SPT-001-00001",
                "kind": "staff_alert",
                "target": "staff:technical",
                "payload": '{"code": "SPT-001-00001"}',
                "attempts": 2,
                "next_at": NOW + timedelta(seconds=5),
                "created_at": NOW,
                "sent_at": None,
                "result": None,
                "last_error": "HTTP 500",
            }
        ],
        "staff_alert": [
            {"ticket_id": 1, "channel": "C0HELPDESK", "ts": "1.000100", "assignee": "U1"}
        ],
    }
    with engine.begin() as connection:
        for table, values in rows.items():
            for row in values:
                names = ", ".join(row)
                marks = ", ".join(f":{key}" for key in row)
                connection.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), row)
    return rows


def _read(engine: sa.Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))
        return [dict(row._mapping) for row in result]


def _same(stored: Any, written: Any) -> bool:
    if isinstance(written, datetime) and isinstance(stored, datetime):
        return stored.replace(tzinfo=stored.tzinfo or UTC) == written
    if isinstance(written, datetime) and isinstance(stored, str):
        return datetime.fromisoformat(stored).replace(tzinfo=UTC) == written
    if isinstance(stored, (bytes, memoryview)):
        return bytes(stored) == written
    if isinstance(stored, (dict, list)):  # PostgreSQL gives JSON back decoded
        return stored == json.loads(written)
    return bool(stored == written)


def test_a_database_of_the_release_before_migrations_is_upgraded_with_every_row(
    db_url: str,
) -> None:
    engine = _old_release_database(db_url)
    written = _fill(engine)
    engine.dispose()
    store = SqlStore(db_url)  # what `serve` and `chat` do at start
    try:
        with store.engine.connect() as connection:
            assert schema.current(connection) == schema.head()
        for table, rows in written.items():
            stored = _read(store.engine, table)
            assert len(stored) == len(rows), table
            for got, want in zip(stored, rows, strict=True):
                for key, value in want.items():
                    assert _same(got[key], value), (table, key, got[key], value)
        assert _read(store.engine, "outbox")[0]["dead_at"] is None
        # and the store works on the upgraded rows
        ticket = store.ticket("SPT-001-00001")
        assert ticket is not None and ticket["mailbox"] == "info@rossi-srl.example"
        assert ticket["error_text"] == "550 5.1.1 àèì" and ticket["notes"][0]["status"] == "open"
        due = store.due(NOW + timedelta(minutes=1))
        assert [(row.kind, row.attempts) for row in due] == [("staff_alert", 2)]
        assert store.attachment(1) == ("errore.png", "image/png", b"\x89PNG")
        with store.transaction() as tx:
            conv = tx.load_conversation("telegram", "4242")
        assert conv is not None and conv.state == "ask_mailbox"
    finally:
        store.close()


def test_the_migrations_build_exactly_the_declared_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        schema.upgrade(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_an_upgraded_database_is_left_alone(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert schema.upgrade(engine) == (None, schema.head())
        assert schema.upgrade(engine) == (schema.head(), schema.head())
    finally:
        engine.dispose()


def _upgrade_at_once(engines: list[sa.Engine]) -> list[tuple[str | None, str]]:
    """Upgrade through every engine at the same moment, one thread each; raise what failed."""
    results: list[tuple[str | None, str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def upgrade(engine: sa.Engine) -> None:
        start.wait()
        try:
            results.append(schema.upgrade(engine))
            if engine.dialect.name == "sqlite":
                with engine.connect() as connection:
                    mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
                    assert mode == "wal", mode
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()
    assert not errors, errors
    return results


def test_two_processes_starting_at_once_upgrade_once(db_url: str) -> None:
    results = _upgrade_at_once([make_engine(db_url) for _ in range(4)])
    assert (
        sorted(results, key=lambda r: r[0] or "")
        == [(None, schema.head())] + [(schema.head(), schema.head())] * 3
    )


def test_a_database_from_a_newer_release_is_refused_clearly(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(db_url)
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert cli.main(["tickets", "list"]) == 2
    err = capsys.readouterr().err
    assert "revision 9999" in err and "newer release" in err and "Traceback" not in err


def test_db_upgrade_and_current_from_the_command_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _old_release_database(db_url).dispose()
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert cli.main(["db", "current"]) == 0
    assert capsys.readouterr().out.startswith("none")
    assert cli.main(["db", "upgrade"]) == 0
    assert f"from revision none to {schema.head()}" in capsys.readouterr().out
    assert cli.main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert cli.main(["db", "current"]) == 0
    assert capsys.readouterr().out.startswith(schema.head())


def test_new_sqlite_files_opened_by_several_processes_at_once_never_say_locked(
    tmp_path: Any,
) -> None:
    # Switching a new file to WAL takes a lock SQLite does not wait for (the
    # busy timeout does not apply): one of several processes starting at once
    # failed with "database is locked" (a CI run did, about 1 round in 20).
    for round_ in range(30):
        _upgrade_at_once([make_engine(f"sqlite:///{tmp_path}/{round_}.db") for _ in range(4)])
