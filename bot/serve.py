"""`sportello serve`: Telegram, Slack, the HTTP server and the outbox sender in one process.

Each part runs when its settings are there: Telegram with TELEGRAM_TOKEN,
Slack with SLACK_BOT_TOKEN (HTTP with SLACK_SIGNING_SECRET, or Socket Mode with
SLACK_APP_TOKEN), and the sender for whichever of the two is configured. The
HTTP server (Slack's requests, attachment links, /healthz) always listens.
A part that cannot start (Telegram or Slack unreachable) is tried again with
back-off while the others work; the sender holds that part's messages, without
counting tries, until it is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from telegram.error import InvalidToken

from bot import logs, telegram
from bot.config import PRUNE_DAYS
from bot.outbox import Sender, Transport
from bot.service import Desk
from bot.slack import Alerts, SlackSettings, build_app, link_key
from bot.web import Health, HttpServer, http_app
from storage.store import SqlStore

log = logging.getLogger(__name__)

SLACK_TIMEOUT = 10  # seconds for one Slack Web API call (the sender's own limit is longer)
SLACK_SETTLE = 30.0  # after a lost answer, seconds before the look-up and retry (see Sender)
PRUNE_EVERY = 24 * 3600.0  # old handled updates: looked for at start, then daily
FIRST_RETRY, LAST_RETRY = 1.0, 60.0  # seconds between tries to start a part: doubling


@dataclass(frozen=True)
class Options:
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
    slack_listen: str = "127.0.0.1"
    slack_port: int = 3000


async def serve(
    desk: Desk,
    store: SqlStore,
    tg: telegram.Settings | None,
    slack: SlackSettings | None,
    options: Options,
    stop: asyncio.Event | None = None,
) -> None:
    """Run every configured part until `stop` is set (or SIGINT/SIGTERM)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    health = Health(store)
    transports: dict[str, Transport] = {}
    ready: dict[str, Callable[[], bool]] = {}
    starting: list[asyncio.Task[None]] = []
    socket_mode: SocketModeHandler | None = None
    bolt = None
    if slack is not None:
        client = WebClient(  # no retries of its own: a post retried blindly after a lost answer
            token=slack.token,  # posts twice; the outbox retries, looking first
            base_url=slack.api_url or WebClient.BASE_URL,
            timeout=SLACK_TIMEOUT,
            retry_handlers=[],
        )
        alerts = Alerts(store, desk.renderer, slack, client)
        transports["staff_alert"] = alerts.post_alert
        transports["staff_thread"] = alerts.post_thread
        app = build_app(desk, alerts, slack)
        if slack.app_token:
            socket_mode = SocketModeHandler(app, slack.app_token, web_client=client)
            connect = socket_mode.connect
            starting.append(
                asyncio.create_task(
                    _keep_trying("slack", lambda: asyncio.to_thread(connect), health, stop)
                )
            )
        else:
            bolt = app
            health.parts["slack"] = "up"  # it answers Slack's requests from now on
    web = HttpServer(
        http_app(store, health, bolt, link_key(slack) if slack else None),
        options.slack_listen,
        options.slack_port,
    )
    await web.start()
    channel = telegram.TelegramChannel(desk, tg) if tg else None
    if channel is not None:
        transports["customer_message"] = telegram.customer_transport(channel)
        transports["customer_reply"] = transports["customer_message"]  # kept with a turn
        ready["customer_message"] = ready["customer_reply"] = lambda: (
            health.parts.get("telegram") == "up"
        )
        secret = None
        if options.webhook_url:
            secret = options.secret_token or _generated_secret()
        starting.append(
            asyncio.create_task(
                _keep_trying(
                    "telegram",
                    lambda: _start_telegram(channel, options, secret),
                    health,
                    stop,
                    fatal=(InvalidToken,),
                )
            )
        )
    settle = {"staff_alert": SLACK_SETTLE, "staff_thread": SLACK_SETTLE}
    sender = Sender(store, transports, ready=ready, settle=settle)
    starting.append(asyncio.create_task(_prune_now_and_then(store, stop)))
    try:
        await sender.run(stop)
    finally:
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        if channel is not None:
            await _stop_telegram(channel)
        if socket_mode is not None:
            socket_mode.close()  # type: ignore[no-untyped-call]
        await web.stop()


async def _prune_now_and_then(
    store: SqlStore, stop: asyncio.Event, every: float = PRUNE_EVERY, days: float = PRUNE_DAYS
) -> None:
    """Forget handled updates older than `days`, at start and every `every` seconds."""
    while not stop.is_set():
        try:
            removed = await asyncio.to_thread(store.prune, datetime.now(UTC) - timedelta(days=days))
            if any(removed.values()):
                log.info("pruned %(inbox)d handled updates, %(processed_update)d ids", removed)
        except Exception:  # the database may be away for a moment: next time
            log.exception("could not prune the handled updates")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def _keep_trying(
    name: str,
    start: Callable[[], Awaitable[object]],
    health: Health,
    stop: asyncio.Event,
    fatal: tuple[type[BaseException], ...] = (),
) -> None:
    """Start a part; while it cannot be reached, try again with back-off (1 s, 2 s ... 60 s)."""
    delay = FIRST_RETRY
    while not stop.is_set():
        health.parts[name] = "starting"
        try:
            await start()
        except fatal as exc:
            health.parts[name] = "refused"
            log.error("%s refused this configuration (%s): it stays off", name, exc)
            return
        except Exception as exc:
            health.parts[name] = "retrying"
            log.warning(
                "%s cannot be reached (%s): the rest runs; trying again in %.0f s",
                name,
                str(exc)[:200] or type(exc).__name__,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, LAST_RETRY)
            continue
        health.parts[name] = "up"
        log.info("%s is up", name)
        return


async def _start_telegram(
    channel: telegram.TelegramChannel, options: Options, secret: str | None
) -> None:
    app = channel.app
    try:
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        if options.webhook_url:
            await app.updater.start_webhook(
                listen=options.listen,
                port=options.port,
                url_path=urlsplit(options.webhook_url).path.lstrip("/"),
                webhook_url=options.webhook_url,
                secret_token=secret,
            )
        else:
            await app.bot.get_me()  # reachable now, or the next try
            channel.start_polling()
    except BaseException:
        await _stop_telegram(channel)  # the next try starts afresh
        raise


def _generated_secret() -> str:
    """A webhook secret for this run: without one, whoever finds the URL writes as any customer."""
    secret = secrets.token_urlsafe(32)
    logs.hide(secret)
    log.info(
        "no webhook secret token configured (TELEGRAM_WEBHOOK_SECRET or --secret-token): "
        "generated one for this run; updates without it are refused"
    )
    return secret


async def _stop_telegram(channel: telegram.TelegramChannel) -> None:
    app = channel.app
    with contextlib.suppress(Exception):
        await channel.stop_polling()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
