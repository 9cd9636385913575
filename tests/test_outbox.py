"""The sender's own rules, on both databases: a row finished while a read ran is not taken
again from that read's (older) view of the outbox."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from bot.outbox import GROUP_LIMIT, Pending, Sender, staff_lane
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


def test_after_a_lost_answer_the_retry_waits_for_the_receiver_to_settle(store: SqlStore) -> None:
    from datetime import UTC, timedelta

    from bot.outbox import Refused

    with store.transaction() as tx:
        tx.enqueue("staff_alert", "lost", "staff:technical", {"code": "X"})
        tx.enqueue("staff_alert", "refused", "staff:sales", {"code": "Y"})
    now = datetime.now(UTC) + timedelta(seconds=1)

    async def transport(payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        if payload["code"] == "Y":
            raise Refused("ratelimited")  # Slack said no: nothing can have been posted
        raise ConnectionResetError("the answer was lost")  # it may have been posted

    sender = Sender(
        store, {"staff_alert": transport}, clock=lambda: now, backoff=(1.0,),
        settle={"staff_alert": 30.0},
    )  # fmt: skip
    assert asyncio.run(sender.run_once()) == 0
    waits = {r["about"]: r["next_at"] for r in store.outbox()}
    assert datetime.fromisoformat(waits["X"]) >= now + timedelta(seconds=29)
    assert datetime.fromisoformat(waits["Y"]) < now + timedelta(seconds=5)


def test_a_team_gets_a_few_posts_at_once_oldest_first_and_other_targets_go_beside(
    store: SqlStore,
) -> None:
    with store.transaction() as tx:
        for n in range(10):
            tx.enqueue("staff_alert", f"a{n}", staff_lane("sales", f"T{n}"), {"n": n})
        tx.enqueue("customer_message", "m", "telegram:1", {"n": "m"})
    running: list[object] = []
    most = 0
    started: list[object] = []

    async def post(payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        nonlocal most
        running.append(payload["n"])
        started.append(payload["n"])
        most = max(most, sum(1 for n in running if n != "m"))
        await asyncio.sleep(0.05)
        running.remove(payload["n"])
        return {}

    sender = Sender(store, {"staff_alert": post, "customer_message": post})
    assert asyncio.run(sender.run_once()) == 11
    assert most == GROUP_LIMIT  # a team's channel: a few at a time, never all ten
    alerts = [n for n in started if n != "m"]
    assert alerts == sorted(alerts)  # started oldest first
    assert started.index("m") < GROUP_LIMIT + 1  # the customer's news did not wait for them
