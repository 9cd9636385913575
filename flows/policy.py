"""The provider's policy: a validated data file, with defaults shipped beside it."""

from __future__ import annotations

import ipaddress
import random
import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_POLICY = Path(__file__).with_name("policy.toml")

CATEGORIES = (
    "email_sending",
    "email_receiving",
    "dns_configuration",
    "mailbox_administration",
    "domain_registration",
    "hosting",
    "sales_administration",
    "general",
)
TEAMS = ("technical", "sales")
IN_SCOPE = (
    "connectivity",
    "config_portal",
    "mailboxes",
    "passwords",
    "domain_auth",
    "webmail_advice",
)
OUT_OF_SCOPE = ("firewall", "antivirus", "internet_connection", "mail_client", "other_provider")
TOPICS = ("email", "mailbox_admin", "password", "dns_check", "sales", "domain", "hosting", "other")
CHANNELS = ("terminal", "telegram", "email", "slack")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Priority = Literal["low", "normal"]

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class PolicyError(ValueError):
    """The policy file cannot be used; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider(_Strict):
    name: str = Field(min_length=1)
    hosted_domains: tuple[str, ...] = Field(min_length=1)
    webmail_url: str = Field(pattern=r"^https?://\S+$")
    smtp_host: str = Field(min_length=1)
    imap_host: str = Field(min_length=1)
    config_portal_url: str = Field(pattern=r"^https?://\S+$")
    remote_support_url: str = ""

    @field_validator("hosted_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for raw in value:
            name = raw.strip().rstrip(".").lower()
            try:
                ascii_name = name.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise ValueError(f"{raw!r} is not a valid domain name") from exc
            if not _DOMAIN.match(ascii_name):
                raise ValueError(f"{raw!r} is not a valid domain name")
            out.append(ascii_name)
        return tuple(out)


class Scope(_Strict):
    in_scope: tuple[str, ...]
    out_of_scope: tuple[str, ...] = Field(min_length=1)

    @field_validator("in_scope")
    @classmethod
    def _known_in(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known(value, IN_SCOPE)

    @field_validator("out_of_scope")
    @classmethod
    def _known_out(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known(value, OUT_OF_SCOPE)


class Partner(_Strict):
    name: str = Field(min_length=1)
    contact: str = Field(min_length=1)


class PriorityRule(_Strict):
    priority: Priority
    category: tuple[str, ...] | None = None
    channel: tuple[str, ...] | None = None
    topic: tuple[str, ...] | None = None
    webmail_fails: bool | None = None

    @field_validator("category")
    @classmethod
    def _cat(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _known(value, CATEGORIES)

    @field_validator("channel")
    @classmethod
    def _chan(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _known(value, CHANNELS)

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _known(value, TOPICS)

    def matches(self, category: str, channel: str, topic: str, webmail_fails: bool | None) -> bool:
        """Tell whether every condition of the rule holds."""
        return (
            (self.category is None or category in self.category)
            and (self.channel is None or channel in self.channel)
            and (self.topic is None or topic in self.topic)
            and (self.webmail_fails is None or self.webmail_fails == webmail_fails)
        )


class PriorityRules(_Strict):
    default: Priority = "low"
    rules: tuple[PriorityRule, ...] = ()


class Tickets(_Strict):
    code_format: str = "SPT-###-#####"
    max_examples: int = Field(default=5, ge=1, le=20)
    # Files (screenshots) customers may attach; seed 004 accepts 1 MB by e-mail.
    max_attachment_bytes: int = Field(default=1_048_576, ge=1024, le=50_000_000)
    max_attachments: int = Field(default=10, ge=1, le=100)

    @field_validator("code_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value.count("#") < 6:
            raise ValueError("needs at least six '#' (random digits) to keep codes unique")
        if not re.fullmatch(r"[A-Z0-9#-]{6,32}", value):
            raise ValueError("may hold only capital letters, digits, '-' and '#'")
        return value

    def new_code(self, rng: random.Random) -> str:
        """Draw a code of the configured shape."""
        return "".join(str(rng.randrange(10)) if c == "#" else c for c in self.code_format)


class OfficeHours(_Strict):
    timezone: str = "Europe/Rome"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    open: time = time(9, 0)
    close: time = time(17, 30)
    holidays: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one working day is needed")
        return _known(value, WEEKDAYS)

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item == "easter_monday":
                continue
            try:
                if len(item) == 5:
                    date.fromisoformat(f"2000-{item}")
                else:
                    date.fromisoformat(item)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not MM-DD, YYYY-MM-DD or 'easter_monday'") from exc
        return value

    @model_validator(mode="after")
    def _order(self) -> OfficeHours:
        if self.open >= self.close:
            raise ValueError("'open' must come before 'close'")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        """Tell whether `day` is a public holiday of the provider."""
        for item in self.holidays:
            if item == "easter_monday":
                if day == easter_sunday(day.year) + timedelta(days=1):
                    return True
            elif len(item) == 5:
                if day.strftime("%m-%d") == item:
                    return True
            elif day.isoformat() == item:
                return True
        return False

    def is_working_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.days and not self.is_holiday(day)

    def next_examination(self, now: datetime) -> datetime | None:
        """Return when staff will next be in, or None when they are in now."""
        local = now.astimezone(self.zone)
        if self.is_working_day(local.date()) and self.open <= local.time() < self.close:
            return None
        day = local.date()
        if local.time() >= self.open:
            day += timedelta(days=1)
        for _ in range(370):
            if self.is_working_day(day):
                return datetime.combine(day, self.open, tzinfo=self.zone)
            day += timedelta(days=1)
        raise PolicyError("office_hours: no working day within a year")


class DnsPolicy(_Strict):
    """What the DNS check of a customer's domain compares against."""

    mx_hosts: tuple[str, ...] = ("mx1.example.net", "mx2.example.net")
    outbound_ips: tuple[str, ...] = ("192.0.2.25", "2001:db8::25")
    dkim_selectors: tuple[str, ...] = ("sportello",)
    common_dkim_selectors: tuple[str, ...] = ("default", "selector1", "selector2", "google", "k1")
    query_timeout: float = Field(default=1.5, gt=0, le=30)
    deadline: float = Field(default=4.0, gt=0, le=60)

    @field_validator("mx_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h.strip().rstrip(".").lower() for h in value)

    @field_validator("outbound_ips")
    @classmethod
    def _ips(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
        return value

    @field_validator("dkim_selectors", "common_dkim_selectors")
    @classmethod
    def _selectors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,62})", item):
                raise ValueError(f"{item!r} is not a DKIM selector")
        return value


class Policy(_Strict):
    provider: Provider
    scope: Scope
    partners: tuple[Partner, ...] = ()
    teams: dict[str, str]
    priority: PriorityRules = PriorityRules()
    tickets: Tickets = Tickets()
    office_hours: OfficeHours = OfficeHours()
    dns: DnsPolicy = DnsPolicy()

    @field_validator("teams")
    @classmethod
    def _teams(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [c for c in CATEGORIES if c not in value]
        if missing:
            raise ValueError(f"no team for categories: {', '.join(missing)}")
        _known(tuple(value), CATEGORIES)
        _known(tuple(value.values()), TEAMS)
        return value

    def hosts(self, domain: str) -> bool:
        """Tell whether the provider hosts mail for `domain` (or a parent of it)."""
        try:
            domain = domain.strip().rstrip(".").lower().encode("idna").decode("ascii")
        except UnicodeError:
            return False
        return any(
            domain == hosted or domain.endswith("." + hosted)
            for hosted in self.provider.hosted_domains
        )

    def priority_for(
        self, category: str, channel: str, topic: str, webmail_fails: bool | None
    ) -> Priority:
        for rule in self.priority.rules:
            if rule.matches(category, channel, topic, webmail_fails):
                return rule.priority
        return self.priority.default


def _known(values: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {', '.join(map(repr, unknown))}; known: {', '.join(allowed)}")
    return values


def easter_sunday(year: int) -> date:
    """Compute Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def parse_policy(text: str, source: str = "policy") -> Policy:
    """Parse and validate policy TOML; raise `PolicyError` naming each bad key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"  {where}: {err['msg']}")
        raise PolicyError(f"{source}: invalid policy\n" + "\n".join(problems)) from exc


def load_policy(path: Path | None = None) -> Policy:
    """Read the policy at `path`, or the shipped defaults."""
    path = path or DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: the policy file must be UTF-8 text ({exc.reason})") from exc
    return parse_policy(text, str(path))
