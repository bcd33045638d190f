"""Pages a v2 list endpoint (samples, datasets, labels): every record exactly once, several pages in flight.

    page 0 ──▶ its count plans P pages ──(auto: one probe learns what `offset` means)──▶ pages 1…P-1, up to
    `pages_in_flight` requests on the wire ──▶ in order, deduplicated ──▶ consumer

What the documentation leaves open (API_V2.md), and how this copes:

- **`offset` may be a page index** (`offset=k&limit=L` → records `[k·L, k·L+L)`, as Huawei's SDK reference reads it)
  **or a record offset** (→ records `[k, k+L)`). `offset_mode="page"` or `"record"` says which; `"auto"` (the
  default) asks: after a full page 0, it requests `offset=1&limit=L` (the probe) and compares sample ids:
    * the probe's first L-1 ids are page 0's ids 2…L, in order → a record offset (the probe is dropped);
    * no id of the probe is on page 0 → a page index (the probe *is* page 1, and is used);
    * anything else means the data changed between the two requests (or the service reads `offset` some third
      way): the run falls back to **both readings at once** — offsets `0, 1, …, P-1` and `L, 2L, …, (P-1)·L` —
      which covers every record under either meaning for about twice the requests, and marks the run `changed`.
  Limits: only changes between page 0 and the probe can fool it, and only big ones ahead of page 0's records:
  exactly L-1 inserted (a page index read as "record"), or L-1 or more removed or L+1 or more inserted (a record
  offset read as "page"). The count then moves, which the run reports as `changed`. A page 0 shorter than
  `limit` is the whole list under both meanings: nothing is probed.
- **`sample_count` may not be the total.** Pages past the planned P are still requested, one at a time, as long
  as the previous one was full: the run ends at the first short page at or after P-1, never earlier.
- **The sort key and its stability are undocumented.** Records are deduplicated by id within a run; each page's
  count is compared with page 0's. A run that saw duplicates, a count that moved, or a total unlike the count
  says `stats.changed` and logs one warning at its end recommending a published version (a stable snapshot).

Memory is bounded by the pages in flight, not by the list: at most `pages_in_flight` requests are unanswered and at
most `2 * pages_in_flight` pages are requested or wait ahead of the page being read (answered pages that wait for
the reader do not hold up the next requests, so the network stays busy while the loop decodes). The ids seen are
the one thing that grows: 32 to 64 bytes per 32-hex id (`IdSet`).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Literal, TypeVar

from attrs import frozen

from .._bulk._background import BackgroundIterator
from .._exceptions import InvalidArgumentError
from .._log import logger

__all__ = [
    "DEFAULT_PAGES_IN_FLIGHT",
    "OFFSET_MODES",
    "PAGE_SIZE",
    "FetchPage",
    "IdSet",
    "Listing",
    "ListingStats",
    "OffsetMode",
    "check_offset_mode",
    "check_pages_in_flight",
    "detect_offset_mode",
]

T = TypeVar("T")

OffsetMode = Literal["auto", "page", "record"]
OFFSET_MODES: tuple[OffsetMode, ...] = ("auto", "page", "record")
#: Records per page: the most `limit` allows.
PAGE_SIZE = 100
#: Page requests on the wire at once. At 50 ms a page, 1 lists ~1,700 samples/s and 8 about 5.5x that on 2 cores
#: (4: ~3.7x; decoding 100 samples takes ~6 ms of CPU), a modest load on a service that publishes no rate limit.
DEFAULT_PAGES_IN_FLIGHT = 8

#: `(offset, limit) -> (count the answer states or None, records)`; raises the page's error.
FetchPage = Callable[[int, int], Awaitable[tuple[int | None, Sequence[T]]]]

#: The tasks of a listing are named so (the supervisor, and one per page request).
TASK_NAME = "modelarts-pages"


def check_pages_in_flight(value: object) -> int:
    """`value` if it is a positive int, else `InvalidArgumentError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"pages_in_flight must be a positive integer, got {value!r}")
    return value


def check_offset_mode(value: object) -> OffsetMode:
    """`value` if it is "auto", "page" or "record", else `InvalidArgumentError`."""
    for mode in OFFSET_MODES:
        if value == mode and isinstance(value, str):
            return mode
    raise InvalidArgumentError(f"offset_mode must be 'auto', 'page' or 'record', got {value!r}")


def detect_offset_mode(
    first_ids: Sequence[str], probe_ids: Sequence[str], limit: int
) -> Literal["page", "record", "both"]:
    """What `offset=1&limit=limit` answered after a full page 0: a page index, a record offset, or unknown ("both").

    "page" when the probe shares no id with page 0; "record" when it repeats page 0 from its second record on;
    "both" otherwise (the data changed between the two requests). With `limit=1` both readings are the same
    and the probe, disjoint, reads as "page", the one under which it is a page worth keeping.
    """
    if set(first_ids).isdisjoint(probe_ids):
        return "page"
    overlap = limit - 1
    if len(probe_ids) >= overlap and list(probe_ids[:overlap]) == list(first_ids[1 : overlap + 1]):
        return "record"
    return "both"


_HEX32 = re.compile(r"[0-9a-f]{32}").fullmatch
_SLOT = 16
_EMPTY_SLOT = bytes(_SLOT)


class IdSet:
    """The ids a run has seen, compactly: a 32-hex id (the service's sample ids) costs 32 to 64 bytes.

    Such ids live as their 16 raw bytes in one open-addressing table kept between a quarter and half full (for
    100,000 ids: 4 MiB); a Python `set` of the strings would spend ~130 bytes on each. Other ids (upper case, any
    other length) go to a plain set.
    """

    __slots__ = ("_count", "_mask", "_other", "_table", "_zero")

    def __init__(self) -> None:
        self._table = bytearray(_SLOT * 1024)
        self._mask = 1023
        self._count = 0
        self._zero = False  # the all-zero id, which would read as an empty slot
        self._other: set[str] = set()

    def __len__(self) -> int:
        return self._count + self._zero + len(self._other)

    @property
    def nbytes(self) -> int:
        """The bytes the table of 32-hex ids holds (the plain set of other ids is not counted)."""
        return len(self._table)

    def add(self, key: str) -> bool:
        """Remember `key`; True when it is new, False when it was seen before."""
        if len(key) != 32 or not _HEX32(key):
            if key in self._other:
                return False
            self._other.add(key)
            return True
        raw = bytes.fromhex(key)
        if raw == _EMPTY_SLOT:
            new = not self._zero
            self._zero = True
            return new
        table, mask = self._table, self._mask
        index = hash(raw) & mask
        while True:
            start = index * _SLOT
            stored = table[start : start + _SLOT]
            if stored == raw:
                return False
            if stored == _EMPTY_SLOT:
                break
            index = (index + 1) & mask
        table[start : start + _SLOT] = raw
        self._count += 1
        if self._count * 2 > mask:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._table
        self._mask = mask = self._mask * 2 + 1
        self._table = table = bytearray(_SLOT * (mask + 1))
        for start in range(0, len(old), _SLOT):
            raw = bytes(old[start : start + _SLOT])
            if raw == _EMPTY_SLOT:
                continue
            index = hash(raw) & mask
            while table[index * _SLOT : index * _SLOT + _SLOT] != _EMPTY_SLOT:
                index = (index + 1) & mask
            table[index * _SLOT : index * _SLOT + _SLOT] = raw


@frozen
class ListingStats:
    """A snapshot of a listing's progress, from `SampleListing.stats` / `DatasetListing.stats`.

    `changed` is the one to check after a run: True when the list changed while it was read (duplicates, a
    count that moved, a total unlike the count, or an offset probe that matched neither meaning), so records
    added or removed meanwhile may be missing. List a published version (`version_id=`) for a stable snapshot.
    """

    #: List requests answered so far (the offset probe included).
    pages: int
    #: Records handed to you, each id once.
    yielded: int
    #: Records dropped because their id had been yielded already.
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


class _Lane:
    """One sequence of pages: `offset = k` (page index) or `offset = k * limit` (record offset)."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.next_k = 1  # page 0 is shared by every lane
        self.lengths: dict[int, asyncio.Future[int]] = {}

    def length_of(self, k: int) -> asyncio.Future[int]:
        future = self.lengths.get(k)
        if future is None:
            future = self.lengths[k] = asyncio.get_running_loop().create_future()
        return future


class _PageRun(Generic[T]):
    """The state of one listing: the pages fetched and not yet read, and what the producer has learnt."""

    def __init__(
        self,
        fetch: FetchPage[T],
        id_of: Callable[[T], str],
        *,
        window: int,
        offset_mode: OffsetMode,
        page_size: int,
        on_start: Callable[[], None],
    ) -> None:
        self._fetch = fetch
        self._id_of = id_of
        self.window = window
        self.mode: str | None = None if offset_mode == "auto" else offset_mode
        self.page_size = page_size
        self._on_start = on_start
        self.pages: dict[int, Sequence[T] | BaseException] = {}  # by slot: fetched, not yet taken
        self.created = 0  # slots (page requests whose records are yielded) created so far
        self.unanswered = 0  # slots requested whose page (or error) has not arrived yet
        self.taken = 0  # slots the consumer has taken
        self.producing = True
        self.fatal: BaseException | None = None
        self.failed = False
        self.expected: int | None = None
        self.count_moved = False
        self.answered = 0
        self.in_flight = 0
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._room = asyncio.Event()
        self._ready = asyncio.Event()

    def start(self) -> asyncio.Task[None]:
        self._on_start()
        self.started_at = time.monotonic()
        return asyncio.create_task(self._supervise(), name=TASK_NAME)

    async def _supervise(self) -> None:
        try:
            await self._produce()
        except Exception as exc:  # a bug of ours: the consumer raises it rather than hang
            self.fatal = exc
        finally:
            self.producing = False
            self.ended_at = time.monotonic()
            self._ready.set()

    # -- producer ----------------------------------------------------------------------------------------------

    async def _get(self, offset: int) -> Sequence[T]:
        self.in_flight += 1
        try:
            count, records = await self._fetch(offset, self.page_size)
        finally:
            self.in_flight -= 1
        self.answered += 1
        if self.answered == 1:
            self.expected = count
        elif count is not None and self.expected is not None and count != self.expected:
            self.count_moved = True
        return records

    def _deliver(self, slot: int, page: Sequence[T] | BaseException) -> None:
        if isinstance(page, BaseException):
            self.failed = True
        self.pages[slot] = page
        self.unanswered -= 1
        self._room.set()
        self._ready.set()

    def _new_slot(self) -> int:
        slot = self.created
        self.created += 1
        self.unanswered += 1
        return slot

    async def _wait_for_room(self) -> None:
        """Until fewer than `window` pages are requested and unanswered, and fewer than `2 * window` are ahead of
        the reader: answered pages waiting to be read do not hold up requests, so the network stays busy while
        this loop decodes and the reader reads; memory stays bounded by the second limit."""
        while self.unanswered >= self.window or self.created - self.taken >= 2 * self.window:
            self._room.clear()
            await self._room.wait()

    async def _fetch_into(self, slot: int, offset: int, length: asyncio.Future[int]) -> None:
        try:
            page = await self._get(offset)
        except Exception as exc:
            self._deliver(slot, exc)
            length.set_result(-1)
        else:
            self._deliver(slot, page)
            length.set_result(len(page))

    async def _produce(self) -> None:
        size = self.page_size
        try:
            first = await self._get(0)
        except Exception as exc:
            self._deliver(self._new_slot(), exc)
            return
        self._deliver(self._new_slot(), first)
        if len(first) < size:
            return  # the whole list, whatever `offset` means
        planned = max(1, math.ceil(self.expected / size)) if self.expected is not None else 1
        page_lane, record_lane = _Lane(1), _Lane(size)
        for lane in (page_lane, record_lane):
            lane.length_of(0).set_result(len(first))
        if self.mode is None:
            await self._wait_for_room()
            try:
                probe = await self._get(1)
            except Exception as exc:
                self._deliver(self._new_slot(), exc)
                return
            id_of = self._id_of
            self.mode = detect_offset_mode([id_of(r) for r in first], [id_of(r) for r in probe], size)
            logger.debug("offset read as %r (probe offset=1&limit=%d)", self.mode, size)
            if self.mode != "record":  # the probe is page 1 of the page-index reading
                self._deliver(self._new_slot(), probe)
                page_lane.length_of(1).set_result(len(probe))
                page_lane.next_k = 2
        lanes = {"page": [page_lane], "record": [record_lane], "both": [page_lane, record_lane]}[self.mode]
        async with asyncio.TaskGroup() as group:
            while lanes and not self.failed:
                lane = min(lanes, key=lambda lane: lane.next_k)  # slot order: by k, then the page lane first
                k = lane.next_k
                if k >= planned and await lane.length_of(k - 1) < size:
                    lanes.remove(lane)  # the previous page was short: this reading has reached the end
                    continue
                await self._wait_for_room()
                if self.failed:
                    break
                lane.next_k += 1
                group.create_task(
                    self._fetch_into(self._new_slot(), k * lane.step, lane.length_of(k)), name=f"{TASK_NAME}-{k}"
                )

    # -- consumer ----------------------------------------------------------------------------------------------

    def take(self) -> Sequence[T] | BaseException | None:
        """The next page in order, or None when it has not arrived yet."""
        page = self.pages.pop(self.taken, None)
        if page is not None:
            self.taken += 1
            self._room.set()
        return page

    async def wait(self) -> None:
        self._ready.clear()
        if self.taken in self.pages or not self.producing or self.fatal is not None:
            return
        await self._ready.wait()


class Listing(BackgroundIterator, Generic[T]):
    """An async iterator over every record of a v2 list, each once, read a few pages ahead (see `_pager`).

    Use it in `async with` so that leaving the block early (``break``, an exception) cancels the pages in flight
    and waits for them; `await listing.aclose()` does the same. `stats` is readable at any time.
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
        self._run: _PageRun[T] = _PageRun(
            fetch,
            id_of,
            window=check_pages_in_flight(pages_in_flight),
            offset_mode=check_offset_mode(offset_mode),
            page_size=page_size,
            on_start=on_start,
        )
        self._id_of = id_of
        self._what = what
        self._stable_hint = stable_hint
        self._seen = IdSet()
        self._records: Sequence[T] = ()
        self._index = 0
        self._yielded = 0
        self._duplicates = 0
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
            duplicates=self._duplicates,
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
        if self._duplicates and run.mode != "both":
            reasons.append(f"{self._duplicates} records came twice")
        if run.mode == "both":
            reasons.append("the offset probe matched neither meaning of offset, so both were read")
        return reasons

    async def __anext__(self) -> T:
        records, index, id_of, seen = self._records, self._index, self._id_of, self._seen
        while True:
            while index < len(records):
                record = records[index]
                index += 1
                if seen.add(id_of(record)):
                    self._index = index
                    self._yielded += 1
                    return record
                self._duplicates += 1
            self._records, self._index = (), 0
            records, index = await self._next_page(), 0
            self._records = records

    async def _next_page(self) -> Sequence[T]:
        if self._closed:
            raise StopAsyncIteration
        run = self._run
        if self._task is None:
            self._task = run.start()
        while True:
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
                if run.taken < run.created:  # never: a finished producer has delivered every page it asked for
                    raise RuntimeError(f"listing {self._what}: page {run.taken} was requested but never delivered")
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
