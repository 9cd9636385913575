"""A fake Slack Socket Mode endpoint on 127.0.0.1, next to the fake Web API (fakeslack.py).

Socket Mode as Slack runs it: the app calls `apps.connections.open` with its app-level
token (xapp-...) and gets a one-time WebSocket URL (`wss://wss-primary.slack.com/link/
?ticket=...`; here `ws://127.0.0.1:PORT/link/?ticket=...`). It connects (RFC 6455
handshake), Slack greets it with a `hello` message, then sends each event, interaction
or slash command as a text frame holding an envelope

    {"envelope_id": "...", "type": "events_api" | "interactive" | "slash_commands",
     "payload": {...the body Slack would have POSTed...}, "accepts_response_payload": ...}

and the app acknowledges it with `{"envelope_id": "..."}` (plus `"payload"` for a
response: a view_submission's errors, a slash command's answer). Slack pings the app and
answers its pings. The real `slack_sdk.socket_mode.builtin.SocketModeClient` (what Bolt's
`SocketModeHandler` uses) and the real `WebClient` talk to this fake unchanged:

    with FakeSlack() as slack, FakeSocketMode(slack) as sm:
        client = WebClient(token=slack.token, base_url=slack.base_url)
        handler = SocketModeHandler(app, sm.app_token, web_client=client)
        handler.connect()
        sm.wait_connected()
        envelope_id = sm.send_envelope("interactive", slack.block_actions_payload(...))
        ack = sm.wait_for_ack(envelope_id)
        handler.close()

Tickets are single-use, as Slack's are: a reconnection calls apps.connections.open again.
A bad handshake (unknown ticket, not a WebSocket upgrade) gets an HTTP error and is
closed. Frames from the client must be masked (RFC 6455 5.1), the server's are not.
Everything received is recorded: `acks`, `messages` (any other text frame), `pings`,
`pongs`, `closes`. Stdlib only; the test side is thread-safe.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import itertools
import json
import secrets
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tests.support.fakeslack import HOST, FakeSlack, payload_of

DEFAULT_APP_TOKEN = "xapp-1-A0SPORTAPP-3000000003-FakeSportelloAppLevelToken0000"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
ENVELOPE_TYPES = ("events_api", "interactive", "slash_commands")

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


@dataclass
class Link:
    """One WebSocket connection from the app."""

    number: int
    sock: socket.socket
    ticket: str
    opened: float = field(default_factory=time.monotonic)
    closed: float | None = None
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def open(self) -> bool:
        return self.closed is None

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """One unmasked, final frame (a server never masks)."""
        header = bytes([0x80 | opcode])
        size = len(payload)
        if size < 126:
            header += bytes([size])
        elif size < 1 << 16:
            header += bytes([126]) + struct.pack("!H", size)
        else:
            header += bytes([127]) + struct.pack("!Q", size)
        with self.send_lock:
            self.sock.sendall(header + payload)

    def send_text(self, text: str) -> None:
        self.send_frame(OP_TEXT, text.encode("utf-8"))


class HandshakeError(Exception):
    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class FakeSocketMode:
    """The Socket Mode side of Slack, for the fake Web API `slack`.

    `start()` listens on a free port of 127.0.0.1 and adds `apps.connections.open` (app-level
    token) to `slack`; `stop()` closes every connection (a close frame, 1001) and stops.
    """

    def __init__(
        self,
        slack: FakeSlack,
        app_token: str = DEFAULT_APP_TOKEN,
        *,
        ping_interval: float | None = None,
        debug_host: str = "applink-fake-1",
    ) -> None:
        self.slack = slack
        self.app_token = app_token
        self.ping_interval = ping_interval  # the server pings the app this often, if set
        self.debug_host = debug_host
        self._cond = threading.Condition(threading.RLock())
        self._tickets: set[str] = set()
        self._links: list[Link] = []
        self._numbers = itertools.count(1)
        self._acks: list[dict[str, Any]] = []
        self._messages: list[Any] = []
        self._pings: list[bytes] = []
        self._pongs: list[bytes] = []
        self._closes: list[tuple[int, str]] = []
        self._sent: dict[str, dict[str, Any]] = {}
        self._rejected: list[str] = []
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._port: int | None = None
        slack.add_app_method("apps.connections.open", app_token, self._connections_open)

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> int:
        if self._listener is None:
            self._stopping.clear()
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, self._port or 0))
            listener.listen(16)
            listener.settimeout(0.05)
            self._listener = listener
            self._port = int(listener.getsockname()[1])
            self._spawn(self._accept_loop, "fakesocketmode-accept")
            if self.ping_interval:
                self._spawn(self._ping_loop, "fakesocketmode-ping")
        return self.port

    def stop(self) -> None:
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        for link in self.links:
            if link.open:
                self._close_link(link, 1001, "going away")
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> FakeSocketMode:
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
        if self._port is None:
            raise RuntimeError("the fake Socket Mode endpoint is not running")
        return self._port

    def url(self, ticket: str) -> str:
        return f"ws://{HOST}:{self.port}/link/?ticket={ticket}&app_id={self.slack.app_id}"

    # -- apps.connections.open ----------------------------------------------------------

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._listener is None:
            raise RuntimeError("FakeSocketMode is not started")
        ticket = secrets.token_hex(16)
        with self._cond:
            self._tickets.add(ticket)
        return {"url": self.url(ticket)}

    # -- the test side ------------------------------------------------------------------

    @property
    def links(self) -> list[Link]:
        """Every connection so far, oldest first."""
        with self._cond:
            return list(self._links)

    @property
    def open_links(self) -> list[Link]:
        return [link for link in self.links if link.open]

    @property
    def acks(self) -> list[dict[str, Any]]:
        """The acknowledgements received (`{"envelope_id": ..., ["payload": ...]}`)."""
        with self._cond:
            return copy.deepcopy(self._acks)

    @property
    def messages(self) -> list[Any]:
        """Text frames from the app that were not acknowledgements (decoded when JSON)."""
        with self._cond:
            return copy.deepcopy(self._messages)

    @property
    def pings(self) -> list[bytes]:
        """Payloads of the app's pings (each answered with a pong)."""
        with self._cond:
            return list(self._pings)

    @property
    def pongs(self) -> list[bytes]:
        """Payloads of the app's pongs (answers to `ping()`)."""
        with self._cond:
            return list(self._pongs)

    @property
    def closes(self) -> list[tuple[int, str]]:
        """Close frames the app sent: (code, reason)."""
        with self._cond:
            return list(self._closes)

    @property
    def rejected(self) -> list[str]:
        """Why handshakes were refused."""
        with self._cond:
            return list(self._rejected)

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "the condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out waiting for {what}")
                self._cond.wait(min(left, 0.05))

    def wait_connected(self, count: int = 1, timeout: float = 5.0) -> Link:
        """Block until `count` connections were greeted and one is open; returns the newest."""
        self.wait_until(
            lambda: len(self._links) >= count and any(link.open for link in self._links),
            timeout,
            f"{count} Socket Mode connection(s)",
        )
        return self.open_links[-1]

    def send_envelope(
        self,
        type: str,
        payload: Mapping[str, Any] | str,
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        envelope_id: str | None = None,
    ) -> str:
        """Deliver `payload` (a dict, or a body built by fakeslack: form `payload=` or JSON)
        on the newest open connection, as Slack does; returns the envelope_id."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}")
        body = payload_of(payload) if isinstance(payload, str) else dict(payload)
        envelope_id = envelope_id or _envelope_id()
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive"
                and body.get("type") in ("view_submission", "block_suggestion")
            )
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "payload": body, "type": type}
        if type == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        envelope["accepts_response_payload"] = accepts_response_payload
        links = self.open_links
        if not links:
            raise RuntimeError("no open Socket Mode connection")
        with self._cond:
            self._sent[envelope_id] = envelope
        links[-1].send_text(json.dumps(envelope))
        return envelope_id

    def ack_for(self, envelope_id: str) -> dict[str, Any] | None:
        with self._cond:
            for ack in self._acks:
                if ack.get("envelope_id") == envelope_id:
                    return copy.deepcopy(ack)
        return None

    def wait_for_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        """Block until the app acknowledged `envelope_id` (Slack waits 3 seconds)."""
        self.wait_until(
            lambda: self.ack_for(envelope_id) is not None, timeout, f"the ack of {envelope_id}"
        )
        found = self.ack_for(envelope_id)
        assert found is not None
        return found

    def ping(self, payload: bytes = b"") -> None:
        """Ping the app on every open connection (it answers with a pong)."""
        for link in self.open_links:
            link.send_frame(OP_PING, payload)

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect (it calls apps.connections.open again), as Slack does
        before it retires a connection; the old connection is closed 1 s later here."""
        links = self.open_links
        message = {
            "type": "disconnect",
            "reason": reason,
            "debug_info": {"host": self.debug_host},
        }
        for link in links:
            link.send_text(json.dumps(message))

        def later() -> None:
            if not self._stopping.wait(1.0):
                for link in links:
                    if link.open:
                        self._close_link(link, 1000, reason)

        self._spawn(later, "fakesocketmode-retire")

    def close_connections(self, code: int = 1000, reason: str = "") -> None:
        """Close every open connection from the server side (a close frame, then EOF)."""
        for link in self.open_links:
            self._close_link(link, code, reason)

    # -- the server ---------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._spawn(self._serve, "fakesocketmode-link", sock)

    def _ping_loop(self) -> None:
        assert self.ping_interval
        while not self._stopping.wait(self.ping_interval):
            with contextlib.suppress(OSError):
                self.ping(f"fake:{time.time()}".encode())

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(5.0)
        reader = _Reader(sock)
        try:
            ticket = self._handshake(sock, reader)
        except (HandshakeError, OSError, ValueError) as error:
            with self._cond:
                self._rejected.append(str(error))
                self._cond.notify_all()
            if isinstance(error, HandshakeError):
                body = str(error).encode()
                with contextlib.suppress(OSError):
                    sock.sendall(
                        f"HTTP/1.1 {error.status}\r\nContent-Type: text/plain\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                        + body
                    )
            with contextlib.suppress(OSError):
                sock.close()
            return
        link = Link(next(self._numbers), sock, ticket)
        sock.settimeout(0.1)  # to notice stop() while waiting for frames
        with self._cond:
            self._links.append(link)
        try:
            with self._cond:
                count = sum(1 for existing in self._links if existing.open)
            link.send_text(json.dumps(self._hello(count)))
            with self._cond:
                self._cond.notify_all()  # wait_connected: greeted now
            self._read_frames(link, reader)
        except (OSError, ValueError):
            pass
        finally:
            self._drop(link)

    def _hello(self, num_connections: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": num_connections,
            "debug_info": {
                "host": self.debug_host,
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.slack.app_id},
        }

    def _handshake(self, sock: socket.socket, reader: _Reader) -> str:
        head = reader.until(b"\r\n\r\n", limit=16384).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        headers: dict[str, str] = {}
        for line in lines:
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "GET" or not parts[2].startswith("HTTP/1.1"):
            raise HandshakeError("400 Bad Request", f"not a GET HTTP/1.1: {request_line!r}")
        target = urllib.parse.urlsplit(parts[1])
        if target.path.rstrip("/") != "/link":
            raise HandshakeError("404 Not Found", f"no such endpoint {target.path!r}")
        ticket = urllib.parse.parse_qs(target.query).get("ticket", [""])[0]
        with self._cond:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # one connection per ticket
        if not valid:
            raise HandshakeError("401 Unauthorized", f"unknown or used ticket {ticket!r}")
        if headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in (
            headers.get("connection", "").lower()
        ):
            raise HandshakeError("400 Bad Request", "not a WebSocket upgrade")
        if headers.get("sec-websocket-version") != "13":
            raise HandshakeError("426 Upgrade Required", "Sec-WebSocket-Version must be 13")
        key = headers.get("sec-websocket-key", "")
        try:
            valid_key = len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            valid_key = False
        if not valid_key:
            raise HandshakeError("400 Bad Request", f"bad Sec-WebSocket-Key {key!r}")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n"
                "\r\n"
            ).encode()
        )
        return ticket

    def _read_frames(self, link: Link, reader: _Reader) -> None:
        fragments: list[bytes] = []
        fragment_opcode = OP_TEXT
        while link.open and not self._stopping.is_set():
            try:
                first = reader.exactly(2)
            except TimeoutError:
                continue
            except EOFError:
                return
            fin, opcode = first[0] & 0x80, first[0] & 0x0F
            masked, size = first[1] & 0x80, first[1] & 0x7F
            if first[0] & 0x70:
                self._close_link(link, 1002, "reserved bits set")
                return
            if not masked:
                self._close_link(link, 1002, "client frames must be masked")
                return
            if size == 126:
                size = struct.unpack("!H", reader.exactly(2, patient=True))[0]
            elif size == 127:
                size = struct.unpack("!Q", reader.exactly(8, patient=True))[0]
            mask = reader.exactly(4, patient=True)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.exactly(size, patient=True)))
            if opcode == OP_PING:
                with self._cond:
                    self._pings.append(data)
                link.send_frame(OP_PONG, data)
            elif opcode == OP_PONG:
                with self._cond:
                    self._pongs.append(data)
                    self._cond.notify_all()
            elif opcode == OP_CLOSE:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                reason = data[2:].decode("utf-8", "replace")
                with self._cond:
                    self._closes.append((code, reason))
                self._close_link(link, 1000 if code == 1005 else code, "")
                return
            elif opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
                if opcode != OP_CONTINUATION:
                    fragments, fragment_opcode = [], opcode
                fragments.append(data)
                if fin:
                    whole = b"".join(fragments)
                    fragments = []
                    if fragment_opcode == OP_TEXT:
                        self._received(whole.decode("utf-8"))
            else:
                self._close_link(link, 1002, f"unknown opcode {opcode}")
                return

    def _received(self, text: str) -> None:
        try:
            message: Any = json.loads(text)
        except ValueError:
            message = text
        with self._cond:
            if isinstance(message, dict) and "envelope_id" in message:
                self._acks.append(message)
            else:
                self._messages.append(message)
            self._cond.notify_all()

    def _close_link(self, link: Link, code: int, reason: str) -> None:
        with contextlib.suppress(OSError):
            link.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:120])
        self._drop(link)

    def _drop(self, link: Link) -> None:
        with self._cond:
            if link.closed is not None:
                return
            link.closed = time.monotonic()
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            link.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            link.sock.close()


class _Reader:
    """Buffered reads from a socket with a timeout: `TimeoutError` between frames,
    `EOFError` when the peer is gone."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer += chunk

    def until(self, marker: bytes, limit: int) -> bytes:
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise ValueError("request head too large")
            try:
                self._fill()
            except EOFError as error:
                raise ValueError("connection closed during the handshake") from error
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def exactly(self, size: int, *, patient: bool = False) -> bytes:
        deadline = time.monotonic() + 5.0
        while len(self.buffer) < size:
            try:
                self._fill()
            except TimeoutError:
                if not patient or time.monotonic() > deadline:
                    if patient:
                        raise ValueError("a frame was cut short") from None
                    raise
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def _envelope_id() -> str:
    # Slack's look like UUIDs
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
