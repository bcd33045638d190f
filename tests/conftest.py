"""Shared fixtures: a respx router at the HTTP boundary, and a real loopback HTTP server on 127.0.0.1.

Helpers that tests import live in `support/` (on `sys.path` through pyproject's `pythonpath`), never here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from support.loopback import Loopback, running_loopback


@pytest.fixture
def router() -> respx.Router:
    """A respx router to pass as `transport=httpx.MockTransport(router.async_handler)`."""
    return respx.Router(assert_all_called=False)


@pytest.fixture
def mock_transport(router: respx.Router) -> httpx.MockTransport:
    return httpx.MockTransport(router.async_handler)


@pytest.fixture
async def loopback() -> AsyncIterator[Loopback]:
    async with running_loopback() as server:
        yield server
