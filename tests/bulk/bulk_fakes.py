"""A counting fake of the annotation service, and helpers to check that a bulk run left nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from modelarts_async import RetryPolicy

ImageBehaviour = Callable[[str, web.Request], Awaitable[web.StreamResponse | None]]
BatchBehaviour = Callable[[list[Any], web.Request], Awaitable[web.StreamResponse | None]]


def labels_of(image_id: str) -> list[str]:
    return [f"label-{image_id}"]


def image_answer(image_id: str) -> dict[str, Any]:
    return {"is_success": True, "image_id": image_id, "tags": labels_of(image_id)}


class FakeService:
    """Answers the single-image and batch calls; counts arrivals, requests in flight and cancelled handlers.

    Set `on_image` / `on_batch` to an async function returning a response (or None for the normal answer).
    Arrival times use the event loop's clock, which the client under test shares.
    """

    def __init__(self) -> None:
        self.on_image: ImageBehaviour | None = None
        self.on_batch: BatchBehaviour | None = None
        self.arrivals: list[tuple[float, str]] = []
        self.batches: list[list[Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0
        self.url = ""

    async def image(self, request: web.Request) -> web.StreamResponse:
        image_id = request.match_info["image_id"]
        async with self._counting(image_id):
            answer = await self.on_image(image_id, request) if self.on_image else None
            return answer or web.json_response(image_answer(image_id))

    async def batch(self, request: web.Request) -> web.StreamResponse:
        ids = (await request.json())["image_id"]
        self.batches.append(ids)
        async with self._counting(",".join(ids)):
            answer = await self.on_batch(ids, request) if self.on_batch else None
            return answer or web.json_response(
                {"is_success": True, "images_tags": [{"image_id": i, "tags": labels_of(i)} for i in ids]}
            )

    def _counting(self, what: str) -> _Counting:
        return _Counting(self, what)


class _Counting:
    def __init__(self, service: FakeService, what: str) -> None:
        self.service, self.what = service, what

    async def __aenter__(self) -> None:
        service = self.service
        service.arrivals.append((asyncio.get_running_loop().time(), self.what))
        service.in_flight += 1
        service.max_in_flight = max(service.max_in_flight, service.in_flight)

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.service.in_flight -= 1
        if exc_type is asyncio.CancelledError:
            self.service.cancelled += 1


def bulk_tasks() -> list[asyncio.Task[Any]]:
    """The tasks a bulk run started (supervisor and workers) that are still alive."""
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("modelarts-bulk") and not t.done()]


async def wait_until(condition: Callable[[], bool], *, limit: float = 10.0) -> bool:
    """Poll `condition` until it holds or `limit` seconds passed (a bound for hangs, never a timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def _no_sleep(seconds: float) -> None:
    """Retries go at once here: these tests are about the run's own pacing, not the backoff between attempts."""


NO_BACKOFF = RetryPolicy(sleep=_no_sleep)
