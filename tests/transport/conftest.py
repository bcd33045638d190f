"""Fixtures for the resilience tests: a fake clock, and clients of the loopback `server` wired to it."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import httpx
import pytest
from support.clock import FakeClock
from support.constants import PROJECT
from support.servers import HostileServer

from modelarts_async import ModelArtsClient, RetryPolicy


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


class UsersOwnAuth(httpx.Auth):
    """An auth only httpx can run (like `IAMPasswordAuth` or any user's): the client takes the httpx sender."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield request


#: Every way a request can reach the wire: the aiohttp sender; the httpx sender over the same aiohttp pool (a user's
#: auth); the httpx sender over httpx's own transport (a user's `transport=`).
SENDERS = {
    "aiohttp": lambda options: options,
    "httpx-over-aiohttp": lambda options: {"auth": UsersOwnAuth(), **options},
    "httpx-over-httpcore": lambda options: {
        "transport": httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=options.pop("max_connections", 100))),
        **options,
    },
}


@pytest.fixture(params=list(SENDERS))
def sender(request: pytest.FixtureRequest) -> str:
    """The sender a test's clients use: every fault test runs on each."""
    return str(request.param)


@pytest.fixture
def make_client(server: HostileServer, fake_clock: FakeClock, sender: str) -> Callable[..., ModelArtsClient]:
    """Clients of the loopback server over `sender`, waiting on the fake clock."""

    def make(**options: Any) -> ModelArtsClient:
        policy = options.pop("retry", RetryPolicy(sleep=fake_clock.sleep, clock=fake_clock.clock))
        return ModelArtsClient(server.url, project_id=PROJECT, retry=policy, **SENDERS[sender](options))

    return make
