"""`SyncStream`: a stream or listing of the async client as a plain iterator, for `for` and `with`.

Each item is fetched by one call into the client's loop, so the async stream's guarantees hold unchanged: ids
are read lazily, memory stays bounded, every result comes exactly once. Leaving a `for` loop over it or a `with`
block closes it, which cancels what it has in flight on the loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from .._exceptions import ClientStateError
from ._loop import LoopThread

__all__ = ["SyncStream"]

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


class _End:
    """Marks the end of the stream: StopAsyncIteration cannot cross into another thread's iterator protocol."""


_END = _End()


async def _next_or_end(stream: AsyncStream[T, S]) -> T | _End:
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return _END


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
        if self._closed:
            raise StopIteration
        item: T | _End = self._loop.run(_next_or_end, self._stream)
        if isinstance(item, _End):
            self.close()
            raise StopIteration
        return item

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
        if self._loop.in_loop_thread:  # dropped on the loop itself: cannot wait for the loop from there
            self._loop.run_soon(self._stream.aclose)
            return
        # A closed client has cancelled the stream already, with everything else.
        with contextlib.suppress(ClientStateError):
            self._loop.run(self._stream.aclose)

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
            self._loop.run_soon(self._stream.aclose)
