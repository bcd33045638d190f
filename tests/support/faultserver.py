"""A raw asyncio HTTP/1.1 server on 127.0.0.1 that answers each request with the next scripted behaviour.

Raw sockets rather than an HTTP framework, because the faults under test are about the wire: closing mid-answer,
never answering, bodies larger than the client will read.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from support.constants import CLASSIFICATION

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "FaultServer"], Awaitable[None]]


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(status: int, body: bytes | dict[str, Any] = b"", headers: dict[str, str] | None = None) -> Script:
    """Send one whole answer with a correct Content-Length."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    all_headers = {"Content-Type": "application/json", **(headers or {}), "Content-Length": str(len(raw))}

    async def script(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _server: FaultServer) -> None:
        writer.write(head(status, all_headers) + raw)
        await writer.drain()

    return script


def ok() -> Script:
    """The documented classification answer (of `support.constants.IMAGE`)."""
    return answer(200, CLASSIFICATION, {"X-Request-Id": "req-ok"})


def close_mid_body() -> Script:
    """Promise 100 bytes, send 10, hang up."""

    async def script(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _server: FaultServer) -> None:
        writer.write(head(200, {"Content-Type": "application/json", "Content-Length": "100"}) + b'{"is_succe')
        await writer.drain()
        writer.close()

    return script


def stall(release: asyncio.Event | None = None) -> Script:
    """Read the request and answer only once `release` is set (never, without one)."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: FaultServer) -> None:
        await (release or asyncio.Event()).wait()
        await ok()(reader, writer, server)

    return script


def huge(size: int, *, chunked: bool) -> Script:
    """Stream `size` bytes of a JSON string, counting what the client let us write before it hung up."""

    async def script(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: FaultServer) -> None:
        headers = {"Content-Type": "application/json"}
        headers["Transfer-Encoding" if chunked else "Content-Length"] = "chunked" if chunked else str(size)
        writer.write(head(200, headers))
        piece = b"x" * 65536
        try:
            while server.body_bytes_written < size:
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                await writer.drain()
                server.body_bytes_written += len(piece)
            if chunked:
                writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, OSError):
            server.hung_up_early.set()

    return script


class FaultServer:
    """Answers the n-th request with `scripts[n]` (the last script repeats); records every request head."""

    def __init__(self) -> None:
        self.scripts: list[Script] = [ok()]
        self.requests: list[bytes] = []
        self.body_bytes_written = 0
        self.hung_up_early = asyncio.Event()
        self.request_arrived = asyncio.Event()
        self.port = 0
        self.connections = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *scripts: Script) -> None:
        self.scripts = list(scripts)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                try:
                    request_head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.requests.append(request_head)
                self.request_arrived.set()
                script = self.scripts[min(len(self.requests), len(self.scripts)) - 1]
                await script(reader, writer, self)
                if writer.is_closing():
                    return
        finally:
            writer.close()
            self._tasks.discard(task)


class FakeClock:
    """A clock that moves only when the retry loop sleeps: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
