"""Shared fixtures: a respx router at the HTTP boundary, and a real loopback HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from aiohttp import web
from core_support import Loopback


@pytest.fixture
def router() -> respx.Router:
    """A respx router to pass as `transport=httpx.MockTransport(router.async_handler)`."""
    return respx.Router(assert_all_called=False)


@pytest.fixture
def mock_transport(router: respx.Router) -> httpx.MockTransport:
    return httpx.MockTransport(router.async_handler)


@pytest.fixture
async def loopback() -> AsyncIterator[Loopback]:
    server = Loopback()
    runner = web.ServerRunner(web.Server(server.handle))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"http://{host}:{port}"
    yield server
    await runner.cleanup()
