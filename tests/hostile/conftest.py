"""Fixtures of the hostile suite: a misbehaving loopback server, and the sender each test runs on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.servers import HostileServer, running

from hostile.senders import ALL_SENDERS, HTTPX_SENDERS, Waits


@pytest.fixture(params=ALL_SENDERS)
def sender(request: pytest.FixtureRequest) -> str:
    """Each wire test runs once per sender: aiohttp, httpx over the aiohttp pool, httpx over its own transport."""
    return str(request.param)


@pytest.fixture(params=HTTPX_SENDERS)
def httpx_sender(request: pytest.FixtureRequest) -> str:
    """The senders an auth that needs httpx (IAMPasswordAuth) can use."""
    return str(request.param)


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    """A loopback server that answers like the service until the test scripts it to misbehave."""
    async with running() as hostile:
        yield hostile


@pytest.fixture
def waits() -> Waits:
    """Pass as `RetryPolicy(sleep=waits)`: retries do not sleep, and the test sees how long each would have."""
    return Waits()
