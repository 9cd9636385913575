"""Slack in Socket Mode: what `sportello serve` runs when SLACK_APP_TOKEN is set.

The real Bolt app of bot/slack.py behind the real `SocketModeHandler` (slack_sdk's
built-in Socket Mode client), connected to the fake Socket Mode endpoint on 127.0.0.1:
the handler gets its WebSocket URL from `apps.connections.open` on the fake Web API
(through the WebClient's base_url, with the app-level token), Slack's envelopes come down
the WebSocket and the app acknowledges each one there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.service import Desk
from bot.slack import Alerts, SlackSettings, build_app
from storage.store import SqlStore
from tests.support.chat import Chat, email_to_summary
from tests.support.fakeslack import STAFF_USER_ID, FakeSlack, message_event
from tests.support.fakesocketmode import FakeSocketMode

TECH, SALES = "C0HELPDESK", "C0SALESOFF"
CHANNELS = {"technical": TECH, "sales": SALES}
SLACK_CHANNELS = {TECH: "helpdesk", SALES: "sales-office"}


class SocketSide:
    """What serve() builds for Slack in Socket Mode, on the fakes."""

    def __init__(self, desk: Desk, store: SqlStore, slack: FakeSlack, sm: FakeSocketMode):
        self.slack, self.sm, self.store = slack, sm, store
        self.settings = SlackSettings(
            token=slack.token,
            channels=CHANNELS,
            app_token=sm.app_token,
            api_url=slack.base_url,
        )
        # as serve() builds it: the one WebClient for the alerts, Bolt and Socket Mode
        self.client = WebClient(
            token=self.settings.token, base_url=self.settings.api_url or WebClient.BASE_URL
        )
        self.alerts = Alerts(store, desk.renderer, self.settings, self.client)
        self.app = build_app(desk, self.alerts, self.settings)
        self.errors: list[BaseException] = []

        @self.app.error
        def keep(error: BaseException) -> None:
            self.errors.append(error)

        assert self.settings.app_token is not None
        self.handler = SocketModeHandler(self.app, self.settings.app_token, web_client=self.client)

    def connect(self) -> None:
        self.handler.connect()  # type: ignore[no-untyped-call]
        self.sm.wait_connected(timeout=5)

    def close(self) -> None:
        self.handler.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: this is about the transport (both stores are tested elsewhere), and
    each test pays about 1 s for slack_sdk's close (its message queue waits 1 s)."""
    return f"sqlite:///{tmp_path / 'sportello.db'}"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeSocketMode]]:
    # The server pings every 0.2 s: slack_sdk's receive loop holds a lock while in recv()
    # (3 s timeout) that its close() needs, so without traffic closing takes up to 3 s.
    with (
        FakeSlack(channels=SLACK_CHANNELS) as slack,
        FakeSocketMode(slack, ping_interval=0.2) as sm,
    ):
        yield slack, sm


@pytest.fixture
def side(
    desk: Desk, store: SqlStore, fakes: tuple[FakeSlack, FakeSocketMode]
) -> Iterator[SocketSide]:
    slack, sm = fakes
    s = SocketSide(desk, store, slack, sm)
    s.connect()
    yield s
    started = time.monotonic()
    s.close()
    assert time.monotonic() - started < 2.5
    assert not s.handler.client.is_connected()
    assert not s.errors, s.errors


def open_ticket(desk: Desk, side: SocketSide) -> str:
    """A customer opens an e-mail ticket; its alert is posted to the technical channel."""
    chat = Chat(desk, user="customer-1")
    chat.start()
    email_to_summary(chat)
    chat.choose("yes")
    code = chat.ticket
    assert code is not None
    posted = asyncio.run(side.alerts.post_alert({"code": code}, 0))
    assert posted["channel"] == TECH
    return code


def button_values(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


# -- the connection ---------------------------------------------------------------------


def test_the_handler_connects_with_the_app_level_token(side: SocketSide) -> None:
    opened = side.slack.calls_to("apps.connections.open")
    assert [c.ok for c in opened] == [True]
    assert side.handler.client.is_connected()
    link = side.sm.open_links[-1]
    assert link.ticket  # the one-time ticket of the URL it was given
    # the client pings on connect, and answers the server's pings
    side.sm.wait_until(lambda: bool(side.sm.pings), 3, "a ping from the app")
    side.sm.ping(b"hello-there")
    side.sm.wait_until(lambda: b"hello-there" in side.sm.pongs, 3, "the pong")


def test_app_level_and_bot_tokens_are_not_interchangeable(
    fakes: tuple[FakeSlack, FakeSocketMode],
) -> None:
    slack, sm = fakes
    with pytest.raises(SlackApiError) as refused:
        slack.client().apps_connections_open(app_token=slack.token)
    assert refused.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as wrong:
        slack.client().apps_connections_open(app_token="xapp-1-A0-1-wrong")
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as bot_call:
        WebClient(token=sm.app_token, base_url=slack.base_url).chat_postMessage(
            channel=TECH, text="hi"
        )
    assert bot_call.value.response["error"] == "not_allowed_token_type"
    url = slack.client().apps_connections_open(app_token=sm.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{sm.port}/link/?ticket=")


# -- envelopes --------------------------------------------------------------------------


def test_take_over_socket_mode(desk: Desk, store: SqlStore, side: SocketSide) -> None:
    code = open_ticket(desk, side)
    alert = store.staff_alert(code)
    assert alert is not None
    assert "take" in button_values(side.slack.message(TECH, alert.ts))
    before = len(side.slack.calls_to("chat.update"))

    body = side.slack.block_actions_payload("take", channel_id=TECH, message_ts=alert.ts)
    started = time.monotonic()
    envelope_id = side.sm.send_envelope("interactive", body)
    ack = side.sm.wait_for_ack(envelope_id, timeout=3)
    assert time.monotonic() - started < 3.0  # within Slack's 3 seconds
    assert ack == {"envelope_id": envelope_id}  # a bare ack: no response payload

    side.slack.wait_for_calls("chat.update", before + 1, timeout=5, ok_only=True)
    ticket = store.ticket(code)
    assert ticket is not None and ticket["status"] == "in_progress"
    alert = store.staff_alert(code)
    assert alert is not None and alert.assignee == STAFF_USER_ID
    updated = side.slack.message(TECH, alert.ts)
    assert f"<@{STAFF_USER_ID}>" in str(updated["blocks"])
    assert "take" not in button_values(updated)
    assert "resolve" in button_values(updated)


def test_a_redelivered_click_is_acked_and_done_once(
    desk: Desk, store: SqlStore, side: SocketSide
) -> None:
    code = open_ticket(desk, side)
    alert = store.staff_alert(code)
    assert alert is not None
    body = side.slack.block_actions_payload("take", channel_id=TECH, message_ts=alert.ts)
    first = side.sm.send_envelope("interactive", body)
    side.sm.wait_for_ack(first)
    side.slack.wait_for_calls("chat.update", 1, ok_only=True)
    again = side.sm.send_envelope("interactive", body)  # the same click, a new envelope
    side.sm.wait_for_ack(again)
    time.sleep(0.3)
    assert len(side.slack.calls_to("chat.update")) == 1


def test_a_staff_message_is_acked_and_changes_nothing(
    desk: Desk, store: SqlStore, side: SocketSide
) -> None:
    code = open_ticket(desk, side)
    alert = store.staff_alert(code)
    assert alert is not None
    ticket_before = store.ticket(code)
    messages_before = side.slack.messages(TECH)
    thread_before = side.slack.thread(TECH, alert.ts)
    calls_before = len(side.slack.calls)

    event = message_event(TECH, "I'll look at it after lunch", thread_ts=alert.ts)
    body = side.slack.event_callback_payload(event)
    envelope_id = side.sm.send_envelope("events_api", body)
    assert side.sm.wait_for_ack(envelope_id, timeout=3) == {"envelope_id": envelope_id}
    time.sleep(0.3)  # anything the listener would do after the ack

    assert store.ticket(code) == ticket_before
    assert side.slack.messages(TECH) == messages_before
    assert side.slack.thread(TECH, alert.ts) == thread_before
    later = [c.method for c in side.slack.calls[calls_before:]]
    assert set(later) <= {"auth.test"}, later  # Bolt checks its token once, nothing else
