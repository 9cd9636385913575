"""The DNS checker against a real DNS server on 127.0.0.1 serving tests/zones.

No mocks: dnspython's own asyncio resolver asks tests/support/dnsserver.py over
UDP (and TCP when an answer is truncated). What each domain must produce is in
tests/zones/expected.toml.
"""

from __future__ import annotations

import asyncio
import base64
import time
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from bot.dnscheck import (
    AnswerCache,
    DnsChecker,
    Lookup,
    ascii_domain,
    organizational_domain,
    parse_nameserver,
    parse_spf,
    rsa_key_bits,
)
from bot.dnsport import BlockingDns
from flows.dnsreport import ALL_CODES, CODES, DnsReport
from flows.policy import DnsPolicy, Policy
from tests.support.dnsserver import ZONES, DnsServer

MANIFEST: dict[str, dict[str, Any]] = tomllib.loads(
    (ZONES / "expected.toml").read_text(encoding="utf-8")
)["domains"]
HELPER_ZONES = {"example.net", "collector.test", "mail-elsewhere.test"}  # not customers


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


def dns_policy(policy: Policy, **changes: float) -> DnsPolicy:
    """The real policy's [dns] section with time limits that hold on a busy 2-core machine."""
    values = {**policy.dns.model_dump(), "query_timeout": 1.5, "deadline": 4.0, **changes}
    return DnsPolicy.model_validate(values)


@pytest.fixture
def checker(policy: Policy, dns_server: DnsServer) -> DnsChecker:
    """A checker with an empty cache, asking only the test server."""
    return DnsChecker(dns_policy(policy), [dns_server.address])


def check(checker: DnsChecker, domain: str, fresh: bool = False) -> DnsReport:
    return asyncio.run(checker.check(domain, fresh=fresh))


def codes(report: DnsReport) -> dict[str, str]:
    return {f.code: f.severity for f in report.findings}


# -- the manifest -------------------------------------------------------------------


def test_manifest_covers_every_zone_and_uses_known_codes() -> None:
    domains = {ascii_domain(name) for name in MANIFEST}
    for path in ZONES.glob("*.zone"):
        origin = path.name.removesuffix(".zone")
        assert origin in HELPER_ZONES or origin in domains, f"{origin} has no expectations"
    for name, entry in MANIFEST.items():
        named = set(entry.get("expect", {})) | set(entry.get("absent", []))
        named |= set(entry.get("params", {}))
        assert named <= ALL_CODES, f"{name}: unknown codes {named - ALL_CODES}"
        assert set(entry.get("params", {})) <= set(entry.get("expect", {})), name


@pytest.mark.parametrize("domain", sorted(MANIFEST))
def test_domain_findings(checker: DnsChecker, domain: str) -> None:
    entry = MANIFEST[domain]
    report = check(checker, domain)
    found = codes(report)
    summary = "\n".join(f"{f.severity} {f.code} {f.params} {f.detail}" for f in report.findings)
    assert report.domain == domain
    assert report.ascii_domain == entry.get("ascii", domain)
    for code, severity in entry.get("expect", {}).items():
        assert found.get(code) == severity, f"{domain}: want {code}={severity}\n{summary}"
    for code, params in entry.get("params", {}).items():
        matching = [f.params for f in report.findings if f.code == code]
        assert any(params.items() <= p.items() for p in matching), f"{code} {params}\n{summary}"
    for code in entry.get("absent", []):
        assert code not in found, f"{domain}: {code} should not appear\n{summary}"
    if entry.get("clean"):
        assert not report.problems(), summary
        assert report.worst() == "ok"
    for finding in report.findings:
        assert finding.code in ALL_CODES
        assert finding.detail, finding.code
    if not report.has("domain_not_found"):  # every check says something
        reported = {check for check, names in CODES.items() if set(names) & set(found)}
        assert {"mx", "spf", "dmarc", "mta_sts", "tls_rpt"} <= reported, summary


def test_ticket_json_has_codes_and_severities(checker: DnsChecker) -> None:
    data = check(checker, "dkim-512.example").as_ticket_json()
    assert data["ascii_domain"] == "dkim-512.example"
    weak = next(f for f in data["findings"] if f["code"] == "dkim_weak_key")
    assert weak["severity"] == "error" and weak["params"] == {"selector": "sportello", "bits": 512}
    assert weak["detail"]


# -- servers that fail: unknown, never missing ------------------------------------------


def all_unknown(report: DnsReport) -> None:
    assert report.findings
    assert {f.severity for f in report.findings} == {"unknown"}, report.findings
    found = codes(report)
    for check_name in ("mx", "spf", "dkim", "dmarc", "mta_sts", "tls_rpt"):
        assert f"{check_name}_unknown" in found, check_name
    assert not any(code.endswith(("_missing", "_absent")) for code in found)
    assert not report.has("domain_not_found")


def test_a_server_that_never_answers_gives_unknown_within_the_deadline(
    policy: Policy, dns_server: DnsServer
) -> None:
    # One by one, the six first queries alone would take 6 x 0.3 s; at once, one
    # time-out. The bound leaves a busy 2-core machine a second of slack.
    checker = DnsChecker(dns_policy(policy, query_timeout=0.3, deadline=3.0), dns_server.address)
    started = time.monotonic()
    report = check(checker, "drop.test")
    elapsed = time.monotonic() - started
    all_unknown(report)
    assert elapsed < 0.3 + 1.0, elapsed  # one query time-out: every query ran at once
    assert "timed out" in report.findings[0].detail


def test_the_deadline_bounds_the_whole_check(policy: Policy, dns_server: DnsServer) -> None:
    checker = DnsChecker(dns_policy(policy, query_timeout=10, deadline=0.4), dns_server.address)
    started = time.monotonic()
    report = check(checker, "drop.test")
    assert time.monotonic() - started < 0.4 + 1.5  # not the 10 s query time-out
    all_unknown(report)


def test_what_is_done_by_the_deadline_is_reported_the_rest_is_unknown(policy: Policy) -> None:
    # Every answer takes 0.3 s: one round of queries fits in the 0.45 s deadline,
    # the second round (MX host addresses, the SPF include) does not.
    with DnsServer(delay=0.3) as slow:
        checker = DnsChecker(dns_policy(policy, query_timeout=1.0, deadline=0.45), slow.address)
        started = time.monotonic()
        report = check(checker, "good.example")
        elapsed = time.monotonic() - started
    found = codes(report)
    assert elapsed < 0.45 + 0.8, elapsed  # not the second round's 1 s time-out
    assert found["dkim_ok"] == "ok" and found["dmarc_ok"] == "ok"
    assert found["mta_sts_present"] == "ok" and found["tls_rpt_present"] == "ok"
    assert found["mx_unknown"] == "unknown" and found["spf_unknown"] == "unknown"
    assert "deadline" in next(f.detail for f in report.findings if f.code == "mx_unknown")


@pytest.mark.parametrize(
    "domain, rcode", [("servfail.test", "SERVFAIL"), ("refused.test", "REFUSED")]
)
def test_servfail_and_refused_give_unknown(checker: DnsChecker, domain: str, rcode: str) -> None:
    report = check(checker, domain)
    all_unknown(report)
    assert rcode in report.findings[0].detail


# -- transport, cache, speed ------------------------------------------------------------


def test_udp_for_small_answers_tcp_after_truncation(
    checker: DnsChecker, dns_server: DnsServer
) -> None:
    dns_server.reset()
    big = check(checker, "big-txt.example")
    small = check(checker, "good.example")
    assert big.has("spf_ok") and small.has("spf_ok")
    assert dns_server.transports("big-txt.example", "TXT") == ["udp", "tcp"]
    assert dns_server.transports("good.example", "TXT") == ["udp"]
    assert dns_server.transports("good.example", "MX") == ["udp"]


def test_answers_are_cached_and_fresh_asks_again(
    checker: DnsChecker, dns_server: DnsServer
) -> None:
    dns_server.reset()
    first = check(checker, "good.example")
    asked = dns_server.counts()
    assert asked and max(asked.values()) == 1  # every (name, type) asked once per check
    again = check(checker, "good.example")
    assert dns_server.query_count == sum(asked.values())  # all from the cache
    assert codes(again) == codes(first)
    fresh = check(checker, "good.example", fresh=True)
    assert dns_server.query_count == 2 * sum(asked.values())
    assert codes(fresh) == codes(first)


def test_the_cache_honours_the_ttl() -> None:
    cache = AnswerCache()
    cache.put(("a.example", "TXT"), Lookup("a.example", "TXT", "ok", ("x",), ttl=0.05))
    cache.put(("b.example", "TXT"), Lookup("b.example", "TXT", "error", error="timed out"))
    assert cache.get(("a.example", "TXT")) is not None
    assert cache.get(("b.example", "TXT")) is None  # failures are never cached
    time.sleep(0.06)
    assert cache.get(("a.example", "TXT")) is None


def test_independent_queries_run_at_the_same_time(policy: Policy) -> None:
    # 100 ms per answer. The longest chains are two queries deep for good.example
    # (MX -> host address, TXT -> include) and four for spf-lookups.example
    # (TXT -> include i2 -> redirect r -> a:h6). One by one, every query would
    # wait its 100 ms in turn: at once, the check takes the chain's depth, far
    # below half the sum, whatever else the machine is doing. (The speed itself
    # is measured in bench/bench_dns.py.)
    delay = 0.1
    with DnsServer(delay=delay) as slow:
        checker = DnsChecker(dns_policy(policy), slow.address)
        for domain, depth in (("good.example", 2), ("spf-lookups.example", 4)):
            slow.reset()
            started = time.monotonic()
            check(checker, domain)
            elapsed = time.monotonic() - started
            assert slow.query_count > 3 * depth
            assert depth * delay <= elapsed < slow.query_count * delay / 2, (domain, elapsed)


# -- domains as customers write them ---------------------------------------------------


def test_idn_domains_are_queried_in_punycode(checker: DnsChecker, dns_server: DnsServer) -> None:
    dns_server.reset()
    report = check(checker, "  MÜLLER.example. ")
    assert report.domain == "MÜLLER.example."
    assert report.ascii_domain == "xn--mller-kva.example"
    assert report.has("dmarc_ok") and not report.problems()
    assert dns_server.counts()[("xn--mller-kva.example", "MX")] == 1


def test_a_whole_address_checks_its_domain(checker: DnsChecker) -> None:
    report = check(checker, "mario.rossi@good.example")
    assert report.ascii_domain == "good.example"
    assert report.worst() == "ok"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "not a domain", "localhost", "-bad-.example", "a..example", "exa_mple.example",
     "192.0.2.1", "x" * 64 + ".example", "http://good.example/", "good.example:25"],
)  # fmt: skip
def test_invalid_domains_get_one_clear_finding(
    checker: DnsChecker, dns_server: DnsServer, text: str
) -> None:
    dns_server.reset()
    report = check(checker, text)
    assert [(f.code, f.severity) for f in report.findings] == [("domain_invalid", "error")]
    assert dns_server.query_count == 0


# -- pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain, org",
    [("example.com", "example.com"), ("mail.shop.example.com", "example.com"),
     ("rossi.co.uk", "rossi.co.uk"), ("mail.rossi.co.uk", "rossi.co.uk")],
)  # fmt: skip
def test_organizational_domain(domain: str, org: str) -> None:
    assert organizational_domain(domain) == org


@pytest.mark.parametrize(
    "record, bad",
    [
        ("v=spf1 -all", None),
        ("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24//64 a:mail.example/28 ~all", None),
        ("v=spf1 include:_spf.%{d} exists:%{i}.%{l1r+-}.e.example exp=explain.%{d} -all", None),
        ("v=spf1 custom-mod=%{d} -all", None),
        ("v=spf1 ip4:192.0.2.0/33 -all", "ip4:192.0.2.0/33"),
        ("v=spf1 ip6:192.0.2.1 -all", "ip6:192.0.2.1"),
        ("v=spf1 include -all", "include"),
        ("v=spf1 a:bad_domain -all", "a:bad_domain"),
        ("v=spf1 mx/99 -all", "mx/99"),
        ("v=spf1 all:foo", "all:foo"),
        ("v=spf1 foo -all", "foo"),
        ("v=spf1 redirect=a.example redirect=b.example", "redirect=b.example"),
        ("v=spf1 exists:%{x}.example -all", "exists:%{x}.example"),
        ("v=spf1 exists:%{i -all", "exists:%{i"),
        ("v=spf1 exists:%{d0}.example -all", "exists:%{d0}.example"),
    ],
)
def test_spf_syntax(record: str, bad: str | None) -> None:
    errors = parse_spf(record).errors
    assert [term for term, _ in errors] == ([bad] if bad else [])


def test_rsa_key_bits_reads_spki_and_pkcs1() -> None:
    text = (ZONES / "dkim-1024.example.zone").read_text()
    p = text.split("p=", 1)[1].split('"', 1)[0]
    der = base64.b64decode(p)
    assert rsa_key_bits(der) == 1024
    inner = der[-140:]  # the BIT STRING's RSAPublicKey (PKCS#1) is the SPKI's tail
    assert inner[0] == 0x30 and rsa_key_bits(inner) == 1024
    with pytest.raises(ValueError):
        rsa_key_bits(b"\x30\x03\x02\x01")


def test_spf_terms_keep_domain_and_cidr_apart() -> None:
    terms = parse_spf("v=spf1 a:mail.example/28//64 mx/24 a:%{d/}.example -all").terms
    assert [(t.name, t.value, t.cidr4, t.cidr6) for t in terms[:3]] == [
        ("a", "mail.example", 28, 64),
        ("mx", "", 24, None),
        ("a", "%{d/}.example", None, None),
    ]


@pytest.mark.parametrize(
    "text, address, port",
    [("127.0.0.1", "127.0.0.1", 53), ("127.0.0.1:5353", "127.0.0.1", 5353),
     ("[::1]:5353", "::1", 5353), ("2001:db8::53", "2001:db8::53", 53)],
)  # fmt: skip
def test_parse_nameserver(text: str, address: str, port: int) -> None:
    server = parse_nameserver(text)
    assert (server.address, server.port) == (address, port)


@pytest.mark.parametrize("text", ["ns.example", "127.0.0.1:0", "127.0.0.1:x", "[::1]:70000", ""])
def test_parse_nameserver_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_nameserver(text)


def test_check_blocking(checker: DnsChecker) -> None:
    assert BlockingDns(checker).check("good.example").worst() == "ok"
