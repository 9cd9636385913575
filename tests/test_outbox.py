"""The sender's own rules, on both databases: a row finished while a read ran is not taken
again from that read's (older) view of the outbox."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from bot.outbox import Pending, Sender
from storage.store import SqlStore


class SlowReads:
    """The real store, whose outbox read returns late (a busy database): what it saw is old."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def due(self, now: datetime, limit: int = 50) -> list[Pending]:
        rows = self.store.due(now, limit)
        time.sleep(0.3)
        return rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_row_delivered_while_a_read_ran_is_not_delivered_again(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.enqueue("customer_message", "once", "telegram:1", {"chat": "1", "text": "hi"})
    calls: list[float] = []

    async def transport(payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        calls.append(time.monotonic())
        await asyncio.sleep(0.1)  # the next read starts meanwhile, and sees the row pending
        return {}

    async def go() -> None:
        sender = Sender(SlowReads(store), {"customer_message": transport})  # type: ignore[arg-type]
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop, interval=0.02))
        await asyncio.sleep(2.0)
        stop.set()
        await running

    asyncio.run(go())
    assert len(calls) == 1
    assert store.undelivered() == 0
