"""The Telegram channel: turns updates into desk events and turns into messages.

It holds no business rule: the same `Desk` serves the terminal. What is
Telegram's own lives here: inline keyboards whose callback data names the
question they belong to (`r<ref>:<choice>`), HTML escaping, the 4,096
character limit, the typing action while a DNS check runs, one update of a
chat at a time and in order, redelivered updates ignored, 429s retried by
python-telegram-bot's rate limiter and a blocked bot (403) shrugged off.
"""

from __future__ import annotations

import asyncio
import html
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import (
    BotCommand,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.i18n import LANGUAGES
from bot.outbox import Sender, Transport, Undeliverable
from bot.service import Desk
from flows.model import Event
from flows.text import N_, T, Turn, t
from storage.store import SqlStore

log = logging.getLogger(__name__)

CHANNEL = "telegram"
LIMIT = 4096  # characters in one Telegram message
COMMANDS = (
    ("start", N_("Start, or go on where we left off")),
    ("help", N_("How to talk to me")),
    ("lang", N_("Change the language")),
    ("cancel", N_("Drop the current request")),
    ("status", N_("Your tickets and their status")),
)


def callback_data(ref: int, choice: str) -> str:
    """Encode a button: the question's number and the choice (at most 64 bytes)."""
    return f"r{ref}:{choice}"[:64]


def parse_callback(data: str | None) -> tuple[int, str] | None:
    """Decode a button press; None when the data is not ours (tampered or foreign)."""
    if not data or not data.startswith("r") or ":" not in data:
        return None
    ref, _, choice = data[1:].partition(":")
    return (int(ref), choice) if ref.isdigit() and choice else None


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Cut text into messages under `limit`, at paragraph, line or word ends."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def split_escaped(text: str, limit: int = LIMIT, raw: int | None = None) -> list[str]:
    """Cut plain text into HTML-escaped messages under `limit`, never inside an entity.

    The text is cut first (at paragraph, line or word ends) and each part escaped: a
    part that escaping made too long (many `&` or `<`) is cut again, shorter.
    """
    parts: list[str] = []
    for piece in split_message(text, raw or limit):
        escaped = html.escape(piece)
        if len(escaped) <= limit:
            parts.append(escaped)
        else:
            shorter = max(1, len(piece) * limit // len(escaped) - 8)  # escaping's share
            parts.extend(split_escaped(piece, limit, shorter))
    return parts


@dataclass(frozen=True)
class Settings:
    token: str
    base_url: str | None = None  # e.g. http://127.0.0.1:9000/bot (a local Bot API server)
    poll_interval: float = 0.0
    chat_interval: float = 1.0  # seconds between two messages to one chat (Telegram's advice)


def file_url(base_url: str) -> str:
    """The file download address that goes with a Bot API base URL."""
    root, _, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot"


class TelegramChannel:
    """Serves the desk's conversations on Telegram."""

    def __init__(self, desk: Desk, settings: Settings) -> None:
        self.desk = desk
        self.settings = settings
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last_sent: dict[int, float] = {}
        builder = (
            Application.builder()
            .token(settings.token)
            .concurrent_updates(True)
            .rate_limiter(AIORateLimiter(max_retries=3))
            .post_init(self._post_init)
        )
        if settings.base_url:
            builder = builder.base_url(settings.base_url).base_file_url(file_url(settings.base_url))
        self.app = builder.build()
        self.app.add_handler(TypeHandler(Update, self.on_update))
        self.app.add_error_handler(self._on_error)

    # -- start-up ----------------------------------------------------------------
    async def _post_init(self, app: Application) -> None:  # type: ignore[type-arg]
        """Register the commands, described in each of our languages."""
        render = self.desk.renderer
        for lang in LANGUAGES:
            commands = [BotCommand(name, render.text(lang, t(text))) for name, text in COMMANDS]
            try:
                await app.bot.set_my_commands(
                    commands, language_code=None if lang == "en" else lang
                )
            except TelegramError:
                log.warning("could not register the commands for %s", lang, exc_info=True)

    # -- updates -----------------------------------------------------------------
    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if chat.type != ChatType.PRIVATE:  # a group: its members would share one conversation
            await self._private_only(update, chat.id)
            return
        async with self._locks[chat.id]:  # one update of a chat at a time, in order
            await self._handle(update, chat.id)

    async def _handle(self, update: Update, chat_id: int) -> None:
        user = update.effective_user
        language = user.language_code if user else None
        query = update.callback_query
        if query is not None:
            await self._answer_press(query.id)
        events = await self._events(update)
        for n, event in enumerate(events):
            once = f"{update.update_id}.{n}"
            turn = await asyncio.to_thread(
                self.desk.handle,
                CHANNEL,
                str(chat_id),
                event,
                language,
                self._typing(chat_id, asyncio.get_running_loop()),
                once,
            )
            if turn is None:
                return  # delivered before: already answered
            if query is not None and query.message is not None and n == 0:
                await self._mark_choice(query.message, query.data, turn)
            await self.send_turn(chat_id, turn)

    async def _private_only(self, update: Update, chat_id: int) -> None:
        """In a group or channel, say politely that the desk works in private chats only.

        Nothing is stored: what one member of a group wrote is never another's case.
        """
        user = update.effective_user
        code = (user.language_code or "")[:2].lower() if user else ""
        language = code if code in LANGUAGES else "en"
        handle = "@" + self.app.bot.username if self.app.bot.username else ""
        text = self.desk.renderer.text(
            language,
            t(
                "I can help only in a private chat, so that what you tell me stays between us: "
                "write to me directly, {bot}.",
                bot=handle,
            ),
        )
        try:
            if update.callback_query is not None:
                await self.app.bot.answer_callback_query(update.callback_query.id, text[:200])
            elif update.message is not None:
                await self.app.bot.send_message(
                    chat_id, html.escape(text), parse_mode=ParseMode.HTML
                )
        except TelegramError:
            log.info("could not answer in group %s", chat_id, exc_info=True)

    async def _answer_press(self, query_id: str) -> None:
        try:
            await self.app.bot.answer_callback_query(query_id)
        except TelegramError:
            log.info("could not answer callback %s", query_id, exc_info=True)

    async def _events(self, update: Update) -> list[Event]:
        query = update.callback_query
        if query is not None:
            parsed = parse_callback(query.data)
            if parsed is None:  # not a button of ours: treat as a closed question
                return [Event("choice", "", ref=-1)]
            ref, choice = parsed
            return [Event("choice", choice, ref=ref)]
        message = update.effective_message
        if message is None:
            return []
        events: list[Event] = []
        attachment = await self._attachment(message)
        if attachment is not None:
            events.append(attachment)
        text = message.text if attachment is None else message.caption
        if text:
            events.append(Event.from_input(text))
        elif attachment is None:
            events.append(Event("text", ""))  # a sticker, a location...: asked again
        return events

    async def _attachment(self, message: Message) -> Event | None:
        """Read a photo or document, downloading it only when it may be kept."""
        item: PhotoSize | Document
        if message.photo:
            item = message.photo[-1]
            name, ctype = f"photo-{item.file_unique_id}.jpg", "image/jpeg"
        elif message.document is not None:
            item = message.document
            name = message.document.file_name or f"file-{item.file_unique_id}"
            ctype = message.document.mime_type or "application/octet-stream"
        else:
            return None
        size = item.file_size or 0
        data = None
        if size <= self.desk.policy.tickets.max_attachment_bytes:
            try:
                data = bytes(await (await item.get_file()).download_as_bytearray())
            except TelegramError:  # its name is the customer's words: not at WARNING
                log.warning("could not download file %s", item.file_unique_id, exc_info=True)
            size = len(data) if data is not None else size
        return Event("attachment", name, size=size, content_type=ctype, data=data)

    def _typing(self, chat_id: int, loop: asyncio.AbstractEventLoop) -> Callable[[str, T], None]:
        """Show 'typing…' while slow work (a DNS check) runs in the desk's thread."""

        def progress(lang: str, text: T) -> None:
            asyncio.run_coroutine_threadsafe(self._action(chat_id), loop)

        return progress

    async def _action(self, chat_id: int) -> None:
        try:
            await self.app.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError:
            log.info("typing action failed for %s", chat_id, exc_info=True)

    async def _mark_choice(self, message: object, data: str | None, turn: Turn) -> None:
        """Close the pressed keyboard, writing the answer under its question."""
        if not isinstance(message, Message):
            return
        label = None
        if message.reply_markup is not None:
            for row in message.reply_markup.inline_keyboard:
                for button in row:
                    if button.callback_data == data:
                        label = button.text
        body = html.escape(message.text or "")
        if label is not None and turn.understood:
            body += f"\n\n\u2714\ufe0f <b>{html.escape(label)}</b>"
        try:
            await message.edit_text(body, parse_mode=ParseMode.HTML, reply_markup=None)
        except (BadRequest, Forbidden):
            log.info("could not mark the choice in %s", message.message_id, exc_info=True)

    # -- sending -----------------------------------------------------------------
    async def send_turn(self, chat_id: int, turn: Turn) -> bool:
        """Send a turn as one message (several if too long), the last with the buttons."""
        render = self.desk.renderer
        texts = split_escaped(render.turn_text(turn))
        keyboard = None
        if turn.choices:
            keyboard = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            render.label(turn.language, c.label)[:64],
                            callback_data=callback_data(turn.ref, c.id),
                        )
                    ]
                    for c in turn.choices
                ]
            )
        sent = 0
        try:
            for i, text in enumerate(texts):
                last = i == len(texts) - 1
                await self._pace(chat_id)
                await self.app.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard if last else None,
                )
                sent += 1
        except Forbidden:
            log.info("chat %s blocked the bot; the conversation is kept", chat_id)
            return False
        except TelegramError:  # the turn is saved: its answer must not be lost either
            log.warning("sending to %s failed; the sender will retry", chat_id, exc_info=True)
            rest = html.unescape("\n\n".join(texts[sent:]))
            await asyncio.to_thread(self._send_later, chat_id, rest)
            return False
        return True

    def _send_later(self, chat_id: int, text: str) -> None:
        with self.desk.store.transaction() as tx:
            tx.enqueue(
                "customer_message",
                f"reply:{chat_id}:{uuid.uuid4().hex}",
                f"{CHANNEL}:{chat_id}",
                {"channel": CHANNEL, "chat": str(chat_id), "text": text},
            )

    async def _pace(self, chat_id: int) -> None:
        """Keep about `chat_interval` seconds between messages to the same chat."""
        loop = asyncio.get_running_loop()
        wait = self._last_sent.get(chat_id, -1e9) + self.settings.chat_interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_sent[chat_id] = loop.time()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling an update", exc_info=context.error)


def customer_transport(channel: TelegramChannel) -> Transport:
    """The outbox transport for messages to customers (staff news), through this bot."""

    async def send(payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        chat_id = int(payload["chat"])
        sent = []
        try:
            for text in split_escaped(payload["text"]):
                await channel._pace(chat_id)
                sent.append(await _send_or_plain(channel, chat_id, text))
        except Forbidden as exc:  # blocked: it can never be delivered
            raise Undeliverable(str(exc)) from exc
        return {"message_ids": sent}

    return send


async def _send_or_plain(channel: TelegramChannel, chat_id: int, text: str) -> int:
    """Send one part; one Telegram refuses (its markup, say) goes again once as plain text.

    A part refused twice is set aside: retrying a message Telegram will never take
    would hold back every later message to the customer.
    """
    try:
        message = await channel.app.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except BadRequest as refused:
        log.warning("Telegram refused a message to %s (%s): sent as plain text", chat_id, refused)
        try:
            message = await channel.app.bot.send_message(chat_id, html.unescape(text))
        except BadRequest as again:
            raise Undeliverable(f"refused by Telegram: {again}") from again
    return message.message_id


async def deliver_now(channel: TelegramChannel, store: SqlStore) -> int:
    """Deliver the customer messages waiting in the outbox, from a short-lived process."""
    async with channel.app.bot:
        sender = Sender(store, {"customer_message": customer_transport(channel)})
        return await sender.run_once()


async def run_until(channel: TelegramChannel, stop: Awaitable[object]) -> None:
    """Poll for updates until `stop` completes (for tests and embedding)."""
    app = channel.app
    await app.initialize()
    try:
        if app.post_init is not None:  # run_polling() would call it; so do we
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=channel.settings.poll_interval, timeout=1)
        await stop
        await app.updater.stop()
        await app.stop()
    finally:
        await app.shutdown()
