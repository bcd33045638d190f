"""The async iterator a v2 list call returns (`SampleListing`, `DatasetListing`, the labels' pages): records in the
service's order, each once, from the page scheduler (`_pager.PageRun`) running in one background task; its `stats`;
and the one warning at the end when the list changed while it was read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from attrs import frozen

from .._bulk._background import BackgroundIterator
from .._log import logger
from ._offsets import OffsetMode, check_offset_mode
from ._pager import PAGE_SIZE, FetchPage, PageRun, check_pages_in_flight

__all__ = ["Listing", "ListingStats"]

T = TypeVar("T")


@frozen
class ListingStats:
    """A snapshot of a listing's progress, from `SampleListing.stats` / `DatasetListing.stats`.

    `changed` is the one to check after a run: True when the list changed while it was read (duplicates, a
    count that moved, a total unlike the count, a full page with nothing new, or an offset probe that matched
    neither meaning), so records added or removed meanwhile may be missing. List a published version
    (`version_id=`) for a stable snapshot.
    """

    #: List requests answered so far (the offset probe included).
    pages: int
    #: Records handed to you, each id once.
    yielded: int
    #: Records dropped because their id had been read already.
    duplicates: int
    #: The count page 0 stated (`sample_count`, `total_number`); None before it arrives or when it is absent.
    expected: int | None
    changed: bool
    #: How `offset` was read: "page", "record", "both" (the fallback), or None while unknown.
    offset_mode: str | None
    #: List requests on the wire right now.
    in_flight: int
    #: Seconds since the listing started.
    elapsed: float

    @property
    def rate(self) -> float:
        """Records yielded per second since the listing started (0.0 before any)."""
        return self.yielded / self.elapsed if self.elapsed > 0 else 0.0


class Listing(BackgroundIterator, Generic[T]):
    """An async iterator over every record of a v2 list, each once, read a few pages ahead (see `_pager`).

    Use it in `async with` so that leaving the block early (``break``, an exception) cancels the pages in flight
    and waits for them; `await listing.aclose()` does the same, and ends an `async for` waiting in another task.
    `stats` is readable at any time.
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        id_of: Callable[[T], str],
        *,
        what: str,
        stable_hint: str,
        pages_in_flight: int,
        offset_mode: OffsetMode,
        on_start: Callable[[], None],
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__()
        self._run: PageRun[T] = PageRun(
            fetch,
            id_of,
            window=check_pages_in_flight(pages_in_flight),
            offset_mode=check_offset_mode(offset_mode),
            page_size=page_size,
            on_start=on_start,
        )
        self._what = what
        self._stable_hint = stable_hint
        self._records: Sequence[T] = ()
        self._index = 0
        self._yielded = 0
        self._complete = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._what} {self._state()} {self.stats}>"

    @property
    def stats(self) -> ListingStats:
        """A snapshot: pages fetched, records yielded, duplicates dropped, the count expected, `changed`."""
        run = self._run
        if run.started_at is None:
            elapsed = 0.0
        else:
            elapsed = (run.ended_at if run.ended_at is not None else time.monotonic()) - run.started_at
        return ListingStats(
            pages=run.answered,
            yielded=self._yielded,
            duplicates=run.duplicates,
            expected=run.expected,
            changed=bool(self._reasons()),
            offset_mode=run.mode,
            in_flight=run.in_flight,
            elapsed=elapsed,
        )

    def _reasons(self) -> list[str]:
        """Why this run's records may not be the list as one instant saw it (empty: no sign of a change)."""
        run = self._run
        reasons = []
        if self._complete and run.expected is not None and self._yielded != run.expected:
            reasons.append(f"{self._yielded} records where the service counted {run.expected}")
        if run.count_moved:
            reasons.append("the count changed between pages")
        if run.duplicates and run.mode != "both":
            reasons.append(f"{run.duplicates} records came twice")
        if run.mode == "both":
            reasons.append("the offset probe matched neither meaning of offset, so both were read")
        reasons.extend(run.unusual_endings())
        return reasons

    async def __anext__(self) -> T:
        self._check_loop()
        while self._index >= len(self._records):
            self._records, self._index = (), 0
            self._records = await self._next_page()
        record = self._records[self._index]
        self._index += 1
        self._yielded += 1
        return record

    async def _next_page(self) -> Sequence[T]:
        run = self._run
        if self._task is None and not self._closed:
            self._start(run.start())
        while True:
            if self._closed:  # closed here or by another task (`aclose()`) while this one waited
                raise StopAsyncIteration
            page = run.take()
            if isinstance(page, BaseException):
                await self.aclose()
                raise page
            if page is not None:
                return page
            if run.fatal is not None:
                await self.aclose()
                raise run.fatal
            if not run.producing:
                await self._join()
                self._complete = True
                self._warn_if_changed()
                raise StopAsyncIteration
            await run.wait()

    def _warn_if_changed(self) -> None:
        reasons = self._reasons()
        if reasons:
            logger.warning(
                "listing %s: %s; the list changed while it was read, so records added or removed meanwhile may be "
                "missing (%d yielded, each once). %s",
                self._what,
                "; ".join(reasons),
                self._yielded,
                self._stable_hint,
            )

    async def aclose(self) -> None:
        """Stop the listing: cancel the page requests in flight and wait until every task of it has ended."""
        self._records = ()
        await super().aclose()
