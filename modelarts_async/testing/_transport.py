"""The fake as an httpx transport: requests are answered in-process, nothing touches a socket."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ._fake import FakeModelArts

__all__ = ["FakeTransport"]


class FakeTransport(httpx.AsyncBaseTransport):
    """Answers every request from a `FakeModelArts`; a dropped connection raises what a real one would."""

    def __init__(self, fake: FakeModelArts) -> None:
        self._fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        target = request.url.raw_path.decode("ascii")
        reply = self._fake.handle(request.method, target, request.headers, body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body, request=request)
