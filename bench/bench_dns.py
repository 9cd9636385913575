"""How fast is the DNS check? Sportello's checker against checkdmarc, same zones, same delay.

    python bench/bench_dns.py [--delay 0.02] [--runs 5] [--domains a.example,b.example]
                              [--server process|thread] [--port N] [--show-queries] [--profile]

Needs the benchmark extra: `pip install -e '.[bench]'` (checkdmarc).

Both tools ask the same authoritative test server (tests/support/dnsserver.py,
serving tests/zones/*.zone on 127.0.0.1 over UDP and TCP), which holds every
answer back by `--delay` seconds (20 ms by default), as a distant server would.
Each domain is checked once per run by each tool, one domain after another,
with every cache emptied before each check; the figures are medians over
`--runs` runs. Besides tests/zones, the server holds a stand-in `example.`
zone (SOA only), so that names above the test zones get NXDOMAIN as from the
real root rather than the test server's REFUSED: checkdmarc's RFC 9989 tree
walk asks `_dmarc.example` for sub.dmarc-tree.example.

- checkdmarc: `checkdmarc.check_domains([domain], nameservers=[127.0.0.1:port],
  bimi_selector=None, check_mx_tls=False, timeout=2.0, retries=0)`, with the
  parts Sportello does not do switched off: DNSSEC (`check_dnssec`), DANE
  (`get_tlsa_records`), reverse DNS of the MX addresses (`get_reverse_dns`),
  SOA and NS, the MTA-STS policy download over HTTPS and BIMI. Left on: MX and
  the MX hosts' addresses, SPF with its include/redirect tree, DMARC with the
  tree walk and external report authorization, MTA-STS and TLS-RPT records,
  and the CNAME probes checkdmarc makes as part of those checks.
- Sportello, as it runs: `DnsChecker(policy.dns, ["127.0.0.1:port"]).check(
  domain, fresh=True)` with the shipped policy: the same checks plus DKIM (6
  selectors) and the SPF evaluation of the provider's outbound IPs.
- Sportello, common scope: the same with no DKIM selector, the work both
  tools share.

Printed per domain and in total: both times, the ratio, the critical-path
lower bound (the longest chain of queries that depend on one another, times
the delay: how long an ideal checker that asks everything as early as
possible would take), and whether the targets hold: Sportello >= 5x faster
than checkdmarc and within 1.5x of the lower bound.

Nothing leaves 127.0.0.0/8: an audit hook refuses any socket connect/send or
name resolution to another address (the machine's /etc/resolv.conf names a
non-loopback resolver, which a stray default resolver would ask), and the
benchmark fails if anything tried.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import heapq
import io
import ipaddress
import multiprocessing
import multiprocessing.connection
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.nameserver  # noqa: E402
import dns.rdatatype  # noqa: E402

from bot.dnscheck import DnsChecker, ascii_domain, organizational_domain  # noqa: E402
from flows.dnsreport import DnsReport  # noqa: E402
from flows.policy import DnsPolicy, load_policy  # noqa: E402
from tests.support.dnsserver import ZONES, DnsServer  # noqa: E402

TARGET_SPEEDUP = 5.0
TARGET_BOUND = 1.5
DEFAULT_DOMAINS = (
    "good.example",  # the well-configured domain
    "spf-lookups.example",  # 11 look-ups: include -> include, include -> redirect -> a
    "spf-provider.example",  # `mx` in SPF: TXT, MX, MX hosts' addresses
    "spf-loop.example",  # include loop
    "spf-void.example",  # a:, mx:, exists: with no answer
    "spf-include-nospf.example",  # include of a name without SPF
    "spf-redirect.example",  # redirect= to the provider
    "dmarc-rua-ext.example",  # external rua: _report._dmarc authorization look-up
    "sub.dmarc-tree.example",  # DMARC tree walk to the organizational domain
    "mx-cname.example",  # MX host is a CNAME
    "big-txt.example",  # the apex TXT answer is truncated over UDP: TCP
)
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
CHECKDMARC_TIMEOUT = 2.0  # its default; retries 0 (its default too)
EDNS_PAYLOAD = 1232  # what Sportello advertises, and the DNS flag day value
# The `example.` TLD as the root would answer for it: names in no test zone,
# such as `_dmarc.example` (RFC 9989's tree walk goes up to the TLD, and
# checkdmarc follows it), get NXDOMAIN instead of the test server's REFUSED.
TLD_ZONE = """\
; example.: stand-in for the TLD, added by bench/bench_dns.py: NXDOMAIN below it
$ORIGIN example.
$TTL 300
@ IN SOA ns.example.net. hostmaster.example.net. 2026010101 3600 600 86400 60
@ IN NS ns.example.net.
"""


@contextlib.contextmanager
def bench_zones() -> Iterator[Path]:
    """tests/zones/*.zone plus the `example.` stand-in, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="sportello-bench-dns-") as tmp:
        folder = Path(tmp)
        for path in ZONES.glob("*.zone"):
            shutil.copy(path, folder / path.name)
        (folder / "example.zone").write_text(TLD_ZONE, encoding="utf-8")
        yield folder


# -- only 127.0.0.0/8 ---------------------------------------------------------------------

BLOCKED: list[str] = []


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]) in LOOPBACK
    except ValueError:
        return False


def _network_guard(event: str, args: tuple[Any, ...]) -> None:
    """sys.addaudithook: refuse any traffic or name look-up outside 127.0.0.0/8."""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[1] if len(args) > 1 else None
        if isinstance(address, tuple) and address and not _is_loopback(address[0]):
            BLOCKED.append(f"{event} {address!r}")
            raise PermissionError(f"bench_dns: {event} to {address!r} refused (loopback only)")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        host = args[0] if args else None
        if host not in (None, "", b"") and not _is_loopback(host):
            BLOCKED.append(f"{event} {host!r}")
            raise PermissionError(f"bench_dns: {event} {host!r} refused (loopback only)")


def install_network_guard() -> None:
    sys.addaudithook(_network_guard)


# -- the test server, in its own process (or a thread of this one) --------------------------


def _serve_forever(
    conn: multiprocessing.connection.Connection, zones: Path, delay: float, port: int
) -> None:
    """Child process: run the test server and answer the parent's commands."""
    install_network_guard()
    server = DnsServer(zones, delay=delay, port=port)
    try:
        conn.send(("ok", server.start()))
    except Exception as exc:  # reported to the parent
        conn.send(("error", repr(exc)))
        return
    cpu = time.process_time()
    try:
        while True:
            command = conn.recv()
            if command == "reset":
                server.reset()
                cpu = time.process_time()
                conn.send(None)
            elif command == "stats":
                with server._lock:
                    queries = [(q.name, q.rdtype, q.transport) for q in server.queries]
                conn.send((queries, time.process_time() - cpu))
            else:
                break
    except EOFError:
        pass
    finally:
        server.stop()


class Server:
    """The test DNS server with a query log: in a child process, or a thread here."""

    def __init__(self, zones: Path, delay: float, port: int, mode: str) -> None:
        self.mode = mode
        self._server: DnsServer | None = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._cpu = 0.0
        if mode == "thread":
            self._server = DnsServer(zones, delay=delay, port=port)
            self.port = self._server.start()
            return
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve_forever,
            args=(child, zones, delay, port),
            name="bench-dns-server",
            daemon=True,
        )
        self._process.start()
        self._conn = parent
        status, value = parent.recv()
        if status != "ok":
            self._process.join(5)
            raise RuntimeError(f"the test DNS server did not start: {value}")
        self.port = int(value)

    def reset(self) -> None:
        if self._server is not None:
            self._server.reset()
        else:
            assert self._conn is not None
            self._conn.send("reset")
            self._conn.recv()

    def stats(self) -> tuple[list[tuple[str, str, str]], float | None]:
        """The queries since the last reset, and the server's CPU seconds (process mode)."""
        if self._server is not None:
            with self._server._lock:
                return [(q.name, q.rdtype, q.transport) for q in self._server.queries], None
        assert self._conn is not None
        self._conn.send("stats")
        queries, cpu = self._conn.recv()
        return queries, cpu

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._conn is not None and self._process is not None:
            with contextlib.suppress(OSError):
                self._conn.send("stop")
            self._process.join(10)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)


# -- the critical-path lower bound ----------------------------------------------------------


@dataclass(frozen=True, order=True)
class Key:
    name: str
    rdtype: str

    def __str__(self) -> str:
        return f"{self.name} {self.rdtype}"


@dataclass
class Bound:
    """The earliest an ideal checker can have every answer, in round trips."""

    domain: str
    rounds: int
    chain: list[tuple[Key, int, str]]  # the critical chain: (query, round trips, why asked)
    queries: int  # distinct queries an ideal checker asks
    truncated: list[str] = field(default_factory=list)


class ZoneOracle:
    """Answers straight from the test server's answering code, no sockets, no delay."""

    def __init__(self, zones: Path) -> None:
        self.server = DnsServer(zones, delay=0.0)  # never started: only its answer() is used
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    def ask(self, key: Key) -> tuple[dns.message.Message, bool]:
        """(the answer over TCP, whether the UDP answer at EDNS 1232 was truncated)."""
        query = dns.message.make_query(key.name, key.rdtype, use_edns=0, payload=EDNS_PAYLOAD)
        wire = query.to_wire()
        udp = self.loop.run_until_complete(self.server.answer(wire, "udp"))
        tcp = self.loop.run_until_complete(self.server.answer(wire, "tcp"))
        assert udp is not None and tcp is not None, key
        truncated = bool(dns.message.from_wire(udp, ignore_trailing=True).flags & dns.flags.TC)
        return dns.message.from_wire(tcp), truncated


def _records(response: dns.message.Message, rdtype: str) -> list[Any]:
    wanted = dns.rdatatype.from_text(rdtype)
    return [rdata for rrset in response.answer if rrset.rdtype == wanted for rdata in rrset]


_SPF_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*)=(.*)")
_SPF_TERM = re.compile(r"[+~?-]?(include|exists|a|mx|ptr|ip4|ip6|all)(?::([^/]*))?(/.*)?", re.I)


def _spf_children(text: str, domain: str) -> Iterator[tuple[Key, str]]:
    """The look-ups an SPF record's terms need (macros that need the sender left out)."""
    for word in text.split()[1:]:
        modifier = _SPF_MODIFIER.fullmatch(word)
        if modifier:
            if modifier.group(1).lower() == "redirect" and "%" not in modifier.group(2):
                target = modifier.group(2).lower().rstrip(".")
                yield Key(target, "TXT"), f"redirect={target}"
            continue
        term = _SPF_TERM.fullmatch(word)
        if term is None:
            continue  # a syntax error: the record is not followed further by a checker either
        name = term.group(1).lower()
        target = (term.group(2) or domain).lower().rstrip(".")
        if "%" in target:
            continue  # depends on the sender: no checker can ask it from the zones
        if name == "include":
            yield Key(target, "TXT"), f"include:{target}"
        elif name == "a":
            yield Key(target, "A"), f"a:{target}"
            yield Key(target, "AAAA"), f"a:{target}"
        elif name == "mx":
            yield Key(target, "MX"), f"mx:{target}"
        elif name == "exists":
            yield Key(target, "A"), f"exists:{target}"
        # ptr: never evaluated (RFC 7208 5.5); ip4, ip6, all: no look-up


def _spf_records(response: dns.message.Message) -> list[str]:
    texts = [b"".join(r.strings).decode("utf-8", "replace") for r in _records(response, "TXT")]
    return [t for t in texts if t.lower() == "v=spf1" or t.lower().startswith("v=spf1 ")]


def _dmarc_destinations(text: str, found_at: str) -> list[str]:
    """The external report domains of a DMARC record (they need an authorization look-up)."""
    out: list[str] = []
    for part in text.split(";"):
        tag, _, value = part.strip().partition("=")
        if tag.strip().lower() not in ("rua", "ruf"):
            continue
        for uri in value.split(","):
            uri = uri.strip()
            if uri.lower().startswith("mailto:") and "@" in uri:
                dest = uri[7:].split("!", 1)[0].rsplit("@", 1)[1].lower().rstrip(".")
                if organizational_domain(dest) != organizational_domain(found_at):
                    out.append(dest)
    return list(dict.fromkeys(out))


def lower_bound(oracle: ZoneOracle, domain: str, *, dkim_selectors: tuple[str, ...]) -> Bound:
    """The longest chain of dependent queries of the whole check of `domain`.

    Roots, asked at once (their names are known from the domain alone): MX and
    TXT of the domain, every `_dmarc` name of the tree walk, `_mta-sts`,
    `_smtp._tls` and the DKIM selectors. Then each answer reveals the next
    names: MX -> the hosts' A and AAAA; an SPF record -> its include and
    redirect targets' TXT, the A/AAAA of `a:`, the MX of `mx:` (then its
    hosts' addresses), the A of `exists:`; the DMARC record that applies ->
    `<domain>._report._dmarc.<dest>` for each external report destination. A
    name asked for two reasons is asked once, as early as the first reason
    allows (Dijkstra over the dependency graph). A query costs one round trip,
    two when its UDP answer is truncated (the TCP retry). CNAMEs inside the
    served zones come in the same answer. Loops are cut, as any checker does.
    """
    name = ascii_domain(domain) or domain
    org = organizational_domain(name)
    labels = name.split(".")
    walk = [".".join(labels[i:]) for i in range(len(labels) - len(org.split(".")) + 1)]
    walk = walk[:1] + walk[1:][-7:]
    roots: list[tuple[Key, str]] = [
        (Key(name, "MX"), "MX of the domain"),
        (Key(name, "TXT"), "SPF of the domain"),
        *((Key(f"_dmarc.{c}", "TXT"), "DMARC tree walk") for c in walk),
        (Key(f"_mta-sts.{name}", "TXT"), "MTA-STS record"),
        (Key(f"_smtp._tls.{name}", "TXT"), "TLS-RPT record"),
        *((Key(f"{s}._domainkey.{name}", "TXT"), "DKIM selector") for s in dkim_selectors),
    ]
    spf_names = {Key(name, "TXT")}
    dmarc_keys = [Key(f"_dmarc.{c}", "TXT") for c in walk]
    finish: dict[Key, int] = {}
    parent: dict[Key, Key | None] = {}
    why: dict[Key, str] = {}
    answers: dict[Key, tuple[dns.message.Message, bool]] = {}
    heap: list[tuple[int, Key, Key | None, str]] = []

    def cost(key: Key) -> int:
        if key not in answers:
            answers[key] = oracle.ask(key)
        return 2 if answers[key][1] else 1

    for key, reason in roots:
        heapq.heappush(heap, (cost(key), key, None, reason))
    while heap:
        done, key, via, reason = heapq.heappop(heap)
        if key in finish:
            continue
        finish[key], parent[key], why[key] = done, via, reason
        response = answers[key][0]
        children: list[tuple[Key, str]] = []
        if key.rdtype == "MX":
            for mx in _records(response, "MX"):
                host = mx.exchange.to_text(omit_final_dot=True).lower()
                if host and host != ".":
                    children += [(Key(host, "A"), f"address of MX {host}")]
                    children += [(Key(host, "AAAA"), f"address of MX {host}")]
        elif key.rdtype == "TXT" and key in spf_names:
            records = _spf_records(response)
            if len(records) == 1:
                for child, term in _spf_children(records[0], key.name):
                    if child.rdtype == "TXT":
                        spf_names.add(child)
                    children.append((child, f"SPF {term} at {key.name}"))
        elif key in dmarc_keys:
            # the record that applies: the first name of the walk with one
            texts = [b"".join(r.strings).decode() for r in _records(response, "TXT")]
            dmarc = [t for t in texts if t.strip().lower().startswith("v=dmarc1")]
            closer = dmarc_keys[: dmarc_keys.index(key)]
            # every name of the walk was asked in round 1, so its answer is known here
            if len(dmarc) == 1 and not any(_has_dmarc(answers[k][0]) for k in closer):
                found_at = key.name.removeprefix("_dmarc.")
                for dest in _dmarc_destinations(dmarc[0], found_at):
                    children.append(
                        (Key(f"{found_at}._report._dmarc.{dest}", "TXT"), f"rua at {dest}")
                    )
        for child, reason in children:
            if child not in finish:
                heapq.heappush(heap, (done + cost(child), child, key, reason))
    last = max(finish, key=lambda k: (finish[k], k))
    chain: list[tuple[Key, int, str]] = []
    node: Key | None = last
    while node is not None:
        chain.append((node, 2 if answers[node][1] else 1, why[node]))
        node = parent[node]
    truncated = sorted(str(k) for k in finish if answers[k][1])
    return Bound(domain, finish[last], chain[::-1], len(finish), truncated)


def _has_dmarc(response: dns.message.Message) -> bool:
    texts = [b"".join(r.strings).decode() for r in _records(response, "TXT")]
    return any(t.strip().lower().startswith("v=dmarc1") for t in texts)


# -- the two checkers -----------------------------------------------------------------------


def checkdmarc_setup() -> Callable[[str, int], dict[str, Any]]:
    """checkdmarc.check_domains for one domain, DNSSEC/TLS/HTTP/BIMI/PTR/SOA/NS off."""
    try:
        import checkdmarc
        import checkdmarc.dnssec
        import checkdmarc.mta_sts
        import checkdmarc.smtp
        import checkdmarc.utils
    except ImportError:
        sys.exit("bench_dns: checkdmarc is not installed: pip install -e '.[bench]'")

    def no_policy_download(domain: str, **_: object) -> dict[str, Any]:
        raise checkdmarc.mta_sts.MTASTSPolicyDownloadError("HTTPS download off (benchmark)")

    # Off: what Sportello does not do (all of it would add queries or HTTP/SMTP traffic).
    checkdmarc.check_dnssec = lambda *a, **k: None
    checkdmarc.check_soa = lambda *a, **k: {}
    checkdmarc.check_ns = lambda *a, **k: {"hostnames": [], "warnings": []}
    checkdmarc.smtp.check_dnssec = lambda *a, **k: False
    checkdmarc.smtp.get_tlsa_records = lambda *a, **k: []
    checkdmarc.smtp.get_reverse_dns = lambda *a, **k: []
    checkdmarc.mta_sts.download_mta_sts_policy = no_policy_download

    caches = [
        checkdmarc.utils.DNS_CACHE,
        checkdmarc.utils._NAMESERVER_FAILURES,
        checkdmarc.dnssec.DNSSEC_CACHE,
        checkdmarc.dnssec.DNSKEY_CACHE,
        checkdmarc.dnssec.TLSA_CACHE,
        checkdmarc.smtp.TLS_CACHE,
        checkdmarc.smtp.STARTTLS_CACHE,
    ]

    def check(domain: str, port: int) -> dict[str, Any]:
        for cache in caches:
            cache.clear()
        result = checkdmarc.check_domains(
            [domain],
            nameservers=[dns.nameserver.Do53Nameserver("127.0.0.1", port)],
            bimi_selector=None,
            check_mx_tls=False,
            timeout=CHECKDMARC_TIMEOUT,
            retries=0,
        )
        assert isinstance(result, dict)
        return dict(result)

    return check


def checkdmarc_problems(result: dict[str, Any]) -> list[str]:
    """Signs that checkdmarc did not get its answers (a time-out is fast and wrong)."""
    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
        elif isinstance(value, str):
            lower = value.lower()
            if any(s in lower for s in ("timed out", "timeout", "no nameservers", "refused")):
                found.append(f"{where}: {value[:120]}")

    walk(result, "checkdmarc")
    return found


def sportello_policies() -> dict[str, DnsPolicy]:
    shipped = load_policy().dns
    common = DnsPolicy.model_validate(
        {**shipped.model_dump(), "dkim_selectors": (), "common_dkim_selectors": ()}
    )
    return {"full": shipped, "common": common}


MANIFEST: dict[str, dict[str, Any]] = tomllib.loads(
    (ZONES / "expected.toml").read_text(encoding="utf-8")
)["domains"]


def sportello_problems(domain: str, report: DnsReport, *, dkim: bool) -> list[str]:
    """Findings that differ from tests/zones/expected.toml, and any `unknown`."""
    got = {f.code: f.severity for f in report.findings}
    problems = [f"{f.code}: {f.detail}" for f in report.findings if f.severity == "unknown"]
    for code, severity in MANIFEST.get(domain, {}).get("expect", {}).items():
        if not dkim and code.startswith("dkim_"):
            continue
        if got.get(code) != severity:
            problems.append(f"expected {code} = {severity}, got {got.get(code)}")
    return problems


# -- running --------------------------------------------------------------------------------

TOOLS = ("checkdmarc", "sportello", "sportello-common")


@dataclass
class Sample:
    ms: float
    cpu_ms: float  # this process's CPU time during the check
    server_cpu_ms: float | None
    queries: list[tuple[str, str, str]]


@dataclass
class Results:
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, tool: str, domain: str, sample: Sample) -> None:
        self.samples.setdefault((tool, domain), []).append(sample)

    def median(self, tool: str, domain: str, what: str = "ms") -> float:
        return float(statistics.median(getattr(s, what) for s in self.samples[(tool, domain)]))

    def total(self, tool: str, domains: list[str], runs: int) -> float:
        """The median over runs of the time to check every domain once."""
        return statistics.median(
            sum(self.samples[(tool, d)][i].ms for d in domains) for i in range(runs)
        )


def measure(
    server: Server,
    domains: list[str],
    runs: int,
    *,
    warmup: bool = True,
    profiler: cProfile.Profile | None = None,
) -> Results:
    results = Results()
    cd_check = checkdmarc_setup()
    checkers = {
        tool: DnsChecker(policy, [f"127.0.0.1:{server.port}"])
        for tool, policy in zip(
            ("sportello", "sportello-common"), sportello_policies().values(), strict=True
        )
    }
    loop = asyncio.new_event_loop()

    async def timed_sportello(checker: DnsChecker, domain: str) -> tuple[float, float, DnsReport]:
        cpu = time.process_time()
        started = time.perf_counter()
        report = await checker.check(domain, fresh=True)
        return (time.perf_counter() - started) * 1e3, (time.process_time() - cpu) * 1e3, report

    def one(tool: str, domain: str, record: bool) -> None:
        gc.collect()
        server.reset()
        if tool == "checkdmarc":
            cpu = time.process_time()
            started = time.perf_counter()
            result = cd_check(domain, server.port)
            ms = (time.perf_counter() - started) * 1e3
            cpu_ms = (time.process_time() - cpu) * 1e3
            problems = checkdmarc_problems(result)
        else:
            checker = checkers[tool]
            checker.cache.clear()
            if profiler is not None:
                profiler.enable()
            ms, cpu_ms, report = loop.run_until_complete(timed_sportello(checker, domain))
            if profiler is not None:
                profiler.disable()
            problems = sportello_problems(domain, report, dkim=tool == "sportello")
        queries, server_cpu = server.stats()
        if record:
            sample = Sample(ms, cpu_ms, None if server_cpu is None else server_cpu * 1e3, queries)
            results.add(tool, domain, sample)
            results.problems += [f"{tool} {domain}: {p}" for p in problems]

    try:
        if warmup:  # imports, compiled regexes, the public suffix list: not counted
            for domain in domains:
                for tool in TOOLS:
                    one(tool, domain, record=False)
        for _ in range(runs):
            for domain in domains:
                for tool in TOOLS:  # interleaved, so drift hits every tool alike
                    one(tool, domain, record=True)
    finally:
        loop.close()
    return results


# -- the report -----------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(
    results: Results,
    bounds: dict[str, Bound],
    domains: list[str],
    args: argparse.Namespace,
) -> None:
    delay_ms = args.delay * 1e3
    cores = os.cpu_count() or 1
    print(
        f"\nDNS check benchmark: {len(domains)} domains, {args.runs} runs (medians), "
        f"{delay_ms:g} ms per answer, test server on 127.0.0.1:{args.port_used} "
        f"{'in its own process' if args.server == 'process' else 'in a thread of this process'}."
    )
    print(
        "checkdmarc: check_domains() with DNSSEC, TLSA, PTR, SOA/NS, BIMI and the MTA-STS HTTPS "
        "download off.\nsportello: DnsChecker.check(fresh=True) as it runs (with DKIM, 6 "
        "selectors); 'common': the same without DKIM.\n"
    )
    head = (
        f"{'domain':<26} {'bound':>9} {'checkdmarc':>14} {'sportello':>14} "
        f"{'common':>14} {'ratio':>6} {'ratio':>6} {'x bound':>7} {'x bound':>7} "
        f"{'cpu':>5} {'srv cpu':>7}"
    )
    sub = (
        f"{'':<26} {'rt    ms':>9} {'ms   q':>14} {'ms   q':>14} {'ms   q':>14} "
        f"{'full':>6} {'common':>6} {'full':>7} {'common':>7} {'ms':>5} {'ms':>7}"
    )
    print(head)
    print(sub)
    print("-" * len(head))

    def nq(tool: str, domain: str) -> int:
        return len(results.samples[(tool, domain)][0].queries)

    ratios: dict[str, list[float]] = {"sportello": [], "sportello-common": []}
    factors: dict[str, list[float]] = {"sportello": [], "sportello-common": []}

    def times(value: float, bound_ms: float) -> str:
        return f"{value / bound_ms:.2f}" if bound_ms > 0 else "-"

    for d in domains:
        b = bounds[d]
        bound_ms = b.rounds * delay_ms
        cd = results.median("checkdmarc", d)
        sp = results.median("sportello", d)
        co = results.median("sportello-common", d)
        srv = results.median("sportello", d, "server_cpu_ms") if args.server == "process" else None
        for tool, value in (("sportello", sp), ("sportello-common", co)):
            ratios[tool].append(cd / value)
            factors[tool].append(value / bound_ms if bound_ms > 0 else float("inf"))
        print(
            f"{d:<26} {b.rounds:>2} {bound_ms:>6.0f} "
            f"{cd:>8.1f} {nq('checkdmarc', d):>4} {sp:>9.1f} {nq('sportello', d):>4} "
            f"{co:>9.1f} {nq('sportello-common', d):>4} {cd / sp:>6.1f} {cd / co:>6.1f} "
            f"{times(sp, bound_ms):>7} {times(co, bound_ms):>7} "
            f"{results.median('sportello', d, 'cpu_ms'):>5.1f} "
            f"{f'{srv:.1f}' if srv is not None else '-':>7}"
        )
    bound_total = sum(bounds[d].rounds for d in domains) * delay_ms
    totals = {tool: results.total(tool, domains, args.runs) for tool in TOOLS}
    queries = {tool: sum(nq(tool, d) for d in domains) for tool in TOOLS}
    print("-" * len(head))
    print(
        f"{'total':<26} {sum(bounds[d].rounds for d in domains):>2} {bound_total:>6.0f} "
        f"{totals['checkdmarc']:>8.1f} {queries['checkdmarc']:>4} "
        f"{totals['sportello']:>9.1f} {queries['sportello']:>4} "
        f"{totals['sportello-common']:>9.1f} {queries['sportello-common']:>4} "
        f"{totals['checkdmarc'] / totals['sportello']:>6.1f} "
        f"{totals['checkdmarc'] / totals['sportello-common']:>6.1f} "
        f"{times(totals['sportello'], bound_total):>7} "
        f"{times(totals['sportello-common'], bound_total):>7}"
    )
    print(
        "\nms = wall-clock median of the check of one domain; q = queries the server received "
        "for it;\nbound = critical-path lower bound in round trips (rt) and in ms (rt x delay); "
        "ratio = checkdmarc ms /\nsportello ms; x bound = sportello ms / bound ms; cpu = this "
        "process's CPU time during Sportello's\nfull check (in thread mode it includes the "
        "server's); srv cpu = the test server's CPU time answering\nit (process mode only). The "
        "total is the median over runs of checking every domain once, one after\nanother."
    )
    print(
        "\nSportello does more work than checkdmarc in the 'sportello' column: DKIM (6 selectors, "
        "all asked\nin the first round, so the lower bound is the same) and the RFC 7208 "
        "evaluation of the provider's\noutbound IPs; the 'common' column drops DKIM. checkdmarc "
        "asks more queries for the same checks: the\nobsolete SPF RR type, a CNAME probe next "
        "to each TXT record and MX host, the apex TXT twice."
    )
    print("\nTargets (both Sportello columns, per domain and in total):")
    for tool, label in (("sportello", "as it runs"), ("sportello-common", "common scope")):
        total_ratio = totals["checkdmarc"] / totals[tool]
        total_factor = totals[tool] / bound_total if bound_total > 0 else float("inf")
        worst_ratio, worst_factor = min(ratios[tool]), max(factors[tool])
        print(
            f"  {label:<13} >= {TARGET_SPEEDUP:g}x faster than checkdmarc: "
            f"{verdict(total_ratio >= TARGET_SPEEDUP and worst_ratio >= TARGET_SPEEDUP)} "
            f"(total {total_ratio:.1f}x, worst domain {worst_ratio:.1f}x); "
            f"within {TARGET_BOUND:g}x of the bound: "
            f"{verdict(total_factor <= TARGET_BOUND and worst_factor <= TARGET_BOUND)} "
            f"(total {total_factor:.2f}x, worst domain {worst_factor:.2f}x)"
        )
    load = os.getloadavg()[0]
    if load > cores:
        print(
            f"\nNOTE: load average {load:.1f} on {cores} cores: the machine was busy, the "
            "wall-clock figures include\ntime spent waiting for a CPU. Run again on a quiet "
            "machine."
        )


def explain_bounds(bounds: dict[str, Bound], domains: list[str], delay_ms: float) -> None:
    print(
        "\nHow the lower bound is computed (from the zone files, through the test server's own "
        "answering code):\n"
        "  Every name known from the domain alone is asked at once in round 1: MX and TXT of "
        "the domain,\n  every _dmarc name of the tree walk up to the organizational domain, "
        "_mta-sts, _smtp._tls and the\n  DKIM selectors. Each answer then reveals names that can "
        "only be asked after it: MX -> each host's\n  A and AAAA; an SPF record -> the TXT of "
        "its include: and redirect= targets, the A/AAAA of a:, the\n  MX of mx: (then its hosts' "
        "addresses), the A of exists:; the DMARC record that applies -> the\n  "
        "<domain>._report._dmarc.<dest> TXT of each external report address. A name needed "
        "twice is asked\n  once, as early as possible (shortest path over the dependency graph); "
        "each query costs one round\n  trip, two when its UDP answer (EDNS 1232) is truncated "
        "and must be asked again over TCP; a CNAME\n  inside the served zones comes in the same "
        "answer. The bound is the longest such chain x delay:\n  no checker that waits for an "
        "answer before asking what it names can finish sooner. Terms with\n  sender macros "
        "(%{l}, %{s}) and ptr are not resolvable from the zones and are left out."
    )
    print(
        "\nA longest chain per domain (ties: the last in name order; 'x2, TCP' = truncated over "
        "UDP, asked again\nover TCP); 'N queries' = the distinct queries an ideal checker asks:"
    )
    for d in domains:
        b = bounds[d]
        steps = " -> ".join(
            f"{k}{' (x2, TCP)' if rt == 2 else ''} [{reason}]" for k, rt, reason in b.chain
        )
        print(f"  {d}: {b.rounds} rt = {b.rounds * delay_ms:g} ms, {b.queries} queries: {steps}")


def show_queries(results: Results, domains: list[str]) -> None:
    print("\nQueries the server received per check (first run; type counts):")
    for d in domains:
        print(f"  {d}")
        for tool in TOOLS:
            queries = results.samples[(tool, d)][0].queries
            types = Counter(t for _, t, _ in queries)
            tcp = sum(1 for *_, transport in queries if transport == "tcp")
            listing = ", ".join(f"{t} {n}" for t, n in sorted(types.items()))
            print(
                f"    {tool:<17} {len(queries):>3}: {listing}{f' ({tcp} over TCP)' if tcp else ''}"
            )
            again = Counter(queries)  # the same name, type and transport: asked again
            twice = [f"{n} {t} x{c}" for (n, t, _), c in again.items() if c > 1]
            if twice:
                print(f"    {'':<17}      asked more than once: {', '.join(twice)}")


def show_profile(profiler: cProfile.Profile) -> None:
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(25)
        print(f"\n--- Sportello checks: cProfile, top 25 by {key} ---")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.02, help="seconds per answer (0.02)")
    parser.add_argument("--runs", type=int, default=5, help="runs; medians are reported (5)")
    parser.add_argument(
        "--domains", default=",".join(DEFAULT_DOMAINS), help="comma-separated test domains"
    )
    parser.add_argument(
        "--server",
        choices=("process", "thread"),
        default="process",
        help="the test server in its own process (default) or a thread of this one",
    )
    parser.add_argument("--port", type=int, default=0, help="server port (0 = a free one)")
    parser.add_argument(
        "--show-queries", action="store_true", help="list the query types each tool asked"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile Sportello's checks with cProfile (its timings are then slowed down)",
    )
    args = parser.parse_args(argv)
    domains = [d.strip() for d in args.domains.split(",") if d.strip()]
    unknown = [d for d in domains if d not in MANIFEST]
    if unknown:
        parser.error(f"not test domains (tests/zones/expected.toml): {', '.join(unknown)}")
    install_network_guard()

    policy = load_policy().dns
    selectors = tuple(dict.fromkeys(policy.dkim_selectors + policy.common_dkim_selectors))
    profiler = cProfile.Profile() if args.profile else None
    with bench_zones() as zones:
        oracle = ZoneOracle(zones)
        try:
            bounds = {d: lower_bound(oracle, d, dkim_selectors=selectors) for d in domains}
            common = {d: lower_bound(oracle, d, dkim_selectors=()) for d in domains}
        finally:
            oracle.close()
        # DKIM look-ups are all in the first round: the bound is the same with or without
        assert all(bounds[d].rounds == common[d].rounds for d in domains)
        server = Server(zones, args.delay, args.port, args.server)
        args.port_used = server.port
        try:
            results = measure(server, domains, args.runs, profiler=profiler)
        finally:
            server.stop()

    report(results, bounds, domains, args)
    explain_bounds(bounds, domains, args.delay * 1e3)
    if args.show_queries:
        show_queries(results, domains)
    off_scope = {"DS", "DNSKEY", "RRSIG", "TLSA", "PTR", "SOA", "NS"}
    stray = sorted(
        {
            f"{n} {t}"
            for d in domains
            for s in results.samples[("checkdmarc", d)]
            for n, t, _ in s.queries
            if t in off_scope
        }
    )
    if stray:
        results.problems.append(f"checkdmarc asked switched-off query types: {', '.join(stray)}")
    if profiler is not None:
        show_profile(profiler)
    if BLOCKED:
        print(f"\nFAILED: {len(BLOCKED)} attempts to reach beyond 127.0.0.0/8 were refused:")
        for line in BLOCKED[:20]:
            print(f"  {line}")
    if results.problems:
        print(f"\nFAILED: {len(results.problems)} checks did not get their answers:")
        for line in results.problems[:20]:
            print(f"  {line}")
    elif not BLOCKED:
        print(
            "\nEvery Sportello report matched tests/zones/expected.toml with no 'unknown' "
            "finding; no checkdmarc\nresult mentions a time-out; nothing tried to leave "
            "127.0.0.0/8."
        )
    return 1 if BLOCKED or results.problems else 0


if __name__ == "__main__":
    sys.exit(main())
