"""A fake Telegram Bot API server on 127.0.0.1 for the tests.

The real python-telegram-bot `Application` talks real HTTP to it, exactly as it
talks to api.telegram.org: `POST /bot<TOKEN>/<method>` with a form-encoded,
JSON or multipart body (python-telegram-bot 22 sends form fields whose non-string
values are JSON texts, e.g. `reply_markup={"inline_keyboard": ...}`, and
multipart when it uploads a file), answered with `{"ok": true, "result": ...}`
or `{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`
with the same HTTP status. Files are served at `GET /file/bot<TOKEN>/<path>`.

    with FakeBotApi() as server:
        app = (
            Application.builder()
            .token(server.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        ...
        update_id = server.user_sends_text(42, "/start")
        server.wait_for_messages(42, 1)      # or: await server.wait_for_messages_async(...)

What it does as Telegram does (the points a bot gets wrong):

- A wrong token answers 401 Unauthorized, a malformed one 404 Not Found (the
  library raises `InvalidToken` for both). An unknown method answers 404.
- `getUpdates` honours `offset` (updates below it are confirmed and forgotten),
  `limit`, `allowed_updates` and `timeout` as a real long poll; a newer
  `getUpdates` ends an older waiting one with 409 Conflict ("terminated by other
  getUpdates request"); while a webhook is set it answers 409. With a webhook
  set, updates are POSTed to it one at a time (with the secret token header).
- Timestamps are in seconds. Message ids are per chat and shared by both sides.
- `parse_mode` HTML, MarkdownV2 and Markdown are parsed as Telegram does: the
  stored text is the plain text with `entities`, and text that is not valid
  for the parse mode (an unescaped `<` in HTML, an unescaped `.` in
  MarkdownV2...) answers 400 "can't parse entities". Leading and trailing
  blanks are trimmed; an empty text or one over 4,096 characters is refused.
- Inline keyboards are checked (callback_data of 1-64 bytes, one action per
  button) and echoed in the Message; other reply markups are not echoed (see
  `reply_keyboard`). editMessageText without `reply_markup` removes the
  inline keyboard; an edit that changes nothing answers 400 "message is not
  modified"; editing or deleting a message that does not exist answers 400.
- A callback query can be answered once; an unknown or answered one is 400.
- A chat the bot never heard from is "chat not found"; a blocked chat (see
  `block`) answers 403 "Forbidden: bot was blocked by the user".
- getFile refuses files over 20 MB as the real API does.

The test side of the API is thread-safe. `fail_next` makes the next calls of a
method fail (429 with `retry_after` by default). Every call is recorded in
`requests` (method names) and `calls` (method, parameters, status, time).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import mimetypes
import re
import secrets
import select
import socket
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

DEFAULT_TOKEN = "123456789:AAFakeTokenForSportelloTests_0123456789"
HOST = "127.0.0.1"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_LONG_POLL = 50.0
FIRST_UPDATE_ID = 10001

# Update types delivered when `allowed_updates` is empty or was never given.
_NOT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}

_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}

_BUTTON_ACTIONS = {
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
}

_SCOPE_TYPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}

# How the form values python-telegram-bot sends are read back: JSON texts for
# objects, numbers and booleans; everything else stays a string.
_JSON_PARAMS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "commands",
    "scope",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "media",
    "menu_button",
}
_INT_PARAMS = {
    "message_id",
    "offset",
    "limit",
    "reply_to_message_id",
    "max_connections",
    "message_thread_id",
    "cache_time",
    "user_id",
}
_FLOAT_PARAMS = {"timeout"}
_BOOL_PARAMS = {
    "show_alert",
    "disable_notification",
    "protect_content",
    "drop_pending_updates",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "has_spoiler",
    "disable_content_type_detection",
    "show_caption_above_media",
    "allow_paid_broadcast",
}

_API_PATH = re.compile(r"/bot([^/]*)/([A-Za-z0-9_]+)/?")
_FILE_PATH = re.compile(r"/file/bot([^/]*)/(.+)")
_TOKEN_SHAPE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"(?:[a-z]{2})?")


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() when it arrived
    status: int = 0  # the HTTP status answered (0 while in flight)


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


@dataclass
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None


@dataclass
class _Pending:
    update: dict[str, Any]
    redelivered: bool = False
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next(k for k in self.update if k != "update_id")


@dataclass
class _Chat:
    chat: dict[str, Any]
    user: dict[str, Any]
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # both sides, in order
    sent: int = 0  # messages the bot ever sent here
    reply_keyboard: dict[str, Any] | None = None


@dataclass
class _Request:
    params: dict[str, Any]
    files: dict[str, Upload]
    sock: socket.socket | None


class FakeBotApi:
    """The fake Bot API: `start()` (returns the port), `stop()`, or a `with` block."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "sportello_test_bot",
        first_name: str = "Sportello",
        now: Callable[[], float] = time.time,
    ) -> None:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self._now = now
        self._cond = threading.Condition(threading.RLock())
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._history: dict[int, dict[str, Any]] = {}
        self._pending: list[_Pending] = []
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._chats: dict[int, _Chat] = {}
        self._callbacks: dict[str, dict[str, Any]] = {}  # open callback queries by id
        self._answered: list[dict[str, Any]] = []
        self._actions: list[tuple[int, str]] = []
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}  # (kind, language) -> text
        self._files: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._blocked: set[int] = set()
        self._webhook: dict[str, Any] | None = None
        self._webhook_backoff = 0.0
        self._connections: set[socket.socket] = set()
        self._closing = False
        self._in_flight = 0
        self._httpd: _HttpServer | None = None
        self._threads: list[threading.Thread] = []
        self._methods: dict[str, tuple[str, Callable[[_Request], Any]]] = {
            name.lower(): (name, fn)
            for name, fn in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._setter("description"),
                "getMyDescription": self._getter("description"),
                "setMyShortDescription": self._setter("short_description"),
                "getMyShortDescription": self._getter("short_description"),
                "setMyName": self._setter("name"),
                "getMyName": self._getter("name"),
                "getFile": self._get_file,
                "getChat": self._get_chat,
            }.items()
        }

    # -- life cycle ---------------------------------------------------------

    def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1 (on `port`, or a free one); returns the port."""
        if self._httpd is not None:
            return self.port
        self._closing = False
        httpd = _HttpServer((HOST, port), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._threads = [
            threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fakebotapi-http",
                daemon=True,
            ),
            threading.Thread(target=self._webhook_loop, name="fakebotapi-webhook", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self.port

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with self._cond:
            self._closing = True  # waiting long polls answer at once
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._in_flight == 0, timeout=1)
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> FakeBotApi:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake Bot API is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder.base_url` (the token is appended by the library)."""
        return f"http://{HOST}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For `ApplicationBuilder.base_file_url`."""
        return f"http://{HOST}:{self.port}/file/bot"

    # -- the customer's side ------------------------------------------------

    def user_sends_text(
        self,
        chat_id: int,
        text: str,
        *,
        user: dict[str, Any] | None = None,
        language_code: str | None = "it",
    ) -> int:
        """A private message; a leading "/word" gets a bot_command entity. Returns the update_id."""
        message: dict[str, Any] = {"text": text}
        command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _u16(command.group())}
            ]
        return self._user_message(chat_id, message, user, language_code)

    def member_sends_text(
        self,
        group_id: int,
        user_id: int,
        text: str,
        *,
        kind: str = "supergroup",
        title: str = "Ufficio",
        language_code: str | None = "it",
    ) -> int:
        """A message of one member in a group (`group_id` < 0) the bot is in."""
        with self._cond:
            sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"M{user_id}"}
            if language_code is not None:
                sender["language_code"] = language_code
            chat_dict = {"id": group_id, "type": kind, "title": title}
            chat = self._chats.setdefault(group_id, _Chat(chat_dict, sender))
            chat.user = sender
            message: dict[str, Any] = {
                "message_id": next(chat.message_ids),
                "from": sender,
                "chat": dict(chat_dict),
                "date": int(self._now()),
                "text": text,
            }
            command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
            if command:
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": _u16(command.group())}
                ]
            chat.messages[message["message_id"]] = message
            return self._enqueue({"message": copy.deepcopy(message)})

    def user_sends_photo(
        self,
        chat_id: int,
        data: bytes,
        caption: str | None = None,
        *,
        user: dict[str, Any] | None = None,
        language_code: str | None = "it",
        width: int | None = None,
        height: int | None = None,
    ) -> int:
        """A photo (one size; dimensions read from PNG/JPEG/GIF data or given)."""
        with self._cond:
            stored = self._store_file("photos", data, ".jpg")
            message: dict[str, Any] = {"photo": [self._photo_size(stored, width, height)]}
            if caption is not None:
                message["caption"] = caption
            return self._user_message(chat_id, message, user, language_code)

    def user_sends_document(
        self,
        chat_id: int,
        data: bytes,
        filename: str,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        user: dict[str, Any] | None = None,
        language_code: str | None = "it",
    ) -> int:
        with self._cond:
            suffix = "." + filename.rsplit(".", 1)[1] if "." in filename else ""
            stored = self._store_file("documents", data, suffix)
            document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": filename,
                "mime_type": mime_type
                or mimetypes.guess_type(filename)[0]
                or "application/octet-stream",
                "file_size": len(data),
            }
            message: dict[str, Any] = {"document": document}
            if caption is not None:
                message["caption"] = caption
            return self._user_message(chat_id, message, user, language_code)

    def user_presses(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user: dict[str, Any] | None = None,
        language_code: str | None = "it",
    ) -> int:
        """A button press on a message of the bot, as it is now (any `data`, even forged)."""
        with self._cond:
            chat = self._chat(chat_id)
            message = chat.messages.get(message_id)
            if message is None or message["from"]["id"] != self.bot_user["id"]:
                raise KeyError(f"no message {message_id} of the bot in chat {chat_id}")
            sender = self._sender(chat_id, user, language_code)
            query_id = str(secrets.randbits(63))
            query = {
                "id": query_id,
                "from": sender,
                "message": copy.deepcopy(message),
                "chat_instance": str((chat_id * 2654435761) % 2**62),
                "data": data,
            }
            self._callbacks[query_id] = {"chat_id": chat_id, "message_id": message_id, "data": data}
            return self._enqueue({"callback_query": query})

    def redeliver(self, update_id: int) -> int:
        """Put an update already sent in the queue again, with the same update_id."""
        with self._cond:
            update = self._history[update_id]
            self._pending.append(_Pending(copy.deepcopy(update), redelivered=True))
            self._cond.notify_all()
            return update_id

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: what the bot sends there answers 403."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        with self._cond:
            self._blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        *,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `count` calls of `method` answer an error (429 with retry_after by default)."""
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = {
                    400: "Bad Request",
                    403: "Forbidden",
                    409: "Conflict",
                }.get(status, HTTPStatus(status).phrase)
        parameters = {"retry_after": retry_after} if status == 429 and retry_after else None
        with self._cond:
            self._faults.setdefault(method.lower(), []).extend(
                _Fault(status, description, parameters) for _ in range(count)
            )

    # -- what the bot did ---------------------------------------------------

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they are now (edits applied, deleted ones gone)."""
        with self._cond:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            return [
                copy.deepcopy(m)
                for m in chat.messages.values()
                if m["from"]["id"] == self.bot_user["id"]
            ]

    def history(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message of the chat still there, the user's and the bot's, in order."""
        with self._cond:
            chat = self._chats.get(chat_id)
            return copy.deepcopy(list(chat.messages.values())) if chat else []

    def texts(self, chat_id: int) -> list[str]:
        """The text (or caption) of each of the bot's messages in a chat."""
        return [m.get("text", m.get("caption", "")) for m in self.messages(chat_id)]

    def sent_count(self, chat_id: int) -> int:
        """How many messages the bot ever sent to a chat (deleted ones included)."""
        with self._cond:
            chat = self._chats.get(chat_id)
            return chat.sent if chat else 0

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The last reply keyboard (not inline) the bot showed in a chat, if not removed."""
        with self._cond:
            chat = self._chats.get(chat_id)
            return copy.deepcopy(chat.reply_keyboard) if chat else None

    def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Block until the bot has sent `count` messages to the chat; returns `messages()`.

        Do not call it from the event loop the bot runs in: use `wait_for_messages_async`.
        """
        self.wait_until(
            lambda: self.sent_count(chat_id) >= count,
            timeout,
            lambda: f"{count} messages in chat {chat_id}; got {self.texts(chat_id)}",
        )
        return self.messages(chat_id)

    async def wait_for_messages_async(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        await self.wait_until_async(
            lambda: self.sent_count(chat_id) >= count,
            timeout,
            lambda: f"{count} messages in chat {chat_id}; got {self.texts(chat_id)}",
        )
        return self.messages(chat_id)

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        what: Callable[[], str] | str = "the condition",
    ) -> None:
        """Block until `predicate()` holds (checked whenever the server state changes)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out waiting for {_describe(what)}")
                self._cond.wait(min(left, 0.1))

    async def wait_until_async(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        what: Callable[[], str] | str = "the condition",
    ) -> None:
        """`wait_until` for a coroutine running in the bot's event loop."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"timed out waiting for {_describe(what)}")
            await asyncio.sleep(0.01)

    @property
    def answered_callbacks(self) -> list[dict[str, Any]]:
        """answerCallbackQuery calls: callback_query_id, text, show_alert, ... plus the
        chat_id, message_id and data of the press."""
        with self._cond:
            return copy.deepcopy(self._answered)

    @property
    def open_callbacks(self) -> list[str]:
        """Ids of callback queries not answered yet."""
        with self._cond:
            return list(self._callbacks)

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        """(chat_id, action) of each sendChatAction, in order."""
        with self._cond:
            return list(self._actions)

    @property
    def commands(self) -> dict[str, list[dict[str, str]]]:
        """The default-scope command lists by language_code ("" = every language)."""
        with self._cond:
            return {
                language: copy.deepcopy(commands)
                for (scope, language), commands in self._commands.items()
                if scope == _scope_key({"type": "default"})
            }

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        with self._cond:
            key = (_scope_key(scope or {"type": "default"}), language_code)
            return copy.deepcopy(self._commands.get(key, []))

    @property
    def requests(self) -> list[str]:
        """The method names called, in order (the canonical spelling, e.g. "sendMessage")."""
        with self._cond:
            return [call.method for call in self._calls]

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return copy.deepcopy(self._calls)

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._cond:
            return copy.deepcopy(self._webhook)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not confirmed yet (by a getUpdates offset or a webhook answer)."""
        with self._cond:
            return [copy.deepcopy(p.update) for p in self._pending]

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file, the user's or one the bot uploaded."""
        with self._cond:
            return self._files[file_id].data

    # -- HTTP ---------------------------------------------------------------

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._connections.add(sock)
            else:
                self._connections.discard(sock)

    def _serve(self, handler: _Handler, verb: str) -> None:
        split = urllib.parse.urlsplit(handler.path)
        path = urllib.parse.unquote(split.path)
        body = _read_body(handler)
        api = _API_PATH.fullmatch(path)
        if api:
            with self._cond:
                self._in_flight += 1
            try:
                status, payload, rollback = self._api(api[1], api[2], handler, split.query, body)
                _send(
                    handler,
                    status,
                    json.dumps(payload, ensure_ascii=False).encode(),
                    "application/json",
                    rollback,
                )
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()
            return
        download = _FILE_PATH.fullmatch(path)
        if download and verb == "GET":
            with self._cond:
                stored = next((f for f in self._files.values() if f.file_path == download[2]), None)
            if download[1] == self.token and stored is not None:
                _send(handler, 200, stored.data, "application/octet-stream")
                return
        _send(
            handler,
            404,
            json.dumps(ApiError(404, "Not Found").payload()).encode(),
            "application/json",
        )

    def _api(
        self, token: str, method: str, handler: _Handler, query: str, body: bytes
    ) -> tuple[int, Any, Callable[[], None] | None]:
        known = self._methods.get(method.lower())
        name = known[0] if known else method
        try:
            params, files = _parse_params(handler.headers.get("Content-Type", ""), body, query)
        except ApiError as error:
            params, files, early = {}, {}, error
        else:
            early = None
        call = Call(
            name,
            {**params, **{k: f"<{len(f.data)} bytes>" for k, f in files.items()}},
            time.monotonic(),
        )
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
        try:
            if not _TOKEN_SHAPE.fullmatch(token):
                raise ApiError(404, "Not Found")
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if known is None:
                raise ApiError(404, "Not Found")
            if early is not None:
                raise early
            with self._cond:
                faults = self._faults.get(method.lower())
                if faults:
                    fault = faults.pop(0)
                    raise ApiError(fault.status, fault.description, fault.parameters)
            request = _Request(params, files, handler.connection)
            result = known[1](request)
        except ApiError as error:
            status, payload, rollback = error.status, error.payload(), None
        else:
            rollback = None
            if isinstance(result, _WithRollback):
                result, rollback = result.result, result.rollback
            payload = {"ok": True, "result": result}
            if isinstance(result, _Described):
                payload = {"ok": True, "result": result.result, "description": result.description}
            status = 200
        with self._cond:
            call.status = status
            self._cond.notify_all()
        return status, payload, rollback

    # -- methods ------------------------------------------------------------

    def _true(self, request: _Request) -> bool:
        return True

    def _get_me(self, request: _Request) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, request: _Request) -> Any:
        params = request.params
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, min(MAX_LONG_POLL, float(params.get("timeout") or 0)))
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if "allowed_updates" in params and params["allowed_updates"] is not None:
                self._allowed_updates = list(params["allowed_updates"])
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()  # an older long poll ends with 409
            self._confirm(offset)
            while True:
                ready = self._deliverable(self._allowed_updates)[:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._closing:
                    break
                if _peer_closed(request.sock):
                    return []
                self._cond.wait(min(left, 0.05))
                if self._poll_generation != generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
            newly = [p for p in ready if not p.delivered]
            for p in ready:
                p.delivered = True
            updates = [copy.deepcopy(p.update) for p in ready]

        def rollback() -> None:  # the bot never read the answer
            with self._cond:
                for p in newly:
                    p.delivered = False

        return _WithRollback(updates, rollback)

    def _confirm(self, offset: int) -> None:
        if offset < 0:  # -N: keep the last N updates only
            keep = sorted(self._pending, key=lambda p: p.update_id)[offset:]
            self._pending = keep
            return
        self._pending = [
            p
            for p in self._pending
            if not (p.update_id < offset and (p.delivered or not p.redelivered))
        ]

    def _deliverable(self, allowed: list[str]) -> list[_Pending]:
        def wanted(p: _Pending) -> bool:
            return p.kind in allowed if allowed else p.kind not in _NOT_BY_DEFAULT

        dropped = [p for p in self._pending if not wanted(p)]
        if dropped:  # Telegram does not keep updates of types the bot does not want
            self._pending = [p for p in self._pending if wanted(p)]
        return sorted(self._pending, key=lambda p: (p.update_id, p.redelivered))

    def _set_webhook(self, request: _Request) -> Any:
        params = request.params
        url = str(params.get("url") or "")
        with self._cond:
            if params.get("drop_pending_updates"):
                self._pending = []
            if not url:
                self._webhook = None
                return _Described(True, "Webhook was deleted")
            if not re.match(r"https?://", url):
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            allowed = params.get("allowed_updates")
            self._webhook = {
                "url": url,
                "secret_token": params.get("secret_token"),
                "max_connections": int(params.get("max_connections") or 40),
                "allowed_updates": list(allowed) if allowed else [],
                "ip_address": params.get("ip_address"),
                "has_custom_certificate": "certificate" in request.files,
                "last_error_date": None,
                "last_error_message": None,
            }
            self._cond.notify_all()
            return _Described(True, "Webhook was set")

    def _delete_webhook(self, request: _Request) -> Any:
        with self._cond:
            if request.params.get("drop_pending_updates"):
                self._pending = []
            was = self._webhook is not None
            self._webhook = None
            return _Described(True, "Webhook was deleted" if was else "Webhook is already deleted")

    def _get_webhook_info(self, request: _Request) -> dict[str, Any]:
        with self._cond:
            hook = self._webhook
            if hook is None:
                return {
                    "url": "",
                    "has_custom_certificate": False,
                    "pending_update_count": len(self._pending),
                }
            info = {
                "url": hook["url"],
                "has_custom_certificate": hook["has_custom_certificate"],
                "pending_update_count": len(self._pending),
                "max_connections": hook["max_connections"],
            }
            if hook["allowed_updates"]:
                info["allowed_updates"] = hook["allowed_updates"]
            if hook["ip_address"]:
                info["ip_address"] = hook["ip_address"]
            if hook["last_error_date"]:
                info["last_error_date"] = hook["last_error_date"]
                info["last_error_message"] = hook["last_error_message"]
            return info

    def _send_message(self, request: _Request) -> dict[str, Any]:
        params = request.params
        with self._cond:
            chat = self._target(params)
            text, entities = _formatted(
                params.get("text"),
                params.get("parse_mode"),
                params.get("entities"),
                MAX_TEXT_LENGTH,
                "message text",
            )
            message: dict[str, Any] = {"text": text}
            if entities:
                message["entities"] = entities
            if params.get("link_preview_options"):
                message["link_preview_options"] = params["link_preview_options"]
            return self._bot_message(chat, message, params)

    def _send_photo(self, request: _Request) -> dict[str, Any]:
        with self._cond:
            chat = self._target(request.params)
            stored = self._input_file(request, "photo", "photos", ".jpg")
            message: dict[str, Any] = {"photo": [self._photo_size(stored, None, None)]}
            self._caption(message, request.params)
            return self._bot_message(chat, message, request.params)

    def _send_document(self, request: _Request) -> dict[str, Any]:
        with self._cond:
            chat = self._target(request.params)
            upload = request.files.get(_attach_name(request.params.get("document"), "document"))
            stored = self._input_file(request, "document", "documents", "")
            filename = (upload.filename if upload else None) or stored.file_path.rsplit("/")[-1]
            mime = (upload.content_type if upload else None) or mimetypes.guess_type(filename)[0]
            message: dict[str, Any] = {
                "document": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_name": filename,
                    "mime_type": mime or "application/octet-stream",
                    "file_size": len(stored.data),
                }
            }
            self._caption(message, request.params)
            return self._bot_message(chat, message, request.params)

    def _edit_message_text(self, request: _Request) -> dict[str, Any]:
        params = request.params
        with self._cond:
            chat, message = self._editable(params)
            if "text" not in message:
                raise _bad("there is no text in the message to edit")
            text, entities = _formatted(
                params.get("text"),
                params.get("parse_mode"),
                params.get("entities"),
                MAX_TEXT_LENGTH,
                "message text",
            )
            changes: dict[str, Any] = {"text": text, "entities": entities or None}
            return self._edit(chat, message, changes, params.get("reply_markup"))

    def _edit_message_caption(self, request: _Request) -> dict[str, Any]:
        params = request.params
        with self._cond:
            chat, message = self._editable(params)
            if "text" in message:
                raise _bad("there is no caption in the message to edit")
            caption, entities = _formatted(
                params.get("caption") or "",
                params.get("parse_mode"),
                params.get("caption_entities"),
                MAX_CAPTION_LENGTH,
                "message caption",
                allow_empty=True,
            )
            changes = {"caption": caption or None, "caption_entities": entities or None}
            return self._edit(chat, message, changes, params.get("reply_markup"))

    def _edit_message_reply_markup(self, request: _Request) -> dict[str, Any]:
        with self._cond:
            chat, message = self._editable(request.params)
            return self._edit(chat, message, {}, request.params.get("reply_markup"))

    def _delete_message(self, request: _Request) -> bool:
        params = request.params
        with self._cond:
            chat = self._target(params)
            message_id = params.get("message_id")
            if message_id not in chat.messages:
                raise _bad("message to delete not found")
            del chat.messages[message_id]
            self._cond.notify_all()
            return True

    def _answer_callback_query(self, request: _Request) -> bool:
        params = request.params
        with self._cond:
            query_id = str(params.get("callback_query_id") or "")
            press = self._callbacks.pop(query_id, None)
            if press is None:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            text = params.get("text")
            if text is not None and len(text) > 200:
                raise _bad("MESSAGE_TOO_LONG")
            self._answered.append(
                {
                    "callback_query_id": query_id,
                    "text": text,
                    "show_alert": bool(params.get("show_alert", False)),
                    "url": params.get("url"),
                    "cache_time": params.get("cache_time"),
                    **press,
                }
            )
            self._cond.notify_all()
            return True

    def _send_chat_action(self, request: _Request) -> bool:
        params = request.params
        with self._cond:
            chat = self._target(params)
            action = params.get("action")
            if action not in _CHAT_ACTIONS:
                raise _bad("wrong parameter action in request")
            self._actions.append((chat.chat["id"], str(action)))
            self._cond.notify_all()
            return True

    def _set_my_commands(self, request: _Request) -> bool:
        params = request.params
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        with self._cond:
            if commands:
                self._commands[key] = [
                    {"command": c["command"], "description": c["description"]} for c in commands
                ]
            else:
                self._commands.pop(key, None)
            self._cond.notify_all()
            return True

    def _get_my_commands(self, request: _Request) -> list[dict[str, str]]:
        key = self._commands_key(request.params)
        with self._cond:
            return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, request: _Request) -> bool:
        key = self._commands_key(request.params)
        with self._cond:
            self._commands.pop(key, None)
            return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("can't parse BotCommandScope JSON object")
        language = str(params.get("language_code") or "")
        if not _LANGUAGE.fullmatch(language):
            raise _bad("invalid language code specified")
        return _scope_key(scope), language

    def _setter(self, kind: str) -> Callable[[_Request], bool]:
        def set_text(request: _Request) -> bool:
            language = str(request.params.get("language_code") or "")
            with self._cond:
                self._bot_texts[(kind, language)] = str(request.params.get(kind) or "")
                return True

        return set_text

    def _getter(self, kind: str) -> Callable[[_Request], dict[str, str]]:
        def get_text(request: _Request) -> dict[str, str]:
            language = str(request.params.get("language_code") or "")
            with self._cond:
                text = self._bot_texts.get((kind, language)) or self._bot_texts.get((kind, ""))
                if kind == "name":
                    return {kind: text or str(self.bot_user["first_name"])}
                return {kind: text or ""}

        return get_text

    def _get_file(self, request: _Request) -> dict[str, Any]:
        with self._cond:
            stored = self._files.get(str(request.params.get("file_id") or ""))
            if stored is None:
                raise _bad("invalid file_id")
            if len(stored.data) > MAX_DOWNLOAD_SIZE:
                raise _bad("file is too big")
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "file_path": stored.file_path,
            }

    def _get_chat(self, request: _Request) -> dict[str, Any]:
        with self._cond:
            chat = self._chat_of(request.params)
            return {
                **chat.chat,
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }

    # -- helpers (called with the lock held) --------------------------------

    def _sender(
        self, chat_id: int, user: dict[str, Any] | None, language_code: str | None
    ) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        sender: dict[str, Any] = (
            dict(chat.user)
            if chat
            else {
                "id": chat_id,
                "is_bot": False,
                "first_name": f"Customer{chat_id}",
            }
        )
        sender.pop("language_code", None)
        if language_code is not None:
            sender["language_code"] = language_code
        sender.update(user or {})
        sender["id"] = chat_id  # a private chat has the user's id
        chat_dict = {"id": chat_id, "type": "private", "first_name": sender["first_name"]}
        for key in ("last_name", "username"):
            if key in sender:
                chat_dict[key] = sender[key]
        if chat is None:
            self._chats[chat_id] = _Chat(chat_dict, sender)
        else:
            chat.chat, chat.user = chat_dict, sender
        return copy.deepcopy(sender)

    def _user_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        user: dict[str, Any] | None,
        language_code: str | None,
    ) -> int:
        with self._cond:
            sender = self._sender(chat_id, user, language_code)
            chat = self._chats[chat_id]
            message = {
                "message_id": next(chat.message_ids),
                "from": sender,
                "chat": dict(chat.chat),
                "date": int(self._now()),
                **content,
            }
            chat.messages[message["message_id"]] = message
            return self._enqueue({"message": copy.deepcopy(message)})

    def _enqueue(self, content: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **content}
        self._history[update_id] = copy.deepcopy(update)
        self._pending.append(_Pending(update))
        self._cond.notify_all()
        return update_id

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"chat {chat_id} never talked to the bot")
        return chat

    def _chat_of(self, params: dict[str, Any]) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _target(self, params: dict[str, Any]) -> _Chat:
        chat = self._chat_of(params)
        if chat.chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _editable(self, params: dict[str, Any]) -> tuple[_Chat, dict[str, Any]]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")  # inline messages are not emulated
        chat = self._target(params)
        message = chat.messages.get(params.get("message_id"))  # type: ignore[arg-type]
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return chat, message

    def _edit(
        self,
        chat: _Chat,
        message: dict[str, Any],
        changes: dict[str, Any],
        markup: Any,
    ) -> dict[str, Any]:
        inline = _inline_markup(markup)
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("can't parse inline keyboard markup JSON object")
        edited = dict(message)
        for key, value in {**changes, "reply_markup": inline}.items():
            if value is None:
                edited.pop(key, None)
            else:
                edited[key] = value
        if {k: v for k, v in edited.items() if k != "edit_date"} == {
            k: v for k, v in message.items() if k != "edit_date"
        }:
            raise _bad(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        edited["edit_date"] = int(self._now())
        chat.messages[message["message_id"]] = edited
        self._cond.notify_all()
        return copy.deepcopy(edited)

    def _bot_message(
        self, chat: _Chat, content: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        markup = params.get("reply_markup")
        inline = _inline_markup(markup)
        message: dict[str, Any] = {
            "message_id": 0,
            "from": dict(self.bot_user),
            "chat": dict(chat.chat),
            "date": int(self._now()),
        }
        reply_to = params.get("reply_to_message_id")
        allow_without = params.get("allow_sending_without_reply", False)
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            reply_to = reply.get("message_id")
            allow_without = reply.get("allow_sending_without_reply", allow_without)
        if reply_to is not None:
            replied = chat.messages.get(reply_to)
            if replied is not None:
                message["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
            elif not allow_without:
                raise _bad("message to be replied not found")
        message.update(content)
        if inline:
            message["reply_markup"] = inline
        if isinstance(markup, dict):
            if "keyboard" in markup:
                chat.reply_keyboard = copy.deepcopy(markup)
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        message["message_id"] = next(chat.message_ids)
        chat.messages[message["message_id"]] = message
        chat.sent += 1
        self._cond.notify_all()
        return copy.deepcopy(message)

    def _caption(self, message: dict[str, Any], params: dict[str, Any]) -> None:
        caption, entities = _formatted(
            params.get("caption") or "",
            params.get("parse_mode"),
            params.get("caption_entities"),
            MAX_CAPTION_LENGTH,
            "message caption",
            allow_empty=True,
        )
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities

    def _store_file(self, folder: str, data: bytes, suffix: str) -> StoredFile:
        number = next(self._file_numbers)
        stored = StoredFile(
            file_id=f"BQACAgQAAxk{number:06d}{secrets.token_hex(8)}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=bytes(data),
        )
        self._files[stored.file_id] = stored
        return stored

    def _input_file(self, request: _Request, name: str, folder: str, suffix: str) -> StoredFile:
        value = request.params.get(name)
        upload = request.files.get(_attach_name(value, name))
        if upload is not None:
            if not suffix and upload.filename and "." in upload.filename:
                suffix = "." + upload.filename.rsplit(".", 1)[1]
            return self._store_file(folder, upload.data, suffix)
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        raise _bad("wrong file identifier/HTTP URL specified")

    def _photo_size(
        self, stored: StoredFile, width: int | None, height: int | None
    ) -> dict[str, Any]:
        sniffed = _image_size(stored.data) or (800, 600)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": width or sniffed[0],
            "height": height or sniffed[1],
        }

    # -- webhook delivery ---------------------------------------------------

    def _webhook_loop(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            with self._cond:
                while True:
                    if self._closing:
                        return
                    hook = self._webhook
                    ready = self._deliverable(hook["allowed_updates"]) if hook else []
                    wait = self._webhook_backoff - time.monotonic()
                    if hook and ready and wait <= 0:
                        break
                    self._cond.wait(wait if hook and ready else 0.2)
                entry = ready[0]
                url, secret = hook["url"], hook["secret_token"]
                body = json.dumps(entry.update, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json"}
            if secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            error = None
            try:
                with opener.open(urllib.request.Request(url, body, headers), timeout=5) as reply:
                    reply.read()
            except urllib.error.HTTPError as exc:
                error = f"Wrong response from the webhook: {exc.code} {exc.reason}"
            except (OSError, ValueError) as exc:
                error = f"Connection refused ({exc})"
            with self._cond:
                if error is None:
                    if entry in self._pending:
                        self._pending.remove(entry)
                elif self._webhook is not None:
                    self._webhook["last_error_date"] = int(self._now())
                    self._webhook["last_error_message"] = error
                    self._webhook_backoff = time.monotonic() + 0.2
                self._cond.notify_all()


# -- small pieces -------------------------------------------------------------


@dataclass
class _WithRollback:
    result: Any
    rollback: Callable[[], None]


@dataclass
class _Described:
    result: Any
    description: str


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    fake: FakeBotApi


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._track(self.connection, False)

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            super().handle()

    def do_GET(self) -> None:
        self.server.fake._serve(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._serve(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    rollback: Callable[[], None] | None = None,
) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True
        if rollback is not None:
            rollback()


def _peer_closed(sock: socket.socket | None) -> bool:
    """True if the client went away (it cancelled its long poll)."""
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def _parse_params(
    content_type: str, body: bytes, query: str
) -> tuple[dict[str, Any], dict[str, Upload]]:
    raw: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    files: dict[str, Upload] = {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        try:
            decoded = json.loads(body)
        except ValueError:
            raise _bad("can't parse JSON object") from None
        if not isinstance(decoded, dict):
            raise _bad("can't parse JSON object")
        raw.update(decoded)
    elif kind == "multipart/form-data":
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if boundary is None:
            raise _bad("bad multipart request")
        for name, upload in _multipart(body, boundary[1].encode()):
            if upload.filename is None:
                raw[name] = upload.data.decode("utf-8")
            else:
                files[name] = upload
    elif body:
        raw.update(
            {
                k: v[-1]
                for k, v in urllib.parse.parse_qs(
                    body.decode("utf-8"), keep_blank_values=True
                ).items()
            }
        )
    return {name: _typed(name, value) for name, value in raw.items()}, files


def _typed(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_PARAMS:
            return json.loads(value)
        if name in _INT_PARAMS or (name == "chat_id" and re.fullmatch(r"-?\d+", value)):
            return int(value)
        if name in _FLOAT_PARAMS:
            return float(value)
        if name in _BOOL_PARAMS:
            return value.lower() in ("true", "1")
    except ValueError:
        if name == "reply_markup":
            raise _bad("can't parse reply keyboard markup JSON object") from None
        raise _bad(f"can't parse parameter {name}") from None
    return value


def _multipart(body: bytes, boundary: bytes) -> Iterator[tuple[str, Upload]]:
    delimiter = b"--" + boundary
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            return
        part = part.removeprefix(b"\r\n")
        head, _, content = part.partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if name is None:
            continue
        yield (
            name[1],
            Upload(
                filename=urllib.parse.unquote(filename[1]) if filename else None,
                content_type=headers.get("content-type") if filename else None,
                data=content,
            ),
        )


def _attach_name(value: Any, default: str) -> str:
    if isinstance(value, str) and value.startswith("attach://"):
        return value.removeprefix("attach://")
    return default


def _scope_key(scope: dict[str, Any]) -> str:
    return json.dumps(scope, sort_keys=True)


def _describe(what: Callable[[], str] | str) -> str:
    return what() if callable(what) else what


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    """Check a reply_markup; return it if it is an inline keyboard to echo in the Message."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if not ({"keyboard", "remove_keyboard", "force_reply"} & markup.keys()):
            raise _bad("can't parse reply keyboard markup JSON object")
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse inline keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise _bad("can't parse inline keyboard button: Text must be non-empty")
            actions = _BUTTON_ACTIONS & button.keys()
            if len(actions) != 1:
                raise _bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if "callback_data" in actions:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in actions and not re.match(r"(https?|tg)://", str(button["url"])):
                raise _bad("BUTTON_URL_INVALID")
    rows = [row for row in rows if row]
    return {"inline_keyboard": copy.deepcopy(rows)} if rows else None


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of PNG, GIF or JPEG data."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


# -- formatted text: what Telegram makes of parse_mode --------------------------


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _formatted(
    text: Any,
    parse_mode: Any,
    entities: Any,
    limit: int,
    what: str,
    *,
    allow_empty: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities, trimmed, as Telegram stores a message text or caption."""
    text = "" if text is None else str(text)
    mode = str(parse_mode or "").lower()
    if mode == "html":
        text, found = _parse_html(text)
    elif mode == "markdownv2":
        text, found = _parse_markdown_v2(text)
    elif mode == "markdown":
        text, found = _parse_markdown(text)
    elif mode:
        raise _bad(f"unsupported parse_mode {parse_mode}")
    else:
        found = list(entities) if isinstance(entities, list) else []
    text, found = _strip(text, found)
    if not text and not allow_empty:
        raise _bad(f"{what} is empty")
    if len(text) > limit:
        raise _bad("message is too long" if what == "message text" else f"{what} is too long")
    return text, found


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _u16(text) - _u16(text.lstrip())
    size = _u16(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += _u16(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def error(self, message: str) -> ApiError:
        return _bad(f"can't parse entities: {message}")

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)"
    r"\s*>"
)
_HTML_ATTR = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_HTML_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot);")


def _parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder(source)
    stack: list[tuple[str, int, dict[str, str], int]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            tag = _HTML_TAG.match(source, i)
            if tag is None:
                name = re.match(r"</?([^\s>]*)", source[i:])
                raise out.error(
                    f'Unsupported start tag "{name[1] if name else ""}" at byte offset '
                    f"{out.byte_offset(i)}"
                )
            closing, name, attributes = tag[1] == "/", tag[2].lower(), tag[3]
            if closing:
                if not stack:
                    raise out.error(f"Unexpected end tag at byte offset {out.byte_offset(i)}")
                open_name, start, attrs, _ = stack.pop()
                if open_name != name:
                    raise out.error(
                        f"Unmatched end tag at byte offset {out.byte_offset(i)}, expected "
                        f'"</{open_name}>", found "</{name}>"'
                    )
                _html_entity(out, open_name, start, attrs, stack)
            else:
                attrs = {
                    a[1].lower(): _html_unescape(
                        next((v for v in a.groups()[1:] if v is not None), "")
                    )
                    for a in _HTML_ATTR.finditer(attributes)
                }
                if name not in _HTML_TAGS or (
                    name == "span" and attrs.get("class") != "tg-spoiler"
                ):
                    raise out.error(
                        f'Unsupported start tag "{name}" at byte offset {out.byte_offset(i)}'
                    )
                stack.append((name, out.pos, attrs, i))
            i = tag.end()
        elif char == "&":
            entity = _HTML_ENTITY.match(source, i)
            if entity is None:
                out.add("&")
                i += 1
                continue
            out.add(_html_char(entity))
            i = entity.end()
        else:
            out.add(char)
            i += 1
    if stack:
        name, _, _, index = stack[-1]
        raise out.error(
            f'Can\'t find end tag corresponding to start tag "{name}" at byte offset '
            f"{out.byte_offset(index)}"
        )
    return out.result()


def _html_char(entity: re.Match[str]) -> str:
    code = entity[1]
    if code.startswith(("#x", "#X")):
        return chr(int(code[2:], 16))
    if code.startswith("#"):
        return chr(int(code[1:]))
    return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[code]


def _html_unescape(value: str) -> str:
    return _HTML_ENTITY.sub(_html_char, value)


def _html_entity(
    out: _Builder,
    name: str,
    start: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str], int]],
) -> None:
    kind = _HTML_TAGS[name]
    if name == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            out.entity(
                "text_mention", start, user={"id": int(user[1]), "is_bot": False, "first_name": ""}
            )
        elif href:
            out.entity("text_link", start, url=href)
        return
    if name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1][2]["language"] = language
            return
    if name == "pre" and attrs.get("language"):
        out.entity("pre", start, language=attrs["language"])
        return
    if name == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    if name == "tg-emoji":
        out.entity(kind, start, custom_emoji_id=attrs.get("emoji-id", ""))
        return
    out.entity(kind, start)


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
}


def _parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder(source)
    opened: dict[str, tuple[int, int]] = {}  # kind -> (text position, source index)
    links: list[tuple[int, int, bool]] = []  # (text position, source index, custom emoji)
    quote: int | None = None
    line_start = True
    i, n = 0, len(source)

    def toggle(kind: str, index: int) -> None:
        if kind in opened:
            start, _ = opened.pop(kind)
            out.entity(kind, start)
        else:
            opened[kind] = (out.pos, index)

    def until(index: int, end: str, escapable: str, name: str, start: int) -> tuple[str, int]:
        chars = []
        while index < n:
            if source[index] == "\\" and index + 1 < n and source[index + 1] in escapable:
                chars.append(source[index + 1])
                index += 2
            elif source.startswith(end, index):
                return "".join(chars), index + len(end)
            else:
                chars.append(source[index])
                index += 1
        raise out.error(f"Can't find end of {name} entity at byte offset {out.byte_offset(start)}")

    while i < n:
        char = source[i]
        if line_start:
            line_start = False
            if char == ">":
                if quote is None:
                    quote = out.pos
                i += 1
                continue
            if quote is not None:
                out.parts[-1] = out.parts[-1][:-1]  # the quote ends before the newline
                out.pos -= 1
                out.entity("blockquote", quote)
                out.add("\n")
                quote = None
        if char == "\\":
            if i + 1 < n and 1 <= ord(source[i + 1]) <= 126:
                out.add(source[i + 1])
                i += 2
                continue
            raise out.error(
                "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        if char == "`":
            if source.startswith("```", i):
                content, after = until(i + 3, "```", "`\\", "Pre", i)
                language = ""
                first, newline, rest = content.partition("\n")
                if newline and first and not re.search(r"\s", first):
                    language, content = first, rest
                start = out.pos
                out.add(content)
                if language:
                    out.entity("pre", start, language=language)
                else:
                    out.entity("pre", start)
            else:
                content, after = until(i + 1, "`", "`\\", "Code", i)
                start = out.pos
                out.add(content)
                out.entity("code", start)
            i = after
            continue
        if char == "*":
            toggle("bold", i)
        elif char == "_":
            if source.startswith("__", i):
                toggle("underline", i)
                i += 1
            else:
                toggle("italic", i)
        elif char == "~":
            toggle("strikethrough", i)
        elif char == "|" and source.startswith("||", i):
            toggle("spoiler", i)
            i += 1
        elif char == "[":
            links.append((out.pos, i, False))
        elif char == "!" and source.startswith("![", i):
            links.append((out.pos, i, True))
            i += 1
        elif char == "]" and links:
            start, index, emoji = links.pop()
            if not source.startswith("(", i + 1):
                raise out.error(
                    f"Can't find end of TextUrl entity at byte offset {out.byte_offset(index)}"
                )
            url, after = until(i + 2, ")", ")\\", "TextUrl", index)
            user = re.fullmatch(r"tg://user\?id=(\d+)", url)
            if emoji:
                out.entity(
                    "custom_emoji", start, custom_emoji_id=url.removeprefix("tg://emoji?id=")
                )
            elif user:
                out.entity(
                    "text_mention",
                    start,
                    user={"id": int(user[1]), "is_bot": False, "first_name": ""},
                )
            else:
                out.entity("text_link", start, url=url)
            i = after
            continue
        elif char in _MDV2_RESERVED:
            raise out.error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.add(char)
            line_start = char == "\n"
        i += 1
    if quote is not None:
        out.entity("blockquote", quote)
    if opened:
        kind, (_, index) = min(opened.items(), key=lambda item: item[1][1])
        raise out.error(
            f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {out.byte_offset(index)}"
        )
    if links:
        raise out.error(
            f"Can't find end of TextUrl entity at byte offset {out.byte_offset(links[-1][1])}"
        )
    return out.result()


def _parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The legacy Markdown mode: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    out = _Builder(source)
    i, n = 0, len(source)

    def missing(index: int) -> ApiError:
        return out.error(
            f"Can't find end of the entity starting at byte offset {out.byte_offset(index)}"
        )

    while i < n:
        char = source[i]
        if char == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
        elif char in "*_":
            end = source.find(char, i + 1)
            if end < 0:
                raise missing(i)
            start = out.pos
            out.add(source[i + 1 : end])
            out.entity("bold" if char == "*" else "italic", start)
            i = end + 1
        elif char == "`":
            fence = "```" if source.startswith("```", i) else "`"
            end = source.find(fence, i + len(fence))
            if end < 0:
                raise missing(i)
            start = out.pos
            out.add(source[i + len(fence) : end])
            out.entity("pre" if fence == "```" else "code", start)
            i = end + len(fence)
        elif char == "[":
            end = source.find("]", i + 1)
            if end < 0:
                raise missing(i)
            if not source.startswith("(", end + 1):
                out.add(source[i : end + 1])
                i = end + 1
                continue
            close = source.find(")", end + 2)
            if close < 0:
                raise missing(i)
            start = out.pos
            out.add(source[i + 1 : end])
            out.entity("text_link", start, url=source[end + 2 : close])
            i = close + 1
        else:
            out.add(char)
            i += 1
    return out.result()
