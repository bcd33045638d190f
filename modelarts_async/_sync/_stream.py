"""`SyncStream`: a stream or listing of the async client as a plain iterator, for `for` and `with`.

A task on the client's loop (`ReadAhead`) reads the async stream into a buffer of at most `READ_AHEAD` items, and the
caller's thread takes everything buffered in one call into the loop: a busy stream costs one thread hop per batch,
not per item (a hop per item waits for the GIL behind the loop thread: ~0.8 ms per sample under load). The async
stream's guarantees hold unchanged: ids are read lazily, memory stays bounded (the buffer and the last batch handed
over add 2 x `READ_AHEAD` items at most), every result comes exactly once, also when Ctrl-C interrupts the caller's
thread while a batch crosses to it (the batch is handed over again). Leaving a `for` loop over it or a `with` block
closes it, which cancels what it has in flight on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from .._exceptions import ClientStateError
from ._loop import LoopThread

__all__ = ["READ_AHEAD", "ReadAhead", "SyncStream"]

#: Items the loop reads ahead of the caller's thread at most.
READ_AHEAD = 256

T = TypeVar("T")
S = TypeVar("S")
T_co = TypeVar("T_co", covariant=True)
S_co = TypeVar("S_co", covariant=True)


class AsyncStream(Protocol[T_co, S_co]):
    """What the async client's streams and listings share: `__anext__`, `aclose()` and `stats`."""

    async def __anext__(self) -> T_co: ...

    async def aclose(self) -> None: ...

    @property
    def stats(self) -> S_co: ...


class ReadAhead(Generic[T]):
    """Reads an async stream on the loop into a bounded buffer; `take()` hands over what is there, in order."""

    def __init__(self, stream: AsyncStream[T, object]) -> None:
        self._stream = stream
        self._items: deque[T] = deque()
        #: Batches handed out by `take`, and the last one: a caller's thread interrupted (Ctrl-C) while its batch
        #: crossed never got it, and says so by the count it passes next.
        self._handed = 0
        self._last: list[T] = []
        self._error: Exception | None = None
        self._ended = False
        self._task: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()

    async def _read(self) -> None:
        try:
            while True:
                while len(self._items) >= READ_AHEAD:
                    self._room.clear()
                    await self._room.wait()
                self._items.append(await self._stream.__anext__())
                self._arrived.set()
        except StopAsyncIteration:
            pass
        except Exception as exc:  # the stream's own error, raised to the caller after the items before it
            self._error = exc
        finally:
            self._ended = True
            self._arrived.set()

    async def take(self, received: int) -> list[T]:
        """The items read so far (waiting for one if there is none); [] at the end; the stream's error after.

        `received` is how many batches the caller got: when the last one handed out is not among them (the
        caller's thread was interrupted as it crossed), it is handed out again, first, so that no item is lost.
        """
        if received < self._handed:
            self._items.extendleft(reversed(self._last))
            self._handed = received
        if self._task is None:
            self._task = asyncio.create_task(self._read(), name="modelarts-sync-read-ahead")
        while not self._items and not self._ended:
            self._arrived.clear()
            await self._arrived.wait()
        items = list(self._items)
        self._items.clear()
        self._room.set()
        if not items and self._error is not None:
            error, self._error = self._error, None
            raise error
        if items:
            self._handed += 1
            self._last = items
        return items

    async def aclose(self) -> None:
        """Stop reading ahead, then close the stream (cancelling what it has in flight)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})
        await self._stream.aclose()


class SyncStream(Generic[T, S]):
    """The iterator `SyncModelArtsClient`'s streams and listings return: one item per `next()`, in any thread.

    Use it in `with` or loop over it with `for`: leaving either (``break``, an exception, the end) closes it and
    cancels the requests it has in flight. `next(stream)` steps through it by hand; `close()` closes it. `stats`
    is the async stream's (`BulkStats` for `iter_*`, `ListingStats` for `list_*`).

    Example::

        with client.iter_samples(sample_ids, dataset_id="WxCREuCkBSAlQr9xrde") as results:
            for result in results:
                print(result.sample_id, result.sample.label_names if result.ok else result.error)
    """

    def __init__(self, loop: LoopThread, stream: AsyncStream[T, S]) -> None:
        self._loop = loop
        self._stream = stream
        self._reader: ReadAhead[T] = loop.run_sync(ReadAhead, stream)  # its events belong to the loop
        self._taken: deque[T] = deque()
        self._received = 0  # batches that reached this thread (see ReadAhead.take)
        self._closed = False

    def __repr__(self) -> str:
        return f"<SyncStream of {self._stream!r}>"

    @property
    def stats(self) -> S:
        """A snapshot of the stream's progress (read on the loop while it runs, so it is consistent)."""
        if self._closed:
            return self._stream.stats
        try:
            return self._loop.run_sync(lambda: self._stream.stats)
        except ClientStateError:  # the client was closed: nothing changes any more
            return self._stream.stats

    def __next__(self) -> T:
        if not self._taken:
            if self._closed:
                raise StopIteration
            batch = self._loop.run(self._reader.take, self._received)
            self._received += bool(batch)  # then kept: Ctrl-C before this line gets the batch again, not lost
            self._taken.extend(batch)
            if not self._taken:
                self.close()
                raise StopIteration
        return self._taken.popleft()

    def __iter__(self) -> Iterator[T]:
        # A generator, so that leaving the loop (break, an exception) closes it, and with it the stream.
        try:
            while True:
                try:
                    item = next(self)
                except StopIteration:
                    return
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Cancel the requests in flight and wait until they have ended. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._taken.clear()
        if self._loop.in_loop_thread:  # dropped on the loop itself: cannot wait for the loop from there
            self._loop.run_soon(self._reader.aclose)
            return
        # A closed client has cancelled the stream already, with everything else.
        with contextlib.suppress(ClientStateError):
            self._loop.run(self._reader.aclose)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # Dropped unclosed (a `next()` loop left early): stop its work on the loop, without waiting there.
        if not getattr(self, "_closed", True):
            self._closed = True
            self._loop.run_soon(self._reader.aclose)
