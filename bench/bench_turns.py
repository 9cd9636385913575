"""How fast does the desk answer? Many customers, whole e-mail conversations, real storage.

    python bench/bench_turns.py [--customers N] [--db sqlite|postgresql|both] [--profile]

Each simulated customer walks the e-mail flow to a ticket through the real
`bot.service.Desk` and `storage.store.SqlStore`: greeting, topic, mailbox,
sending or receiving, SMTP and webmail checks, addresses, client, error text,
one or two example messages, the summary, the ticket, goodbye. Some answer
badly first and correct themselves (a mailbox that is not an address, a time
in the future, a date without a time, "I haven't tried webmail"), some type
instead of pressing buttons, some change an answer from the summary, switch
language or ask for /help. Customers are interleaved at random, as on a busy
Telegram bot, but everything runs in one process and one thread.

Every turn is timed: `Desk.handle` (load, flow, save, commit) plus rendering
the reply as a channel would. Printed per database: turns per second, p50,
p99 and max turn latency, peak memory, and the targets for SQLite.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import os
import pstats
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.service import Desk  # noqa: E402
from flows.model import Event  # noqa: E402
from flows.policy import Policy, load_policy  # noqa: E402
from flows.text import Turn  # noqa: E402
from storage.store import SqlStore  # noqa: E402

if TYPE_CHECKING:
    from tests.support.pgserver import PostgresServer

TARGET_P99_MS = 5.0
TARGET_TURNS_PER_S = 1000.0
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))  # Friday, office hours
CHANNEL = "telegram"
MAX_TURNS = 80  # a customer stuck longer than this has derailed
ERRORS = (
    "550 5.1.1 <anna@rossi-srl.example>: Recipient address rejected: User unknown",
    "The connection to the server has failed. Account: 'imap.example.net', Server: "
    "'imap.example.net', Protocol: IMAP, Port: 993, Secure(SSL): Yes, Error Number: 0x800CCC0E",
    "Sending of the message failed. The mail server sent an incorrect greeting.",
)


# The customers --------------------------------------------------------------------------
@dataclass
class Customer:
    """A customer with a problem and habits; answers whatever the desk asks."""

    user: str
    rng: random.Random
    mailbox: str
    direction: str
    sloppy: float  # how often a first answer is wrong
    typist: float  # how often text is typed instead of a button
    turn: Turn | None = None
    turns: int = 0
    tickets: list[str] = field(default_factory=list)
    examples: int = 0
    edited: bool = False
    switched: bool = False
    corrected: set[str] = field(default_factory=set)
    finished: bool = False

    def oops(self, state: str) -> bool:
        """Whether to give a wrong answer first in `state` (once per state)."""
        if state in self.corrected or self.rng.random() >= self.sloppy:
            return False
        self.corrected.add(state)
        return True

    def pick(self, choice: str, typed: str) -> Event:
        return Event("text", typed) if self.rng.random() < self.typist else Event("choice", choice)

    def next_event(self) -> Event:
        turn, rng = self.turn, self.rng
        if turn is None:
            return Event("start")
        state = turn.state
        if state not in ("new", "closed", "language", "done") and not self.switched:
            if rng.random() < 0.01:
                return Event("command", "help")
            if rng.random() < 0.006:
                self.switched = True
                return Event("command", "lang")
        if state == "language":
            return Event("choice", rng.choice(["it", "es", "en"]))
        if state == "menu":
            if rng.random() < self.typist:
                return Event(
                    "text",
                    "I can't receive my e-mail"
                    if self.direction == "receive"
                    else "I cannot send email",
                )
            return Event("choice", "email")
        if state == "email_mailbox":
            if self.oops(state):
                return Event("text", self.mailbox.replace("@", " at "))
            return Event("text", self.mailbox)
        if state == "email_direction":
            return self.pick(self.direction, "sending" if self.direction == "send" else "receiving")
        if state == "email_smtp":
            if self.oops(state):
                return Event("text", "I don't know")
            return self.pick("yes", "yes")
        if state == "email_webmail":
            if self.oops(state):
                return Event("choice", "not_tried")
            return self.pick("yes", "it doesn't work in webmail either")
        if state == "email_scope":
            return self.pick("no", "no") if rng.random() < 0.8 else Event("choice", "yes")
        if state == "email_addresses":
            return Event("text", "only to customers on gmail.com and libero.it")
        if state == "email_client":
            return (
                Event("choice", "both") if rng.random() < 0.7 else self.pick("webmail", "webmail")
            )
        if state == "email_client_name":
            if rng.random() < 0.5:
                return Event("choice", rng.choice(["Outlook", "Thunderbird", "Apple Mail"]))
            return Event("text", rng.choice(["Outlook 2021", "Thunderbird 128", "Mail on iPhone"]))
        if state == "email_error":
            if rng.random() < 0.2:
                return self.pick("none", "there is no error message")
            return Event("text", rng.choice(ERRORS))
        if state == "ex_sender":
            if self.oops(state):
                return Event("text", "anna from rossi srl")
            other = "anna@rossi-srl.example"
            return Event("text", other if self.direction == "receive" else self.mailbox)
        if state == "ex_recipient":
            other = f"client{rng.randrange(100)}@fornitore.example"
            return Event("text", self.mailbox if self.direction == "receive" else other)
        if state == "ex_subject":
            if rng.random() < 0.1:
                return self.pick("none", "no subject")
            return Event("text", rng.choice(["Invoice 42", "Fattura marzo", "Re: quote", "Hi"]))
        if state == "ex_sent_at":
            if self.oops(state):
                return Event("text", rng.choice(["tomorrow 10:00", "yesterday", "last week"]))
            self.examples += 1
            return Event("text", rng.choice(["yesterday 15:30", "19/11/2026 09:05", "today 8:10"]))
        if state == "ex_more":
            more = self.examples < 2 and rng.random() < 0.2
            return self.pick("yes" if more else "no", "yes" if more else "no, that's all")
        if state == "summary":
            if not self.edited and rng.random() < 0.15:
                self.edited = True
                return Event("choice", "edit_email_error")
            return self.pick("yes", "yes")
        if state == "duplicate":
            return Event("choice", "no")
        if state in ("done", "out_of_scope"):
            return self.pick("no", "no, thank you")
        if state == "closed":
            self.finished = True
            return Event("start")  # not sent: the customer has gone
        raise AssertionError(f"{self.user}: the benchmark does not answer state {state!r}")


def customers(n: int, seed: int, prefix: str) -> list[Customer]:
    domains = ("example.com", "example.org", "rossi-srl.example", "garcia.example")
    out = []
    for i in range(n):
        rng = random.Random(seed * 1_000_003 + i)
        out.append(
            Customer(
                user=f"{prefix}{i}",
                rng=rng,
                mailbox=f"user{i}@{domains[i % len(domains)]}",
                direction="receive" if rng.random() < 0.6 else "send",
                sloppy=rng.choice((0.0, 0.2, 0.5)),
                typist=rng.choice((0.0, 0.3, 0.7)),
            )
        )
    return out


# Running them -----------------------------------------------------------------------
@dataclass
class Result:
    label: str
    timings: Timings
    tickets: int
    errors: int
    derailed: list[str]
    rss_mb: float
    load: float  # the 1-minute load average during the run
    traced_peak_mb: float | None = None

    @property
    def turns(self) -> int:
        return len(self.timings.latencies_ns)

    @property
    def rate(self) -> float:
        return self.turns / self.timings.wall_s

    @property
    def cpu_rate(self) -> float:
        return self.turns / (sum(self.timings.cpu_ns) / 1e9)

    def pct(self, p: float, which: list[int] | None = None) -> float:
        """The p-th percentile (nearest rank) of the turn latencies, in ms."""
        data = sorted(self.timings.latencies_ns if which is None else which)
        k = min(len(data) - 1, max(0, math.ceil(p / 100 * len(data)) - 1))
        return data[k] / 1e6


def interleaved(people: list[Customer], rng: random.Random) -> Iterator[Customer]:
    """Whoever is next to speak: a random customer among those still talking."""
    active = list(people)
    while active:
        i = rng.randrange(len(active))
        person = active[i]
        if person.finished or person.turns >= MAX_TURNS:
            active[i] = active[-1]
            active.pop()
            continue
        yield person


@dataclass
class Timings:
    latencies_ns: list[int] = field(default_factory=list)  # handle + render, wall clock
    handle_ns: list[int] = field(default_factory=list)  # handle only, wall clock
    cpu_ns: list[int] = field(default_factory=list)  # handle + render, this thread's CPU time
    states: list[str] = field(default_factory=list)  # the state each turn started in
    wall_s: float = 0.0


def drive(desk: Desk, people: list[Customer], seed: int) -> Timings:
    """Run everyone's conversation, timing every turn."""
    out = Timings()
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    rng = random.Random(seed)
    gc.collect()
    started = clock()
    for person in interleaved(people, rng):
        event = person.next_event()
        if person.finished:
            continue
        c0, t0 = cpu(), clock()
        turn = desk.handle(CHANNEL, person.user, event, "en")
        t1 = clock()
        desk.render(turn)  # what a channel does with every turn
        t2, c2 = clock(), cpu()
        out.handle_ns.append(t1 - t0)
        out.latencies_ns.append(t2 - t0)
        out.cpu_ns.append(c2 - c0)
        out.states.append(person.turn.state if person.turn else "new")
        person.turn = turn
        person.turns += 1
        if turn.ticket:
            person.tickets.append(turn.ticket)
        if turn.state == "error":
            person.finished = True
    out.wall_s = (clock() - started) / 1e9
    return out


def run(
    label: str,
    make_store: Callable[[], SqlStore],
    policy: Policy,
    n: int,
    seed: int,
    profile: bool,
    trace: bool,
) -> Result:
    store = make_store()
    try:
        desk = Desk(store, policy, clock=lambda: NOW)
        drive(desk, customers(5, seed + 1, "warmup-"), seed + 1)  # compile caches, catalogs
        people = customers(n, seed, "customer-")
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        load = os.getloadavg()[0]
        timings = drive(desk, people, seed)
        if profiler:
            profiler.disable()
        errors = sum(1 for p in people if p.turn is not None and p.turn.state == "error")
        derailed = [
            f"{p.user} ended in {p.turn.state if p.turn else None!r} with tickets {p.tickets}"
            for p in people
            if len(p.tickets) != 1 or not p.finished
        ]
        stored = len(store.tickets())
        tickets = sum(len(p.tickets) for p in people)
        if stored != tickets + 5:  # the warm-up customers opened one each
            derailed.append(f"{stored} tickets in the database for {tickets} + 5 opened")
        result = Result(
            label,
            timings,
            tickets,
            errors,
            derailed,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            max(load, os.getloadavg()[0]),
        )
        if profiler:
            show_profile(label, profiler)
    finally:
        store.close()
    if trace:  # the same workload again on a fresh database, with allocations traced
        store = make_store()
        try:
            desk = Desk(store, policy, clock=lambda: NOW)
            drive(desk, customers(5, seed + 1, "warmup-"), seed + 1)
            tracemalloc.start()
            drive(desk, customers(n, seed, "customer-"), seed)
            result.traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        finally:
            store.close()
    return result


def show_profile(label: str, profiler: cProfile.Profile) -> None:
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(25)
        print(f"\n--- {label}: cProfile, top 25 by {key} ---")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


# SQLite and PostgreSQL --------------------------------------------------------------
def sqlite_stores(folder: Path) -> Callable[[], SqlStore]:
    counter = iter(range(1_000))

    def make() -> SqlStore:
        return SqlStore(f"sqlite:///{folder / f'bench-{next(counter)}.db'}")

    return make


def postgres_stores(server: PostgresServer) -> Callable[[], SqlStore]:
    counter = iter(range(1_000))

    def make() -> SqlStore:
        return SqlStore(server.create_database(f"bench{next(counter)}"))

    return make


def report_by_state(r: Result) -> None:
    """Where the slow turns are: latency by the state the turn started in."""
    t = r.timings
    by: dict[str, list[tuple[int, int]]] = {}
    for state, ns, cpu_ns in zip(t.states, t.latencies_ns, t.cpu_ns, strict=True):
        by.setdefault(state, []).append((ns, cpu_ns))
    print(f"\n{r.label}: turns by the state they started in (most total time first)")
    print(
        f"{'state':<18} {'turns':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'cpu p50':>8} {'cpu p99':>8} {'share':>6}"
    )
    total = sum(t.latencies_ns)
    for state, pairs in sorted(by.items(), key=lambda kv: -sum(ns for ns, _ in kv[1])):
        wall = sorted(ns for ns, _ in pairs)
        cpu = sorted(c for _, c in pairs)

        def at(data: list[int], p: float) -> float:
            return data[min(len(data) - 1, max(0, math.ceil(p * len(data)) - 1))] / 1e6

        print(
            f"{state:<18} {len(pairs):>6} {at(wall, 0.5):>7.2f} {at(wall, 0.99):>7.2f} "
            f"{wall[-1] / 1e6:>7.2f} {at(cpu, 0.5):>8.2f} {at(cpu, 0.99):>8.2f} "
            f"{sum(wall) / total:>6.1%}"
        )


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(results: list[Result], n: int) -> None:
    cores = os.cpu_count() or 1
    print(
        f"\nSportello turn benchmark: {n} customers, e-mail conversations to a ticket, "
        "interleaved, one process, one thread."
    )
    print("A turn = Desk.handle (load, flow, save, commit) + rendering the reply.\n")
    head = (
        f"{'database':<11} {'turns':>6} {'turns/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'handle p99':>10} {'cpu p99':>8} {'cpu turns/s':>11} "
        f"{'peak RSS':>9} {'py peak':>8} {'tickets':>7} {'errors':>6} {'load':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        traced = f"{r.traced_peak_mb:.1f} MB" if r.traced_peak_mb is not None else "-"
        print(
            f"{r.label:<11} {r.turns:>6} {r.rate:>8.0f} {r.pct(50):>7.2f} {r.pct(99):>7.2f} "
            f"{max(r.timings.latencies_ns) / 1e6:>7.2f} "
            f"{r.pct(99, r.timings.handle_ns):>10.2f} {r.pct(99, r.timings.cpu_ns):>8.2f} "
            f"{r.cpu_rate:>11.0f} {r.rss_mb:>6.0f} MB {traced:>8} {r.tickets:>7} "
            f"{r.errors:>6} {r.load:>5.1f}"
        )
    print(
        "\nturns/s and p50/p99/max are wall clock. 'handle p99' leaves out rendering. "
        "'cpu' columns use this\nthread's CPU time (what the turns cost without waiting "
        "for the disk or for other processes).\n'peak RSS' is the whole process so far "
        "(ru_maxrss); 'py peak' is the tracemalloc peak of a second,\ntraced run of the same "
        f"workload; 'load' is the 1-minute load average ({cores} cores)."
    )
    for r in results:
        if r.label == "sqlite":
            p99 = r.pct(99)
            print(
                f"\nTargets (SQLite): p99 < {TARGET_P99_MS:g} ms per turn: "
                f"{verdict(p99 < TARGET_P99_MS)} ({p99:.2f} ms); "
                f">= {TARGET_TURNS_PER_S:,.0f} turns/s: "
                f"{verdict(r.rate >= TARGET_TURNS_PER_S)} ({r.rate:,.0f} turns/s)"
            )
        elif r.label == "postgresql":
            print(
                f"PostgreSQL (same targets, for reference): p99 {r.pct(99):.2f} ms, "
                f"{r.rate:,.0f} turns/s (local server started by tests/support/pgserver.py, "
                "fsync off)"
            )
    if any(r.load > cores for r in results):
        print(
            "\nNOTE: the machine was busy (load average above the number of cores; this "
            "benchmark itself\naccounts for about 1, PostgreSQL for up to 1 more): wall-clock "
            "figures include time spent\nwaiting for a CPU. Compare the cpu columns, or run "
            "again on a quiet machine."
        )
    for r in results:
        if r.derailed:
            print(
                f"\nWARNING {r.label}: {len(r.derailed)} customers did not end with exactly "
                "one ticket:"
            )
            for line in r.derailed[:10]:
                print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200, help="simulated customers (200)")
    parser.add_argument(
        "--db", choices=("sqlite", "postgresql", "both"), default="both", help="(both)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--profile", action="store_true", help="run under cProfile and print where the time goes"
    )
    parser.add_argument(
        "--by-state", action="store_true", help="also print latency by conversation state"
    )
    parser.add_argument(
        "--no-trace", action="store_true", help="skip the second, tracemalloc-traced run"
    )
    args = parser.parse_args(argv)
    policy = load_policy()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="sportello-bench-") as tmp:
        if args.db in ("sqlite", "both"):
            results.append(
                run(
                    "sqlite",
                    sqlite_stores(Path(tmp)),
                    policy,
                    args.customers,
                    args.seed,
                    args.profile,
                    not args.no_trace,
                )
            )
        if args.db in ("postgresql", "both"):
            from tests.support import pgserver

            server = pgserver.start()
            try:
                results.append(
                    run(
                        "postgresql",
                        postgres_stores(server),
                        policy,
                        args.customers,
                        args.seed,
                        args.profile,
                        not args.no_trace,
                    )
                )
            finally:
                server.stop()
    report(results, args.customers)
    if args.by_state:
        for r in results:
            report_by_state(r)
    return 1 if any(r.derailed or r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
