"""Fixtures for the resilience tests: a fault-injecting loopback server, a fake clock, clients wired to both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from faultserver import FakeClock, FaultServer

from modelarts_async import ModelArtsClient, RetryPolicy


@pytest.fixture
async def server() -> AsyncIterator[FaultServer]:
    fault_server = FaultServer()
    await fault_server.start()
    yield fault_server
    await fault_server.stop()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(server: FaultServer, fake_clock: FakeClock) -> Callable[..., ModelArtsClient]:
    """Clients of the fault server over the default (aiohttp) transport, waiting on the fake clock."""

    def make(**options: Any) -> ModelArtsClient:
        policy = options.pop("retry", RetryPolicy(sleep=fake_clock.sleep, clock=fake_clock.clock))
        return ModelArtsClient(server.url, project_id="p1", retry=policy, **options)

    return make
