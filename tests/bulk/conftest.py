"""Fixtures of the bulk tests: `FakeModelArts` on 127.0.0.1 with a `Probe` hook, and a client pointed at it.

Real sockets, because these tests are about what a run does on the wire: requests a client drops must show up as
cancelled on the server, and the default (aiohttp) sender is the one bulk runs use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.bulk import NO_BACKOFF
from support.constants import JOB, PROJECT
from support.probe import Probe

from modelarts_async import ModelArtsClient
from modelarts_async.testing import FakeJob, FakeModelArts


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def fake(probe: Probe) -> FakeModelArts:
    """An empty classification job JOB (tests `stock` it with the ids they expect to find), watched by `probe`."""
    fake = FakeModelArts(project_id=PROJECT)
    fake.add_job(JOB)
    fake.on_request = probe
    return fake


@pytest.fixture
def job(fake: FakeModelArts) -> FakeJob:
    return fake.jobs[JOB]


@pytest.fixture
async def url(fake: FakeModelArts) -> AsyncIterator[str]:
    async with fake.serve() as url:
        yield url


@pytest.fixture
async def client(url: str) -> AsyncIterator[ModelArtsClient]:
    async with ModelArtsClient(url, project_id=PROJECT, timeout=10.0, retry=NO_BACKOFF) as c:
        yield c
