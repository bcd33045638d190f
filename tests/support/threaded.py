"""Servers on an event loop of their own, in a daemon thread: for code under test that blocks its caller's thread.

A sync client's calls block the calling thread, so a server on the test's own loop would never answer them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from modelarts_async.testing import FakeModelArts

__all__ = ["LoopInThread", "serving", "serving_fake"]

T = TypeVar("T")


class LoopInThread:
    """An event loop in a daemon thread until `close()`; `run()` runs a coroutine there and waits for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="test server loop")
        self._thread.start()

    def run(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextlib.contextmanager
def serving(make: Callable[[], AbstractAsyncContextManager[T]]) -> Iterator[T]:
    """Enter the async context manager `make()` on a loop in another thread for the block; yields what it gives."""
    loop = LoopInThread()
    manager = make()
    try:
        value: T = loop.run(manager.__aenter__())  # type: ignore[assignment]
        try:
            yield value
        finally:
            loop.run(manager.__aexit__(None, None, None))
    finally:
        loop.close()


@contextlib.contextmanager
def serving_fake(fake: FakeModelArts) -> Iterator[str]:
    """`fake` over real HTTP on 127.0.0.1, answered from another thread; yields its URL."""

    @contextlib.asynccontextmanager
    async def served() -> AsyncIterator[str]:
        async with fake.serve() as url:
            yield url

    with serving(served) as url:
        yield url
