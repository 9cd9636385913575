"""The fake Telegram Bot API (tests/support/fakebotapi.py) against the real
python-telegram-bot `Application`, over real HTTP on 127.0.0.1.

pytest-asyncio is not used: each test drives the bot inside `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import hashlib
import html
import json
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.helpers import escape_markdown
from telegram.warnings import PTBDeprecationWarning

from tests.support.fakebotapi import (
    FakeBotApi,
    _parse_html,
    _parse_markdown,
    _parse_markdown_v2,
)

CHAT = 4242
# A 3x2 PNG header followed by some bytes: the fake reads the size from it.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x03\x00\x00\x00\x02" + bytes(range(256))


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


def build(server: FakeBotApi, token: str | None = None) -> Application:
    return (
        Application.builder()
        .token(token or server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )


@contextlib.asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.05, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def bot(server: FakeBotApi) -> Bot:
    return Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url)


def seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns: retry_after becomes a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Sì", callback_data="q1:yes"),
            InlineKeyboardButton("No", callback_data="q1:no"),
        ]
    ]
)


def test_a_whole_exchange_with_the_real_application(server: FakeBotApi) -> None:
    seen: list[int] = []
    photos: list[tuple[int, int, bytes]] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message and update.effective_user
        await update.effective_message.reply_chat_action(ChatAction.TYPING)
        name = html.escape(update.effective_user.first_name)
        await update.effective_message.reply_html(f"<b>Ciao</b> {name}!", reply_markup=KEYBOARD)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message and update.message.text
        await update.message.reply_text("echo: " + update.message.text)

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query and query.message and query.data
        await query.answer()
        await query.edit_message_text(
            f"{query.message.text_html} → {query.data}", parse_mode="HTML"
        )

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message
        size = update.message.photo[-1]
        data = await (await size.get_file()).download_as_bytearray()
        photos.append((size.width, size.height, bytes(data)))
        await update.message.reply_text(f"{len(data)} bytes, {hashlib.sha256(data).hexdigest()}")

    app = build(server)
    app.add_handler(TypeHandler(Update, record), group=-1)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(CallbackQueryHandler(press))

    async def conversation() -> None:
        async with running(app):
            assert server.requests[:2] == ["getMe", "deleteWebhook"]
            assert app.bot.username == "sportello_test_bot"
            for language, text in {"it": "Ricomincia", "en": "Start over", "es": "Empezar"}.items():
                await app.bot.set_my_commands([BotCommand("start", text)], language_code=language)
            assert {k: v[0]["description"] for k, v in server.commands.items()} == {
                "it": "Ricomincia",
                "en": "Start over",
                "es": "Empezar",
            }
            assert (await app.bot.get_my_commands(language_code="en"))[0].command == "start"

            # A command: the typing action, then HTML with an inline keyboard.
            server.user_sends_text(CHAT, "/start", user={"first_name": "Anna <3"})
            (greeting,) = await server.wait_for_messages_async(CHAT, 1)
            assert greeting["text"] == "Ciao Anna <3!"
            assert greeting["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
            assert greeting["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "q1:yes"
            assert greeting["from"]["is_bot"] and greeting["chat"]["id"] == CHAT
            assert abs(greeting["date"] - time.time()) < 5  # seconds, not milliseconds
            assert server.chat_actions == [(CHAT, "typing")]

            # A button press: answered, and the message edited (keyboard gone).
            server.user_presses(CHAT, greeting["message_id"], "q1:yes")
            await server.wait_until_async(
                lambda: "reply_markup" not in server.messages(CHAT)[0], what="the edit"
            )
            (edited,) = server.messages(CHAT)
            assert edited["text"] == "Ciao Anna <3! → q1:yes"
            assert edited["message_id"] == greeting["message_id"] and "edit_date" in edited
            assert [a["data"] for a in server.answered_callbacks] == ["q1:yes"]
            assert server.open_callbacks == []

            # Free text (with characters that would break HTML) is echoed as sent.
            text_update = server.user_sends_text(CHAT, "ciao <b> & co")
            messages = await server.wait_for_messages_async(CHAT, 2)
            assert messages[-1]["text"] == "echo: ciao <b> & co"

            # A photo, downloaded through getFile and the file route.
            server.user_sends_photo(CHAT, PNG, caption="screenshot")
            messages = await server.wait_for_messages_async(CHAT, 3)
            assert photos == [(3, 2, PNG)]
            assert messages[-1]["text"] == f"{len(PNG)} bytes, {hashlib.sha256(PNG).hexdigest()}"

            # A redelivered update reaches the application again, same update_id.
            server.redeliver(text_update)
            await server.wait_for_messages_async(CHAT, 4)
            assert seen.count(text_update) == 2

        # Stopping confirms every update fetched: nothing is left to deliver.
        assert server.pending_updates == []
        assert server.requests[-1] == "getUpdates"
        assert len(seen) == 5

    started = time.monotonic()
    asyncio.run(conversation())
    assert time.monotonic() - started < 5


def test_a_restarted_bot_gets_what_arrived_while_it_was_down(server: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message and update.message.text
        await update.message.reply_text(update.message.text.upper())

    def app() -> Application:
        application = build(server)
        application.add_handler(MessageHandler(filters.TEXT, echo))
        return application

    async def twice() -> None:
        async with running(app()):
            server.user_sends_text(CHAT, "uno")
            await server.wait_for_messages_async(CHAT, 1)
        server.user_sends_text(CHAT, "due")  # while no bot is running
        await asyncio.sleep(0.1)
        assert server.sent_count(CHAT) == 1
        async with running(app()):
            await server.wait_for_messages_async(CHAT, 2)

    asyncio.run(twice())
    assert server.texts(CHAT) == ["UNO", "DUE"]


def test_a_wrong_token_is_refused_at_start_up(server: FakeBotApi) -> None:
    """PTB's `initialize` raises InvalidToken("The token `<TOKEN>` was rejected by the
    server.") -- the token is in the message, mind the logs -- from the API's error."""

    async def initialize(token: str) -> InvalidToken:
        app = build(server, token)
        with pytest.raises(InvalidToken, match="was rejected by the server") as error:
            await app.initialize()
        assert isinstance(error.value.__cause__, InvalidToken)
        return error.value.__cause__

    # A well-formed but unknown token: 401 Unauthorized, as api.telegram.org.
    assert str(asyncio.run(initialize("987654321:AAWrongToken"))) == "Unauthorized"
    # A malformed one: 404 Not Found, which PTB also reports as InvalidToken.
    assert str(asyncio.run(initialize("not-a-token"))) == "Not Found"
    assert server.requests == ["getMe", "getMe"]
    assert [c.status for c in server.calls] == [401, 404]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter's own
def test_flood_control_and_blocked_users_without_a_rate_limiter(server: FakeBotApi) -> None:
    """Without `AIORateLimiter` (its extra, aiolimiter, is not installed) PTB does not
    retry: a 429 raises RetryAfter to the caller (in a handler: to the error handlers),
    and the message is not sent. A 403 raises Forbidden."""
    errors: list[Exception] = []

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message
        await update.message.reply_text("risposta")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)
        raise ApplicationHandlerStop

    app = build(server)
    app.add_handler(MessageHandler(filters.TEXT, reply))
    app.add_error_handler(on_error)

    async def flood() -> None:
        server.user_sends_text(CHAT, "ciao")
        server.fail_next("sendMessage", 429, retry_after=3)
        async with running(app):
            await server.wait_until_async(lambda: bool(errors), what="the error handler")
            assert isinstance(errors[0], RetryAfter) and seconds(errors[0]) == 3
            assert server.sent_count(CHAT) == 0  # PTB did not retry

            server.fail_next("sendMessage", 429, retry_after=1)
            with pytest.raises(RetryAfter) as raised:
                await app.bot.send_message(CHAT, "di nuovo")
            assert seconds(raised.value) == 1
            await app.bot.send_message(CHAT, "di nuovo")  # the fault was for one call only

            server.block(CHAT)
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await app.bot.send_message(CHAT, "ci sei?")
            with pytest.raises(Forbidden):
                await app.bot.send_chat_action(CHAT, ChatAction.TYPING)
            server.unblock(CHAT)
            await app.bot.send_message(CHAT, "bentornato")

    asyncio.run(flood())
    assert server.texts(CHAT) == ["di nuovo", "bentornato"]
    statuses = [(c.method, c.status) for c in server.calls if c.method == "sendMessage"]
    assert statuses == [
        ("sendMessage", 429),
        ("sendMessage", 429),
        ("sendMessage", 200),
        ("sendMessage", 403),
        ("sendMessage", 200),
    ]


def test_what_telegram_refuses_is_refused(server: FakeBotApi) -> None:
    server.user_sends_text(CHAT, "ciao")  # the chat exists from now on

    async def calls() -> None:
        async with bot(server) as b:
            # Parse modes: text that is not valid markup is a 400 (PTB capitalizes it).
            with pytest.raises(BadRequest, match="Can't parse entities"):
                await b.send_message(CHAT, "1 < 2", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="is reserved"):
                await b.send_message(CHAT, "Grazie.", parse_mode=ParseMode.MARKDOWN_V2)
            escaped = escape_markdown("Grazie. (1+1=2) *non* _bold_", version=2)
            sent = await b.send_message(CHAT, f"*Ok* {escaped}", parse_mode="MarkdownV2")
            assert sent.text == "Ok Grazie. (1+1=2) *non* _bold_"
            assert sent.entities[0].type == "bold"
            html_sent = await b.send_message(CHAT, "<i>a &amp; b</i> &lt;3", parse_mode="HTML")
            assert html_sent.text == "a & b <3"
            assert server.messages(CHAT)[-1]["entities"] == [
                {"type": "italic", "offset": 0, "length": 5}
            ]

            # Length, emptiness, unknown chats.
            await b.send_message(CHAT, "x" * 4096)
            with pytest.raises(BadRequest, match="Message is too long"):
                await b.send_message(CHAT, "x" * 4097)
            with pytest.raises(BadRequest, match="Message text is empty"):
                await b.send_message(CHAT, "  \n ")
            with pytest.raises(BadRequest, match="Chat not found"):
                await b.send_message(999, "chi sei?")

            # Inline keyboards: callback_data of 1-64 bytes.
            too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
            with pytest.raises(BadRequest, match="Button_data_invalid"):
                await b.send_message(CHAT, "scegli", reply_markup=too_long)

            # Edits: "not modified", a missing message, the keyboard dropped by a text edit.
            question = await b.send_message(CHAT, "Va bene?", reply_markup=KEYBOARD)
            with pytest.raises(BadRequest, match="Message is not modified"):
                await b.edit_message_text(
                    "Va bene?", CHAT, question.message_id, reply_markup=KEYBOARD
                )
            with pytest.raises(BadRequest, match="Message to edit not found"):
                await b.edit_message_text("?", CHAT, 9999)
            edited = await b.edit_message_text("Va bene? Sì", CHAT, question.message_id)
            assert isinstance(edited, type(question)) and edited.reply_markup is None
            with pytest.raises(BadRequest, match="Message is not modified"):
                await b.edit_message_reply_markup(CHAT, question.message_id)
            await b.edit_message_reply_markup(CHAT, question.message_id, reply_markup=KEYBOARD)
            assert server.messages(CHAT)[-1]["reply_markup"] == KEYBOARD.to_dict()

            # A callback query is answered once.
            server.user_presses(CHAT, question.message_id, "forged-data")
            query_id = server.open_callbacks[0]
            assert await b.answer_callback_query(query_id, text="Fatto")
            with pytest.raises(BadRequest, match="Query is too old"):
                await b.answer_callback_query(query_id)
            assert server.answered_callbacks[0]["text"] == "Fatto"
            assert server.answered_callbacks[0]["data"] == "forged-data"

            # Commands per scope and language.
            scope = BotCommandScopeAllPrivateChats()
            await b.set_my_commands([("status", "I tuoi ticket")], scope=scope, language_code="it")
            assert [c.command for c in await b.get_my_commands(scope, "it")] == ["status"]
            assert await b.get_my_commands() == ()
            assert (
                server.commands_for({"type": "all_private_chats"}, "it")[0]["command"] == "status"
            )
            with pytest.raises(BadRequest, match="Bot_command_invalid"):
                await b.set_my_commands([("Status!", "no")])
            await b.delete_my_commands(scope, "it")
            assert server.commands_for({"type": "all_private_chats"}, "it") == []

            # A document upload (multipart), downloadable again; deleting a message.
            document = await b.send_document(
                CHAT,
                b"\x00\r\n--x\r\n",
                filename="log.txt",
                caption="<b>log</b>",
                parse_mode="HTML",
            )
            assert document.document and document.document.file_name == "log.txt"
            assert document.caption == "log"
            got = await (await b.get_file(document.document.file_id)).download_as_bytearray()
            assert bytes(got) == b"\x00\r\n--x\r\n"
            photo = await b.send_photo(CHAT, PNG)
            assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
            assert await b.delete_message(CHAT, photo.message_id)
            with pytest.raises(BadRequest, match="Message to delete not found"):
                await b.delete_message(CHAT, photo.message_id)
            chat = await b.get_chat(CHAT)
            assert chat.id == CHAT and chat.type == "private"

    asyncio.run(calls())
    assert "sendDocument" in server.requests and "sendPhoto" in server.requests


def test_get_updates_is_a_real_long_poll(server: FakeBotApi) -> None:
    """The protocol itself, with a plain HTTP client: bodies, offset, limit, timeout."""
    api = f"{server.base_url}{server.token}"
    with httpx.Client(timeout=10, trust_env=False) as client:

        def call(method: str, **params: Any) -> Any:
            return client.post(f"{api}/{method}", json=params).json()

        assert client.get(f"{api}/getMe").json()["result"]["is_bot"] is True
        assert client.post(f"{api}/getUpdates", data={"timeout": "0"}).json() == {
            "ok": True,
            "result": [],
        }
        assert client.post(f"{api}/nonexistentMethod").json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }

        first = server.user_sends_text(CHAT, "/status@sportello_test_bot now")
        server.user_sends_text(CHAT, "due")
        last = server.user_sends_text(CHAT, "tre")
        batch = call("getUpdates", limit=2)["result"]
        assert [u["update_id"] for u in batch] == [first, first + 1]
        assert batch[0]["message"]["entities"] == [
            {"type": "bot_command", "offset": 0, "length": 26}
        ]
        assert batch[0]["message"]["from"]["language_code"] == "it"
        # Without a higher offset the same updates come again; offset confirms.
        assert [u["update_id"] for u in call("getUpdates", offset=first + 1)["result"]] == [
            first + 1,
            last,
        ]
        assert call("getUpdates", offset=last + 1, timeout=0)["result"] == []
        assert server.pending_updates == []

        # A redelivered update comes again, once, with the same update_id.
        server.redeliver(first)
        again = call("getUpdates", offset=last + 1)["result"]
        assert [u["update_id"] for u in again] == [first]
        assert call("getUpdates", offset=first + 1)["result"] == []

        # The long poll waits for the timeout, or answers as soon as an update arrives.
        started = time.monotonic()
        assert call("getUpdates", offset=last + 1, timeout=0.3)["result"] == []
        assert 0.25 < time.monotonic() - started < 2
        threading.Timer(0.2, server.user_sends_text, (CHAT, "eccomi")).start()
        started = time.monotonic()
        woken = call("getUpdates", offset=last + 1, timeout=5)["result"]
        assert [u["message"]["text"] for u in woken] == ["eccomi"]
        assert time.monotonic() - started < 2

        # A second poller ends the first one with 409 Conflict.
        first_poll: list[Any] = []
        poller = threading.Thread(
            target=lambda: first_poll.append(
                httpx.post(
                    f"{api}/getUpdates",
                    json={"offset": last + 2, "timeout": 5},
                    timeout=10,
                    trust_env=False,
                ).json()
            )
        )
        polls = server.requests.count("getUpdates")
        poller.start()
        server.wait_until(lambda: server.requests.count("getUpdates") > polls)
        time.sleep(0.1)
        assert call("getUpdates", offset=last + 2)["result"] == []
        poller.join(5)
        assert first_poll[0]["error_code"] == 409 and "terminated" in first_poll[0]["description"]

        # The flood-control answer, as Telegram sends it.
        server.fail_next("getMe", 429, retry_after=7)
        assert call("getMe") == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }

        # Files: the right token only.
        server.user_sends_document(CHAT, b"%PDF-1.4", "fattura.pdf")
        update = call("getUpdates", offset=last + 2)["result"][-1]
        assert update["message"]["document"]["mime_type"] == "application/pdf"
        path = call("getFile", file_id=update["message"]["document"]["file_id"])["result"]
        files = server.base_file_url
        assert client.get(f"{files}{server.token}/{path['file_path']}").content == b"%PDF-1.4"
        assert client.get(f"{files}123:wrong/{path['file_path']}").status_code == 404


def test_webhook_mode_delivers_updates_with_the_secret(server: FakeBotApi) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Receiver) as hook:
        threading.Thread(target=hook.serve_forever, args=(0.05,), daemon=True).start()
        url = f"http://127.0.0.1:{hook.server_address[1]}/hook"

        async def set_up() -> None:
            async with bot(server) as b:
                assert await b.set_webhook(url, secret_token="s3cret")
                info = await b.get_webhook_info()
                assert info.url == url
                with pytest.raises(Conflict, match="webhook is active"):
                    await b.get_updates()

        asyncio.run(set_up())
        update_id = server.user_sends_text(CHAT, "via webhook")
        server.wait_until(lambda: bool(received) and not server.pending_updates)
        hook.shutdown()
    assert [secret for secret, _ in received] == ["s3cret"]
    assert received[0][1]["update_id"] == update_id
    assert received[0][1]["message"]["text"] == "via webhook"

    async def tear_down() -> None:
        async with bot(server) as b:
            assert await b.delete_webhook()
            assert (await b.get_webhook_info()).url == ""

    asyncio.run(tear_down())


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_escaped_text_always_parses_back_to_itself(text: str) -> None:
    """Customer text escaped with the library's helpers is never refused by the fake."""
    assert _parse_html(html.escape(text, quote=False)) == (text, [])
    assert _parse_markdown_v2(escape_markdown(text, version=2)) == (text, [])
    assert _parse_markdown(escape_markdown(text, version=1))[0] == text


def test_markup_becomes_entities_as_telegram_makes_them() -> None:
    assert _parse_html(
        '<a href="https://x.it/?a=1&amp;b=2">qui</a> <pre><code class="language-py">'
        "x = 1</code></pre> 😀<u>u</u>"
    ) == (
        "qui x = 1 😀u",
        [
            {"type": "text_link", "offset": 0, "length": 3, "url": "https://x.it/?a=1&b=2"},
            {"type": "pre", "offset": 4, "length": 5, "language": "py"},
            {"type": "underline", "offset": 12, "length": 1},  # offsets in UTF-16 units
        ],
    )
    source = r"*a _b_* __u__ [l](https://x.it/p\)q) `c\`` d" + "\n>q1\n>q2\nz"
    assert _parse_markdown_v2(source) == (
        "a b u l c` d\nq1\nq2\nz",
        [
            {"type": "bold", "offset": 0, "length": 3},
            {"type": "italic", "offset": 2, "length": 1},
            {"type": "underline", "offset": 4, "length": 1},
            {"type": "text_link", "offset": 6, "length": 1, "url": "https://x.it/p)q"},
            {"type": "code", "offset": 8, "length": 2},
            {"type": "blockquote", "offset": 13, "length": 5},
        ],
    )
