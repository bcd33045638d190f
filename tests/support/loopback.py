"""`Loopback`: a real HTTP server on 127.0.0.1 answering every request with one configurable reply."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


class Loopback:
    """Answers every request with `reply(...)`'s status, body and headers; records requests and client sockets."""

    def __init__(self) -> None:
        self.url = ""
        self.status = 200
        self.body = b"{}"
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.requests: list[web.BaseRequest] = []
        self.peers: set[Any] = set()
        self.delay = 0.0

    def reply(self, status: int = 200, *, json_body: Any = None, body: bytes | None = None, **headers: str) -> None:
        self.status = status
        self.body = body if body is not None else json.dumps(json_body).encode()
        self.headers = {"Content-Type": "application/json", **headers}

    async def handle(self, request: web.BaseRequest) -> web.Response:
        self.requests.append(request)
        assert request.transport is not None
        self.peers.add(request.transport.get_extra_info("peername"))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.status, body=self.body, headers=self.headers)


@asynccontextmanager
async def running_loopback() -> AsyncIterator[Loopback]:
    """A `Loopback` listening on a free port of 127.0.0.1 (its `url`) while the block runs."""
    server = Loopback()
    runner = web.ServerRunner(web.Server(server.handle))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        server.url = f"http://{host}:{port}"
        yield server
    finally:
        await runner.cleanup()
