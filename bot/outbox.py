"""The sender: delivers the outbox (staff alerts, customer messages) with retries.

Rows are written in the same transaction as what they announce (see
`storage.store.Tx.enqueue`); the sender only reads them. Each target gets its
rows in order: a row waiting for a retry holds back the later rows of the
same target, never those of others. A row is marked delivered only after the
receiver accepted it; transports check, where the receiver allows, whether a
row whose answer was lost had in fact arrived, so a retry does not say it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.store import Pending, SqlStore

log = logging.getLogger(__name__)

Transport = Callable[[dict[str, Any], int], Awaitable[dict[str, Any] | None]]
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # seconds before the next attempt


class Undeliverable(Exception):
    """The receiver refused the row for good (a blocked chat): stop trying it."""


class Sender:
    """Delivers due outbox rows through one transport per kind."""

    def __init__(
        self,
        store: SqlStore,
        transports: Mapping[str, Transport],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self.store = store
        self.transports = dict(transports)
        self.clock = clock
        self.backoff = backoff

    async def run_once(self) -> int:
        """Deliver what is due now; return how many rows were delivered."""
        delivered = 0
        while True:
            due = await asyncio.to_thread(self.store.due, self.clock())
            due = [row for row in due if row.kind in self.transports]
            if not due:
                return delivered
            progress = False
            for row in due:
                if await self._deliver(row):
                    delivered += 1
                    progress = True
            if not progress:
                return delivered

    async def _deliver(self, row: Pending) -> bool:
        try:
            result = await self.transports[row.kind](row.payload, row.attempts)
        except Undeliverable as gone:
            log.warning("outbox %s (%s) cannot be delivered: %s", row.id, row.kind, gone)
            await asyncio.to_thread(self.store.delivered, row.id, {"undeliverable": str(gone)})
            return True
        except Exception as exc:  # kept and retried: nothing is lost
            wait = self.backoff[min(row.attempts, len(self.backoff) - 1)]
            log.info("outbox %s (%s) failed, retry in %ss: %s", row.id, row.kind, wait, exc)
            retry_at = self.clock() + timedelta(seconds=wait)
            await asyncio.to_thread(self.store.failed, row.id, repr(exc), retry_at)
            return False
        await asyncio.to_thread(self.store.delivered, row.id, result)
        return True

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        """Deliver until `stop` is set, looking for due rows every `interval` seconds."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the database may be away for a moment: try again later
                log.exception("the sender could not read the outbox")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
