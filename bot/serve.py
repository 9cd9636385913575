"""`sportello serve`: Telegram, Slack and the outbox sender in one process.

Each part runs when its settings are there: Telegram with TELEGRAM_TOKEN,
Slack with SLACK_BOT_TOKEN (HTTP with SLACK_SIGNING_SECRET, or Socket Mode with
SLACK_APP_TOKEN), and the sender for whichever of the two is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot import logs, telegram
from bot.outbox import Sender, Transport
from bot.service import Desk
from bot.slack import Alerts, SlackSettings, attachments_app, build_app
from storage.store import SqlStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
    slack_listen: str = "127.0.0.1"
    slack_port: int = 3000


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug(format, *args)


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
    transports: dict[str, Transport] = {}
    channel = telegram.TelegramChannel(desk, tg) if tg else None
    closers: list[object] = []
    if slack is not None:
        client = WebClient(token=slack.token, base_url=slack.api_url or WebClient.BASE_URL)
        alerts = Alerts(store, desk.renderer, slack, client)
        transports["staff_alert"] = alerts.post_alert
        transports["staff_thread"] = alerts.post_thread
        app = build_app(desk, alerts, slack)
        if slack.app_token:
            handler = SocketModeHandler(app, slack.app_token, web_client=client)
            handler.connect()  # type: ignore[no-untyped-call]
            closers.append(handler)
        else:
            events = SlackRequestHandler(app)
            files = attachments_app(store, slack)

            def route(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
                if environ.get("PATH_INFO", "").startswith("/attachments/"):
                    return files(environ, start_response)
                return events(environ, start_response)

            server = make_server(
                options.slack_listen, options.slack_port, route, handler_class=_Quiet
            )
            threading.Thread(target=server.serve_forever, daemon=True).start()
            closers.append(server)
    if channel is not None:
        transports["customer_message"] = telegram.customer_transport(channel)
        await _start_telegram(channel, options)
    sender = Sender(store, transports)
    try:
        await sender.run(stop)
    finally:
        if channel is not None:
            await _stop_telegram(channel)
        for closer in closers:
            if isinstance(closer, SocketModeHandler):
                closer.close()  # type: ignore[no-untyped-call]
            else:
                closer.shutdown()  # type: ignore[attr-defined]


async def _start_telegram(channel: telegram.TelegramChannel, options: Options) -> None:
    app = channel.app
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
            secret_token=options.secret_token or _generated_secret(),
        )
    else:
        await app.updater.start_polling(poll_interval=channel.settings.poll_interval)


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
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
