"""The HTTP server of `sportello serve` (bot/web.py), the real uvicorn on 127.0.0.1.

Attachment downloads cannot add a header, run as a page, or outlive their link;
anything malformed is a plain 404; a slow client holds up nobody; a body too
large is refused before it is read; /healthz says what is up.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot import web
from storage.store import SqlStore
from tests.support.serving import free_port

KEY = "a-signing-secret"


class Running:
    """The HTTP server in a thread of its own, with its event loop."""

    def __init__(self, store: SqlStore, health: web.Health | None = None) -> None:
        self.health = health or web.Health(store)
        self.port = free_port()
        app = web.http_app(store, self.health, None, KEY)
        self.server = web.HttpServer(app, "127.0.0.1", self.port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Running:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(20)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            answer = conn.getresponse()
            headers = {k.lower(): v for k, v in answer.getheaders()}
            return answer.status, headers, answer.read()
        finally:
            conn.close()


@pytest.fixture
def running(store: SqlStore) -> Iterator[Running]:
    with Running(store) as server:
        yield server


def _attach(store: SqlStore, filename: str, content_type: str, data: bytes) -> int:
    with store.transaction() as tx:
        return tx.save_attachment("telegram", "4242", filename, content_type, data)


def test_a_file_name_cannot_add_a_header_and_html_is_only_downloaded(
    store: SqlStore, running: Running
) -> None:
    page = b"<script>alert(document.cookie)</script>"
    attachment = _attach(store, 'evil\r\nX-Injected: yes"; x=.html', "text/html", page)
    status, headers, body = running.get(web.attachment_path(KEY, attachment))
    assert status == 200 and body == page
    assert "x-injected" not in headers
    assert headers["content-type"] == "application/octet-stream"  # not the customer's text/html
    disposition = headers["content-disposition"]
    assert disposition.startswith('attachment; filename="evil  X-Injected: yes__ x=.html"')
    assert "filename*=UTF-8''evil%20%20X-Injected%3A%20yes%22%3B%20x%3D.html" in disposition
    assert headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in headers["content-security-policy"]


def test_an_image_is_shown_inline_with_its_type_and_its_name_kept(
    store: SqlStore, running: Running
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    attachment = _attach(store, "schermata dell\u2019errore.png", "image/png", png)
    status, headers, body = running.get(web.attachment_path(KEY, attachment))
    assert status == 200 and body == png and headers["content-type"] == "image/png"
    assert headers["content-disposition"].startswith('inline; filename="schermata dellerrore.png"')
    assert "filename*=UTF-8''schermata%20dell%E2%80%99errore.png" in headers["content-disposition"]


def test_a_link_expires(store: SqlStore, running: Running) -> None:
    attachment = _attach(store, "a.png", "image/png", b"\x89PNG")
    expired = int(time.time()) - 1
    path = f"/attachments/{attachment}/{expired}/{web.signature(KEY, attachment, expired)}"
    status, _, body = running.get(path)
    assert status == 410 and b"expired" in body
    longer = web.attachment_path(KEY, attachment, days=30)  # the setting, e.g. 30 days
    assert int(longer.split("/")[3]) - time.time() > 29 * 86400
    assert running.get(longer)[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/attachments/%B2",
        "/attachments/%B2/1/2",
        "/attachments/1/%B2/abc",
        "/attachments/-1/99999999999/00",
        "/attachments/" + "9" * 40 + "/1/00",
        "/attachments/1/1/" + "0" * 32,
        "/attachments/1",
        "/attachments/../../etc/passwd",
        "/nothing/here",
        "/%00",
    ],
)
def test_anything_malformed_or_forged_is_a_plain_404(
    store: SqlStore, running: Running, path: str
) -> None:
    _attach(store, "a.png", "image/png", b"\x89PNG")
    status, _, body = running.get(path)
    assert status == 404, (path, status, body)
    assert b"Traceback" not in body and len(body) < 100


def test_a_missing_attachment_with_a_good_signature_is_404(running: Running) -> None:
    assert running.get(web.attachment_path(KEY, 999))[0] == 404


def test_a_slow_client_does_not_hold_up_the_others(store: SqlStore, running: Running) -> None:
    slow = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(5)]
    try:
        for s in slow:  # each sends half a request, then nothing
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab")
        started = time.monotonic()
        status, _, body = running.get("/healthz")
        assert status == 200, body
        assert time.monotonic() - started < 1.0
    finally:
        for s in slow:
            s.close()


def test_a_body_too_large_is_refused_before_it_is_read(running: Running) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    try:
        conn.putrequest("POST", "/slack/events")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders()
        assert conn.getresponse().status in (404, 413)  # no Slack here: 404 or 413, never read
    finally:
        conn.close()


def test_healthz_says_what_is_up(store: SqlStore) -> None:
    health = web.Health(store, {"telegram": "retrying", "slack": "up"})
    with Running(store, health) as server:
        status, headers, body = server.get("/healthz")
        assert status == 503 and headers["content-type"] == "application/json"
        import json

        report: dict[str, Any] = json.loads(body)
        assert report["telegram"] == "retrying" and report["slack"] == "up"
        assert report["database"] == "up" and report["outbox"] == {"pending": 0, "dead": 0}
        health.parts["telegram"] = "up"
        assert server.get("/healthz")[0] == 200


def test_content_disposition_is_always_one_safe_header_line() -> None:
    for name in ["", "..", "a\x00b", "\u202eexe.png", "ﬁle.pdf", '"";', "%0d%0a", "a" * 300]:
        value = web.content_disposition("attachment", name)
        assert "\r" not in value and "\n" not in value and "\x00" not in value
        plain = value.split('filename="', 1)[1].split('"', 1)[0]
        assert plain and plain.isascii() and '"' not in plain
