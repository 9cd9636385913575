"""DNS diagnostics of a customer's mail domain: MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT.

`DnsChecker(policy.dns).check("example.com")` returns a `flows.dnsreport.DnsReport`
whose findings carry the stable codes of `flows.dnsreport.CODES`.

How it runs. Every query that does not depend on another starts at once: the
MX, the domain's TXT (SPF), every `_dmarc` name of the tree walk, every DKIM
selector, `_mta-sts` and `_smtp._tls`; then, per level, the MX hosts'
addresses and every `include`/`redirect` target and `a`/`mx`/`exists` target.
The same (name, type) is asked once per check however many parts need it.
Each query is bounded by the policy's `query_timeout`, the whole check by its
`deadline`: what has not finished by then is reported as `<check>_unknown`.
A time-out, SERVFAIL or REFUSED is always "unknown", never "missing".

Answers are cached in-process within their TTL (negative answers within the
SOA's negative TTL); `check(domain, fresh=True)` ignores the cache ("I have
just fixed my DNS") and refreshes it.

What the findings mean (severity in brackets; `params` name the host,
selector, count, bits, ip ... for the customer's explanation, `detail` is the
technical line for staff):

- mx: `mx_ok` [ok]; `mx_missing`, `mx_null`, `mx_no_address` [error];
  `mx_cname`, `mx_elsewhere` (a host with an address that is not one of the
  provider's, after following CNAMEs) [warning].
- spf: `spf_ok` [ok] says the record is well formed and within the limits;
  whether the provider's outbound IPs pass is separate:
  `spf_provider_authorized` [ok] / `spf_provider_not_authorized` [error, with
  the failing `ip`s and the SPF `result`]. Evaluated per RFC 7208 4.6 in
  record order with its look-up limits; macros needing the sender (%{s},
  %{l}, %{h}) make it `spf_unknown`; `ptr` never matches. The static walk
  counts look-ups and void look-ups over the whole include/redirect tree.
  `spf_redirect_ignored`, `spf_ptr`, `spf_neutral_all`, `spf_no_all` are
  warnings, the rest errors.
- dkim: one finding per selector that has a record (`dkim_ok` or the problem);
  `dkim_missing` [error] only for the provider's selectors (policy
  `dkim_selectors`): the common ones are looked up but their absence is normal.
  A revoked key is an error at a provider selector and [ok] elsewhere.
- dmarc: the record that applies (the domain's own, else the closest up to the
  organizational domain); `dmarc_ok` carries `domain` (where it was found) and
  the effective `policy`. A bad or missing `p` counts as none (RFC 9989).
- mta_sts / tls_rpt: `*_present` or `*_absent`, both [ok] (informational).
- Any failed look-up: `<check>_unknown` [unknown], never `*_missing`.

The references: RFC 5321 and 7505 (MX, null MX), RFC 7208 (SPF), RFC 6376
and 8463 (DKIM), RFC 9989 / 7489 (DMARC), RFC 8461 (MTA-STS), RFC 8460
(TLS-RPT).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from flows.dnsreport import ALL_CODES, DnsReport, Finding, Severity
from flows.policy import DnsPolicy

log = logging.getLogger(__name__)

Status = Literal["ok", "nodata", "nxdomain", "error"]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Two-label public suffixes under which organizational domains have three
# labels: a small stand-in for the Public Suffix List, enough for customers.
TWO_LEVEL_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "ac.uk", "gov.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "net.nz",
        "co.jp", "ne.jp", "or.jp", "ac.jp", "co.kr", "or.kr", "com.br", "net.br",
        "org.br", "com.ar", "com.mx", "org.mx", "gob.mx", "co.za", "org.za", "com.tr",
        "co.in", "net.in", "org.in", "com.cn", "net.cn", "org.cn", "com.hk", "com.sg",
        "com.tw", "co.il", "com.es", "nom.es", "org.es", "gob.es", "edu.es", "com.pl",
        "gov.it", "edu.it", "com.pt", "co.at", "or.at", "com.gr", "com.ua", "co.id",
    }
)  # fmt: skip

SPF_LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
SPF_VOID_LIMIT = 2
SPF_MX_LIMIT = 10
_SPF_MAX_DEPTH = 12  # beyond any legal record tree; guards the static walk

_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DNS_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_TOPLABEL = re.compile(r"(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_MACRO = re.compile(r"%\{([A-Za-z])(\d*)(r?)([.\-+,/_=]*)\}|%%|%_|%-", re.IGNORECASE)
_SPF_MECHANISM = re.compile(r"([+\-~?]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?=$|[:/])(.*)", re.I)
_SPF_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)")
_DUAL_CIDR = re.compile(r"(?:/(0|[1-9]\d?))?(?://(0|[1-9]\d{0,2}))?")
_SPF_QUALIFIER = {"+": "pass", "": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_SPF_LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists"})
_RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1


# -- answers and their cache ---------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """The outcome of one query, reduced to what the checks need."""

    name: str
    rdtype: str
    status: Status
    records: tuple[str, ...] = ()  # TXT: strings joined; A/AAAA: addresses
    mx: tuple[tuple[int, str], ...] = ()  # MX: (preference, host) ("" = the root)
    canonical: str = ""  # the name the answer came from after CNAMEs
    error: str = ""  # for status "error": time-out, SERVFAIL, REFUSED ...
    ttl: float = 0.0

    @property
    def empty(self) -> bool:
        """NODATA or NXDOMAIN: what RFC 7208 calls a void look-up."""
        return self.status in ("nodata", "nxdomain")

    def describe(self) -> str:
        if self.status == "error":
            return f"{self.name} {self.rdtype}: {self.error}"
        return f"{self.name} {self.rdtype}: {self.status.upper()}"


class AnswerCache:
    """Answers keyed by (name, type), kept for their TTL."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], tuple[float, Lookup]] = {}

    def get(self, key: tuple[str, str]) -> Lookup | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: tuple[str, str], lookup: Lookup) -> None:
        if lookup.status == "error" or lookup.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            for stale in [k for k, (exp, _) in self._entries.items() if exp <= now]:
                del self._entries[stale]
            if len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
        self._entries[key] = (time.monotonic() + lookup.ttl, lookup)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# -- domains -----------------------------------------------------------------------


def ascii_domain(text: str) -> str | None:
    """The IDNA (punycode) form of a mail domain, or None if it cannot be one.

    Accepts Unicode, upper case, a trailing dot and a whole address
    (`mario@rossi.example` gives `rossi.example`).
    """
    value = text.strip()
    if "@" in value:
        value = value.rsplit("@", 1)[1]
    value = value.strip().rstrip(".")
    if not value or len(value) > 253 or any(ch.isspace() for ch in value):
        return None
    codec = dns.name.IDNA_2008_Practical if dns.name.have_idna_2008 else dns.name.IDNA_2003
    try:
        name = dns.name.from_unicode(value.lower(), idna_codec=codec)
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return None
    result = name.to_text(omit_final_dot=True).lower()
    labels = result.split(".")
    if len(labels) < 2 or len(result) > 253:
        return None
    if not all(_LDH_LABEL.fullmatch(label) for label in labels):
        return None
    if labels[-1].isdigit():  # an IPv4 address, not a domain
        return None
    return result


def organizational_domain(domain: str) -> str:
    """The registered domain: the last two labels, three under a known 2-level suffix."""
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _valid_hostname(value: str) -> bool:
    labels = value.rstrip(".").split(".")
    return (
        len(value.rstrip(".")) <= 253
        and len(labels) >= 2
        and all(_DNS_LABEL.fullmatch(label) for label in labels)
        and _TOPLABEL.fullmatch(labels[-1]) is not None
    )


def _finding(code: str, severity: Severity, detail: str = "", **params: str | int) -> Finding:
    assert code in ALL_CODES, code
    return Finding(code=code, severity=severity, params=dict(params), detail=detail)


# -- SPF record syntax ---------------------------------------------------------------


@dataclass(frozen=True)
class SpfTerm:
    """One directive or modifier of an SPF record."""

    text: str
    name: str  # mechanism or modifier name, lower case
    qualifier: str = ""  # "", "+", "-", "~", "?" (mechanisms only)
    value: str = ""  # domain-spec, network, or modifier value
    cidr4: int | None = None
    cidr6: int | None = None
    modifier: bool = False

    @property
    def result(self) -> str:
        return _SPF_QUALIFIER[self.qualifier]


@dataclass
class SpfRecord:
    text: str
    terms: list[SpfTerm] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (term, why)

    @property
    def mechanisms(self) -> list[SpfTerm]:
        return [t for t in self.terms if not t.modifier]

    def modifier(self, name: str) -> SpfTerm | None:
        return next((t for t in self.terms if t.modifier and t.name == name), None)

    @property
    def all_term(self) -> SpfTerm | None:
        return next((t for t in self.mechanisms if t.name == "all"), None)


def is_spf(text: str) -> bool:
    lowered = text.lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


def _macro_problem(value: str, *, exp: bool = False) -> str | None:
    """Why `value` is not a valid RFC 7208 macro-string, or None."""
    pos = 0
    allowed = "slodiphv" + ("crt" if exp else "")
    while pos < len(value):
        char = value[pos]
        if char == "%":
            match = _MACRO.match(value, pos)
            if match is None:
                return f"bad macro at {value[pos : pos + 6]!r}"
            letter, digits = match.group(1), match.group(2)
            if letter is not None and letter.lower() not in allowed:
                return f"unknown macro letter {letter!r}"
            if digits and (digits.startswith("0") or int(digits) > 128):
                return f"bad digits in macro {match.group(0)!r}"
            pos = match.end()
            continue
        if not 0x21 <= ord(char) <= 0x7E:
            return f"character {char!r} not allowed"
        pos += 1
    return None


def _domain_spec_problem(value: str) -> str | None:
    if not value:
        return "empty domain"
    problem = _macro_problem(value)
    if problem:
        return problem
    if "%" not in value:
        return None if _valid_hostname(value) else f"{value!r} is not a domain name"
    # domain-end: a macro-expand, or "." toplabel ["."]
    if _MACRO.search(value) and re.search(r"%\{[^}]*\}$", value):
        return None
    tail = value.rstrip(".").rsplit(".", 1)
    if len(tail) == 2 and "%" not in tail[1] and _TOPLABEL.fullmatch(tail[1]):
        return None
    return f"{value!r} does not end in a domain name"


def parse_spf(text: str) -> SpfRecord:
    """Parse and validate an SPF record (its strings already joined)."""
    record = SpfRecord(text)
    words = text.split()
    if not words or words[0].lower() != "v=spf1":
        record.errors.append((words[0] if words else "", "not v=spf1"))
        return record
    seen_modifiers: set[str] = set()
    for word in words[1:]:
        mech = _SPF_MECHANISM.fullmatch(word)
        if mech:
            term, why = _parse_mechanism(word, mech.group(1), mech.group(2).lower(), mech.group(3))
            if why:
                record.errors.append((word, why))
            elif term:
                record.terms.append(term)
            continue
        mod = _SPF_MODIFIER.fullmatch(word)
        if mod:
            name, value = mod.group(1).lower(), mod.group(2)
            if name in ("redirect", "exp"):
                if name in seen_modifiers:
                    record.errors.append((word, f"{name}= appears more than once"))
                    continue
                why = _domain_spec_problem(value)
            else:
                why = _macro_problem(value)
            seen_modifiers.add(name)
            if why:
                record.errors.append((word, why))
            else:
                record.terms.append(SpfTerm(word, name, value=value, modifier=True))
            continue
        record.errors.append((word, "unknown mechanism or bad modifier"))
    return record


def _parse_mechanism(
    word: str, qualifier: str, name: str, rest: str
) -> tuple[SpfTerm | None, str | None]:
    if name == "all":
        return (
            (SpfTerm(word, name, qualifier), None) if rest == "" else (None, "all takes no value")
        )
    if name in ("include", "exists"):
        if not rest.startswith(":"):
            return None, f"{name} needs :domain"
        why = _domain_spec_problem(rest[1:])
        return (None, why) if why else (SpfTerm(word, name, qualifier, rest[1:]), None)
    if name in ("ip4", "ip6"):
        if not rest.startswith(":"):
            return None, f"{name} needs :address"
        value = rest[1:]
        address, _, prefix = value.partition("/")
        try:
            ip = ipaddress.ip_address(address)
            limit = 32 if name == "ip4" else 128
            if ip.version != (4 if name == "ip4" else 6):
                raise ValueError
            if prefix and (
                not prefix.isdigit() or int(prefix) > limit or prefix != str(int(prefix))
            ):
                raise ValueError
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return None, f"{value!r} is not an IPv{name[-1]} address or network"
        return SpfTerm(word, name, qualifier, value), None
    # a, mx, ptr: [":" domain-spec] (a and mx also a dual CIDR length)
    domain, cidr = "", rest
    if rest.startswith(":"):
        split = re.fullmatch(r"(.*?)((?:/\d+)?(?://\d+)?)", rest[1:])
        assert split is not None  # the pattern matches any string
        domain, cidr = split.groups()
    elif rest and not rest.startswith("/"):
        return None, "bad syntax"
    if domain.startswith(":"):
        return None, "bad syntax"
    if rest.startswith(":") and (why := _domain_spec_problem(domain)):
        return None, why
    if name == "ptr":
        return (
            (None, "ptr takes no CIDR length")
            if cidr
            else (SpfTerm(word, name, qualifier, domain), None)
        )
    cidr_match = _DUAL_CIDR.fullmatch(cidr)
    if cidr_match is None:
        return None, f"bad CIDR length {cidr!r}"
    c4 = int(cidr_match.group(1)) if cidr_match.group(1) else None
    c6 = int(cidr_match.group(2)) if cidr_match.group(2) else None
    if (c4 is not None and c4 > 32) or (c6 is not None and c6 > 128):
        return None, f"bad CIDR length {cidr!r}"
    return SpfTerm(word, name, qualifier, domain, c4, c6), None


# -- SPF macros (for evaluating the provider's addresses) ------------------------------


class _MacroUnknown(Exception):
    """The macro needs something a DNS check does not know (the sender, HELO)."""


def _expand(spec: str, ip: IPAddress, domain: str, sender_domain: str) -> str:
    def value_of(letter: str) -> str:
        if letter == "d":
            return domain
        if letter == "o":
            return sender_domain
        if letter == "i":
            if ip.version == 4:
                return str(ip)
            return ".".join(ip.exploded.replace(":", ""))
        if letter == "v":
            return "in-addr" if ip.version == 4 else "ip6"
        if letter == "p":
            return "unknown"
        raise _MacroUnknown(f"%{{{letter}}} depends on the sender")

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "%%":
            return "%"
        if whole == "%_":
            return " "
        if whole == "%-":
            return "%20"
        letter, digits, reverse, delimiters = match.groups()
        parts = re.split("[" + re.escape(delimiters or ".") + "]", value_of(letter.lower()))
        if reverse:
            parts.reverse()
        if digits:
            if int(digits) == 0:
                raise ValueError("zero digits in macro")
            parts = parts[-int(digits) :]
        return ".".join(parts)

    expanded = _MACRO.sub(replace, spec).rstrip(".")
    while len(expanded) > 253 and "." in expanded:
        expanded = expanded.split(".", 1)[1]
    return expanded


# -- DKIM keys ------------------------------------------------------------------


def _der_item(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start, end) of the DER item at `pos`."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def rsa_key_bits(der: bytes) -> int:
    """The modulus size of an RSA public key: SubjectPublicKeyInfo or PKCS#1 DER."""
    tag, start, _ = _der_item(der, 0)
    if tag != 0x30:
        raise ValueError("not a DER SEQUENCE")
    tag, s1, e1 = _der_item(der, start)
    if tag == 0x30:  # SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING
        oid_tag, os_, oe = _der_item(der, s1)
        if oid_tag != 0x06 or der[os_:oe] != _RSA_OID:
            raise ValueError("not an rsaEncryption key")
        tag, s2, e2 = _der_item(der, e1)
        if tag != 0x03 or s2 >= e2 or der[s2] != 0:
            raise ValueError("bad BIT STRING")
        return rsa_key_bits(der[s2 + 1 : e2])
    if tag == 0x02:  # RSAPublicKey: modulus, exponent
        modulus = int.from_bytes(der[s1:e1], "big")
        exp_tag, _, _ = _der_item(der, e1)
        if exp_tag != 0x02 or modulus <= 0:
            raise ValueError("bad RSAPublicKey")
        return modulus.bit_length()
    raise ValueError("unexpected DER structure")


def parse_tags(text: str) -> tuple[dict[str, str], list[str]]:
    """A DKIM/DMARC tag-list: (tags, problems). Duplicate and malformed tags are problems."""
    tags: dict[str, str] = {}
    problems: list[str] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            problems.append(f"malformed tag {part!r}")
            continue
        key = name.lower()
        if key in tags:
            problems.append(f"tag {name!r} appears twice")
            continue
        tags[key] = value.strip()
    return tags, problems


# -- the checker ------------------------------------------------------------------


def parse_nameserver(text: str) -> dns.nameserver.Do53Nameserver:
    """`ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address; ValueError otherwise."""
    value = text.strip()
    port = 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        port = int(port_text)
    else:
        host = value
    ipaddress.ip_address(host)  # raises ValueError for a name
    if not 0 < port < 65536:
        raise ValueError(f"bad port in {text!r}")
    return dns.nameserver.Do53Nameserver(host, port)


_parse_nameserver = parse_nameserver  # the name bot/config.py imports


class DnsChecker:
    """Checks a mail domain's DNS against the provider's `DnsPolicy`."""

    def __init__(
        self,
        policy: DnsPolicy,
        nameservers: Sequence[str] | str | None = None,
        *,
        cache: AnswerCache | None = None,
    ) -> None:
        self.policy = policy
        if isinstance(nameservers, str):
            nameservers = [nameservers]
        if nameservers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [parse_nameserver(ns) for ns in nameservers]
        else:
            resolver = dns.asyncresolver.Resolver()  # /etc/resolv.conf
        resolver.use_edns(0, 0, 1232)
        resolver.timeout = max(0.05, policy.query_timeout / 2)  # one retry per query
        resolver.lifetime = policy.query_timeout
        resolver.cache = None  # ours, below, knows about `fresh`
        self.resolver = resolver
        self.cache = cache if cache is not None else AnswerCache()
        self.provider_mx = frozenset(policy.mx_hosts)
        self.provider_ips: tuple[IPAddress, ...] = tuple(
            ipaddress.ip_network(ip, strict=False).network_address for ip in policy.outbound_ips
        )
        selectors = list(dict.fromkeys(policy.dkim_selectors))
        self.selectors = [(s, True) for s in selectors] + [
            (s, False) for s in dict.fromkeys(policy.common_dkim_selectors) if s not in selectors
        ]

    async def check(self, domain: str, fresh: bool = False) -> DnsReport:
        """Check `domain`; `fresh` ignores cached answers."""
        started = time.monotonic()
        report = DnsReport(
            domain=domain.strip(),
            ascii_domain="",
            checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        name = ascii_domain(domain)
        if name is None:
            report.findings = [
                _finding(
                    "domain_invalid",
                    "error",
                    f"{domain.strip()!r} is not a valid domain name",
                    domain=domain.strip(),
                )
            ]
            return report
        report.ascii_domain = name
        run = _Run(self, name, fresh, started + self.policy.deadline)
        try:
            report.findings = await run.all()
        finally:
            run.cancel()
        report.elapsed_ms = int((time.monotonic() - started) * 1000)
        return report

    async def fetch(self, name: str, rdtype: str, lifetime: float) -> Lookup:
        """Ask the resolver; every failure becomes a Lookup, never an exception."""
        lifetime = max(0.01, lifetime)
        try:
            # wait_for: dnspython may sleep a back-off past its own lifetime
            answer = await asyncio.wait_for(
                self.resolver.resolve(
                    dns.name.from_text(name),
                    rdtype,
                    raise_on_no_answer=False,
                    search=False,
                    lifetime=lifetime,
                ),
                lifetime,
            )
        except dns.resolver.NXDOMAIN as exc:
            responses: dict[object, dns.message.Message] = exc.kwargs.get("responses") or {}
            return Lookup(name, rdtype, "nxdomain", ttl=_negative_ttl(responses.values()))
        except (dns.resolver.LifetimeTimeout, TimeoutError):
            return Lookup(name, rdtype, "error", error=f"timed out after {lifetime:.1f} s")
        except dns.resolver.NoNameservers as exc:
            return Lookup(name, rdtype, "error", error=_server_failure(exc))
        except Exception as exc:  # malformed answer, bad name, socket error ...
            return Lookup(name, rdtype, "error", error=f"{type(exc).__name__}: {exc}")
        canonical = answer.canonical_name.to_text(omit_final_dot=True).lower()
        if answer.rrset is None:
            return Lookup(name, rdtype, "nodata", canonical=canonical,
                          ttl=_negative_ttl([answer.response]))  # fmt: skip
        ttl = max(0.0, answer.expiration - time.time())  # the lowest TTL of any CNAME too
        if rdtype == "MX":
            mx = tuple(
                (int(r.preference), r.exchange.to_text(omit_final_dot=True).lower().rstrip("."))
                for r in answer.rrset
            )
            return Lookup(name, rdtype, "ok", mx=mx, canonical=canonical, ttl=ttl)
        if rdtype == "TXT":
            texts = tuple(
                b"".join(r.strings).decode("utf-8", errors="replace") for r in answer.rrset
            )
            return Lookup(name, rdtype, "ok", texts, canonical=canonical, ttl=ttl)
        records = tuple(r.to_text() for r in answer.rrset)
        return Lookup(name, rdtype, "ok", records, canonical=canonical, ttl=ttl)


def _negative_ttl(responses: Iterable[dns.message.Message]) -> float:
    """RFC 2308: the SOA's TTL capped by its MINIMUM field."""
    for response in responses:
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
                return float(min(rrset.ttl, rrset[0].minimum))
    return 0.0


def _server_failure(exc: dns.resolver.NoNameservers) -> str:
    errors: list[tuple[object, ...]] = exc.kwargs.get("errors") or []
    parts = [f"{error[0]}: {error[3]}" for error in errors if len(error) >= 4]
    return "no server answered: " + ("; ".join(parts) if parts else str(exc))


@dataclass
class _SpfCount:
    lookups: int = 0
    voids: int = 0


class _Run:
    """One check of one domain: its deadline and its shared, coalesced queries."""

    def __init__(self, checker: DnsChecker, domain: str, fresh: bool, deadline: float) -> None:
        self.checker = checker
        self.policy = checker.policy
        self.domain = domain
        self.fresh = fresh
        self.deadline = deadline
        self.queries: dict[tuple[str, str], asyncio.Task[Lookup]] = {}

    # -- queries -------------------------------------------------------------

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def get(self, name: str, rdtype: str) -> Lookup:
        key = (name.lower().rstrip("."), rdtype)
        if not self.fresh:
            cached = self.checker.cache.get(key)
            if cached is not None:
                return cached
        task = self.queries.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(*key))
            self.queries[key] = task
        return await asyncio.shield(task)

    async def _fetch(self, name: str, rdtype: str) -> Lookup:
        lifetime = min(self.policy.query_timeout, self.remaining())
        if lifetime <= 0:
            return Lookup(name, rdtype, "error", error="deadline reached before the query")
        lookup = await self.checker.fetch(name, rdtype, lifetime)
        self.checker.cache.put((name, rdtype), lookup)
        return lookup

    async def addresses(self, host: str) -> tuple[Lookup, Lookup]:
        a, aaaa = await asyncio.gather(self.get(host, "A"), self.get(host, "AAAA"))
        return a, aaaa

    def cancel(self) -> None:
        for task in self.queries.values():
            task.cancel()

    # -- the whole check -----------------------------------------------------------

    async def all(self) -> list[Finding]:
        d = self.domain
        jobs: list[tuple[str, dict[str, str | int], Awaitable[list[Finding]]]] = [
            ("mx", {}, self.mx()),
            ("spf", {}, self.spf()),
        ]
        for selector, provider in self.checker.selectors:
            jobs.append(("dkim", {"selector": selector}, self.dkim(selector, provider)))
        jobs += [
            ("dmarc", {}, self.dmarc()),
            ("mta_sts", {}, self.txt_presence("mta_sts", f"_mta-sts.{d}", "v=STSv1")),
            ("tls_rpt", {}, self.txt_presence("tls_rpt", f"_smtp._tls.{d}", "v=TLSRPTv1")),
        ]
        tasks = [asyncio.ensure_future(job) for _, _, job in jobs]
        try:
            _, pending = await asyncio.wait(tasks, timeout=max(0.0, self.remaining()))
        finally:  # the deadline, or the caller gave up
            for task in tasks:
                task.cancel()
        if pending:
            await asyncio.wait(pending)
        findings: list[Finding] = []
        for (check, params, _), task in zip(jobs, tasks, strict=True):
            if task in pending or task.cancelled():
                findings.append(
                    _finding(
                        f"{check}_unknown",
                        "unknown",
                        f"not finished within the {self.policy.deadline:g} s deadline",
                        **params,
                    )
                )
            elif (exc := task.exception()) is not None:
                log.error("DNS check %s of %s failed", check, d, exc_info=exc)
                findings.append(
                    _finding(f"{check}_unknown", "unknown", f"internal error: {exc!r}", **params)
                )
            else:
                findings.extend(task.result())
        if self._nxdomain():
            return [_finding("domain_not_found", "error", f"{d}: NXDOMAIN", domain=d)]
        return findings

    def _nxdomain(self) -> bool:
        for rdtype in ("MX", "TXT"):
            task = self.queries.get((self.domain, rdtype))
            cached = self.checker.cache.get((self.domain, rdtype))
            if task is not None and task.done() and not task.cancelled():
                if task.result().status == "nxdomain":
                    return True
            elif cached is not None and cached.status == "nxdomain":
                return True
        return False

    # -- MX ----------------------------------------------------------------------

    async def mx(self) -> list[Finding]:
        d = self.domain
        look = await self.get(d, "MX")
        if look.status == "error":
            return [_finding("mx_unknown", "unknown", look.describe(), domain=d)]
        if look.status == "nxdomain":
            return []  # reported as domain_not_found
        if not look.mx:
            return [
                _finding(
                    "mx_missing",
                    "error",
                    f"{d} has no MX record (senders fall back to its A/AAAA record, RFC 5321 5.1)",
                    domain=d,
                )
            ]
        if any(host == "" for _, host in look.mx):
            others = [host for _, host in look.mx if host]
            detail = f"{d} publishes a null MX (RFC 7505): it accepts no mail"
            if others:
                detail += f"; mixed with other MX records ({', '.join(others)}), which is invalid"
            return [_finding("mx_null", "error", detail, domain=d)]
        hosts = [host for _, host in sorted(look.mx)]
        hosts = list(dict.fromkeys(hosts))
        answers = await asyncio.gather(*(self.addresses(h) for h in hosts))
        findings: list[Finding] = []
        elsewhere: list[str] = []
        for host, (a, aaaa) in zip(hosts, answers, strict=True):
            addresses = a.records + aaaa.records
            if not addresses:
                failed = [x for x in (a, aaaa) if x.status == "error"]
                if failed:
                    detail = "; ".join(x.describe() for x in failed)
                    findings.append(_finding("mx_unknown", "unknown", detail, host=host))
                else:
                    findings.append(
                        _finding(
                            "mx_no_address",
                            "error",
                            f"MX host {host} has no A or AAAA record ({a.status}/{aaaa.status})",
                            host=host,
                        )
                    )
                continue
            canonical = next((x.canonical for x in (a, aaaa) if x.status == "ok"), host)
            if canonical and canonical != host:
                findings.append(
                    _finding(
                        "mx_cname",
                        "warning",
                        f"MX host {host} is a CNAME to {canonical} (RFC 2181 10.3 forbids it;"
                        " some senders refuse to deliver)",
                        host=host,
                        target=canonical,
                    )
                )
            if host not in self.checker.provider_mx and canonical not in self.checker.provider_mx:
                elsewhere.append(host)
        if elsewhere:
            findings.append(
                _finding(
                    "mx_elsewhere",
                    "warning",
                    f"MX host(s) {', '.join(elsewhere)} are not the provider's "
                    f"({', '.join(sorted(self.checker.provider_mx))}): mail is delivered there",
                    host=", ".join(elsewhere),
                    provider=", ".join(sorted(self.checker.provider_mx)),
                )
            )
        if not findings:
            findings.append(
                _finding("mx_ok", "ok", f"MX: {', '.join(hosts)}", hosts=", ".join(hosts))
            )
        return findings

    # -- SPF -------------------------------------------------------------------

    async def spf_records(self, domain: str) -> tuple[Lookup, list[str]]:
        look = await self.get(domain, "TXT")
        return look, [text for text in look.records if is_spf(text)]

    async def spf(self) -> list[Finding]:
        d = self.domain
        look, records = await self.spf_records(d)
        if look.status == "error":
            return [_finding("spf_unknown", "unknown", look.describe(), domain=d)]
        if look.status == "nxdomain":
            return []
        if not records:
            return [_finding("spf_missing", "error", f"{d} has no v=spf1 TXT record", domain=d)]
        if len(records) > 1:
            return [
                _finding(
                    "spf_multiple",
                    "error",
                    f"{d} has {len(records)} v=spf1 records (RFC 7208 4.5: permerror): "
                    + " | ".join(records),
                    domain=d,
                    count=len(records),
                )
            ]
        walk = _SpfWalk(self)
        evaluations = [self.spf_evaluate(ip) for ip in self.checker.provider_ips]
        _, results = await asyncio.gather(
            walk.visit(d, (), final=True, via=""), asyncio.gather(*evaluations)
        )
        findings = walk.findings
        if walk.count.lookups > SPF_LOOKUP_LIMIT:
            findings.append(
                _finding(
                    "spf_too_many_lookups",
                    "error",
                    f"{walk.count.lookups} DNS-querying terms (include, a, mx, ptr, exists,"
                    f" redirect) counting through includes; the limit is {SPF_LOOKUP_LIMIT}",
                    count=walk.count.lookups,
                    limit=SPF_LOOKUP_LIMIT,
                )
            )
        if walk.count.voids > SPF_VOID_LIMIT:
            findings.append(
                _finding(
                    "spf_void_lookups",
                    "error",
                    f"{walk.count.voids} look-ups return no answer ({', '.join(walk.voids)});"
                    f" the limit is {SPF_VOID_LIMIT}",
                    count=walk.count.voids,
                    limit=SPF_VOID_LIMIT,
                )
            )
        if walk.unknown:
            findings.append(
                _finding(
                    "spf_unknown",
                    "unknown",
                    "could not read part of the SPF tree: " + "; ".join(walk.unknown),
                    domain=d,
                )
            )
        if not any(f.severity in ("warning", "error", "unknown") for f in findings):
            findings.insert(0, _finding("spf_ok", "ok", records[0], record=records[0]))
        findings.extend(self._provider_findings(results))
        return findings

    def _provider_findings(self, results: list[tuple[str, str]]) -> list[Finding]:
        ips = [str(ip) for ip in self.checker.provider_ips]
        passed = [ip for ip, (r, _) in zip(ips, results, strict=True) if r == "pass"]
        unknown = [
            (ip, r, why)
            for ip, (r, why) in zip(ips, results, strict=True)
            if r in ("temperror", "unknown")
        ]
        failed = [
            (ip, r, why)
            for ip, (r, why) in zip(ips, results, strict=True)
            if r not in ("pass", "temperror", "unknown")
        ]
        findings: list[Finding] = []
        if failed:
            findings.append(
                _finding(
                    "spf_provider_not_authorized",
                    "error",
                    "; ".join(
                        f"{ip}: SPF {r}" + (f" ({why})" if why else "") for ip, r, why in failed
                    ),
                    ip=", ".join(ip for ip, _, _ in failed),
                    result=failed[0][1],
                )
            )
        if unknown:
            findings.append(
                _finding(
                    "spf_unknown",
                    "unknown",
                    "; ".join(f"{ip}: {r} ({why})" for ip, r, why in unknown),
                    ip=", ".join(ip for ip, _, _ in unknown),
                )
            )
        if passed and not failed and not unknown:
            findings.append(
                _finding(
                    "spf_provider_authorized",
                    "ok",
                    f"SPF pass for {', '.join(passed)}",
                    ip=", ".join(passed),
                )
            )
        return findings

    async def spf_evaluate(self, ip: IPAddress) -> tuple[str, str]:
        """RFC 7208 check_host() for `ip` sending as the domain: (result, why)."""
        count = _SpfCount()
        try:
            return await self._check_host(ip, self.domain, count, 0)
        except _MacroUnknown as exc:
            return "unknown", str(exc)
        except ValueError as exc:  # a macro that expands to nonsense
            return "permerror", str(exc)

    async def _check_host(
        self, ip: IPAddress, domain: str, count: _SpfCount, depth: int
    ) -> tuple[str, str]:
        if depth > SPF_LOOKUP_LIMIT + 1:
            return "permerror", "include/redirect loop"
        look, records = await self.spf_records(domain)
        if look.status == "error":
            return "temperror", look.describe()
        if not records:
            return "none", f"no SPF record at {domain}"
        if len(records) > 1:
            return "permerror", f"several SPF records at {domain}"
        record = parse_spf(records[0])
        if record.errors:
            return "permerror", f"syntax error at {domain}: {record.errors[0][0]}"
        for term in record.mechanisms:
            if term.name in _SPF_LOOKUP_TERMS:
                count.lookups += 1
                if count.lookups > SPF_LOOKUP_LIMIT:
                    return "permerror", "more than 10 DNS look-ups"
            matched, why = await self._match(ip, domain, term, count, depth)
            if matched is True:
                return term.result, f"matched {term.text} at {domain}"
            if matched is not False:
                return matched, why
        redirect = record.modifier("redirect")
        if redirect is not None and record.all_term is None:
            count.lookups += 1
            if count.lookups > SPF_LOOKUP_LIMIT:
                return "permerror", "more than 10 DNS look-ups"
            target = _expand(redirect.value, ip, domain, self.domain)
            result, why = await self._check_host(ip, target, count, depth + 1)
            return ("permerror", why) if result == "none" else (result, why)
        return "neutral", f"no mechanism matched at {domain}"

    async def _match(
        self, ip: IPAddress, domain: str, term: SpfTerm, count: _SpfCount, depth: int
    ) -> tuple[bool | str, str]:
        """(True/False, "") for a (non-)match, or (error result, why)."""
        name = term.name
        if name == "all":
            return True, ""
        if name in ("ip4", "ip6"):
            network = ipaddress.ip_network(term.value, strict=False)
            return (ip.version == network.version and ip in network), ""
        if name == "ptr":
            return False, ""  # not evaluated: discouraged, and needs reverse DNS we don't serve
        target = _expand(term.value, ip, domain, self.domain) if term.value else domain
        if name == "include":
            result, why = await self._check_host(ip, target, count, depth + 1)
            if result == "pass":
                return True, ""
            if result in ("fail", "softfail", "neutral"):
                return False, ""
            if result == "none":
                return "permerror", f"include:{target} has no SPF record"
            return result, why
        if name == "exists":
            look = await self.get(target, "A")
            if look.status == "error":
                return "temperror", look.describe()
            if look.empty:
                return self._void(count, target)
            return True, ""
        if name == "a":
            hosts = [target]
        else:  # mx
            look = await self.get(target, "MX")
            if look.status == "error":
                return "temperror", look.describe()
            if look.empty or not look.mx:
                return self._void(count, target)
            if len(look.mx) > SPF_MX_LIMIT:
                return "permerror", f"{target} has more than {SPF_MX_LIMIT} MX records"
            hosts = [host for _, host in look.mx if host]
        rdtype = "A" if ip.version == 4 else "AAAA"
        prefix = term.cidr4 if ip.version == 4 else term.cidr6
        answers = await asyncio.gather(*(self.get(h, rdtype) for h in hosts))
        for look in answers:
            if look.status == "error":
                return "temperror", look.describe()
            for address in look.records:
                network = ipaddress.ip_network(
                    f"{address}/{prefix if prefix is not None else ip.max_prefixlen}", strict=False
                )
                if ip in network:
                    return True, ""
        if name == "a" and answers[0].empty:
            return self._void(count, target)
        return False, ""

    @staticmethod
    def _void(count: _SpfCount, target: str) -> tuple[bool | str, str]:
        count.voids += 1
        if count.voids > SPF_VOID_LIMIT:
            return "permerror", f"more than {SPF_VOID_LIMIT} void look-ups (last: {target})"
        return False, ""

    # -- DKIM ------------------------------------------------------------------

    async def dkim(self, selector: str, provider: bool) -> list[Finding]:
        name = f"{selector}._domainkey.{self.domain}"
        look = await self.get(name, "TXT")
        if look.status == "error":
            return [_finding("dkim_unknown", "unknown", look.describe(), selector=selector)]
        records = [t for t in look.records if t.lstrip().lower().startswith("v=dkim1") or "p=" in t]
        if not records:
            if provider:
                return [
                    _finding(
                        "dkim_missing",
                        "error",
                        f"no DKIM key at {name} ({look.status}): mail the provider signs with"
                        f" selector {selector!r} fails DKIM",
                        selector=selector,
                    )
                ]
            return []
        if len(records) > 1:
            return [
                _finding(
                    "dkim_syntax",
                    "error",
                    f"{name} has {len(records)} key records",
                    selector=selector,
                )
            ]
        return _dkim_key(name, selector, provider, records[0])

    # -- DMARC -------------------------------------------------------------------

    async def dmarc(self) -> list[Finding]:
        d = self.domain
        org = organizational_domain(d)
        labels = d.split(".")
        candidates = [".".join(labels[i:]) for i in range(len(labels) - len(org.split(".")) + 1)]
        candidates = candidates[:1] + candidates[1:][-7:]  # DMARCbis: at most 8 names
        looks = await asyncio.gather(*(self.get(f"_dmarc.{c}", "TXT") for c in candidates))
        found_at = ""
        records: list[str] = []
        for candidate, look in zip(candidates, looks, strict=True):
            if look.status == "error":
                return [_finding("dmarc_unknown", "unknown", look.describe(), domain=candidate)]
            records = [t for t in look.records if t.strip().lower().startswith("v=dmarc1")]
            if records:
                found_at = candidate
                break
        if not records:
            walked = ", ".join(f"_dmarc.{c}" for c in candidates)
            return [_finding("dmarc_missing", "error", f"no v=DMARC1 record at {walked}", domain=d)]
        if len(records) > 1:
            return [
                _finding(
                    "dmarc_multiple",
                    "error",
                    f"_dmarc.{found_at} has {len(records)} DMARC records (none applies): "
                    + " | ".join(records),
                    domain=found_at,
                    count=len(records),
                )
            ]
        return await self._dmarc_record(found_at, records[0])

    async def _dmarc_record(self, found_at: str, text: str) -> list[Finding]:
        d = self.domain
        tags, problems = parse_tags(text)
        findings: list[Finding] = []
        for tag, value, why in _dmarc_problems(tags, problems):
            findings.append(
                _finding(
                    "dmarc_syntax",
                    "error",
                    f"_dmarc.{found_at}: {why} in {text!r}",
                    tag=tag,
                    value=value,
                    domain=found_at,
                )
            )
        p = tags.get("p", "").lower()
        sp = tags.get("sp", "").lower()
        inherited = found_at != d
        policy = (sp or p) if inherited else p
        if policy not in ("none", "quarantine", "reject"):
            policy = "none"  # no p or a bad one: RFC 9989 treats it as none
        where = f"_dmarc.{found_at}" + (f" (organizational domain of {d})" if inherited else "")
        if policy == "none":
            code = "dmarc_subdomain_none" if inherited and sp else "dmarc_policy_none"
            findings.append(
                _finding(
                    code,
                    "warning",
                    f"{where}: policy none, receivers take no action on failing mail",
                    domain=found_at,
                    policy="none",
                )
            )
        elif not inherited and sp == "none":
            findings.append(
                _finding(
                    "dmarc_subdomain_none",
                    "warning",
                    f"{where}: sp=none leaves subdomains unprotected",
                    domain=found_at,
                    policy=p,
                )
            )
        destinations = _report_addresses(tags.get("rua", "")) + _report_addresses(
            tags.get("ruf", "")
        )
        if not tags.get("rua"):
            findings.append(
                _finding(
                    "dmarc_no_rua",
                    "warning",
                    f"{where}: no rua= tag, nobody receives aggregate reports",
                    domain=found_at,
                )
            )
        findings.extend(await self._rua_authorized(found_at, destinations))
        if not any(f.severity in ("warning", "error", "unknown") for f in findings):
            extra = "" if tags.get("pct", "100") == "100" else f", pct={tags['pct']}"
            findings.insert(
                0,
                _finding(
                    "dmarc_ok",
                    "ok",
                    f"{where}: {text}{extra}",
                    domain=found_at,
                    policy=policy,
                ),
            )
        return findings

    async def _rua_authorized(self, found_at: str, addresses: list[str]) -> list[Finding]:
        """RFC 7489 7.1: external report destinations must publish an authorization."""
        org = organizational_domain(found_at)
        external: dict[str, list[str]] = {}
        for address in addresses:
            dest = address.rsplit("@", 1)[1].lower().rstrip(".")
            if organizational_domain(dest) != org:
                external.setdefault(dest, []).append(address)
        dests = list(external)
        looks = await asyncio.gather(
            *(self.get(f"{found_at}._report._dmarc.{dest}", "TXT") for dest in dests)
        )
        findings: list[Finding] = []
        for dest, look in zip(dests, looks, strict=True):
            if look.status == "error":
                findings.append(_finding("dmarc_unknown", "unknown", look.describe(), domain=dest))
            elif not any(t.strip().lower().startswith("v=dmarc1") for t in look.records):
                findings.append(
                    _finding(
                        "dmarc_rua_unauthorized",
                        "warning",
                        f"reports for {found_at} go to {dest}, which does not authorize them"
                        f" (no v=DMARC1 at {look.name}): they will not be sent",
                        address=", ".join(external[dest]),
                        domain=dest,
                    )
                )
        return findings

    # -- MTA-STS and TLS-RPT -------------------------------------------------------------

    async def txt_presence(self, check: str, name: str, version: str) -> list[Finding]:
        look = await self.get(name, "TXT")
        if look.status == "error":
            return [_finding(f"{check}_unknown", "unknown", look.describe())]
        records = [t for t in look.records if re.match(re.escape(version) + r"\s*(;|$)", t)]
        if len(records) == 1:
            return [_finding(f"{check}_present", "ok", f"{name}: {records[0]}", record=records[0])]
        detail = f"no {version} record at {name}"
        if len(records) > 1:
            detail = f"{len(records)} {version} records at {name}: treated as none"
        return [_finding(f"{check}_absent", "ok", detail)]


class _SpfWalk:
    """The static walk of a domain's SPF tree: counts, loops, and per-record problems."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.count = _SpfCount()
        self.findings: list[Finding] = []
        self.unknown: list[str] = []
        self.voids: list[str] = []

    def add(self, finding: Finding) -> None:
        if not any(f.code == finding.code and f.params == finding.params for f in self.findings):
            self.findings.append(finding)

    async def visit(self, domain: str, path: tuple[str, ...], *, final: bool, via: str) -> None:
        top = not path
        look, records = await self.run.spf_records(domain)
        if look.status == "error":
            self.unknown.append(look.describe())
            return
        if not top and not records:
            self.add(
                _finding(
                    "spf_include_without_spf",
                    "error",
                    f"{via} points to {domain}, which has no SPF record ({look.status}): permerror",
                    host=domain,
                )
            )
            return
        if not top and len(records) > 1:
            self.add(
                _finding(
                    "spf_multiple",
                    "error",
                    f"{domain} (via {via}) has {len(records)} SPF records",
                    domain=domain,
                    count=len(records),
                )
            )
            return
        record = parse_spf(records[0])
        for bad_term, why in record.errors:
            self.add(
                _finding(
                    "spf_syntax",
                    "error",
                    f"{domain}: {bad_term!r}: {why}",
                    term=bad_term,
                    domain=domain,
                )
            )
        if record.errors:
            return
        all_term = record.all_term
        redirect = record.modifier("redirect")
        if all_term is not None and all_term.qualifier in ("", "+"):
            self.add(
                _finding(
                    "spf_plus_all",
                    "error",
                    f"{domain}: {all_term.text} lets anyone send as the domain",
                    domain=domain,
                )
            )
        if final and all_term is not None and all_term.qualifier == "?":
            self.add(
                _finding(
                    "spf_neutral_all",
                    "warning",
                    f"{domain}: ?all gives no protection",
                    domain=domain,
                )
            )
        if final and all_term is None and redirect is None:
            self.add(
                _finding(
                    "spf_no_all",
                    "warning",
                    f"{domain}: no all mechanism and no redirect (default result neutral)",
                    domain=domain,
                )
            )
        if redirect is not None and all_term is not None:
            self.add(
                _finding(
                    "spf_redirect_ignored",
                    "warning",
                    f"{domain}: {redirect.text} is ignored because {all_term.text} is present",
                    domain=domain,
                    target=redirect.value,
                )
            )
        jobs: list[Awaitable[None]] = []
        for term in record.mechanisms:
            if term.name not in _SPF_LOOKUP_TERMS:
                continue
            self.count.lookups += 1
            if term.name == "ptr":
                self.add(
                    _finding(
                        "spf_ptr",
                        "warning",
                        f"{domain}: {term.text} is slow and unreliable (RFC 7208 5.5)",
                        domain=domain,
                    )
                )
                continue
            if "%" in term.value:
                continue  # depends on the sender: not resolvable statically
            target = (term.value or domain).lower().rstrip(".")
            if term.name == "include":
                jobs.append(self._follow(target, (*path, domain), final=False, via=term.text))
            else:
                jobs.append(self._void_check(term.name, target, term.text))
        if redirect is not None and all_term is None:
            self.count.lookups += 1
            if "%" not in redirect.value:
                target = redirect.value.lower().rstrip(".")
                jobs.append(self._follow(target, (*path, domain), final=final, via=redirect.text))
        await asyncio.gather(*jobs)

    async def _follow(self, target: str, path: tuple[str, ...], *, final: bool, via: str) -> None:
        if target in path:
            self.add(
                _finding(
                    "spf_loop",
                    "error",
                    f"{' -> '.join((*path, target))}: {via} loops back",
                    host=target,
                )
            )
            return
        if len(path) > _SPF_MAX_DEPTH or self.count.lookups > 3 * SPF_LOOKUP_LIMIT:
            return
        await self.visit(target, path, final=final, via=via)

    async def _void_check(self, mechanism: str, target: str, text: str) -> None:
        if mechanism == "mx":
            look = await self.run.get(target, "MX")
            hosts = [host for _, host in look.mx if host]
            if hosts:  # the evaluation will need their addresses: ask now
                await asyncio.gather(*(self.run.addresses(h) for h in hosts[:SPF_MX_LIMIT]))
            answers = [look]
        elif mechanism == "a":
            answers = list(await self.run.addresses(target))
        else:  # exists
            answers = [await self.run.get(target, "A")]
        if any(x.status == "error" for x in answers):
            self.unknown.extend(x.describe() for x in answers if x.status == "error")
        elif all(x.empty or (mechanism == "mx" and not x.mx) for x in answers):
            self.count.voids += 1
            self.voids.append(text)


def _dkim_key(name: str, selector: str, provider: bool, text: str) -> list[Finding]:
    tags, problems = parse_tags(text)
    findings: list[Finding] = []

    def bad(why: str) -> list[Finding]:
        return [_finding("dkim_syntax", "error", f"{name}: {why}", selector=selector)]

    if problems:
        return bad("; ".join(problems))
    first = text.strip().split(";", 1)[0].split("=", 1)[0].strip().lower()
    if "v" in tags and (first != "v" or tags["v"] != "DKIM1"):
        return bad(f"v={tags['v']} (must be the first tag and DKIM1)")
    if "p" not in tags:
        return bad("no p= tag")
    key_type = tags.get("k", "rsa").lower()
    flags = {flag.strip().lower() for flag in tags.get("t", "").split(":")}
    if "y" in flags:
        findings.append(
            _finding(
                "dkim_testing",
                "warning",
                f"{name}: t=y, receivers treat the domain as testing DKIM",
                selector=selector,
            )
        )
    raw = re.sub(r"\s+", "", tags["p"])
    if raw == "":
        return [
            _finding(
                "dkim_revoked",
                "error" if provider else "ok",
                f"{name}: empty p=, the key is revoked",
                selector=selector,
            )
        ]
    if key_type not in ("rsa", "ed25519"):
        return [
            _finding(
                "dkim_unknown_key_type",
                "error",
                f"{name}: k={key_type} (only rsa and ed25519 exist)",
                selector=selector,
                key_type=key_type,
            )
        ]
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return bad("p= is not valid base64")
    if key_type == "ed25519":
        if len(key) != 32:
            return bad(f"an Ed25519 key is 32 bytes, this one is {len(key)}")
        findings.insert(
            0,
            _finding(
                "dkim_ok", "ok", f"{name}: Ed25519 key", selector=selector, key_type="ed25519"
            ),
        )
        return findings
    try:
        bits = rsa_key_bits(key)
    except ValueError as exc:
        return bad(f"p= is not an RSA public key ({exc})")
    if bits < 1024:
        findings.append(
            _finding(
                "dkim_weak_key",
                "error",
                f"{name}: RSA {bits} bits, receivers ignore keys under 1024 bits",
                selector=selector,
                bits=bits,
            )
        )
    elif bits < 2048:
        findings.append(
            _finding(
                "dkim_short_key",
                "warning",
                f"{name}: RSA {bits} bits, 2048 is recommended",
                selector=selector,
                bits=bits,
            )
        )
    else:
        findings.insert(
            0,
            _finding(
                "dkim_ok",
                "ok",
                f"{name}: RSA {bits} bits",
                selector=selector,
                key_type="rsa",
                bits=bits,
            ),
        )
    return findings


_DMARC_VALUES: dict[str, str] = {
    "p": r"(?i:none|quarantine|reject)",
    "sp": r"(?i:none|quarantine|reject)",
    "np": r"(?i:none|quarantine|reject)",
    "adkim": r"(?i:[rs])",
    "aspf": r"(?i:[rs])",
    "pct": r"(?:100|[1-9]?\d)",
    "fo": r"(?i:[01ds](?::[01ds])*)",
    "rf": r"(?i:[a-z0-9-]+(?::[a-z0-9-]+)*)",
    "ri": r"\d{1,10}",
    "psd": r"(?i:[ynu])",
    "t": r"(?i:[yn])",
}


def _dmarc_problems(tags: dict[str, str], problems: list[str]) -> list[tuple[str, str, str]]:
    """(tag, value, why) for every syntax problem of a DMARC record."""
    out: list[tuple[str, str, str]] = [("", "", why) for why in problems]
    if tags.get("v") != "DMARC1":
        out.append(("v", tags.get("v", ""), "v= must be exactly DMARC1"))
    for tag, pattern in _DMARC_VALUES.items():
        if tag in tags and not re.fullmatch(pattern, tags[tag]):
            out.append((tag, tags[tag], f"bad value for {tag}="))
    for tag in ("rua", "ruf"):
        if tag not in tags:
            continue
        for uri in (u.strip() for u in tags[tag].split(",")):
            if uri.lower().startswith("mailto:"):
                address = uri[7:].split("!", 1)
                size_ok = len(address) == 1 or re.fullmatch(r"\d+[kmgt]?", address[1], re.I)
                mailbox = address[0]
                local, at, dom = mailbox.rpartition("@")
                if not (at and local and _valid_hostname(dom) and size_ok):
                    out.append((tag, uri, f"bad mailto URI in {tag}="))
            elif not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", uri):
                out.append((tag, uri, f"bad URI in {tag}="))
    return out


def _report_addresses(value: str) -> list[str]:
    """The mailto: addresses of a rua=/ruf= value."""
    addresses = []
    for uri in value.split(","):
        uri = uri.strip()
        if uri.lower().startswith("mailto:"):
            address = uri[7:].split("!", 1)[0]
            if "@" in address and _valid_hostname(address.rsplit("@", 1)[1]):
                addresses.append(address)
    return addresses
