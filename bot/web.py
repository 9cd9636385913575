"""The HTTP side of `sportello serve`: Slack's requests, attachment downloads and /healthz.

One Starlette app on uvicorn, a concurrent server: a slow client holds up
nobody else, and Slack's requests are answered within its 3 seconds while
files download. Bolt's (synchronous) dispatch and every database read run in
worker threads, never in the event loop. A request body over `MAX_BODY` is
refused (413) and one that takes over `BODY_SECONDS` to arrive is dropped (408).

Attachments are served only as what they safely are: images inline, anything
else as a download of type `application/octet-stream`, with an RFC 6266 file
name that cannot break the header, `nosniff` and a sandboxing CSP. A link is
signed and expires; anything malformed is 404, an expired link 410.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from storage.store import SqlStore

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes: Slack's payloads are a few kilobytes
BODY_SECONDS = 10.0  # to receive a request's body
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
LINK_DAYS = 7.0


# -- attachment links ---------------------------------------------------------------------


def signature(key: str, attachment_id: int, expires: int) -> str:
    message = f"attachment:{attachment_id}:{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def attachment_path(key: str, attachment_id: int, days: float = LINK_DAYS) -> str:
    """The signed path of an attachment, good for `days` (only who has it can open it)."""
    expires = int(time.time() + days * 86400)
    return f"/attachments/{attachment_id}/{expires}/{signature(key, attachment_id, expires)}"


def content_disposition(kind: str, filename: str) -> str:
    """An RFC 6266 header: an ASCII name anything can read, and the real one, encoded."""
    name = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in filename)
    name = name.replace("/", "_").replace("\\", "_").strip(" .") or "attachment"
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r'["%;]', "_", plain).strip() or "attachment"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _file_response(filename: str, content_type: str, data: bytes) -> Response:
    inline = content_type.lower().split(";")[0].strip() in INLINE
    return Response(
        data,
        media_type=content_type.split(";")[0].strip() if inline else "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(
                "inline" if inline else "attachment", filename
            ),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


# -- health ---------------------------------------------------------------------------------


@dataclass
class Health:
    """What is up, as /healthz tells it: each configured part, the database, the outbox."""

    store: SqlStore
    parts: dict[str, str] = field(default_factory=dict)  # "telegram" -> "up", "retrying"...

    def report(self) -> tuple[bool, dict[str, Any]]:
        body: dict[str, Any] = dict(self.parts)
        try:
            rows = self.store.outbox()
            body["database"] = "up"
            body["outbox"] = {
                "pending": sum(1 for r in rows if r["state"] == "pending"),
                "dead": sum(1 for r in rows if r["state"] == "dead"),
            }
        except Exception as exc:  # the answer is the report: the database is away
            body["database"] = "down"
            log.warning("/healthz: the database does not answer: %s", type(exc).__name__)
        ok = body["database"] == "up" and all(v == "up" for v in self.parts.values())
        return ok, body


# -- the app --------------------------------------------------------------------------------


async def _body(request: Request) -> bytes | Response:
    """The request's body, within the size and time limits (or the answer that refuses it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return PlainTextResponse("request too large", 413)
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise OverflowError
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), BODY_SECONDS)
    except OverflowError:
        return PlainTextResponse("request too large", 413)
    except TimeoutError:
        return PlainTextResponse("request too slow", 408)
    except ClientDisconnect:
        return PlainTextResponse("", 400)
    return b"".join(chunks)


def http_app(
    store: SqlStore,
    health: Health,
    bolt: App | None = None,
    link_key: str | None = None,
) -> Starlette:
    """Slack's requests (any POST path, when `bolt`), attachments (when `link_key`), /healthz."""

    async def healthz(request: Request) -> Response:
        ok, body = await run_in_threadpool(health.report)
        return JSONResponse(body, status_code=200 if ok else 503)

    async def attachment(request: Request) -> Response:
        if link_key is None:
            return PlainTextResponse("not found", 404)
        parts = request.url.path.strip("/").split("/")
        if len(parts) != 4 or not (parts[1].isdigit() and parts[2].isdigit()):
            return PlainTextResponse("not found", 404)
        if len(parts[1]) > 18 or len(parts[2]) > 12:
            return PlainTextResponse("not found", 404)
        attachment_id, expires = int(parts[1]), int(parts[2])
        if not hmac.compare_digest(parts[3], signature(link_key, attachment_id, expires)):
            return PlainTextResponse("not found", 404)
        if expires < time.time():
            return PlainTextResponse("link expired", 410)
        found = await run_in_threadpool(store.attachment, attachment_id)
        if found is None:
            return PlainTextResponse("not found", 404)
        return _file_response(*found)

    async def slack_events(request: Request) -> Response:
        if bolt is None:
            return PlainTextResponse("not found", 404)
        body = await _body(request)
        if isinstance(body, Response):
            return body
        try:
            bolt_request = to_bolt_request(request, body)
        except UnicodeDecodeError:
            return PlainTextResponse("bad request", 400)
        answer = await run_in_threadpool(bolt.dispatch, bolt_request)
        return to_starlette_response(answer)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("not found", 404)

    async def failed(request: Request, exc: Exception) -> Response:
        log.error(
            "HTTP %s %s failed: %s", request.method, request.url.path[:80], type(exc).__name__
        )
        return PlainTextResponse("internal error", 500)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/attachments/{rest:path}", attachment, methods=["GET", "HEAD"]),
            Route("/{rest:path}", slack_events, methods=["POST"]),
        ],
        exception_handlers={404: not_found, 405: not_found, 500: failed},
    )


class _Server(uvicorn.Server):
    """uvicorn inside serve's event loop: serve, not uvicorn, handles SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    """`await start()` listens; `await stop()` ends the requests under way and closes."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=5,
            limit_concurrency=200,
            h11_max_incomplete_event_size=16 * 1024,  # the request line and headers
            server_header=False,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():  # it could not listen (the port is taken): say why
                self._task.result()
                raise OSError(f"could not listen on {self._server.config.port}")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
