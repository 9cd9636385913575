"""Settings, read once at start-up from the environment and the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.dnscheck import parse_nameserver
from flows.policy import Policy, PolicyError, load_policy
from storage.store import database_url


class SettingsError(ValueError):
    """A setting cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    policy: Policy
    database_url: str
    nameservers: tuple[str, ...] = ()  # empty: the system's resolver
    dns_checks: bool = True
    telegram_token: str | None = None
    telegram_api_url: str | None = None  # a local Bot API server, e.g. http://127.0.0.1:9000/bot


def load_settings(
    env: Mapping[str, str], policy: Path | None = None, database: str | None = None
) -> Settings:
    """Validate the settings; command-line values win over the environment."""
    policy_path = policy or (Path(env["SPORTELLO_POLICY"]) if env.get("SPORTELLO_POLICY") else None)
    try:
        loaded = load_policy(policy_path)
    except PolicyError as exc:
        raise SettingsError(str(exc)) from exc
    url = database_url(database or env.get("DATABASE_URL") or None)
    try:
        make_url(url)
    except ArgumentError as exc:
        raise SettingsError(f"DATABASE_URL {url!r} is not a database URL: {exc}") from exc
    nameservers = tuple(
        n.strip() for n in env.get("SPORTELLO_NAMESERVERS", "").split(",") if n.strip()
    )
    for server in nameservers:
        try:
            parse_nameserver(server)
        except ValueError as exc:
            raise SettingsError(
                f"SPORTELLO_NAMESERVERS: {server!r} is not IP[:PORT] ({exc})"
            ) from exc
    switch = env.get("SPORTELLO_DNS_CHECKS", "on").strip().lower()
    if switch not in ("on", "off", "1", "0", "yes", "no", "true", "false"):
        raise SettingsError(f"SPORTELLO_DNS_CHECKS must be on or off, not {switch!r}")
    api_url = env.get("TELEGRAM_API_URL") or None
    if api_url is not None and not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"TELEGRAM_API_URL must be an http(s) URL, not {api_url!r}")
    return Settings(
        policy=loaded,
        database_url=url,
        nameservers=nameservers,
        dns_checks=switch in ("on", "1", "yes", "true"),
        telegram_token=env.get("TELEGRAM_TOKEN") or None,
        telegram_api_url=api_url,
    )
