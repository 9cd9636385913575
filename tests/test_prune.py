"""Handled Telegram updates are forgotten after a while (`SqlStore.prune`, `sportello db prune`).

The inbox keeps each fetched update until it is handled, and the ids of handled updates
catch Telegram's redeliveries; neither grows for ever. What a crash left unhandled, and
the newest update (the next fetch's offset), are kept.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot import cli
from storage.store import SqlStore

NOW = datetime.now(UTC)


def _age(store: SqlStore, table: str, column: str, days: float) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :at WHERE {column} IS NOT NULL"),
            {"at": NOW - timedelta(days=days)},
        )


def _first_time(store: SqlStore, key: str) -> bool:
    with store.transaction() as tx:
        return tx.first_time("telegram", key)


def test_old_handled_updates_are_forgotten_and_the_rest_kept(store: SqlStore) -> None:
    store.inbox_add("telegram", [(n, {"update_id": n}) for n in (1, 2, 3)])
    for n in (1, 2, 3):
        store.inbox_done("telegram", n)
    assert _first_time(store, "old")
    _age(store, "inbox", "done_at", 10)
    _age(store, "processed_update", "created_at", 10)
    store.inbox_add("telegram", [(4, {"update_id": 4}), (5, {"update_id": 5})])
    store.inbox_done("telegram", 4)  # handled today
    assert _first_time(store, "new")

    removed = store.prune(NOW - timedelta(days=7))

    assert removed == {"inbox": 3, "processed_update": 1}
    assert store.inbox_pending("telegram") == [(5, {"update_id": 5})]  # a crash left it
    assert store.inbox_offset("telegram") == 6
    assert _first_time(store, "old")  # forgotten: Telegram no longer redelivers it
    assert not _first_time(store, "new")  # still caught
    assert store.prune(NOW - timedelta(days=7)) == {"inbox": 0, "processed_update": 0}


def test_the_newest_update_is_kept_for_the_next_fetch(store: SqlStore) -> None:
    store.inbox_add("telegram", [(41, {"update_id": 41}), (42, {"update_id": 42})])
    store.inbox_done("telegram", 41)
    store.inbox_done("telegram", 42)
    _age(store, "inbox", "done_at", 30)
    assert store.prune(NOW - timedelta(days=7)) == {"inbox": 1, "processed_update": 0}
    assert store.inbox_offset("telegram") == 43  # not None: the fetch goes on from there


def test_sportello_db_prune(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store.inbox_add("telegram", [(n, {"update_id": n}) for n in (7, 8)])
    store.inbox_done("telegram", 7)
    store.inbox_done("telegram", 8)
    _age(store, "inbox", "done_at", 3)
    monkeypatch.setenv("DATABASE_URL", store.url)
    assert cli.main(["db", "prune"]) == 0
    assert "removed 0 handled updates" in capsys.readouterr().out  # 7 days by default
    assert cli.main(["db", "prune", "--days", "2"]) == 0
    assert "removed 1 handled updates and 0 update ids older than 2 days" in (
        capsys.readouterr().out
    )


def test_serve_prunes_at_start(store: SqlStore) -> None:
    from bot.serve import _prune_now_and_then

    store.inbox_add("telegram", [(n, {"update_id": n}) for n in (1, 2)])
    store.inbox_done("telegram", 1)
    store.inbox_done("telegram", 2)
    _age(store, "inbox", "done_at", 8)

    def left() -> list[int]:
        with store.engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT update_id FROM inbox")).scalars())

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(_prune_now_and_then(store, stop, every=3600))
        for _ in range(200):  # at start, not after a day
            if left() == [2]:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(run())
    assert left() == [2]
