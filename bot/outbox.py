"""The sender: delivers the outbox (staff alerts, customer messages) with retries.

Rows are written in the same transaction as what they announce (see
`storage.store.Tx.enqueue`); the sender only reads them. Each target (one
customer's chat, one ticket in its team's Slack channel) is a lane of its own:
its rows go in order, one at a time, while every other lane goes on beside it,
so a hanging Slack call never delays a customer's Telegram news, nor one team
another's. A target `group/lane` (`staff:sales/SPT-…`) belongs to a group that
delivers `group_limit` rows at a time, oldest first: a team's alerts reach its
channel about in the order the tickets were opened, and one waiting for its
retry does not hold back the next tickets. Each call has a time-out. A row that
keeps failing is retried with back-off, and after `max_attempts` tries it is
set aside (dead-lettered) so that it no longer holds back its lane;
`sportello outbox` lists such rows and puts one back. A row is marked
delivered only after the receiver accepted it; transports check, where the
receiver allows, whether a row whose answer was lost had in fact arrived, so
a retry does not say it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.store import Pending, SqlStore

log = logging.getLogger(__name__)

# A transport gets the row's payload, with `queued_at` (when the row was written, in epoch
# seconds) and `maybe_sent` (an earlier try may have arrived: its answer was lost), and how
# many tries failed before; it returns what the receiver answered.
Transport = Callable[[dict[str, Any], int], Awaitable[dict[str, Any] | None]]
# A transport with `looks_first = True` can find out whether a row whose answer was lost
# arrived: the sender records each try before it starts, so a try cut short by a crash counts
# as one that may have arrived.
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)  # seconds before the next attempt
MAX_ATTEMPTS = 15  # then the row is set aside: about 40 minutes of trying with BACKOFF
CALL_TIMEOUT = 30.0  # seconds one delivery may take before it counts as failed


# Rows of one group (a team's Slack channel) under way at once: one at a time, 200 tickets
# opened together took minutes to alert (the soak benchmark); Slack's own rate limit
# answers 429 beyond it, which is retried.
GROUP_LIMIT = 4


def staff_lane(team: str, code: str) -> str:
    """The outbox target of a ticket's Slack posts: its own lane in its team's group."""
    return f"staff:{team}/{code}"


def _group(target: str) -> str:
    return target.split("/", 1)[0]


class Undeliverable(Exception):
    """The receiver refused the row for good (a blocked chat): set it aside at once."""


class Refused(Exception):
    """The receiver answered that it did nothing (rate limited, an error it reported, the
    connection refused): unlike a lost answer, the try cannot have delivered the row."""


class Sender:
    """Delivers due outbox rows through one transport per kind, one lane per target."""

    def __init__(
        self,
        store: SqlStore,
        transports: Mapping[str, Transport],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        backoff: tuple[float, ...] = BACKOFF,
        max_attempts: int = MAX_ATTEMPTS,
        timeout: float = CALL_TIMEOUT,
        ready: Mapping[str, Callable[[], bool]] | None = None,
        settle: Mapping[str, float] | None = None,
        group_limit: int = GROUP_LIMIT,
    ) -> None:
        self.store = store
        self.transports = dict(transports)
        self.clock = clock
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.timeout = timeout
        # A kind whose receiver is not up yet (Telegram unreachable at start) waits, its
        # rows untried and their tries uncounted, while the other kinds go.
        self.ready = dict(ready or {})
        # After a lost answer, how long a kind's receiver may still be acting on the lost
        # call (a slow Slack posts after the client gave up): the retry, which looks
        # first, waits at least that long, or it would not yet see the post.
        self.settle = dict(settle or {})
        self.group_limit = group_limit
        self._busy: set[str] = set()  # the targets with a delivery under way
        self._handled: dict[int, float] = {}  # row id -> when a lane finished it (monotonic)
        # Marking a row delivered does not wait behind other database work: a crash
        # between the receiver's OK and the mark would deliver the row twice.
        self._marks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="outbox-mark")

    async def _due(self) -> list[Pending]:
        read_at = time.monotonic()
        due = await asyncio.to_thread(self.store.due, self.clock())
        up = {kind for kind in self.transports if self.ready.get(kind, _always)()}
        # A row a lane finished while this read ran may still look pending in it: the
        # read began before the lane's mark was committed. It is not taken again.
        stale = {i for i, at in self._handled.items() if at >= read_at}
        for i, at in list(self._handled.items()):
            if at < read_at - 60:
                del self._handled[i]
        taken = Counter(_group(t) for t in self._busy if "/" in t)
        chosen = []
        for r in due:  # oldest first (the store's order)
            if r.kind not in up or r.target in self._busy or r.id in stale:
                continue
            if "/" in r.target:
                if taken[_group(r.target)] >= self.group_limit:
                    continue  # its group's receiver has enough under way
                taken[_group(r.target)] += 1
            chosen.append(r)
        return chosen

    async def run_once(self) -> int:
        """Deliver what is due now, every lane at once; return how many rows were delivered."""
        delivered = 0
        tried: set[int] = set()  # a row that failed waits for its back-off, past this pass
        while due := [row for row in await self._due() if row.id not in tried]:
            tried.update(row.id for row in due)
            self._busy.update(row.target for row in due)
            try:
                done = await asyncio.gather(*(self._deliver(row) for row in due))
            finally:
                self._busy.difference_update(row.target for row in due)
            delivered += sum(1 for outcome in done if outcome == "delivered")
        return delivered

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        """Deliver until `stop` is set, looking for due rows every `interval` seconds.

        Each due lane gets a task of its own; a lane that delivered looks for its
        next row at once, without waiting for the others.
        """
        lanes: set[asyncio.Task[None]] = set()
        wake = asyncio.Event()
        while not stop.is_set():
            wake.clear()
            try:
                due = await self._due()
            except Exception:  # the database may be away for a moment: try again later
                log.exception("the sender could not read the outbox")
                due = []
            for row in due:
                self._busy.add(row.target)
                lane = asyncio.create_task(self._lane(row, wake))
                lanes.add(lane)
                lane.add_done_callback(lanes.discard)
            await _either(stop, wake, interval)
        if lanes:  # let the deliveries under way end (each is bounded by its time-out)
            _, late = await asyncio.wait(lanes, timeout=self.timeout)
            for lane in late:
                lane.cancel()

    async def _lane(self, row: Pending, wake: asyncio.Event) -> None:
        try:
            if await self._deliver(row) != "failed":
                wake.set()  # the lane's next row, if any, is due now
        except Exception:  # the store failed while recording: the row is tried again later
            log.exception("the sender could not record outbox row %s", row.id)
        finally:
            self._handled[row.id] = time.monotonic()
            self._busy.discard(row.target)

    async def _deliver(self, row: Pending) -> str:
        """Try one row: "delivered", "dead" (set aside) or "failed" (retried later)."""
        payload = {
            "queued_at": row.created_at.timestamp(),
            "maybe_sent": row.maybe_sent,
            **row.payload,
        }
        transport = self.transports[row.kind]
        if getattr(transport, "looks_first", False) and not row.maybe_sent:
            # A receiver that can be asked whether a row arrived: a kill -9 between its OK
            # and the mark must not post twice.
            settled = self.clock() + timedelta(seconds=self.settle.get(row.kind, 0.0))
            await asyncio.to_thread(self.store.attempting, row.id, settled)
        try:
            result = await asyncio.wait_for(transport(payload, row.attempts), self.timeout)
        except Undeliverable as gone:
            log.warning("outbox %s (%s) cannot be delivered: %s", row.id, row.kind, gone)
            await asyncio.to_thread(
                self.store.dead, row.id, f"undeliverable: {gone}", False, row.maybe_sent
            )
            return "dead"
        except Exception as exc:  # kept and retried: nothing is lost
            timed_out = isinstance(exc, TimeoutError)
            error = f"no answer in {self.timeout}s" if timed_out else repr(exc)
            # A lost answer: look before the next try (a refusal: as before this try, whose
            # start was recorded as a maybe).
            maybe = row.maybe_sent or not isinstance(exc, Refused)
            if row.attempts + 1 >= self.max_attempts:
                log.warning(
                    "outbox %s (%s) failed %d times, set aside (sportello outbox retry %s): %s",
                    row.id,
                    row.kind,
                    row.attempts + 1,
                    row.id,
                    error,
                )
                await asyncio.to_thread(self.store.dead, row.id, error, True, maybe)
                return "dead"
            wait = self.backoff[min(row.attempts, len(self.backoff) - 1)]
            if maybe:
                wait = max(wait, self.settle.get(row.kind, 0.0))
            log.info("outbox %s (%s) failed, retry in %ss: %s", row.id, row.kind, wait, error)
            retry_at = self.clock() + timedelta(seconds=wait)
            await asyncio.to_thread(self.store.failed, row.id, error, retry_at, maybe)
            return "failed"
        loop = asyncio.get_running_loop()  # at once, in a thread of its own (see _marks)
        await loop.run_in_executor(self._marks, self.store.delivered, row.id, result)
        return "delivered"


def _always() -> bool:
    return True


async def _either(a: asyncio.Event, b: asyncio.Event, timeout: float) -> None:
    """Wait until either event is set, or `timeout` seconds."""
    waits = [asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waits, return_exceptions=True)
