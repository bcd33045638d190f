"""The fake as an httpx transport: requests are answered in-process, nothing touches a socket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import httpx

from ._reply import FakeReply

__all__ = ["FakeTransport", "Handler"]

#: Answers one request: `await handler(method, target with query, headers, body)`, e.g. `FakeModelArts.handle_async`.
Handler = Callable[[str, str, Mapping[str, str], bytes], Awaitable[FakeReply]]


class FakeTransport(httpx.AsyncBaseTransport):
    """Answers every request with a handler; a dropped connection raises what a real one would."""

    def __init__(self, handle: Handler) -> None:
        self._handle = handle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        target = request.url.raw_path.decode("ascii")
        reply = await self._handle(request.method, target, request.headers, body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body, request=request)
