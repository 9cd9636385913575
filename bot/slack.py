"""The staff side in Slack: ticket alerts in Block Kit, and the Take / Ask / Resolve actions.

Alerts and thread messages go out through the outbox (bot/outbox.py); the
Bolt listeners acknowledge at once and then act through the desk, which tells
the customer in their language. Customer text is escaped and shown as plain
text, so it cannot mention, link or format anything. Only the three actions
reach the customer: ordinary thread messages stay internal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.blocks.blocks import InputBlock
from slack_sdk.models.views import View

from bot.i18n import Renderer
from bot.outbox import Refused
from bot.service import Desk
from bot.web import LINK_DAYS, attachment_path
from flows.form import DIRECTION_LABELS
from flows.text import N_, T, t
from storage.store import SqlStore

log = logging.getLogger(__name__)

CHUNK = 2900  # a section's text may hold 3,000 characters
HISTORY_PAGES = 10  # pages of 200 messages looked through for an alert whose answer was lost
MAX_BLOCKS = 50
FIELD_LABELS = {
    "code": N_("Ticket"),
    "category": N_("Category"),
    "priority": N_("Priority"),
    "status": N_("Status"),
    "customer": N_("Customer"),
    "language": N_("Language"),
    "mailbox": N_("Mailbox"),
    "domain": N_("Domain"),
    "direction": N_("Problem with"),
    "webmail": N_("Webmail"),
    "client": N_("Client"),
    "addresses": N_("Only these addresses"),
    "error": N_("Error message (verbatim)"),
    "details": N_("Customer's description"),
    "examples": N_("Example messages"),
    "dns": N_("DNS findings"),
    "attachments": N_("Attachments"),
}


def escape(text: str) -> str:
    """Escape Slack's control characters: `<!channel>` and `<@U1>` stay inert text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> list[Block]:
    """Customer words as plain text sections (no mrkdwn, no links, no mentions)."""
    text = escape(text) or "\u2014"
    return [
        SectionBlock(text=PlainTextObject(text=text[i : i + CHUNK], emoji=False))
        for i in range(0, len(text), CHUNK)
    ]


@dataclass(frozen=True)
class SlackSettings:
    token: str
    channels: Mapping[str, str]  # team -> Slack channel id
    signing_secret: str | None = None
    app_token: str | None = None  # Socket Mode
    api_url: str | None = None  # e.g. http://127.0.0.1:PORT/api/ (tests)
    staff_language: str = "en"
    public_url: str | None = None  # where staff reach this server (attachment links)
    link_days: float = LINK_DAYS  # how long an attachment link opens the file


def link_key(settings: SlackSettings) -> str:
    """What signs attachment links: a secret staff's links are made with, never shown."""
    return settings.signing_secret or settings.token


def attachment_url(settings: SlackSettings, attachment_id: int) -> str:
    """The signed address of an attachment, open for `settings.link_days` (see bot/web.py)."""
    base = (settings.public_url or "").rstrip("/")
    return f"{base}{attachment_path(link_key(settings), attachment_id, settings.link_days)}"


def _refusals(
    call: Callable[[dict[str, Any]], dict[str, Any]],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Tell the sender which failures did nothing (`Refused`) from those whose answer was lost.

    Slack's own error answers (`ok: false`, a rate limit) and a refused connection cannot
    have posted anything; a time-out, a dropped connection or a 5xx may have.
    """

    def call_and_sort(payload: dict[str, Any]) -> dict[str, Any]:
        try:
            return call(payload)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 0) if exc.response is not None else 0
            if status < 500:
                raise Refused(
                    f"Slack: {exc.response.get('error') if exc.response else exc}"
                ) from exc
            raise
        except URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError):
                raise Refused(f"Slack: connection refused ({exc.reason})") from exc
            raise
        except ConnectionRefusedError as exc:
            raise Refused(f"Slack: connection refused ({exc})") from exc

    return call_and_sort


class Alerts:
    """Builds and sends the staff's view of tickets."""

    def __init__(
        self, store: SqlStore, renderer: Renderer, settings: SlackSettings, client: WebClient
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.settings = settings
        self.client = client
        # Slack calls run in threads of their own: a hanging one never holds up the
        # threads the database work of every other lane (and Telegram's) runs in.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-out")
        self._history = True  # until Slack says the app may not read channel history

    def _t(self, value: T | str) -> str:
        return self.renderer.text(self.settings.staff_language, value)

    def _label(self, key: str) -> str:
        return self._t(t(FIELD_LABELS[key]))

    def blocks(self, ticket: dict[str, Any], assignee: str | None = None) -> list[Block]:
        """The whole case in one message."""
        from flows.texts import CATEGORY_LABELS, PRIORITY_LABELS, STATUS_LABELS

        status = self._t(t(STATUS_LABELS.get(ticket["status"], ticket["status"])))
        # Our own words (mrkdwn, may mention the assignee) and the customer's (plain text).
        ours = [
            ("category", self._t(t(CATEGORY_LABELS.get(ticket["category"], ticket["category"])))),
            ("priority", self._t(t(PRIORITY_LABELS.get(ticket["priority"], ticket["priority"])))),
            ("status", status + (f" \u2014 <@{assignee}>" if assignee else "")),
            ("language", ticket["language"]),
        ]
        if ticket.get("direction"):
            direction = DIRECTION_LABELS.get(ticket["direction"], N_("receiving"))
            ours.append(("direction", self._t(t(direction))))
        if ticket.get("webmail_fails") is not None:
            webmail = N_("fails too") if ticket["webmail_fails"] else N_("works")
            ours.append(("webmail", self._t(t(webmail))))
        if ticket.get("client") == "webmail":
            ours.append(("client", self._t(t(N_("Only in webmail")))))
        theirs = [("customer", f"{ticket['channel']}:{ticket['user']}")]
        for key, value in (
            ("mailbox", ticket.get("mailbox")),
            ("domain", ticket.get("domain")),
            ("client", ticket.get("client_name") if ticket.get("client") == "both" else None),
        ):
            if value:
                theirs.append((key, str(value)))
        fields: list[MarkdownTextObject | PlainTextObject] = [
            MarkdownTextObject(text=f"*{self._label(k)}*\n{v}", verbatim=True) for k, v in ours
        ]
        fields += [
            PlainTextObject(text=f"{self._label(k)}: {escape(v)}"[:2000], emoji=False)
            for k, v in theirs
        ]
        blocks: list[Block] = [
            HeaderBlock(text=PlainTextObject(text=f"{ticket['code']}", emoji=False)),
            SectionBlock(fields=fields[:10]),
        ]

        def titled(key: str, text: str) -> None:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"*{self._label(key)}*")]))
            blocks.extend(_plain(text))

        if ticket.get("addresses"):
            titled("addresses", ticket["addresses"])
        if ticket.get("error_text"):
            titled("error", ticket["error_text"])
        if ticket.get("description"):
            titled("details", ticket["description"])
        examples = ticket.get("examples") or []
        if examples:
            titled(
                "examples",
                "\n".join(
                    f"{e['sender']} \u2192 {e['recipient']} \u00b7 \u201c{e['subject']}\u201d "
                    f"\u00b7 {e['sent_at']}"
                    + (f" (\u201c{e['sent_at_text']}\u201d)" if e.get("sent_at_text") else "")
                    for e in examples
                ),
            )
        dns = ticket.get("dns") or {}
        findings = [f for f in dns.get("findings", []) if f["severity"] != "ok"]
        if findings:
            titled(
                "dns",
                "\n".join(
                    f"[{f['severity']}] {f['code']}: {f.get('detail', '')}" for f in findings
                ),
            )
        attachments = ticket.get("attachments") or []
        if attachments:
            links = [self._link(a) for a in attachments]
            blocks.append(
                ContextBlock(elements=[MarkdownTextObject(text=f"*{self._label('attachments')}*")])
            )
            blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(links)[:CHUNK])))
        blocks.append(DividerBlock())
        if ticket["status"] not in ("resolved", "closed"):
            buttons = [
                ("take", N_("Take"), "primary"),
                ("ask", N_("Ask the customer"), None),
                ("resolve", N_("Resolve"), None),
            ]
            if assignee:
                buttons = buttons[1:]
            blocks.append(
                ActionsBlock(
                    block_id="ticket_actions",
                    elements=[
                        ButtonElement(
                            text=self._t(t(label)),
                            action_id=action,
                            value=ticket["code"],
                            style=style,
                        )
                        for action, label, style in buttons
                    ],
                )
            )
        return blocks[:MAX_BLOCKS]

    def _link(self, attachment: dict[str, Any]) -> str:
        """A link staff can open (signed, when a public address is configured)."""
        name = escape(attachment["filename"]).replace("|", "\u2223")
        size = f"{attachment['size'] / 1024:.0f} KB"
        if not self.settings.public_url:
            return f"{name} ({size})"
        url = attachment_url(self.settings, int(attachment["id"]))
        return f"<{url}|{name}> ({size})"

    def fallback(self, ticket: dict[str, Any]) -> str:
        return escape(f"{ticket['code']} \u2014 {ticket['category']} \u2014 {ticket['priority']}")

    # -- transports for the outbox ----------------------------------------------
    async def post_alert(self, payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        return await self._in_pool(self._post_alert, payload)

    async def post_thread(self, payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        return await self._in_pool(self._post_thread, payload)

    post_alert.looks_first = True  # type: ignore[attr-defined]  # (see bot.outbox.Transport)
    post_thread.looks_first = True  # type: ignore[attr-defined]

    async def _in_pool(
        self, call: Callable[[dict[str, Any]], dict[str, Any]], payload: dict[str, Any]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _refusals(call), payload)

    def _post_alert(self, payload: dict[str, Any]) -> dict[str, Any]:
        code = payload["code"]
        ticket = self.store.ticket(code)
        if ticket is None:
            return {"skipped": "no such ticket"}
        channel = self.settings.channels[ticket["team"]]
        known = self.store.staff_alert(code)
        if known is not None:  # posted, and recorded, before a crash or a lost "delivered"
            return {"channel": known.channel, "ts": known.ts, "found": True}
        if payload.get("maybe_sent"):  # an earlier answer was lost: was it posted after all?
            found = self._find_posted(channel, code, payload.get("queued_at"))
            if found:
                self.store.save_staff_alert(code, channel, found)
                return {"channel": channel, "ts": found, "found": True}
        answer = self.client.chat_postMessage(
            channel=channel,
            text=self.fallback(ticket),
            blocks=self.blocks(ticket),
            metadata={"event_type": "sportello_ticket", "event_payload": {"code": code}},
        )
        ts = str(answer["ts"])
        self.store.save_staff_alert(code, str(answer["channel"]), ts)
        return {"channel": answer["channel"], "ts": ts}

    def _find_posted(self, channel: str, code: str, since: float | None) -> str | None:
        """The alert of `code` in the channel's history since the row was written, if any.

        Every page back to `since` is read (a busy channel has more than one page).
        Without the history scope (see slack/manifest.json) the alert cannot be
        looked for: it is posted, at worst a second time, rather than never.
        """
        latest: str | None = None
        for _ in range(HISTORY_PAGES):
            page = self._read_history(
                self.client.conversations_history,
                channel=channel,
                include_all_metadata=True,
                limit=200,
                oldest=f"{max(0.0, (since or 0.0) - 60):.6f}",
                latest=latest,
            )
            if page is None:
                return None
            messages: list[dict[str, Any]] = page.get("messages", [])
            for message in messages:
                meta: dict[str, Any] = message.get("metadata") or {}
                if meta.get("event_payload", {}).get("code") == code:
                    return str(message["ts"])
            if not page.get("has_more") or not messages:
                return None
            latest = str(messages[-1]["ts"])  # newest first: the next page is older
        return None

    def _read_history(self, call: Callable[..., Any], **params: Any) -> dict[str, Any] | None:
        if not self._history:
            return None
        try:
            return dict(call(**params).data)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error not in ("missing_scope", "not_in_channel", "not_allowed_token_type"):
                raise
            self._history = False
            log.warning(
                "Slack refused to show the channel history (%s): after a lost answer an alert "
                "may be posted twice; give the app the scopes of slack/manifest.json",
                error,
            )
            return None

    def _post_thread(self, payload: dict[str, Any]) -> dict[str, Any]:
        alert = self.store.staff_alert(payload["code"])
        if alert is None:
            raise Refused(f"the alert of {payload['code']} is not posted yet")
        post_id = payload.get("id")
        if payload.get("maybe_sent") and post_id:  # an earlier answer was lost: posted?
            replies = self._read_history(
                self.client.conversations_replies,
                channel=alert.channel,
                ts=alert.ts,
                include_all_metadata=True,
                limit=200,
            )
            reply: dict[str, Any]
            for reply in (replies or {}).get("messages", []):
                meta: dict[str, Any] = reply.get("metadata") or {}
                if meta.get("event_payload", {}).get("id") == post_id:
                    return {"ts": reply["ts"], "found": True}
        text = self._t(T(payload["msgid"], {"code": payload["code"]}))
        blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=escape(text)))]
        blocks.extend(_plain(payload.get("text", "")))
        answer = self.client.chat_postMessage(
            channel=alert.channel,
            thread_ts=alert.ts,
            text=escape(text),
            blocks=blocks,
            metadata={"event_type": "sportello_thread", "event_payload": {"id": post_id or ""}},
        )
        return {"ts": answer["ts"]}

    def refresh(self, code: str) -> None:
        """Show a ticket's new status and assignee in its alert (best effort)."""
        alert = self.store.staff_alert(code)
        ticket = self.store.ticket(code)
        if alert is None or ticket is None:
            return
        try:
            self.client.chat_update(
                channel=alert.channel,
                ts=alert.ts,
                text=self.fallback(ticket),
                blocks=self.blocks(ticket, alert.assignee),
            )
        except SlackApiError:
            log.warning("could not update the alert of %s", code, exc_info=True)


# action -> (modal title, input label, submit label, the status it sets)
MODALS = {
    "ask": (
        N_("Ask the customer"),
        N_("Your question for the customer (sent as you write it)"),
        N_("Send"),
        "waiting",
    ),
    "resolve": (N_("Resolve"), N_("Resolution note for the customer"), N_("Resolve"), "resolved"),
}


def _modal(callback_id: str, code: str, title: str, label: str, submit: str) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        private_metadata=code,
        title=PlainTextObject(text=title[:24]),
        submit=PlainTextObject(text=submit[:24]),
        blocks=[
            InputBlock(
                block_id="text",
                label=PlainTextObject(text=label),
                element=PlainTextInputElement(action_id="text", multiline=True, max_length=2900),
            )
        ],
    )


def build_app(desk: Desk, alerts: Alerts, settings: SlackSettings) -> App:
    """The Bolt app: acknowledge at once, act after, never twice for a retried request."""
    app = App(
        client=alerts.client,
        signing_secret=settings.signing_secret or "socket-mode",
        token_verification_enabled=False,
        process_before_response=False,
    )
    store = alerts.store

    @app.middleware
    def once(body: dict[str, Any], context: BoltContext, next: Any) -> Any:
        key = _request_key(body)
        if key is not None and not _first_time(store, key):
            context["already_done"] = True
        return next()

    def skip(context: BoltContext) -> bool:
        return bool(context.get("already_done"))

    @app.action("take")
    def take(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        if skip(context):
            return
        code, user = body["actions"][0]["value"], body["user"]["id"]
        if desk.set_status(code, "in_progress") is not None:
            store.assign(code, user)
            alerts.refresh(code)

    def open_modal(kind: str) -> Any:
        title, label, submit, _ = MODALS[kind]

        def listener(
            ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
        ) -> None:
            ack()
            if skip(context):
                return
            code = body["actions"][0]["value"]
            view = _modal(
                kind, code, alerts._t(t(title)), alerts._t(t(label)), alerts._t(t(submit))
            )
            client.views_open(trigger_id=body["trigger_id"], view=view)

        return listener

    def submitted(kind: str) -> Any:
        status = MODALS[kind][3]

        def listener(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
            ack()
            if skip(context):
                return
            view = body["view"]
            text = (view["state"]["values"]["text"]["text"]["value"] or "").strip()
            if desk.set_status(view["private_metadata"], status, text) is not None:
                alerts.refresh(view["private_metadata"])

        return listener

    for kind in MODALS:  # Ask the customer, Resolve: a modal, then the status change
        app.action(kind)(open_modal(kind))
        app.view(kind)(submitted(kind))

    @app.event("message")
    def internal(ack: Ack) -> None:  # staff talk in threads stays with the staff
        ack()

    return app


def _request_key(body: dict[str, Any]) -> str | None:
    """What identifies a request across Slack's retries of it."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("type") == "block_actions" and body.get("actions"):
        action = body["actions"][0]
        return f"action:{body.get('container', {}).get('message_ts')}:{action.get('action_ts')}"
    if body.get("type") == "view_submission":
        view = body.get("view", {})
        return f"view:{view.get('id')}:{view.get('hash')}"
    return None


def _first_time(store: SqlStore, key: str) -> bool:
    with store.transaction() as tx:
        return tx.first_time("slack", key)
