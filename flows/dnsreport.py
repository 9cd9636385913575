"""What a DNS check of a mail domain found: plain data the flows explain and file.

The checker (bot/dnscheck.py) does the lookups; this module only holds the
result. Each finding has a stable `code`, a `severity`, `params` for the
customer's explanation and `detail`, the technical line for staff.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

Severity = Literal["ok", "warning", "error", "unknown"]
SEVERITY_ORDER: dict[str, int] = {"ok": 0, "unknown": 1, "warning": 2, "error": 3}

# Every code a check may report, grouped by the check that reports it.
CODES: dict[str, tuple[str, ...]] = {
    "domain": ("domain_invalid", "domain_not_found"),
    "mx": (
        "mx_ok",
        "mx_missing",
        "mx_null",
        "mx_no_address",
        "mx_cname",
        "mx_elsewhere",
        "mx_unknown",
    ),
    "spf": (
        "spf_ok",
        "spf_missing",
        "spf_multiple",
        "spf_syntax",
        "spf_too_many_lookups",
        "spf_void_lookups",
        "spf_loop",
        "spf_include_without_spf",
        "spf_redirect_ignored",
        "spf_ptr",
        "spf_plus_all",
        "spf_neutral_all",
        "spf_no_all",
        "spf_provider_authorized",
        "spf_provider_not_authorized",
        "spf_unknown",
    ),
    "dkim": (
        "dkim_ok",
        "dkim_missing",
        "dkim_revoked",
        "dkim_syntax",
        "dkim_weak_key",
        "dkim_short_key",
        "dkim_testing",
        "dkim_unknown_key_type",
        "dkim_unknown",
    ),
    "dmarc": (
        "dmarc_ok",
        "dmarc_missing",
        "dmarc_multiple",
        "dmarc_syntax",
        "dmarc_policy_none",
        "dmarc_subdomain_none",
        "dmarc_no_rua",
        "dmarc_rua_unauthorized",
        "dmarc_unknown",
    ),
    "mta_sts": ("mta_sts_present", "mta_sts_absent", "mta_sts_unknown"),
    "tls_rpt": ("tls_rpt_present", "tls_rpt_absent", "tls_rpt_unknown"),
}
ALL_CODES = frozenset(code for codes in CODES.values() for code in codes)


class Finding(BaseModel):
    """One thing a check found."""

    code: str
    severity: Severity
    params: dict[str, str | int] = Field(default_factory=dict)
    detail: str = ""  # technical, for staff (English, not translated)


class DnsReport(BaseModel):
    """The findings of one check of one domain."""

    domain: str  # as the customer wrote it
    ascii_domain: str  # IDNA form actually queried
    checked_at: str  # ISO 8601, UTC
    elapsed_ms: int = 0
    findings: list[Finding] = Field(default_factory=list)

    def worst(self) -> Severity:
        if not self.findings:
            return "unknown"
        return max((f.severity for f in self.findings), key=SEVERITY_ORDER.__getitem__)

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)

    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity in ("warning", "error")]

    def as_ticket_json(self) -> dict[str, Any]:
        return self.model_dump()


class DnsPort(Protocol):
    """How the flows ask for a check (the runtime does the lookups)."""

    def check(self, domain: str, fresh: bool = False) -> DnsReport:
        """Check `domain`'s mail DNS; `fresh` bypasses cached answers."""
