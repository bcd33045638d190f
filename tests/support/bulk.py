"""Helpers of the bulk tests: images whose labels name them, and checks that a run left nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from modelarts_async import RetryPolicy
from modelarts_async.testing import FakeJob


def labels_of(image_id: str) -> list[str]:
    """The labels `stock` gives an image: its own id, so that a result handed to the wrong id shows."""
    return [f"label-{image_id}"]


def stock(job: FakeJob, image_ids: Iterable[str]) -> None:
    """Add each image to the fake's job, labelled `labels_of(image_id)`."""
    for image_id in image_ids:
        job.add_image(image_id, labels_of(image_id))


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
