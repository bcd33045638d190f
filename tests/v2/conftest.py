"""Fixtures of the v2 dataset tests: `FakeModelArts` with a `PageLog` hook, and clients in-process and over HTTP.

`client` is parametrized over both ways to reach the fake (an httpx transport in-process, and the default aiohttp
sender over a real server on 127.0.0.1), so every behaviour tested through it holds on both send paths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.bulk import NO_BACKOFF
from support.v2 import PageLog

from modelarts_async import ModelArtsClient
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def fake(page_log: PageLog) -> FakeModelArts:
    """An empty fake that reads `offset` as a page index (tests add the datasets they need), watched by `page_log`."""
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.on_request = page_log
    return fake


@pytest.fixture(params=["in-process", "served"])
async def client(request: pytest.FixtureRequest, fake: FakeModelArts) -> AsyncIterator[ModelArtsClient]:
    if request.param == "in-process":
        async with fake.client(retry=NO_BACKOFF) as client:
            yield client
    else:
        async with (
            fake.serve() as url,
            ModelArtsClient(url, project_id=FAKE_PROJECT_ID, timeout=10.0, retry=NO_BACKOFF) as client,
        ):
            yield client
