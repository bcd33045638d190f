"""The lifecycle every streaming result shares: an async iterator that owns one background task.

`ResultStream` (bulk runs) and `Listing` (v2 pagers) both start a task on first use and must never leave it
behind: `async with` (or `aclose()`) cancels and awaits it, the end of iteration awaits its clean-up, and a
stream dropped without either is cancelled when it is garbage-collected. The task belongs to the event loop it
was started in: going on in another loop raises `ClientStateError`, as a client used there does.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from .._exceptions import ClientStateError

__all__ = ["BackgroundIterator"]


class BackgroundIterator:
    """Owns `_task` (set by the subclass on first `__anext__`); closing cancels and awaits it."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _state(self) -> str:
        return "closed" if self._closed else "running" if self._task else "not started"

    def __aiter__(self) -> Self:
        return self

    def _start(self, task: asyncio.Task[None]) -> None:
        """Own `task`, started in the running loop, which this iterator then belongs to."""
        self._task = task
        self._loop = task.get_loop()

    def _check_loop(self) -> None:
        """Raise `ClientStateError` when called from another event loop than the one the task was started in (once
        closed, it only ends, in any loop)."""
        if self._loop is not None and not self._closed and self._loop is not asyncio.get_running_loop():
            raise ClientStateError(
                f"this {type(self).__name__} was started in another event loop, which owns its requests: "
                "iterate it to the end in that loop, or start a new one here"
            )

    async def _join(self) -> None:
        """The task ended by itself: wait for its last clean-up so that no task outlives the iteration."""
        self._closed = True
        assert self._task is not None
        await asyncio.wait({self._task})

    async def aclose(self) -> None:
        """Stop: cancel the requests in flight and wait until every task has ended."""
        self._closed = True
        task = self._task
        if task is None or task.done():
            return
        if task.get_loop() is not asyncio.get_running_loop():  # its loop is closed or elsewhere: not awaitable here
            with contextlib.suppress(RuntimeError):  # a closed loop: its tasks are gone with it
                task.get_loop().call_soon_threadsafe(task.cancel)  # a running loop may be in another thread
            return
        task.cancel()
        await asyncio.wait({task})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # `async for ...: break` without `async with` drops the iterator: stop its task rather than leak it.
        task = self._task
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                task.cancel()
