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
import contextlib
import html
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
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
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.i18n import LANGUAGES
from bot.outbox import Sender, Transport, Undeliverable
from bot.service import REPLY_SEND, Desk, reply_key
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
    long_poll: int = 10  # seconds a getUpdates call waits for updates


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
        self._poller: asyncio.Task[None] | None = None
        # Marking an answer sent runs in threads of its own, not behind the turns: the
        # shorter the time between Telegram's OK and the mark, the smaller the window in
        # which a crash makes the kept answer go twice.
        self._marks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="telegram-mark")
        self._chains: dict[int, asyncio.Task[None]] = {}  # per chat: its last update's handling
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

    # -- polling, through the inbox ------------------------------------------------
    def start_polling(self) -> None:
        """Fetch updates in the background (`stop_polling` ends it).

        Each batch is kept in the inbox (one transaction) before the next fetch
        confirms it to Telegram, then handled, a chat's updates in order; updates a
        crash left unhandled are handled first. So an update Telegram gave us is
        never lost, and one it gives again is handled once.
        """
        self._poller = asyncio.create_task(self._poll())

    async def stop_polling(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await poller
        if self._chains:  # the updates being handled end (each turn is short)
            await asyncio.wait(list(self._chains.values()), timeout=30)

    async def _poll(self) -> None:
        store = self.desk.store
        offset = await asyncio.to_thread(store.inbox_offset, CHANNEL)
        for update_id, data in await asyncio.to_thread(store.inbox_pending, CHANNEL):
            update = Update.de_json(data, self.app.bot)
            if update is not None:
                self._dispatch(update_id, update)  # left unhandled by a crash
        delay, cleared = 1.0, False
        while True:
            try:
                if not cleared:  # polling and a webhook exclude each other
                    await self.app.bot.delete_webhook()
                    cleared = True
                updates = await self.app.bot.get_updates(
                    offset=offset, timeout=self.settings.long_poll, allowed_updates=Update.ALL_TYPES
                )
            except (InvalidToken, Forbidden):
                raise
            except TelegramError as exc:  # away for a moment: the next fetch, with back-off
                log.warning("fetching updates failed (%s): trying again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            if updates:
                kept = [(u.update_id, u.to_dict()) for u in updates]
                try:
                    fresh = await asyncio.to_thread(store.inbox_add, CHANNEL, kept)
                except Exception:  # not kept, so not confirmed: fetched again, the same
                    log.exception("could not keep %d update(s); fetching them again", len(kept))
                    await asyncio.sleep(1.0)
                    continue
                offset = max(offset or 0, *(u.update_id + 1 for u in updates))
                for update in updates:
                    if update.update_id in fresh:  # given again: handled once already
                        fresh.discard(update.update_id)
                        self._dispatch(update.update_id, update)
            if self.settings.poll_interval:
                await asyncio.sleep(self.settings.poll_interval)

    def _dispatch(self, update_id: int, update: Update) -> None:
        """Handle an update after the earlier ones of its chat, then mark it done."""
        chat = update.effective_chat
        key = chat.id if chat is not None else 0
        before = self._chains.get(key)

        async def handle() -> None:
            if before is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(before)
            try:
                await self.app.process_update(update)
            except Exception:
                log.exception("update %s could not be handled", update_id)
            await asyncio.to_thread(self.desk.store.inbox_done, CHANNEL, update_id)

        task = asyncio.create_task(handle())
        self._chains[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: int, done: asyncio.Task[None]) -> None:
        if self._chains.get(key) is done:
            del self._chains[key]

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
                lambda turn: self._payload(chat_id, turn),  # kept with the turn: never lost
            )
            if turn is None:
                return  # delivered before: already answered (or its kept answer will be)
            if query is not None and query.message is not None and n == 0:
                await self._mark_choice(query.message, query.data, turn)
            await self.send_turn(chat_id, turn, reply_key(CHANNEL, str(chat_id), once))

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
    def _payload(self, chat_id: int, turn: Turn) -> dict[str, Any]:
        """A turn's answer as the outbox keeps it: its text and its buttons."""
        render = self.desk.renderer
        return {
            "channel": CHANNEL,
            "chat": str(chat_id),
            "text": render.turn_text(turn),
            "buttons": [
                [render.label(turn.language, c.label)[:64], callback_data(turn.ref, c.id)]
                for c in turn.choices
            ],
        }

    async def send_turn(self, chat_id: int, turn: Turn, key: str) -> bool:
        """Send a turn as one message (several if too long), the last with the buttons.

        `key`: the answer kept in the outbox with the turn (`Desk.handle(keep=...)`); it
        is marked delivered here, or handed to the sender (what is left of it) if
        Telegram failed or took too long.
        """
        payload = self._payload(chat_id, turn)
        texts = split_escaped(payload["text"])
        keyboard = _keyboard(payload["buttons"])
        sent = 0

        async def send_all() -> None:
            nonlocal sent
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

        try:  # bounded well inside REPLY_GRACE: the sender never sends it at the same time
            await asyncio.wait_for(send_all(), REPLY_SEND)
        except Forbidden:
            log.info("chat %s blocked the bot; the conversation is kept", chat_id)
            await asyncio.to_thread(self.desk.store.delivered_key, key, {"blocked": True})
            return False
        except (TelegramError, TimeoutError) as exc:  # the turn is saved: its answer is kept
            # A network failure is expected and needs no traceback; anything else gets one.
            expected = isinstance(exc, (NetworkError, TimeoutError))
            log.warning(
                "sending to %s failed (%s); the sender will finish it",
                chat_id,
                type(exc).__name__,
                exc_info=not expected,
            )
            rest = {**payload, "text": html.unescape("\n\n".join(texts[sent:]))}
            await asyncio.to_thread(self.desk.store.due_now, key, rest)
            return False
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._marks, self.desk.store.delivered_key, key, {"sent": sent})
        return True

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
            texts = split_escaped(payload["text"])
            keyboard = _keyboard(payload.get("buttons") or [])
            for i, text in enumerate(texts):
                await channel._pace(chat_id)
                markup = keyboard if i == len(texts) - 1 else None
                sent.append(await _send_or_plain(channel, chat_id, text, markup))
        except Forbidden as exc:  # blocked: it can never be delivered
            raise Undeliverable(str(exc)) from exc
        return {"message_ids": sent}

    return send


def _keyboard(buttons: list[list[str]]) -> InlineKeyboardMarkup | None:
    """Inline buttons, one per row, from (label, callback data) pairs."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in buttons]
    )


async def _send_or_plain(
    channel: TelegramChannel,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> int:
    """Send one part; one Telegram refuses (its markup, say) goes again once as plain text.

    A part refused twice is set aside: retrying a message Telegram will never take
    would hold back every later message to the customer.
    """
    try:
        message = await channel.app.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except BadRequest as refused:
        log.warning("Telegram refused a message to %s (%s): sent as plain text", chat_id, refused)
        try:
            message = await channel.app.bot.send_message(
                chat_id, html.unescape(text), reply_markup=markup
            )
        except BadRequest as again:
            raise Undeliverable(f"refused by Telegram: {again}") from again
    return message.message_id


async def deliver_now(channel: TelegramChannel, store: SqlStore) -> int:
    """Deliver the customer messages waiting in the outbox, from a short-lived process."""
    async with channel.app.bot:
        send = customer_transport(channel)
        sender = Sender(store, {"customer_message": send, "customer_reply": send})
        return await sender.run_once()


async def run_until(channel: TelegramChannel, stop: Awaitable[object]) -> None:
    """Poll for updates until `stop` completes (for tests and embedding)."""
    app = channel.app
    await app.initialize()
    try:
        if app.post_init is not None:  # run_polling() would call it; so do we
            await app.post_init(app)
        await app.start()
        channel.start_polling()
        await stop
        await channel.stop_polling()
        await app.stop()
    finally:
        await app.shutdown()
