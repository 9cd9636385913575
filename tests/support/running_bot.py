"""The Telegram Application polling in a thread of its own, as `sportello serve` runs it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from bot import telegram
from bot.service import Desk
from tests.support.fakebotapi import FakeBotApi


class RunningBot:
    """Start with `with RunningBot(desk, server):`; the bot stops when the block ends."""

    def __init__(self, desk: Desk, server: FakeBotApi, chat_interval: float = 0.0) -> None:
        settings = telegram.Settings(
            server.token, server.base_url, poll_interval=0.01, chat_interval=chat_interval
        )
        self.channel = telegram.TelegramChannel(desk, settings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await telegram.run_until(self.channel, self._stop.wait())

        asyncio.run(main())

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine in the bot's event loop (where its Bot is initialized)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    def __enter__(self) -> RunningBot:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)
        assert not self._thread.is_alive()
