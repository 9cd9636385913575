"""The fake Slack Web API, driven by the real slack_sdk WebClient and the real Bolt App."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.error import URLError

import pytest
from slack_bolt import Ack, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackObjectFormationError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from tests.support.fakeslack import (
    BOT_USER_ID,
    STAFF_USER_ID,
    FakeSlack,
    block_actions_payload,
    dispatch,
    payload_of,
    signed_request,
)

HELPDESK = "C0HELPDESK"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def alert_blocks(code: str = "T-1") -> list[dict[str, Any]]:
    """A ticket alert built with slack_sdk's block models, as the app will build it."""
    return [
        SectionBlock(block_id="summary", text=f"*{code}* mailbox cannot send").to_dict(),
        ActionsBlock(
            block_id="actions",
            elements=[
                ButtonElement(text="Take", action_id="take", value=code, style="primary"),
                ButtonElement(text="Ask the customer", action_id="ask", value=code),
            ],
        ).to_dict(),
    ]


def post_alert(slack: FakeSlack, code: str = "T-1") -> str:
    response = slack.client().chat_postMessage(
        channel=HELPDESK, text=f"{code} mailbox cannot send", blocks=alert_blocks(code)
    )
    return str(response["ts"])


# -- the Web API ------------------------------------------------------------------------


def test_web_client_round_trip(slack: FakeSlack) -> None:
    client = slack.client()
    auth = client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == (
        slack.team_id,
        BOT_USER_ID,
        slack.bot_id,
    )

    first = client.chat_postMessage(channel=HELPDESK, text="first", blocks=alert_blocks())
    second = client.chat_postMessage(channel=HELPDESK, text="second")
    assert first["channel"] == HELPDESK
    assert first["message"]["blocks"][1]["elements"][0]["action_id"] == "take"
    assert float(second["ts"]) > float(first["ts"])

    reply = client.chat_postMessage(channel=HELPDESK, text="in thread", thread_ts=first["ts"])
    updated = client.chat_update(channel=HELPDESK, ts=first["ts"], text="first, taken")
    assert updated["message"]["text"] == "first, taken"
    assert updated["message"]["blocks"] == alert_blocks()  # chat.update without blocks keeps them

    assert slack.texts(HELPDESK) == ["first, taken", "second"]
    thread = slack.thread(HELPDESK, first["ts"])
    assert [m["text"] for m in thread] == ["first, taken", "in thread"]
    assert thread[0]["reply_count"] == 1 and thread[0]["latest_reply"] == reply["ts"]
    assert "edited" in slack.message(HELPDESK, first["ts"])

    # the recorded call has the JSON blocks decoded, and no token
    post = slack.calls_to("chat.postMessage")[0]
    assert post.params["blocks"] == alert_blocks() and "token" not in post.params
    assert slack.requests[:3] == ["auth.test", "chat.postMessage", "chat.postMessage"]

    staff = client.users_info(user=STAFF_USER_ID)["user"]
    assert staff["real_name"] and staff["tz"] == "Europe/Rome"
    assert isinstance(staff["tz_offset"], int)
    assert client.conversations_info(channel=HELPDESK)["channel"]["id"] == HELPDESK
    client.reactions_add(channel=HELPDESK, timestamp=first["ts"], name="eyes")
    assert slack.reactions(HELPDESK, first["ts"]) == ["eyes"]
    link = client.chat_getPermalink(channel=HELPDESK, message_ts=reply["ts"])["permalink"]
    assert link.endswith(f"?thread_ts={first['ts']}&cid={HELPDESK}")
    client.chat_postEphemeral(channel=HELPDESK, user=STAFF_USER_ID, text="only you")
    assert slack.ephemerals(HELPDESK)[0]["user"] == STAFF_USER_ID


def test_slack_errors(slack: FakeSlack) -> None:
    client = slack.client()
    with pytest.raises(SlackApiError) as raised:
        WebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()
    assert raised.value.response.status_code == 200  # Slack errors are HTTP 200
    assert raised.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("chat.nonsense")
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel=HELPDESK, ts="1.000001", text="x")
    with pytest.raises(SlackObjectFormationError):  # slack_sdk's models check it first
        SectionBlock(text="x" * 3001).to_dict()
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=HELPDESK, text="too long", blocks=[too_long])
    assert raised.value.response["error"] == "invalid_blocks"
    assert "/blocks/0/text/text" in raised.value.response["errors"][0]
    with pytest.raises(SlackApiError) as raised:
        client.views_open(
            trigger_id=slack.trigger_id(),
            view={"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []},
        )
    assert raised.value.response["error"] == "invalid_arguments"
    assert slack.texts(HELPDESK) == []
    # slack_sdk adds a missing trailing slash itself; a base_url without /api/ is a 404
    assert WebClient(token=slack.token, base_url=slack.base_url.rstrip("/")).auth_test()["ok"]
    with pytest.raises(SlackApiError) as raised:
        WebClient(token=slack.token, base_url=slack.url).auth_test()
    assert raised.value.response.status_code == 404


def test_strict_channels_and_names() -> None:
    with FakeSlack(channels={HELPDESK: "helpdesk"}) as slack:
        client = slack.client()
        assert client.chat_postMessage(channel="#helpdesk", text="hi")["channel"] == HELPDESK
        with pytest.raises(SlackApiError, match="channel_not_found"):
            client.chat_postMessage(channel="C0SALES", text="hi")
        assert slack.messages("C0SALES") == []


# -- faults -----------------------------------------------------------------------------


def test_server_errors_and_rate_limits_raise_slack_api_error(slack: FakeSlack) -> None:
    client = slack.client()
    slack.fail_next("chat.postMessage", 500)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=HELPDESK, text="lost")
    assert raised.value.response.status_code == 500

    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=HELPDESK, text="limited")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "7"

    slack.fail_for(0.3)
    with pytest.raises(SlackApiError):
        client.auth_test()
    time.sleep(0.35)
    client.chat_postMessage(channel=HELPDESK, text="delivered")
    assert slack.texts(HELPDESK) == ["delivered"]
    assert [c.status for c in slack.calls] == [500, 429, 500, 200]


def test_rate_limit_retry_handler_retries_429(slack: FakeSlack) -> None:
    client = slack.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    slack.rate_limit_next("chat.postMessage", retry_after=0)  # it sleeps retry_after + 0..1 s
    client.chat_postMessage(channel=HELPDESK, text="once")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert slack.texts(HELPDESK) == ["once"]


def test_go_down_refuses_connections_then_comes_back_on_the_same_port(slack: FakeSlack) -> None:
    client = slack.client(retry_handlers=[])  # no ConnectionErrorRetryHandler: fail at once
    client.chat_postMessage(channel=HELPDESK, text="before")
    port = slack.port
    slack.go_down()
    assert slack.is_down
    with pytest.raises(URLError) as raised:
        client.chat_postMessage(channel=HELPDESK, text="during")
    assert isinstance(raised.value.reason, ConnectionRefusedError)
    slack.come_back()
    assert slack.port == port
    client.chat_postMessage(channel=HELPDESK, text="after")
    assert slack.texts(HELPDESK) == ["before", "after"]


def test_default_client_retries_a_refused_connection_once(slack: FakeSlack) -> None:
    client = slack.client()  # slack_sdk's default: ConnectionErrorRetryHandler, 1 retry
    slack.go_down()
    threading.Timer(0.1, slack.come_back).start()
    client.chat_postMessage(channel=HELPDESK, text="made it")  # retried after 0.5-1.5 s
    assert slack.texts(HELPDESK) == ["made it"]


def test_a_lost_answer_makes_the_default_client_post_twice(slack: FakeSlack) -> None:
    """Slack has no idempotency key: a response lost after the post took effect, and the
    default ConnectionErrorRetryHandler posts it again."""
    slack.drop_response_next("chat.postMessage")
    slack.client().chat_postMessage(channel=HELPDESK, text="alert")
    assert slack.texts(HELPDESK) == ["alert", "alert"]

    slack.drop_response_next("chat.postMessage")
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected, not a URLError
        slack.client(retry_handlers=[]).chat_postMessage(channel=HELPDESK, text="maybe")
    assert slack.texts(HELPDESK)[-1] == "maybe"  # and yet it was posted


# -- Bolt -------------------------------------------------------------------------------


def test_bolt_block_action_updates_the_message(slack: FakeSlack) -> None:
    app = slack.bolt_app()  # auth.test now, on the fake
    assert slack.requests == ["auth.test"]
    seen: list[dict[str, Any]] = []

    @app.action("take")
    def take(ack: Ack, body: dict[str, Any], client: WebClient, request: BoltRequest) -> None:
        ack()
        seen.append({**body, "retry": request.headers.get("x-slack-retry-num")})  # a list
        client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"{body['actions'][0]['value']} taken by <@{body['user']['id']}>",
            blocks=[],
        )

    ts = post_alert(slack)
    body = slack.block_actions_payload("take", None, STAFF_USER_ID, HELPDESK, ts)
    response = dispatch(app, *signed_request(body, secret=slack.signing_secret, retry_num=1))
    assert response.status == 200
    slack.wait_for_calls("chat.update")
    message = slack.message(HELPDESK, ts)
    assert message["text"] == f"T-1 taken by <@{STAFF_USER_ID}>"
    assert "blocks" not in message
    clicked = seen[0]
    assert clicked["actions"][0]["block_id"] == "actions"
    assert clicked["message"]["blocks"] == alert_blocks()
    assert clicked["retry"] == ["1"]
    # the Take button is gone now: it cannot be clicked again
    with pytest.raises(LookupError):
        slack.block_actions_payload("take", None, STAFF_USER_ID, HELPDESK, ts)


def test_unsigned_or_stale_requests_are_refused(slack: FakeSlack) -> None:
    app = slack.bolt_app(token_verification_enabled=False)  # auth.test on the first request
    called: list[str] = []
    app.action("take")(lambda ack: (called.append("take"), ack()))
    body = block_actions_payload("take", "T-1", STAFF_USER_ID, HELPDESK, "1.000001")

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert dispatch(app, body, form).status == 401
    old = int(time.time()) - 400
    assert dispatch(app, *signed_request(body, None, slack.signing_secret, old)).status == 401
    assert dispatch(app, *signed_request(body, None, "another-secret")).status == 401
    assert called == []
    assert dispatch(app, *signed_request(body, None, slack.signing_secret)).status == 200
    assert called == ["take"]
    assert slack.requests == ["auth.test"]


def test_bolt_modal_and_view_submission(slack: FakeSlack) -> None:
    app = slack.bolt_app()
    submitted: list[dict[str, Any]] = []

    @app.action("ask")
    def ask(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "ask",
                "private_metadata": body["container"]["message_ts"],
                "title": {"type": "plain_text", "text": "Ask the customer"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "question",
                        "label": {"type": "plain_text", "text": "Question"},
                        "element": {"type": "plain_text_input", "action_id": "text"},
                    }
                ],
            },
        )

    @app.view("ask")
    def on_submit(ack: Ack, view: dict[str, Any], client: WebClient) -> None:
        ack()
        question = view["state"]["values"]["question"]["text"]["value"]
        submitted.append(view)
        client.chat_postMessage(
            channel=HELPDESK, thread_ts=view["private_metadata"], text=f"Asked: {question}"
        )

    ts = post_alert(slack)
    click = slack.block_actions_payload("ask", None, STAFF_USER_ID, HELPDESK, ts)
    assert dispatch(app, *signed_request(click, secret=slack.signing_secret)).status == 200
    opened = slack.wait_for_calls("views.open")[0]
    assert opened.params["view"]["callback_id"] == "ask"
    view = slack.views[0]
    assert view["id"].startswith("V") and view["private_metadata"] == ts

    body = slack.view_submission_payload("ask", values={"question": {"text": "Which client?"}})
    assert payload_of(body)["view"]["id"] == view["id"]
    assert dispatch(app, *signed_request(body, secret=slack.signing_secret)).status == 200
    slack.wait_until(lambda: len(slack.thread(HELPDESK, ts)) == 2)
    assert slack.thread(HELPDESK, ts)[1]["text"] == "Asked: Which client?"
    assert submitted[0]["private_metadata"] == ts

    # the trigger_id of the click was used: a second views.open with it is refused
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        slack.client().views_open(
            trigger_id=payload_of(click)["trigger_id"], view=opened.params["view"]
        )


def test_bolt_respond_goes_to_the_fake_response_url(slack: FakeSlack) -> None:
    app = slack.bolt_app()

    @app.action("take")
    def take(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Only you can see this")
        respond(text="T-1 taken", replace_original=True)

    ts = post_alert(slack)
    body = slack.block_actions_payload("take", None, STAFF_USER_ID, HELPDESK, ts)
    assert payload_of(body)["response_url"].startswith(slack.url)
    assert dispatch(app, *signed_request(body, secret=slack.signing_secret)).status == 200
    slack.wait_for_calls("response_url", 2)
    assert slack.message(HELPDESK, ts)["text"] == "T-1 taken"
    assert slack.ephemerals(HELPDESK)[0]["text"] == "Only you can see this"
    assert slack.ephemerals(HELPDESK)[0]["user"] == STAFF_USER_ID


def test_bolt_message_event(slack: FakeSlack) -> None:
    app = slack.bolt_app()
    events: list[dict[str, Any]] = []
    app.event("message")(lambda event: events.append(event))

    ts = post_alert(slack)
    body = slack.user_posts(HELPDESK, "looking into it", thread_ts=ts)
    assert dispatch(app, *signed_request(body, secret=slack.signing_secret)).status == 200
    slack.wait_until(lambda: len(events) == 1, what="the message event")
    event = events[0]
    assert (event["channel"], event["user"], event["thread_ts"]) == (HELPDESK, STAFF_USER_ID, ts)
    assert event["parent_user_id"] == BOT_USER_ID
    assert slack.thread(HELPDESK, ts)[1]["text"] == "looking into it"
    assert payload_of(body)["authorizations"][0]["user_id"] == BOT_USER_ID


def test_views_history_and_response_urls(slack: FakeSlack) -> None:
    client = slack.client()
    modal = {
        "type": "modal",
        "callback_id": "resolve",
        "title": {"type": "plain_text", "text": "Resolve"},
        "blocks": [
            {
                "type": "actions",
                "block_id": "more",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "more",
                        "text": {"type": "plain_text", "text": "More"},
                    }
                ],
            }
        ],
    }
    opened = client.views_open(trigger_id=slack.trigger_id(), view=modal)["view"]
    pushed = client.views_push(trigger_id=slack.trigger_id(), view=modal)["view"]
    assert pushed["previous_view_id"] == opened["id"] == pushed["root_view_id"]
    retitled = {**modal, "title": {"type": "plain_text", "text": "Resolved"}}
    client.views_update(view_id=opened["id"], hash=opened["hash"], view=retitled)
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert slack.view(opened["id"])["title"]["text"] == "Resolved"
    click = payload_of(slack.block_actions_payload("more", None, view_id=opened["id"]))
    assert click["container"] == {"type": "view", "view_id": opened["id"]}

    # metadata comes back from conversations.history only when asked for
    metadata = {"event_type": "ticket_alert", "event_payload": {"code": "T-1"}}
    ts = client.chat_postMessage(channel=HELPDESK, text="T-1", metadata=metadata)["ts"]
    history = client.conversations_history(channel=HELPDESK, include_all_metadata=True)
    assert history["messages"][0]["metadata"] == metadata
    assert "metadata" not in client.conversations_history(channel=HELPDESK)["messages"][0]

    app = slack.bolt_app()

    @app.action("take")
    def take(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="T-1 is being handled", response_type="in_channel")
        respond(delete_original=True)

    client.chat_update(channel=HELPDESK, ts=ts, text="T-1", blocks=alert_blocks())
    body = slack.block_actions_payload("take", None, STAFF_USER_ID, HELPDESK, ts)
    dispatch(app, *signed_request(body, secret=slack.signing_secret))
    slack.wait_for_calls("response_url", 2)
    assert slack.texts(HELPDESK) == ["T-1 is being handled"]
