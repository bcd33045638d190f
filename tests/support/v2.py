"""Helpers of the v2 dataset tests: `PageLog`, a `FakeModelArts.on_request` hook that records and scripts requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from modelarts_async.testing import FakeReply, RecordedRequest

Script = Callable[[RecordedRequest], Awaitable[FakeReply | None]]

LIST_ENDS = ("/datasets", "/data-annotations/samples", "/data-annotations/labels")


def is_list(request: RecordedRequest) -> bool:
    """True for a request to one of the v2 list endpoints (samples, datasets, labels)."""
    return request.path.endswith(LIST_ENDS)


class PageLog:
    """Records every request the fake sees (the list requests' queries apart), counts those in flight and those
    cancelled, and runs `script(request)` first when set: it may wait, change the fake, or answer itself."""

    def __init__(self) -> None:
        self.script: Script | None = None
        self.requests: list[RecordedRequest] = []
        #: The query parameters of each list request, in arrival order.
        self.lists: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0

    @property
    def offsets(self) -> list[int]:
        """The `offset` of each list request, in arrival order (0 when absent)."""
        return [int(query.get("offset", "0")) for query in self.lists]

    async def __call__(self, request: RecordedRequest) -> FakeReply | None:
        self.requests.append(request)
        if is_list(request):
            self.lists.append(dict(parse_qsl(request.query)))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.script(request) if self.script is not None else None
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
