"""The flows' `DnsPort` over the asynchronous checker: one blocking call per check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Protocol

from flows.dnsreport import DnsReport, Finding

log = logging.getLogger(__name__)


class AsyncChecker(Protocol):
    def check(self, domain: str, fresh: bool = False) -> Awaitable[DnsReport]: ...


class BlockingDns:
    """Runs a check to completion for the synchronous flow (in a thread of its own)."""

    def __init__(self, checker: AsyncChecker) -> None:
        self.checker = checker

    def check(self, domain: str, fresh: bool = False) -> DnsReport:
        try:
            return asyncio.run(self._check(domain, fresh))
        except Exception:  # the conversation goes on; staff see that nothing was checked
            log.exception("DNS check of %s failed", domain)
            return could_not_check(domain)

    async def _check(self, domain: str, fresh: bool) -> DnsReport:
        return await self.checker.check(domain, fresh=fresh)


def could_not_check(domain: str) -> DnsReport:
    """A report saying every check is unknown (the checker itself failed)."""
    return DnsReport(
        domain=domain,
        ascii_domain=domain,
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        findings=[
            Finding(code=f"{name}_unknown", severity="unknown", detail="the check did not run")
            for name in ("mx", "spf", "dkim", "dmarc")
        ],
    )
