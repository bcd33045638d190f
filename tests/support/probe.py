"""`Probe`: a `FakeModelArts.on_request` hook that counts what the fake sees and runs a test's per-request script."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote

from modelarts_async.testing import FakeReply, RecordedRequest

ImageScript = Callable[[str], Awaitable[FakeReply | None]]
BatchScript = Callable[[list[str]], Awaitable[FakeReply | None]]


def json_reply(status: int, body: Any, headers: Mapping[str, str] | None = None) -> FakeReply:
    """An answer with a JSON body, e.g. `json_reply(404, {"error_code": "ModelArts.0102", "error_msg": "gone"})`."""
    return FakeReply(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})


class Probe:
    """Counts arrivals, requests in flight and cancelled requests of the v1 image and batch calls.

    Install it with `fake.on_request = probe`; set `on_image(image_id)` / `on_batch(ids)` to an async function that
    returns a `FakeReply` (or None: the fake answers). Arrival times use the event loop's clock, which the client
    under test shares; over `fake.serve()` a request whose client hung up counts as cancelled.
    """

    def __init__(self) -> None:
        self.on_image: ImageScript | None = None
        self.on_batch: BatchScript | None = None
        self.arrivals: list[tuple[float, str]] = []
        self.batches: list[list[str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0

    async def __call__(self, request: RecordedRequest) -> FakeReply | None:
        script: Awaitable[FakeReply | None] | None
        if request.method == "POST":  # .../tags/show with {"image_id": [...]}
            ids: list[str] = json.loads(request.body)["image_id"]
            self.batches.append(ids)
            what = ",".join(ids)
            script = self.on_batch(ids) if self.on_batch else None
        else:  # .../images/{image_id}/tags
            what = unquote(request.path.rsplit("/", 2)[-2])
            script = self.on_image(what) if self.on_image else None
        self.arrivals.append((asyncio.get_running_loop().time(), what))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await script if script is not None else None
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
