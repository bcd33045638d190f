"""A raw asyncio HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, one scripted behaviour per request.

Raw sockets, not an HTTP framework: the faults under test are below what a framework lets a handler do (a malformed
status line, an over-long header, a body trickled one byte at a time, a Content-Length that lies).

A `Handler` writes one answer (or none) for a request. `HostileServer.script(h1, h2, ...)` answers requests with
`h1`, `h2`, ... in turn and repeats the last; `HostileServer.route(fn)` picks a handler per request. The server
records every request it reads (`requests`) and counts the connections it accepted (`connections`), so that a test
can tell a kept-alive connection from a new one.

This is the suite's one scripted loopback server: well-behaved answers (`answer`, `json_answer`, `answer_when`) and
faults alike are handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, NamedTuple
from urllib.parse import unquote

__all__ = [
    "Flood",
    "Handler",
    "HostileServer",
    "Request",
    "answer",
    "answer_when",
    "close_mid_body",
    "hang",
    "json_answer",
    "raw",
    "refused_url",
    "running",
    "trickle_body",
    "trickle_headers",
]

PROJECT = "hostile-project"
JOB = "282"


class Request(NamedTuple):
    """What the client sent: method, target (path and query, still percent-encoded), headers, body."""

    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def json(self) -> Any:
        return json.loads(self.body)

    def image_id(self) -> str:
        """The image id of a single-image call, decoded (`.../images/{id}/tags`)."""
        parts = self.path.split("/")
        return unquote(parts[parts.index("images") + 1])


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


def head(status: int | str, headers: Iterable[tuple[str, str]], *, reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    delay: float = 0.0,
    content_length: int | None = None,
) -> Handler:
    """A whole answer; `content_length` overrides the true length (to lie about it)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    all_headers["Content-Length"] = str(len(body) if content_length is None else content_length)

    async def handler(_request: Request, writer: asyncio.StreamWriter) -> None:
        if delay:
            await asyncio.sleep(delay)
        writer.write(head(status, all_headers.items()) + body)
        await writer.drain()

    return handler


def json_answer(status: int, data: Any, headers: dict[str, str] | None = None, *, delay: float = 0.0) -> Handler:
    return answer(status, json.dumps(data).encode(), headers, delay=delay)


def raw(data: bytes, *, close: bool = True) -> Handler:
    """Write `data` as is (whatever it is), then hang up."""

    async def handler(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        if close:
            writer.close()

    return handler


def close_mid_body() -> Handler:
    """Promise 100 bytes, send 10, hang up."""
    return raw(head(200, [("Content-Type", "application/json"), ("Content-Length", "100")]) + b'{"is_succe')


def hang() -> Handler:
    """Read the request and never answer."""

    async def handler(_request: Request, _writer: asyncio.StreamWriter) -> None:
        await asyncio.Event().wait()

    return handler


def answer_when(release: asyncio.Event, then: Handler) -> Handler:
    """Read the request, wait until `release` is set, then answer with `then` (to hold a connection busy)."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        await then(request, writer)

    return handler


class Flood:
    """A handler that streams a `size`-byte body, counting what the client let it write before the client hung up.

    `bytes_written` says how far it got; `hung_up_early` is set if the client closed the connection first.
    """

    def __init__(self, size: int, *, chunked: bool) -> None:
        self.size = size
        self.chunked = chunked
        self.bytes_written = 0
        self.hung_up_early = asyncio.Event()

    async def __call__(self, _request: Request, writer: asyncio.StreamWriter) -> None:
        framing = ("Transfer-Encoding", "chunked") if self.chunked else ("Content-Length", str(self.size))
        writer.write(head(200, [("Content-Type", "application/json"), framing]))
        piece = b"x" * 65536
        try:
            while self.bytes_written < self.size:
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece)
                await writer.drain()
                self.bytes_written += len(piece)
            if self.chunked:
                writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, OSError):
            self.hung_up_early.set()


def trickle_body(interval: float, size: int = 10_000) -> Handler:
    """Headers at once, then a body of `size` bytes, one byte every `interval` seconds (each read just in time)."""

    async def handler(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, [("Content-Type", "application/json"), ("Content-Length", str(size))]))
        for _ in range(size):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(interval)

    return handler


def trickle_headers(interval: float) -> Handler:
    """A status line, then header bytes one every `interval` seconds, never reaching the end of the head."""

    async def handler(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while True:
            await writer.drain()
            await asyncio.sleep(interval)
            writer.write(b"a")

    return handler


def image_answer(image_id: str, labels: list[str] | None = None) -> bytes:
    return json.dumps({"is_success": True, "image_id": image_id, "tags": labels or ["cat"]}).encode()


def batch_answer(image_ids: list[str]) -> bytes:
    items = [{"image_id": image_id, "tags": ["cat"]} for image_id in image_ids]
    return json.dumps({"is_success": True, "images_tags": items}).encode()


async def service(request: Request, writer: asyncio.StreamWriter) -> None:
    """The annotation API's documented answers: one image, or every id of a batch, each labelled "cat"."""
    if request.method == "POST" and request.path.endswith("/tags/show"):
        body = batch_answer(request.json()["image_id"])
    else:
        body = image_answer(request.image_id())
    await answer(200, body, {"X-Request-Id": "req-ok"})(request, writer)


def compressed(encoding: str, size: int) -> bytes:
    """`size` zero bytes compressed with `encoding` ("gzip" or "deflate"), built without holding them whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.compress(bytes(size % len(block))))
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


class HostileServer:
    """A loopback HTTP/1.1 server whose answers tests script; it records every request it reads."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.connections = 0
        self._script: list[Handler] = [service]
        self._route: Callable[[Request], Handler] | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self._arrivals = asyncio.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *handlers: Handler) -> None:
        """Answer the next requests with these handlers in turn; the last one answers every request after."""
        self._script = list(handlers)
        self._route = None

    def route(self, choose: Callable[[Request], Handler]) -> None:
        """Answer each request with the handler `choose(request)` returns."""
        self._route = choose

    async def wait_for_requests(self, count: int) -> None:
        """Return once the server has read `count` requests in all."""
        async with self._arrivals:
            await self._arrivals.wait_for(lambda: len(self.requests) >= count)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1024 * 1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    def _next_handler(self, request: Request) -> Handler:
        if self._route is not None:
            return self._route(request)
        return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._writers.add(writer)
        self.connections += 1
        try:
            while not writer.is_closing():
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                async with self._arrivals:
                    self._arrivals.notify_all()
                await self._next_handler(request)(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._connections.discard(task)


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head_bytes = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head_bytes.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


@contextlib.asynccontextmanager
async def running(server: HostileServer | None = None) -> AsyncIterator[HostileServer]:
    server = server or HostileServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def refused_url() -> str:
    """A loopback URL nothing listens on: bind a port, then free it."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return f"http://127.0.0.1:{port}"
