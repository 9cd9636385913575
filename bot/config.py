"""Settings, read once at start-up from the environment and the command line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.dnscheck import parse_nameserver
from flows.policy import TEAMS, Policy, PolicyError, load_policy
from storage.store import database_url

PRUNE_DAYS = 7.0  # handled Telegram updates are forgotten after this many days (bot.serve)
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


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
    webhook_secret: str | None = None  # Telegram sends it with every webhook update
    slack_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    slack_channels: tuple[tuple[str, str], ...] = ()  # (team, channel id)
    staff_language: str = "en"
    public_url: str | None = None  # where staff reach this server (attachment links in Slack)
    link_days: float = 7.0  # how long an attachment link in Slack opens the file

    def secrets(self) -> tuple[str, ...]:
        """What the log must never show: tokens, secrets, the database password."""
        values = (
            self.telegram_token,
            self.webhook_secret,
            self.slack_token,
            self.slack_signing_secret,
            self.slack_app_token,
            make_url(self.database_url).password,
        )
        return tuple(str(v) for v in values if v)


def load_settings(
    env: Mapping[str, str],
    policy: Path | None = None,
    database: str | None = None,
    webhook_secret: str | None = None,
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
    secret = webhook_secret or env.get("TELEGRAM_WEBHOOK_SECRET") or None
    if secret is not None and not WEBHOOK_SECRET.fullmatch(secret):
        raise SettingsError(
            "TELEGRAM_WEBHOOK_SECRET (or --secret-token) must be 1 to 256 characters "
            "among A-Z, a-z, 0-9, _ and -"
        )
    slack_token = env.get("SLACK_BOT_TOKEN") or None
    channels = tuple(
        (team, env[f"SLACK_CHANNEL_{team.upper()}"])
        for team in TEAMS
        if env.get(f"SLACK_CHANNEL_{team.upper()}")
    )
    if slack_token:
        missing = [t for t in TEAMS if t not in dict(channels)]
        if missing:
            names = ", ".join(f"SLACK_CHANNEL_{t.upper()}" for t in missing)
            raise SettingsError(f"SLACK_BOT_TOKEN is set: {names} must name the teams' channels")
        if not (env.get("SLACK_SIGNING_SECRET") or env.get("SLACK_APP_TOKEN")):
            raise SettingsError(
                "SLACK_BOT_TOKEN is set: SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN "
                "(Socket Mode) is needed too"
            )
    staff_language = env.get("SPORTELLO_STAFF_LANG", "en")
    if staff_language not in ("en", "it", "es"):
        raise SettingsError(f"SPORTELLO_STAFF_LANG must be en, it or es, not {staff_language!r}")
    days = env.get("SPORTELLO_ATTACHMENT_LINK_DAYS", "7").strip() or "7"
    try:
        link_days = float(days)
    except ValueError:
        link_days = -1.0
    if not 0 < link_days <= 3650:
        raise SettingsError(
            f"SPORTELLO_ATTACHMENT_LINK_DAYS must be a number of days (0 to 3650), not {days!r}"
        )
    return Settings(
        link_days=link_days,
        slack_token=slack_token,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=env.get("SLACK_APP_TOKEN") or None,
        slack_api_url=env.get("SLACK_API_URL") or None,
        slack_channels=channels,
        staff_language=staff_language,
        public_url=env.get("SPORTELLO_PUBLIC_URL") or None,
        policy=loaded,
        database_url=url,
        nameservers=nameservers,
        dns_checks=switch in ("on", "1", "yes", "true"),
        telegram_token=env.get("TELEGRAM_TOKEN") or None,
        telegram_api_url=api_url,
        webhook_secret=secret,
    )
