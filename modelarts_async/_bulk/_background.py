"""The lifecycle every streaming result shares: an async iterator that owns one background task.

`ResultStream` (bulk runs) and `Listing` (v2 pagers) both start a task on first use and must never leave it
behind: `async with` (or `aclose()`) cancels and awaits it, the end of iteration awaits its clean-up, and a
stream dropped without either is cancelled when it is garbage-collected.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

__all__ = ["BackgroundIterator"]


class BackgroundIterator:
    """Owns `_task` (set by the subclass on first `__anext__`); closing cancels and awaits it."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def _state(self) -> str:
        return "closed" if self._closed else "running" if self._task else "not started"

    def __aiter__(self) -> Self:
        return self

    async def _join(self) -> None:
        """The task ended by itself: wait for its last clean-up so that no task outlives the iteration."""
        self._closed = True
        assert self._task is not None
        await asyncio.wait({self._task})

    async def aclose(self) -> None:
        """Stop: cancel the requests in flight and wait until every task has ended."""
        self._closed = True
        task = self._task
        if task is not None and not task.done():
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
