"""Fixtures of the bulk tests: the fake service on 127.0.0.1 (see `bulk_fakes.py`) and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from bulk_fakes import NO_BACKOFF, FakeService

from modelarts_async import ModelArtsClient


@pytest.fixture
async def service() -> AsyncIterator[FakeService]:
    fake = FakeService()
    app = web.Application()
    app.router.add_get("/v1/{project}/data-annotations/{job}/images/{image_id}/tags", fake.image)
    app.router.add_post("/v1/{project}/data-annotations/{job}/tags/show", fake.batch)
    # Cancel a handler when its client hangs up, so tests can see that cancelled requests really went away.
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(service: FakeService) -> AsyncIterator[ModelArtsClient]:
    async with ModelArtsClient(service.url, project_id="p", timeout=10.0, retry=NO_BACKOFF) as c:
        yield c
