"""The fake as a real HTTP server on 127.0.0.1, on aiohttp's low-level server (no router: less CPU per request)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from ._transport import Handler

__all__ = ["serve"]


@asynccontextmanager
async def serve(handle_request: Handler, host: str, port: int) -> AsyncIterator[str]:
    """Serve a handler on `host:port` until the block exits; yields the base URL, e.g. `http://127.0.0.1:50123`."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read() if request.body_exists else b""
        reply = await handle_request(request.method, request.raw_path, request.headers, body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            # aiohttp treats a cancelled handler as a client that went away: nothing is written, nothing logged.
            raise asyncio.CancelledError
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)

    # A client hanging up cancels its handler, as a real gateway drops the backend call: a test's hook sees it.
    server = web.Server(handle, handler_cancellation=True)
    runner = web.ServerRunner(server, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()
