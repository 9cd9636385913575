"""DNS findings in plain words: what each finding means, and what to do about it."""

from __future__ import annotations

from flows.dnsreport import DnsReport, Finding
from flows.text import N_, Lines, T, t

# code -> (what it means, what the customer can do; "" when nothing is to be done)
EXPLAIN: dict[str, tuple[str, str]] = {
    "domain_invalid": (
        N_("{domain} is not a valid domain name."),
        N_("Please check how it is spelled."),
    ),
    "domain_not_found": (
        N_("The domain {domain} does not exist in the DNS."),
        N_("Check how it is spelled, and that its registration has not expired."),
    ),
    "mx_ok": (N_("Mail for the domain is delivered to our servers."), ""),
    "mx_missing": (
        N_("The domain has no MX record, so other servers don't know where to deliver its mail."),
        N_("Add MX records pointing to our mail servers ({hosts})."),
    ),
    "mx_null": (
        N_("The domain declares that it receives no mail at all (a \u201cnull MX\u201d record)."),
        N_("If it should receive mail, replace that record with MX records for {hosts}."),
    ),
    "mx_no_address": (
        N_("The mail server {host} named in the MX records has no address."),
        N_("Fix or remove that MX record."),
    ),
    "mx_cname": (
        N_("The MX record points to {host}, which is an alias (CNAME): that is not allowed."),
        N_("Point the MX record to the server's real name."),
    ),
    "mx_elsewhere": (
        N_(
            "The domain's mail is delivered to {host}, not to our servers: messages sent to "
            "you never reach us."
        ),
        N_(
            "If your mail should be with us, set the MX records to {provider_hosts} "
            "where your DNS is managed."
        ),
    ),
    "mx_unknown": (N_("I could not check where the domain's mail is delivered (MX)."), ""),
    "spf_ok": (N_("The SPF record is valid."), ""),
    "spf_missing": (
        N_(
            "The domain has no SPF record: other servers can't tell which servers may send "
            "its mail."
        ),
        N_("Add an SPF record that includes our servers."),
    ),
    "spf_multiple": (
        N_("The domain has {count} SPF records; there must be exactly one, so none is used."),
        N_("Merge them into a single SPF record."),
    ),
    "spf_syntax": (
        N_("The SPF record has an error: {term}."),
        N_("Correct the SPF record."),
    ),
    "spf_too_many_lookups": (
        N_("The SPF record needs {count} DNS look-ups; the limit is 10, so checks fail."),
        N_("Reduce the includes in the SPF record."),
    ),
    "spf_void_lookups": (
        N_(
            "The SPF record refers to {count} names that do not exist; more than 2 make "
            "checks fail."
        ),
        N_("Remove the entries that point to names that don't exist."),
    ),
    "spf_loop": (
        N_("The SPF record includes itself in a loop (through {host})."),
        N_("Remove the include that leads back to the record itself."),
    ),
    "spf_include_without_spf": (
        N_("The SPF record includes {host}, which has no SPF record."),
        N_("Remove that include or correct its name."),
    ),
    "spf_redirect_ignored": (
        N_(
            "The SPF record has both \u201call\u201d and \u201credirect\u201d: "
            "the redirect is ignored."
        ),
        N_("Keep only one of them."),
    ),
    "spf_ptr": (
        N_("The SPF record uses the \u201cptr\u201d mechanism, which is slow and discouraged."),
        N_("Replace it with ip4/ip6 or include entries."),
    ),
    "spf_plus_all": (
        N_(
            "The SPF record ends with \u201c+all\u201d: it lets any server in the world "
            "send as you."
        ),
        N_("End it with \u201c-all\u201d or \u201c~all\u201d instead."),
    ),
    "spf_neutral_all": (
        N_("The SPF record ends with \u201c?all\u201d, which protects nothing."),
        N_("End it with \u201c-all\u201d or \u201c~all\u201d instead."),
    ),
    "spf_no_all": (
        N_(
            "The SPF record has no final \u201call\u201d: other servers are not told what "
            "to do with mail from servers it does not list."
        ),
        N_("End it with \u201c-all\u201d or \u201c~all\u201d."),
    ),
    "spf_provider_authorized": (N_("Mail sent through our servers passes the SPF check."), ""),
    "spf_provider_not_authorized": (
        N_(
            "Mail sent through our servers ({ip}) does not pass the domain's SPF check: it may "
            "be rejected or end up in spam."
        ),
        N_("Add our servers to the SPF record (for example with our include)."),
    ),
    "spf_unknown": (N_("I could not check the SPF record."), ""),
    "dkim_ok": (N_("The DKIM key (selector {selector}) is valid."), ""),
    "dkim_missing": (
        N_(
            "I found no DKIM key for selector {selector}: mail we sign for the domain fails "
            "the DKIM check."
        ),
        N_("Publish the DKIM key we give you for selector {selector}."),
    ),
    "dkim_revoked": (
        N_("The DKIM key of selector {selector} is revoked (empty)."),
        N_("Publish a new DKIM key."),
    ),
    "dkim_syntax": (
        N_("The DKIM record of selector {selector} has an error."),
        N_("Correct the DKIM record."),
    ),
    "dkim_weak_key": (
        N_("The DKIM key of selector {selector} is only {bits} bits: too weak, it is ignored."),
        N_("Publish a key of at least 2048 bits."),
    ),
    "dkim_short_key": (
        N_("The DKIM key of selector {selector} is {bits} bits; 2048 is recommended."),
        N_("Publish a key of 2048 bits when you can."),
    ),
    "dkim_testing": (
        N_("The DKIM key of selector {selector} is marked as a test (t=y)."),
        N_("Remove t=y once signing works."),
    ),
    "dkim_unknown_key_type": (
        N_("The DKIM key of selector {selector} is of an unknown type."),
        N_("Use an RSA or Ed25519 key."),
    ),
    "dkim_unknown": (N_("I could not check the DKIM keys."), ""),
    "dmarc_ok": (N_("The DMARC policy is valid."), ""),
    "dmarc_missing": (
        N_("The domain has no DMARC record: receivers are not told what to do with forged mail."),
        N_("Add a DMARC record, starting with p=none and a report address."),
    ),
    "dmarc_multiple": (
        N_("The domain has {count} DMARC records; there must be exactly one, so none is used."),
        N_("Keep a single DMARC record."),
    ),
    "dmarc_syntax": (
        N_("The DMARC record has an error in {tag}={value}."),
        N_("Correct the DMARC record."),
    ),
    "dmarc_policy_none": (
        N_("The DMARC policy is p=none: forged mail is reported but not stopped."),
        N_("Once the reports look right, move to p=quarantine or p=reject."),
    ),
    "dmarc_subdomain_none": (
        N_("The DMARC policy for subdomains is sp=none: forged mail from them is not stopped."),
        N_("Set sp=quarantine or sp=reject."),
    ),
    "dmarc_no_rua": (
        N_("The DMARC record asks for no reports (rua), so nobody sees who sends as you."),
        N_("Add a rua= report address."),
    ),
    "dmarc_rua_unauthorized": (
        N_(
            "Reports go to {address}, whose domain has not agreed to receive them, so they "
            "are not sent."
        ),
        N_("Ask the owner of {domain} to authorize your domain, or use an address of your own."),
    ),
    "dmarc_unknown": (N_("I could not check the DMARC record."), ""),
    "mta_sts_present": (N_("MTA-STS is published."), ""),
    "mta_sts_absent": (N_("MTA-STS is not published (optional)."), ""),
    "mta_sts_unknown": (N_("I could not check MTA-STS."), ""),
    "tls_rpt_present": (N_("TLS reporting (TLS-RPT) is published."), ""),
    "tls_rpt_absent": (N_("TLS reporting (TLS-RPT) is not published (optional)."), ""),
    "tls_rpt_unknown": (N_("I could not check TLS reporting (TLS-RPT)."), ""),
}

MARKS = {"ok": "\u2705", "warning": "\u26a0\ufe0f", "error": "\u274c", "unknown": "\u2754"}
_INFORMATIONAL = frozenset({"mta_sts_absent", "tls_rpt_absent"})


def _args(finding: Finding, report: DnsReport, provider_hosts: str) -> dict[str, str | int]:
    args: dict[str, str | int] = {
        "domain": report.domain,
        "host": "",
        "hosts": provider_hosts,
        "provider_hosts": provider_hosts,
        "count": 0,
        "term": "",
        "ip": "",
        "bits": 0,
        "selector": "",
        "tag": "",
        "value": "",
        "address": "",
    }
    args.update(finding.params)
    return args


def explain(finding: Finding, report: DnsReport, provider_hosts: str) -> T:
    """Say one finding in plain words, with what to do about it."""
    meaning, fix = EXPLAIN.get(finding.code, (N_("Finding {code}."), ""))
    args = _args(finding, report, provider_hosts) | {"code": finding.code}
    used = {k: v for k, v in args.items() if "{" + k + "}" in meaning}
    line = T(meaning, dict(used))
    if fix and finding.severity in ("warning", "error"):
        fix_args = {k: v for k, v in args.items() if "{" + k + "}" in fix}
        return t(
            "{mark} {meaning} {fix}",
            mark=MARKS[finding.severity],
            meaning=line,
            fix=T(fix, dict(fix_args)),
        )
    return t("{mark} {meaning}", mark=MARKS[finding.severity], meaning=line)


def report_lines(report: DnsReport, provider_hosts: str, everything: bool = False) -> Lines:
    """List the findings worth telling: problems first; with `everything`, what is fine too."""
    shown = [
        f
        for f in sorted(
            report.findings, key=lambda f: ("error", "warning", "unknown", "ok").index(f.severity)
        )
        if everything or (f.severity != "ok" and f.code not in _INFORMATIONAL)
    ]
    return Lines(tuple(explain(f, report, provider_hosts) for f in shown))
