"""A fake Slack Web API on 127.0.0.1 for the tests, and helpers to drive Bolt as Slack does.

The real `slack_sdk.WebClient` and the real Bolt `App` talk real HTTP to it, exactly as
they talk to slack.com: `POST /api/<method>` with a form-encoded or JSON body (slack_sdk
sends `chat.*` and `views.*` as JSON, `auth.test`, `users.info`, `reactions.add`... as
form fields, always with POST), the token in `Authorization: Bearer ...`, answered with
`{"ok": true, ...}` or `{"ok": false, "error": "..."}`. Bolt's `respond()` posts to the
`response_url` of the payload: the fake mints those (`POST /response_url/<id>`).

    with FakeSlack() as slack:
        app = App(client=slack.client(), signing_secret=slack.signing_secret)
        # or: app = slack.bolt_app()
        ...
        body = slack.block_actions_payload("take", None, STAFF_USER_ID, "C0HELPDESK", ts)
        response = dispatch(app, *signed_request(body, secret=slack.signing_secret))
        slack.wait_for_calls("chat.update")
        assert "Taken" in slack.message("C0HELPDESK", ts)["text"]

There is no environment variable for the API address: a `WebClient` without `base_url`
goes to slack.com (no network here: it fails after a timeout). `slack.base_url` is
`http://127.0.0.1:PORT/api/` (slack_sdk appends a missing final slash itself, then joins
the method name like urljoin); anything outside /api/ and /response_url/ is a 404.

What it does as Slack does (the points a bot gets wrong):

- A missing token answers `not_authed`, a wrong one `invalid_auth` (HTTP 200, like every
  Slack error but 429 and 5xx). An unknown method answers `unknown_method`. Methods added
  with `add_app_method` (apps.connections.open, by fakesocketmode.py) take the app-level
  token; the bot token there, or the app-level token elsewhere, is `not_allowed_token_type`.
- Message timestamps (`ts`, "1712345678.000100") are unique and increasing. Replies go in
  the thread of `thread_ts`; the parent gets `reply_count`, `latest_reply`...
  `messages(channel)` is the channel as `conversations.history` shows it (top level,
  edits applied, deleted ones gone), `thread(channel, ts)` as `conversations.replies`.
- Blocks are checked against the documented Block Kit limits (50 blocks per message, 100
  per modal, section text 3,000 characters, fields 10 x 2,000, header 150, button text 75,
  unique block_ids, non-empty texts...): `invalid_blocks` with `errors`. A modal view
  too (title, submit and close at most 24 characters, private_metadata 3,000):
  `invalid_arguments` with `response_metadata.messages`.
- chat.update edits only the bot's own messages (`cant_update_message`); without
  `blocks` the old blocks stay. A message over 40,000 characters is `msg_too_long`.
- A trigger_id can open one view (`exchanged_trigger_id`), and one minted by the fake
  expires after 3 seconds (`expired_trigger_id`), as Slack's do.
- Channels: any well-formed id (C..., G..., D...) exists unless the fake was built with
  `channels=`; then only those (and `add_channel`) do, others are `channel_not_found`.
  `#name` is accepted by chat.postMessage as by Slack.

Faults: `fail_next` (HTTP 500 by default, or any status/error), `rate_limit_next` (HTTP
429 with `Retry-After`, as Slack does), `fail_for(seconds)` (every call answers 500),
`drop_response_next` (the call takes effect but the connection closes without an
answer: the client cannot know), `delay_next`, and `go_down()` / `come_back()` (the
listening socket is closed, connections are refused, then it listens again on the same
port). The test side is thread-safe. Every call is recorded in `calls` (method, decoded
parameters with `blocks` as lists, status, error, time).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import itertools
import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

HOST = "127.0.0.1"

DEFAULT_TOKEN = "xoxb-1000000001-2000000002-FakeSportelloBotToken00"
DEFAULT_SIGNING_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
VERIFICATION_TOKEN = "FakeVerificationToken000"
TEAM_ID = "T0SPORTEL"
TEAM_NAME = "Sportello Test"
TEAM_DOMAIN = "sportello-test"
APP_ID = "A0SPORTAPP"
BOT_ID = "B0SPORTBOT"
BOT_USER_ID = "U0SPORTBOT"
BOT_NAME = "sportello"
STAFF_USER_ID = "U0STAFF001"
STAFF_NAME = "giulia.bianchi"
STAFF_REAL_NAME = "Giulia Bianchi"
STAFF_TZ = "Europe/Rome"
BOT_SCOPES = (
    "chat:write,chat:write.public,commands,users:read,channels:read,groups:read,"
    "reactions:write,channels:history,groups:history"
)

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_TEXT_LENGTH = 40_000
TRIGGER_TTL = 3.0

_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")
_JSON_PARAMS = {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks"}
_BLOCK_TYPES = {
    "actions",
    "context",
    "context_actions",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "table",
    "video",
}


# -- records ----------------------------------------------------------------------------


@dataclass
class Call:
    """One request that reached the fake."""

    method: str  # "chat.postMessage"..., or "response_url" for a POST to a response_url
    params: dict[str, Any]  # form fields, JSON body and query merged; JSON texts decoded
    time: float  # time.monotonic() when it arrived
    status: int = 0  # the HTTP status answered (0 while in flight; 0 if dropped)
    error: str | None = None  # the "error" of an ok=false answer
    target: str | None = None  # the response_url id, for method "response_url"

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass
class _Fault:
    kind: str  # "error", "drop" or "delay"
    status: int = 500
    error: str | None = None
    retry_after: int | None = None
    seconds: float = 0.0


@dataclass
class _Reply:
    status: int
    payload: dict[str, Any] | None  # None: drop the connection without an answer
    headers: dict[str, str] = field(default_factory=dict)


class _SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.extra = error, extra


@dataclass
class _Hook:
    """A response_url: where it came from."""

    channel: str | None
    message_ts: str | None
    user_id: str | None
    thread_ts: str | None = None


# -- the fake ---------------------------------------------------------------------------


class FakeSlack:
    """The fake Slack Web API: `start()` (returns the port), `stop()`, or a `with` block."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        team_id: str = TEAM_ID,
        team_name: str = TEAM_NAME,
        team_domain: str = TEAM_DOMAIN,
        app_id: str = APP_ID,
        bot_id: str = BOT_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_name: str = BOT_NAME,
        channels: Mapping[str, str] | None = None,
        trigger_ttl: float = TRIGGER_TTL,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.signing_secret = signing_secret
        self.team_id, self.team_name, self.team_domain = team_id, team_name, team_domain
        self.app_id, self.bot_id, self.bot_user_id = app_id, bot_id, bot_user_id
        self.bot_name = bot_name
        self.trigger_ttl = trigger_ttl
        self._now = now
        self._cond = threading.Condition(threading.RLock())
        self._strict_channels = channels is not None
        self._channels: dict[str, dict[str, Any]] = {}
        for channel_id, name in (channels or {}).items():
            self.add_channel(channel_id, name)
        self._users: dict[str, dict[str, Any]] = {}
        self.add_user(
            bot_user_id, "Sportello", name=bot_name, is_bot=True, tz="Europe/Rome", email=None
        )
        self.add_user(STAFF_USER_ID, STAFF_REAL_NAME, name=STAFF_NAME, tz=STAFF_TZ)
        self._messages: dict[str, dict[str, dict[str, Any]]] = {}  # channel -> ts -> message
        self._ephemerals: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._view_history: list[dict[str, Any]] = []
        self._triggers: dict[str, float] = {}  # minted here -> monotonic time
        self._used_triggers: set[str] = set()
        self._hooks: dict[str, _Hook] = {}
        self._hook_numbers = itertools.count(1)
        self._last_ts = 0
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._outage_until = 0.0
        self._outage_status = 500
        self._connections: set[socket.socket] = set()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "reactions.add": self._reactions_add,
        }
        # Methods that take the app-level token (xapp-...) instead of the bot token, such as
        # apps.connections.open (Socket Mode): see `add_app_method`.
        self.app_token: str | None = None
        self._app_methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> int:
        """Listen on a free port of 127.0.0.1 (the same one after `stop()`); returns it."""
        if self._httpd is None:
            self._listen(self._port or 0)
        return self.port

    def stop(self) -> None:
        self._close()

    def __enter__(self) -> FakeSlack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def go_down(self) -> None:
        """Slack is unreachable: the listening socket and open connections are closed, so
        new connections are refused, until `come_back()`."""
        self._close()

    def come_back(self) -> None:
        """Listen again, on the same port."""
        if self._port is None:
            raise RuntimeError("the fake Slack was never started")
        if self._httpd is None:
            self._listen(self._port)

    @property
    def is_down(self) -> bool:
        return self._httpd is None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake Slack is not running")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def base_url(self) -> str:
        """For `WebClient(base_url=...)`: `http://127.0.0.1:PORT/api/`."""
        return f"{self.url}api/"

    def client(self, **kwargs: Any) -> WebClient:
        """A real `WebClient` for the fake (the bot token; base_url set)."""
        kwargs.setdefault("token", self.token)
        kwargs.setdefault("base_url", self.base_url)
        return WebClient(**kwargs)

    def bolt_app(self, **kwargs: Any) -> App:
        """A real Bolt `App` on the fake, with its signing secret (`auth.test` is called now
        unless `token_verification_enabled=False` or `client=`/`authorize=` say otherwise)."""
        kwargs.setdefault("client", self.client())
        kwargs.setdefault("signing_secret", self.signing_secret)
        return App(**kwargs)

    def _listen(self, port: int) -> None:
        deadline = time.monotonic() + 2.0
        while True:
            try:
                httpd = _HttpServer((HOST, port), _Handler)
                break
            except OSError:
                if port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        httpd.fake = self
        self._httpd = httpd
        self._port = int(httpd.server_address[1])
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakeslack-http",
            daemon=True,
        )
        self._thread.start()

    def _close(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._cond:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- the workspace ------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        is_private: bool | None = None,
        is_member: bool = True,
    ) -> None:
        with self._cond:
            self._channels[channel_id] = self._channel_info(channel_id, name, is_private, is_member)

    def add_user(
        self,
        user_id: str,
        real_name: str,
        *,
        name: str | None = None,
        tz: str = STAFF_TZ,
        email: str | None = "",
        locale: str = "it-IT",
        is_bot: bool = False,
        is_admin: bool = False,
    ) -> dict[str, Any]:
        """A member of the workspace, as users.info shows it; returns the user object."""
        name = name or real_name.lower().replace(" ", ".")
        zone = datetime.now(ZoneInfo(tz))
        offset = zone.utcoffset()
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": "" if is_bot else real_name.split()[0],
            "display_name_normalized": "" if is_bot else real_name.split()[0],
            "team": self.team_id,
            "image_48": f"https://avatars.example.invalid/{user_id}_48.png",
        }
        if email is not None:
            profile["email"] = email or f"{name}@example.com"
        if is_bot:
            profile["bot_id"] = self.bot_id
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": tz,
            "tz_label": zone.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(self._now()),
            "_locale": locale,
        }
        with self._cond:
            self._users[user_id] = user
        return _public(user)

    def user_posts(
        self,
        channel: str,
        text: str,
        user_id: str = STAFF_USER_ID,
        *,
        thread_ts: str | None = None,
        event_id: str | None = None,
    ) -> str:
        """A person writes in a channel (or a thread): the message is stored and the body of
        the `message` event Slack sends for it is returned (JSON, ready to sign)."""
        with self._cond:
            channel = self._test_channel(channel)
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "user": user_id,
                "text": text,
                "ts": ts,
                "team": self.team_id,
                "client_msg_id": str(uuid.uuid4()),
                "blocks": _rich_text(text),
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
                parent = self._messages.get(channel, {}).get(thread_ts)
                if parent is not None:
                    message["parent_user_id"] = parent.get("user")
            self._store(channel, message)
            event = {
                **copy.deepcopy(message),
                "channel": channel,
                "event_ts": ts,
                "channel_type": _channel_type(channel),
            }
        return self.event_callback_payload(event, event_id)

    # -- what Slack sends to the app (bodies to sign and dispatch) ----------------------

    def response_url(
        self,
        channel: str | None = None,
        message_ts: str | None = None,
        *,
        user_id: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """A response_url served by the fake; `replace_original`/`delete_original` act on
        the message (channel, message_ts) it belongs to."""
        with self._cond:
            hook_id = f"{self.team_id}/{next(self._hook_numbers)}/{secrets.token_hex(8)}"
            self._hooks[hook_id] = _Hook(channel, message_ts, user_id, thread_ts)
        return f"{self.url}response_url/{hook_id}"

    def trigger_id(self) -> str:
        """A fresh trigger_id, valid for `trigger_ttl` seconds and one view."""
        trigger = _new_trigger_id()
        with self._cond:
            self._triggers[trigger] = time.monotonic()
        return trigger

    def block_actions_payload(
        self,
        action_id: str,
        value: str | None = None,
        user_id: str = STAFF_USER_ID,
        channel_id: str | None = None,
        message_ts: str | None = None,
        *,
        view_id: str | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        selected_option: Mapping[str, Any] | None = None,
    ) -> str:
        """A click on a button (or a select) of a message as the fake has it now - or of an
        open modal (`view_id`). The block_id, element type and text come from the message;
        `value` defaults to the button's. Raises LookupError if the message or view has no
        such element (a user cannot click what is not there). Form-encoded body."""
        with self._cond:
            if view_id is not None:
                view = self._views.get(view_id)
                if view is None:
                    raise LookupError(f"no open view {view_id}")
                blocks = view.get("blocks", [])
                message = None
            else:
                if channel_id is None or message_ts is None:
                    raise ValueError("give channel_id and message_ts, or view_id")
                channel_id = self._test_channel(channel_id)
                stored = self._messages.get(channel_id, {}).get(message_ts)
                if stored is None or stored.get("_deleted"):
                    raise LookupError(f"no message {message_ts} in {channel_id}")
                message = _public(stored)
                blocks = message.get("blocks", [])
            found = _find_element(blocks, action_id)
            if found is None:
                where = f"view {view_id}" if view_id else f"message {message_ts}"
                raise LookupError(f"no element with action_id {action_id!r} in {where}")
            block_id, element = found
            if message is not None and response_url is None:
                response_url = self.response_url(
                    channel_id, message_ts, user_id=user_id, thread_ts=message.get("thread_ts")
                )
            user = self._users.get(user_id)
            payload = _block_actions(
                action_id=action_id,
                value=value if value is not None else element.get("value"),
                user_id=user_id,
                user_name=user["name"] if user else user_id.lower(),
                channel_id=channel_id,
                channel_name=self._channel_name(channel_id) if channel_id else None,
                message_ts=message_ts,
                trigger_id=trigger_id or self.trigger_id(),
                response_url=response_url,
                block_id=block_id,
                element=element,
                message=message,
                view=_public(self._views[view_id]) if view_id else None,
                selected_option=selected_option,
                team_id=self.team_id,
                team_domain=self.team_domain,
                api_app_id=self.app_id,
            )
        return _form(payload)

    def view_submission_payload(
        self,
        callback_id: str | None = None,
        private_metadata: str | None = None,
        values: Mapping[str, Mapping[str, Any]] | None = None,
        user_id: str = STAFF_USER_ID,
        *,
        view_id: str | None = None,
        trigger_id: str | None = None,
    ) -> str:
        """The submission of a modal the app opened: `view_id`, or else the latest open view
        with `callback_id`. Its blocks, callback_id and private_metadata are the view's;
        `values` are what the user typed: {block_id: {action_id: "text" or a state value}}.
        Raises LookupError if no such view is open. Form-encoded body."""
        with self._cond:
            view = self._find_view(view_id, callback_id)
            view = _public(view)
        return view_submission_payload(
            view.get("callback_id", ""),
            view.get("private_metadata", "") if private_metadata is None else private_metadata,
            values or {},
            user_id,
            view=view,
            trigger_id=trigger_id or self.trigger_id(),
            team_id=self.team_id,
            team_domain=self.team_domain,
            api_app_id=self.app_id,
            user_name=self._users[user_id]["name"] if user_id in self._users else None,
        )

    def event_callback_payload(self, event: Mapping[str, Any], event_id: str | None = None) -> str:
        """The Events API envelope of `event` for this workspace. JSON body."""
        return event_callback_payload(
            event,
            event_id,
            team_id=self.team_id,
            api_app_id=self.app_id,
            bot_user_id=self.bot_user_id,
        )

    def add_app_method(
        self, method: str, app_token: str, fn: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> None:
        """Answer `method` with `fn(params)` (under the fake's lock) when it is called with
        the app-level token `app_token`. As Slack does, the bot token is refused there and
        the app-level token everywhere else (`not_allowed_token_type`)."""
        with self._cond:
            if self.app_token not in (None, app_token):
                raise ValueError("the fake already has another app-level token")
            self.app_token = app_token
            self._app_methods[method] = fn

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        *,
        count: int = 1,
        error: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `count` calls of `method` ("*" = any, "response_url" = a response_url
        POST) answer HTTP `status` with `{"ok": false, "error": error}` and take no effect.
        With status 200 it is an ordinary Slack error (`error` required, e.g.
        "not_in_channel")."""
        if status == 200 and not error:
            raise ValueError("a 200 failure needs an error, e.g. error='not_in_channel'")
        fault = _Fault("error", status, error or _default_error(status), retry_after)
        self._add_faults(method, [fault] * count)

    def rate_limit_next(self, method: str, retry_after: int = 1, *, count: int = 1) -> None:
        """HTTP 429, `Retry-After: <retry_after>` and `{"ok": false, "error": "ratelimited"}`."""
        self.fail_next(method, 429, count=count, error="ratelimited", retry_after=retry_after)

    def fail_for(self, seconds: float, status: int = 500) -> None:
        """Every call answers HTTP `status` (500) for the next `seconds`; 0 ends it."""
        with self._cond:
            self._outage_until = time.monotonic() + seconds
            self._outage_status = status

    def drop_response_next(self, method: str, *, count: int = 1) -> None:
        """The next `count` calls of `method` take effect, then the connection is closed
        without an answer (as when a response is lost: the client cannot tell)."""
        self._add_faults(method, [_Fault("drop")] * count)

    def delay_next(self, method: str, seconds: float, *, count: int = 1) -> None:
        """The next `count` calls of `method` wait `seconds` before they are handled."""
        self._add_faults(method, [_Fault("delay", seconds=seconds)] * count)

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()
            self._outage_until = 0.0

    def _add_faults(self, method: str, faults: list[_Fault]) -> None:
        with self._cond:
            self._faults.setdefault(method, []).extend(copy.copy(f) for f in faults)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._cond:
            if time.monotonic() < self._outage_until:
                status = self._outage_status
                return _Fault("error", status, _default_error(status))
            for key in (method, "*"):
                queue = self._faults.get(key)
                if queue:
                    return queue.pop(0)
            return None

    # -- what the app did ---------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return copy.deepcopy(self._calls)

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    @property
    def requests(self) -> list[str]:
        """The methods called, in order."""
        with self._cond:
            return [c.method for c in self._calls]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The channel as conversations.history shows it, oldest first: top-level messages
        (and replies also sent to the channel), edits applied, deleted ones gone."""
        with self._cond:
            known = self._known_channel(channel)
            if known is None:
                return []
            return [
                _public(m)
                for m in self._sorted(known)
                if not m.get("_deleted")
                and (
                    m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
                )
            ]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent and its replies, oldest first, as conversations.replies shows them."""
        with self._cond:
            known = self._known_channel(channel)
            if known is None:
                return []
            return [
                _public(m)
                for m in self._sorted(known)
                if not m.get("_deleted") and (m["ts"] == ts or m.get("thread_ts") == ts)
            ]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """One message as it is now; KeyError if it does not exist (or was deleted)."""
        with self._cond:
            known = self._known_channel(channel) or channel
            stored = self._messages.get(known, {}).get(ts)
            if stored is None or stored.get("_deleted"):
                raise KeyError(f"no message {ts} in {channel}")
            return _public(stored)

    def texts(self, channel: str) -> list[str]:
        return [m.get("text", "") for m in self.messages(channel)]

    def ephemerals(self, channel: str | None = None) -> list[dict[str, Any]]:
        """chat.postEphemeral messages and ephemeral respond()s: channel, user, text,
        blocks, thread_ts, message_ts."""
        with self._cond:
            return [
                copy.deepcopy(e)
                for e in self._ephemerals
                if channel is None or e["channel"] == channel
            ]

    @property
    def views(self) -> list[dict[str, Any]]:
        """The views opened, pushed or updated, as they are now, in the order opened."""
        with self._cond:
            return [_public(v) for v in self._views.values()]

    @property
    def view_history(self) -> list[dict[str, Any]]:
        """Every views.open/push/update as it was answered: {"method", "view"}."""
        with self._cond:
            return copy.deepcopy(self._view_history)

    def view(self, view_id: str) -> dict[str, Any]:
        with self._cond:
            return _public(self._views[view_id])

    def reactions(self, channel: str, ts: str) -> list[str]:
        return [r["name"] for r in self.message(channel, ts).get("reactions", [])]

    @property
    def responses(self) -> list[Call]:
        """The POSTs to response_urls (Bolt's respond()), in order."""
        return self.calls_to("response_url")

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        what: Callable[[], str] | str = "the condition",
    ) -> None:
        """Block until `predicate()` holds (checked whenever a call arrives or ends)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"timed out waiting for {what() if callable(what) else what}; "
                        f"calls: {self.requests}"
                    )
                self._cond.wait(min(left, 0.05))

    def wait_for_calls(
        self, method: str, count: int = 1, timeout: float = 5.0, *, ok_only: bool = False
    ) -> list[Call]:
        """Block until `method` was answered `count` times; returns those calls."""

        def done() -> list[Call]:
            return [
                c for c in self._calls if c.method == method and c.status and (c.ok or not ok_only)
            ]

        self.wait_until(lambda: len(done()) >= count, timeout, f"{count} x {method}")
        with self._cond:
            return copy.deepcopy(done())

    def wait_for_messages(
        self, channel: str, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Block until the channel shows `count` messages; returns `messages(channel)`."""
        self.wait_until(
            lambda: len(self.messages(channel)) >= count,
            timeout,
            lambda: f"{count} messages in {channel}; got {self.texts(channel)}",
        )
        return self.messages(channel)

    # -- HTTP ---------------------------------------------------------------------------

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
        if path.startswith("/api/") and len(path) > 5:
            reply = self._api(path[5:].strip("/"), handler, split.query, body)
        elif path.startswith("/response_url/") and verb == "POST":
            reply = self._respond(path[len("/response_url/") :], handler, body)
        else:
            reply = _Reply(
                404,
                {
                    "ok": False,
                    "error": "not_found",
                    "detail": "the fake Slack serves /api/<method> (base_url must end in /api/)"
                    " and /response_url/<id>",
                },
            )
        if reply.payload is None:  # lost answer: close without a word
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        _send(handler, reply)

    def _api(self, method: str, handler: _Handler, query: str, body: bytes) -> _Reply:
        try:
            params = _parse_params(handler.headers.get("Content-Type", ""), body, query)
        except ValueError:
            params, bad_body = {}, True
        else:
            bad_body = False
        call = Call(method, params, time.monotonic())
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
        reply = self._answer(method, params, handler, bad_body)
        with self._cond:
            call.status = reply.status if reply.payload is not None else 0
            if reply.payload is not None and not reply.payload.get("ok"):
                call.error = str(reply.payload.get("error"))
            self._cond.notify_all()
        return reply

    def _answer(
        self, method: str, params: dict[str, Any], handler: _Handler, bad_body: bool
    ) -> _Reply:
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "error":
            return _fault_reply(fault)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        token = params.pop("token", None)
        authorization = handler.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            token = authorization[len("Bearer ") :]
        headers: dict[str, str] = {}
        try:
            if bad_body:
                raise _SlackError("invalid_form_data")
            if not token:
                raise _SlackError("not_authed")
            app_level = method in self._app_methods
            expected = self.app_token if app_level else self.token
            if token != expected and token in (self.token, self.app_token):
                raise _SlackError("not_allowed_token_type")  # the other kind of token
            if token != expected:
                raise _SlackError("invalid_auth")
            fn = (self._app_methods if app_level else self._methods).get(method)
            if fn is None:
                raise _SlackError("unknown_method", req_method=method)
            with self._cond:
                result = fn(params)
            payload = {"ok": True, **result}
            headers["X-OAuth-Scopes"] = BOT_SCOPES
        except _SlackError as error:
            payload = {"ok": False, "error": error.error, **error.extra}
        if fault is not None and fault.kind == "drop":
            return _Reply(200, None)
        return _Reply(200, payload, headers)

    def _respond(self, hook_id: str, handler: _Handler, body: bytes) -> _Reply:
        try:
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                raise ValueError
        except ValueError:
            params = {"_raw": body.decode("utf-8", "replace")}
        call = Call("response_url", params, time.monotonic(), target=hook_id)
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
        fault = self._take_fault("response_url")
        if fault is not None and fault.kind == "error":
            reply = _fault_reply(fault)
        else:
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
            with self._cond:
                hook = self._hooks.get(hook_id)
                try:
                    if hook is None:
                        raise _SlackError("expired_url")
                    self._apply_response(hook, params)
                except _SlackError as error:
                    reply = _Reply(404, {"ok": False, "error": error.error})
                else:
                    reply = _Reply(200, {"ok": True})
            if fault is not None and fault.kind == "drop":
                reply = _Reply(200, None)
        with self._cond:
            call.status = reply.status if reply.payload is not None else 0
            if reply.payload is not None and not reply.payload.get("ok"):
                call.error = str(reply.payload.get("error"))
            self._cond.notify_all()
        return reply

    def _apply_response(self, hook: _Hook, params: dict[str, Any]) -> None:
        channel, ts = hook.channel, hook.message_ts
        if _truthy(params.get("delete_original")):
            if channel and ts:
                self._delete({"channel": channel, "ts": ts}, any_author=True)
            return
        if _truthy(params.get("replace_original")) and channel and ts:
            self._update({**params, "channel": channel, "ts": ts}, any_author=True)
            return
        if channel is None:
            return
        if params.get("response_type") == "in_channel":
            thread_ts = params.get("thread_ts")
            self._post_message({**params, "channel": channel, "thread_ts": thread_ts})
            return
        self._ephemerals.append(
            {
                "channel": channel,
                "user": hook.user_id,
                "text": params.get("text", ""),
                "blocks": params.get("blocks", []),
                "thread_ts": params.get("thread_ts") or hook.thread_ts,
                "message_ts": self._next_ts(),
            }
        )

    # -- methods (called with the lock held) --------------------------------------------

    def _api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"args": params}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        content = self._content(params, required=True)
        ts = self._next_ts()
        message: dict[str, Any] = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": content.get("text", ""),
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_name,
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        message.update({k: v for k, v in content.items() if k != "text"})
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        thread_ts = params.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
            parent = self._messages.get(channel, {}).get(str(thread_ts))
            if parent is not None:
                message["parent_user_id"] = parent.get("user")
            if _truthy(params.get("reply_broadcast")):
                message["subtype"] = "thread_broadcast"
        self._store(channel, message)
        return {"channel": channel, "ts": ts, "message": _public(message, drop_metadata=False)}

    def _update(self, params: dict[str, Any], *, any_author: bool = False) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        ts = str(_required(params, "ts", "message_not_found"))
        message = self._messages.get(channel, {}).get(ts)
        if message is None or message.get("_deleted"):
            raise _SlackError("message_not_found")
        if not any_author and message.get("bot_id") != self.bot_id:
            raise _SlackError("cant_update_message")
        content = self._content(params, required=True)
        message.update(content)
        if "blocks" in content and not content["blocks"]:
            message.pop("blocks")
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self._cond.notify_all()
        return {
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": _public(message),
        }

    def _delete(self, params: dict[str, Any], *, any_author: bool = False) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        ts = str(_required(params, "ts", "message_not_found"))
        message = self._messages.get(channel, {}).get(ts)
        if message is None or message.get("_deleted"):
            raise _SlackError("message_not_found")
        if not any_author and message.get("bot_id") != self.bot_id:
            raise _SlackError("cant_delete_message")
        message["_deleted"] = True
        self._cond.notify_all()
        return {"channel": channel, "ts": ts}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        user = str(_required(params, "user", "user_not_found"))
        if user not in self._users:
            raise _SlackError("user_not_found")
        content = self._content(params, required=True)
        ts = self._next_ts()
        self._ephemerals.append(
            {
                "channel": channel,
                "user": user,
                "text": content.get("text", ""),
                "blocks": content.get("blocks", []),
                "thread_ts": params.get("thread_ts"),
                "message_ts": ts,
            }
        )
        return {"message_ts": ts}

    def _get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        ts = str(_required(params, "message_ts", "message_not_found"))
        message = self._messages.get(channel, {}).get(ts)
        if message is None or message.get("_deleted"):
            raise _SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(params.get("trigger_id"))
        view = self._new_view(params, previous=None)
        self._view_history.append({"method": "views.open", "view": _public(view)})
        return {"view": _public(view)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(params.get("trigger_id"))
        open_views = list(self._views.values())
        previous = open_views[-1] if open_views else None
        view = self._new_view(params, previous=previous)
        self._view_history.append({"method": "views.push", "view": _public(view)})
        return {"view": _public(view)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _SlackError("invalid_arguments")
        current = self._views.get(str(view_id)) if view_id else None
        if current is None and external_id:
            current = next(
                (v for v in self._views.values() if v.get("external_id") == external_id), None
            )
        if current is None:
            raise _SlackError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _SlackError("hash_conflict")
        spec = self._view_spec(params)
        current.update(spec)
        current["hash"] = self._view_hash()
        self._view_history.append({"method": "views.update", "view": _public(current)})
        return {"view": _public(current)}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user", "")))
        if user is None:
            raise _SlackError("user_not_found")
        shown = _public(user)
        if _truthy(params.get("include_locale")):
            shown["locale"] = user["_locale"]
        return {"user": shown}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        return {"channel": copy.deepcopy(self._channels[channel])}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        found = [
            m
            for m in self.messages(channel)
            if _in_range(m["ts"], params.get("oldest"), params.get("latest"))
        ]
        found.reverse()  # newest first, as Slack answers
        limit = int(params.get("limit") or 100)
        if not _truthy(params.get("include_all_metadata")):
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        return {
            "messages": found[:limit],
            "has_more": len(found) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        ts = str(_required(params, "ts", "thread_not_found"))
        found = self.thread(channel, ts)
        if not found:
            raise _SlackError("thread_not_found")
        if not _truthy(params.get("include_all_metadata")):
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        return {"messages": found, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(params, "channel", "channel_not_found"))
        ts = str(_required(params, "timestamp", "message_not_found"))
        name = str(_required(params, "name", "invalid_name")).strip(":")
        if not name:
            raise _SlackError("invalid_name")
        message = self._messages.get(channel, {}).get(ts)
        if message is None or message.get("_deleted"):
            raise _SlackError("message_not_found")
        reactions = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            reactions.append(reaction)
        if self.bot_user_id in reaction["users"]:
            raise _SlackError("already_reacted")
        reaction["users"].append(self.bot_user_id)
        reaction["count"] += 1
        self._cond.notify_all()
        return {}

    # -- internals (lock held) ----------------------------------------------------------

    def _next_ts(self) -> str:
        micros = max(int(self._now() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _view_hash(self) -> str:
        return f"{int(self._now())}.{secrets.token_hex(4)}"

    def _channel_info(
        self, channel_id: str, name: str | None, is_private: bool | None, is_member: bool
    ) -> dict[str, Any]:
        name = name or channel_id.lower()
        im = channel_id.startswith("D")
        private = channel_id.startswith("G") if is_private is None else is_private
        return {
            "id": channel_id,
            "name": name.lstrip("#"),
            "name_normalized": name.lstrip("#"),
            "is_channel": not im and not private,
            "is_group": private and not im,
            "is_im": im,
            "is_mpim": False,
            "is_private": private or im,
            "is_archived": False,
            "is_general": False,
            "is_member": is_member,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "context_team_id": self.team_id,
            "created": int(self._now()) - 86_400,
            "creator": STAFF_USER_ID,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }

    def _resolve_channel(self, given: Any, *, create: bool = True) -> str:
        """The channel id for an id or a "#name"; channel_not_found otherwise."""
        channel = str(given)
        with self._cond:
            if channel in self._channels:
                return channel
            name = channel.lstrip("#")
            for channel_id, info in self._channels.items():
                if info["name"] == name:
                    return channel_id
            if not self._strict_channels and _CHANNEL_ID.fullmatch(channel):
                if create:
                    self._channels[channel] = self._channel_info(channel, None, None, True)
                return channel
        raise _SlackError("channel_not_found")

    def _test_channel(self, channel: str) -> str:
        """`_resolve_channel` for the test side: LookupError for an unknown channel."""
        try:
            return self._resolve_channel(channel)
        except _SlackError:
            raise LookupError(f"no channel {channel!r} in the fake Slack") from None

    def _known_channel(self, channel: str) -> str | None:
        try:
            return self._resolve_channel(channel, create=False)
        except _SlackError:
            return None

    def _channel_name(self, channel_id: str) -> str:
        info = self._channels.get(channel_id)
        return info["name"] if info else channel_id.lower()

    def _content(self, params: dict[str, Any], *, required: bool) -> dict[str, Any]:
        """text / blocks / attachments of a message, checked as Slack does."""
        content: dict[str, Any] = {}
        if params.get("text") is not None:
            content["text"] = str(params["text"])
            if len(content["text"]) > MAX_TEXT_LENGTH:
                raise _SlackError("msg_too_long")
        if "blocks" in params and params["blocks"] is not None:
            blocks = params["blocks"]
            if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
                raise _SlackError("invalid_blocks_format")
            errors = _check_blocks(blocks, MAX_MESSAGE_BLOCKS, "/blocks")
            if errors:
                raise _SlackError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
            content["blocks"] = copy.deepcopy(blocks)
        if params.get("attachments"):
            if not isinstance(params["attachments"], list):
                raise _SlackError("invalid_attachments")
            content["attachments"] = copy.deepcopy(params["attachments"])
        has_content = content.get("text") or content.get("blocks") or "attachments" in content
        if required and not has_content:
            raise _SlackError("no_text")
        return content

    def _store(self, channel: str, message: dict[str, Any]) -> None:
        self._messages.setdefault(channel, {})[message["ts"]] = message
        thread_ts = message.get("thread_ts")
        parent = self._messages[channel].get(thread_ts) if thread_ts else None
        if parent is not None and parent is not message:
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            users = parent.setdefault("reply_users", [])
            author = message.get("user") or message.get("bot_id")
            if author not in users:
                users.append(author)
            parent["reply_users_count"] = len(users)
            parent["latest_reply"] = message["ts"]
        self._cond.notify_all()

    def _sorted(self, channel: str) -> list[dict[str, Any]]:
        return sorted(self._messages.get(channel, {}).values(), key=lambda m: _ts_key(m["ts"]))

    def _use_trigger(self, trigger: Any) -> None:
        if not trigger:
            raise _SlackError("invalid_arguments")
        trigger = str(trigger)
        if trigger in self._used_triggers:
            raise _SlackError("exchanged_trigger_id")
        minted = self._triggers.get(trigger)
        if minted is not None and time.monotonic() - minted > self.trigger_ttl:
            raise _SlackError("expired_trigger_id")
        self._used_triggers.add(trigger)

    def _view_spec(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            raise _SlackError("invalid_arguments")
        errors = _check_view(view)
        if errors:
            raise _SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        spec = copy.deepcopy(view)
        spec.setdefault("private_metadata", "")
        spec.setdefault("callback_id", "")
        spec.setdefault("external_id", "")
        spec.setdefault("clear_on_close", False)
        spec.setdefault("notify_on_close", False)
        spec.setdefault("submit", None)
        spec.setdefault("close", None)
        return spec

    def _new_view(self, params: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
        spec = self._view_spec(params)
        view_id = "V" + secrets.token_hex(5).upper()
        view = {
            "id": view_id,
            "team_id": self.team_id,
            **spec,
            "state": {"values": {}},
            "hash": self._view_hash(),
            "previous_view_id": previous["id"] if previous else None,
            "root_view_id": previous["root_view_id"] if previous else view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = view
        self._cond.notify_all()
        return view

    def _find_view(self, view_id: str | None, callback_id: str | None) -> dict[str, Any]:
        if view_id is not None:
            view = self._views.get(view_id)
            if view is None:
                raise LookupError(f"no view {view_id}")
            return view
        matches = [
            v
            for v in self._views.values()
            if callback_id is None or v.get("callback_id") == callback_id
        ]
        if matches:
            return matches[-1]
        raise LookupError(f"no open view with callback_id {callback_id!r}")


# -- building what Slack sends ----------------------------------------------------------


def signed_request(
    body: str,
    content_type: str | None = None,
    secret: str = DEFAULT_SIGNING_SECRET,
    timestamp: int | str | None = None,
    *,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> tuple[str, dict[str, str]]:
    """`(body, headers)` of a request signed as Slack signs it (v0 HMAC-SHA256 of
    "v0:<timestamp>:<body>"). `content_type` defaults to form-encoded for `payload=...`
    bodies and JSON otherwise; `timestamp` to now (Bolt refuses one 5 minutes off).
    `retry_num` adds Slack's X-Slack-Retry-Num / X-Slack-Retry-Reason headers."""
    if content_type is None:
        content_type = (
            "application/json"
            if body.lstrip().startswith("{")
            else "application/x-www-form-urlencoded"
        )
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return body, headers


def dispatch(app: App, body: str, headers: Mapping[str, str]) -> BoltResponse:
    """Hand a request to Bolt as its HTTP adapters do. Returns after the ack; listeners
    may still be running (poll the fake for what they do)."""
    return app.dispatch(BoltRequest(body=body, headers=dict(headers)))


def block_actions_payload(
    action_id: str,
    value: str | None,
    user_id: str,
    channel_id: str,
    message_ts: str,
    *,
    trigger_id: str | None = None,
    response_url: str | None = None,
    block_id: str | None = None,
    element_type: str = "button",
    button_text: str = "Button",
    message: Mapping[str, Any] | None = None,
    thread_ts: str | None = None,
    user_name: str | None = None,
    channel_name: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
) -> str:
    """The form-encoded body (`payload=<JSON>`) Slack sends when a user clicks a button of
    a message. Without `response_url` the field is left out (Bolt's respond() then fails
    rather than reaching hooks.slack.com); `FakeSlack.block_actions_payload` fills it."""
    element: dict[str, Any] = {"type": element_type, "action_id": action_id}
    if element_type == "button":
        element["text"] = {"type": "plain_text", "text": button_text, "emoji": True}
    if value is not None:
        element["value"] = value
    shown = dict(message) if message is not None else {"type": "message", "ts": message_ts}
    shown.setdefault("text", "")
    if thread_ts:
        shown.setdefault("thread_ts", thread_ts)
    payload = _block_actions(
        action_id=action_id,
        value=value,
        user_id=user_id,
        user_name=user_name or user_id.lower(),
        channel_id=channel_id,
        channel_name=channel_name or channel_id.lower(),
        message_ts=message_ts,
        trigger_id=trigger_id or _new_trigger_id(),
        response_url=response_url,
        block_id=block_id or secrets.token_hex(2),
        element=element,
        message=shown,
        view=None,
        selected_option=None,
        team_id=team_id,
        team_domain=team_domain,
        api_app_id=api_app_id,
    )
    return _form(payload)


def view_submission_payload(
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, Any]],
    user_id: str,
    *,
    view: Mapping[str, Any] | None = None,
    view_id: str | None = None,
    trigger_id: str | None = None,
    response_urls: list[dict[str, Any]] | None = None,
    user_name: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
) -> str:
    """The form-encoded body Slack sends when a user submits a modal. `values` is
    `view.state.values`: {block_id: {action_id: state}}; a plain string state means a
    plain_text_input with that value."""
    base: dict[str, Any] = dict(copy.deepcopy(view)) if view is not None else {}
    the_id = view_id or base.get("id") or "V" + secrets.token_hex(5).upper()
    state = {
        block_id: {
            action_id: (
                {"type": "plain_text_input", "value": v}
                if isinstance(v, str) or v is None
                else dict(v)
            )
            for action_id, v in actions.items()
        }
        for block_id, actions in values.items()
    }
    full_view = {
        "id": the_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "title": {"type": "plain_text", "text": "Sportello", "emoji": True},
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "external_id": "",
        "previous_view_id": None,
        "root_view_id": the_id,
        "app_id": api_app_id,
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        **base,
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": state},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": {
            "id": user_id,
            "username": user_name or user_id.lower(),
            "name": user_name or user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _new_trigger_id(),
        "view": full_view,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _form(payload)


def event_callback_payload(
    event: Mapping[str, Any],
    event_id: str | None = None,
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_time: int | None = None,
) -> str:
    """The JSON body of an Events API delivery of `event`."""
    stamp = int(time.time()) if event_time is None else event_time
    context = json.dumps({"et": event.get("type"), "tid": team_id, "aid": api_app_id})
    payload = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
        "event_time": stamp,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + base64.urlsafe_b64encode(context.encode()).decode().rstrip("="),
    }
    return json.dumps(payload)


def message_event(
    channel: str,
    text: str,
    user_id: str = STAFF_USER_ID,
    *,
    ts: str | None = None,
    thread_ts: str | None = None,
    parent_user_id: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A `message` event as Slack sends it for a person's message (the inner `event`)."""
    ts = ts or f"{time.time():.6f}"
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": team_id,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": _rich_text(text),
        "channel_type": _channel_type(channel),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        if parent_user_id:
            event["parent_user_id"] = parent_user_id
    return event


def url_verification_payload(challenge: str) -> str:
    """The JSON body of Slack's Request URL check."""
    payload = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return json.dumps(payload)


def payload_of(body: str) -> dict[str, Any]:
    """The JSON object in a body built here (form `payload=` or JSON)."""
    if body.startswith("payload="):
        return dict(json.loads(urllib.parse.parse_qs(body)["payload"][0]))
    return dict(json.loads(body))


# -- helpers ------------------------------------------------------------------------------


def _block_actions(
    *,
    action_id: str,
    value: str | None,
    user_id: str,
    user_name: str,
    channel_id: str | None,
    channel_name: str | None,
    message_ts: str | None,
    trigger_id: str,
    response_url: str | None,
    block_id: str,
    element: Mapping[str, Any],
    message: Mapping[str, Any] | None,
    view: Mapping[str, Any] | None,
    selected_option: Mapping[str, Any] | None,
    team_id: str,
    team_domain: str,
    api_app_id: str,
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element.get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    if "text" in element:
        action["text"] = copy.deepcopy(element["text"])
    if value is not None:
        action["value"] = value
    if element.get("style"):
        action["style"] = element["style"]
    if selected_option is not None:
        action["selected_option"] = dict(selected_option)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = copy.deepcopy(dict(view))
    else:
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        if message is not None and message.get("thread_ts") not in (None, message_ts):
            container["thread_ts"] = message["thread_ts"]
        payload["container"] = container
        payload["channel"] = {"id": channel_id, "name": channel_name}
        payload["message"] = copy.deepcopy(dict(message or {}))
        payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def _find_element(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[str, dict[str, Any]] | None:
    for block in blocks:
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    return None


def _form(payload: Mapping[str, Any]) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _new_trigger_id() -> str:
    return (
        f"{secrets.randbelow(10**11):011d}.{secrets.randbelow(10**9):09d}.{secrets.token_hex(16)}"
    )


def _rich_text(text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "rich_text",
            "block_id": hashlib.sha1(text.encode()).hexdigest()[:5],
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


def _channel_type(channel: str) -> str:
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def _public(record: Mapping[str, Any], *, drop_metadata: bool = False) -> dict[str, Any]:
    """A copy without the fake's own bookkeeping keys (those starting with "_")."""
    return {
        k: copy.deepcopy(v)
        for k, v in record.items()
        if not k.startswith("_") and not (drop_metadata and k == "metadata")
    }


def _required(params: Mapping[str, Any], name: str, error: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise _SlackError(error)
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)


def _in_range(ts: str, oldest: Any, latest: Any) -> bool:
    key = _ts_key(ts)
    if oldest and key <= _ts_key(str(oldest)):
        return False
    return not (latest and key >= _ts_key(str(latest)))


def _default_error(status: int) -> str:
    if status == 429:
        return "ratelimited"
    if status >= 500:
        return "internal_error"
    return "invalid_request"


def _fault_reply(fault: _Fault) -> _Reply:
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    return _Reply(fault.status, {"ok": False, "error": fault.error}, headers)


def _parse_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        k: v[-1] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()
    }
    kind = content_type.split(";")[0].strip().lower()
    if body and kind == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("a JSON body must be an object")
        params.update(decoded)
    elif body:
        text = body.decode("utf-8")
        params.update(
            {k: v[-1] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
        )
    for name in _JSON_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


# -- Block Kit checks (the documented limits) -------------------------------------------


def _check_blocks(blocks: list[dict[str, Any]], max_blocks: int, pointer: str) -> list[str]:
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        here = f"{pointer}/{i}"
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            errors.append(f"failed to match all allowed schemas [json-pointer:{here}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not 0 < len(block_id) <= 255:
                errors.append(f"must be 1-255 characters [json-pointer:{here}/block_id]")
            elif block_id in seen:
                errors.append(f"duplicate block_id {block_id!r} [json-pointer:{here}/block_id]")
            else:
                seen.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"must provide either text or fields [json-pointer:{here}]")
            if "text" in block:
                errors += _check_text(block["text"], 3000, f"{here}/text")
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not 0 < len(fields) <= 10:
                    errors.append(f"must have 1-10 items [json-pointer:{here}/fields]")
                else:
                    for j, item in enumerate(fields):
                        errors += _check_text(item, 2000, f"{here}/fields/{j}")
            if isinstance(block.get("accessory"), dict):
                errors += _check_element(block["accessory"], f"{here}/accessory")
        elif kind == "header":
            errors += _check_text(block.get("text"), 150, f"{here}/text", plain_only=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 10:
                errors.append(f"must have 1-10 items [json-pointer:{here}/elements]")
            else:
                for j, item in enumerate(elements):
                    if isinstance(item, dict) and item.get("type") != "image":
                        errors += _check_text(item, 3000, f"{here}/elements/{j}")
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 25:
                errors.append(f"must have 1-25 items [json-pointer:{here}/elements]")
            else:
                for j, item in enumerate(elements):
                    errors += _check_element(item, f"{here}/elements/{j}")
        elif kind == "input":
            errors += _check_text(block.get("label"), 2000, f"{here}/label", plain_only=True)
            if not isinstance(block.get("element"), dict):
                errors.append(f"is required [json-pointer:{here}/element]")
            else:
                errors += _check_element(block["element"], f"{here}/element")
    return errors


def _check_text(obj: Any, limit: int, pointer: str, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"must be a text object [json-pointer:{pointer}]"]
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in kinds:
        return [f"must be one of {', '.join(kinds)} [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _check_element(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, dict) or not element.get("type"):
        return [f"failed to match all allowed schemas [json-pointer:{pointer}]"]
    errors: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or not 0 < len(action_id) <= 255):
        errors.append(f"must be 1-255 characters [json-pointer:{pointer}/action_id]")
    if element["type"] == "button":
        errors += _check_text(element.get("text"), 75, f"{pointer}/text", plain_only=True)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            errors.append(f"must be less than 2001 characters [json-pointer:{pointer}/value]")
        if element.get("style") not in (None, "primary", "danger"):
            errors.append(f"must be primary or danger [json-pointer:{pointer}/style]")
    return errors


def _check_view(view: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    if view.get("type") not in ("modal", "home"):
        errors.append("must be modal or home [json-pointer:/view/type]")
    if view.get("type") == "modal":
        errors += _check_text(view.get("title"), 24, "/view/title", plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                errors += _check_text(view[key], 24, f"/view/{key}", plain_only=True)
        has_input = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and view.get("submit") is None:
            errors.append("must provide submit with input blocks [json-pointer:/view/submit]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        errors.append("must be an array of blocks [json-pointer:/view/blocks]")
    else:
        errors += _check_blocks(blocks, MAX_MODAL_BLOCKS, "/view/blocks")
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.append(f"must be less than {limit + 1} characters [json-pointer:/view/{key}]")
    return errors


# -- the server -------------------------------------------------------------------------


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # come_back() listens again on the same port at once
    fake: FakeSlack


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
        chunks: list[bytes] = []
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


def _send(handler: BaseHTTPRequestHandler, reply: _Reply) -> None:
    body = json.dumps(reply.payload, ensure_ascii=False).encode()
    try:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True
