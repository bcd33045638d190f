"""A minimal HTTP/1.1 upstream for the benchmarks: one asyncio Protocol, keep-alive, answers in a few µs of CPU.

It speaks just enough HTTP/1.1 for the clients measured here (no pipelining, no chunked request bodies):

- `GET  /v1/{p}/data-annotations/{j}/images/{id}/tags` → `{"is_success":true,"image_id":id,"tags":["cat","animal"]}`
- `POST /v1/{p}/data-annotations/{j}/tags/show` with `{"image_id": [...]}` (or `"image_ids"`) → `images_tags` echoing
  one classification entry per requested id
- `GET  /_stats` → `{"cpu": user+sys seconds of this process, "requests": answered API requests}` (not counted), so
  the harness can report the server's own CPU per request next to each cell.

Every answer is delayed by `--delay-ms` (0 = answer at once). The process exits when its stdin closes (the harness
holds the other end), on SIGTERM, or after `--max-seconds`, so it never outlives a run.

Usage: `python benchmarks/upstream.py --delay-ms 50` prints `PORT <n>` once it listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import sys

_TAGS = ["cat", "animal"]
_SINGLE_HEAD = b'{"is_success":true,"image_id":"'
_SINGLE_TAIL = b'","tags":["cat","animal"]}'
_NOT_FOUND = b'{"is_success":false,"error_code":"APIG.0101","error_msg":"The API does not exist"}'


class _Stats:
    __slots__ = ("requests",)

    def __init__(self) -> None:
        self.requests = 0


def _response(body: bytes, status: bytes = b"200 OK", close: bool = False) -> bytes:
    head = b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Request-Id: bench\r\n%s\r\n"
    return head % (status, len(body), b"Connection: close\r\n" if close else b"") + body


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Upstream(asyncio.Protocol):
    """One connection: parse whole requests out of the buffer, answer each (after the delay)."""

    __slots__ = ("_buffer", "_delay", "_loop", "_stats", "_transport")

    def __init__(self, delay: float, stats: _Stats, loop: asyncio.AbstractEventLoop) -> None:
        self._delay = delay
        self._stats = stats
        self._loop = loop
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            length = 0
            if not head.startswith(b"GET "):
                lowered = head.lower()
                at = lowered.find(b"\r\ncontent-length:")
                if at >= 0:
                    stop = lowered.find(b"\r\n", at + 2)
                    length = int(lowered[at + 17 : stop if stop >= 0 else len(lowered)])
            total = end + 4 + length
            if len(buffer) < total:
                break
            self._answer(head, buffer[end + 4 : total])
            buffer = buffer[total:]
        self._buffer = buffer

    def _answer(self, head: bytes, body: bytes) -> None:
        line = head[: head.find(b"\r\n")] if b"\r\n" in head else head
        method, target, _ = line.split(b" ", 2)
        close = b"onnection: close" in head or b"onnection: Close" in head
        parts = target.split(b"/")
        if method == b"GET" and len(parts) == 8 and parts[5] == b"images" and parts[7] == b"tags":
            payload = _response(_SINGLE_HEAD + parts[6] + _SINGLE_TAIL, close=close)
        elif method == b"POST" and len(parts) == 7 and parts[5] == b"tags" and parts[6] == b"show":
            wanted = json.loads(body)
            ids = wanted.get("image_id") or wanted.get("image_ids") or []
            answer = {"is_success": True, "images_tags": [{"image_id": i, "tags": _TAGS} for i in ids]}
            payload = _response(json.dumps(answer, separators=(",", ":")).encode(), close=close)
        elif target == b"/_stats":
            stats = {"cpu": _cpu_seconds(), "requests": self._stats.requests}
            self._write(_response(json.dumps(stats).encode(), close=close), close)
            return
        else:
            payload = _response(_NOT_FOUND, b"404 Not Found", close=close)
        self._stats.requests += 1
        if self._delay:
            self._loop.call_later(self._delay, self._write, payload, close)
        else:
            self._write(payload, close)

    def _write(self, payload: bytes, close: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(payload)
        if close:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(port: int, delay: float, max_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    stats = _Stats()
    server = await loop.create_server(lambda: Upstream(delay, stats, loop), "127.0.0.1", port, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    def stdin_ready() -> None:
        if not sys.stdin.buffer.read1(4096):  # EOF: the harness went away
            finish()

    loop.add_reader(sys.stdin.fileno(), stdin_ready)
    loop.add_signal_handler(signal.SIGTERM, finish)
    loop.call_later(max_seconds, finish)
    async with server:
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.delay_ms / 1000, args.max_seconds))


if __name__ == "__main__":
    main()
