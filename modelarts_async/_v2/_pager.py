"""Pages a v2 list endpoint (samples, datasets, labels): every record at most once, several pages in flight, and an
end within a stated number of requests whatever the service answers.

    page 0 ──▶ its count plans P pages ──(auto: one probe learns what `offset` means, see `_offsets`)──▶ the pages
    of each reading, up to `pages_in_flight` requests on the wire ──▶ read in order, deduplicated ──▶ consumer

Each page says where the next one is: a full page that brought a new id means "more at the next offset". A reading
of the list (`offset = k`, or `offset = k·limit`) stops requesting at the first page that says otherwise, and the
listing ends when every reading has stopped (`Ending` names each way):

- a page shorter than `limit` (the end of the list under both meanings of `offset`);
- a full page that brought no new id: the service ignores `offset`, clamps it to the last page, or the list moved
  by a page or more between two requests; `stats.changed` is then True and the warning says so;
- under "both" readings, the page-index reading stops once its pages overlap like record offsets;
- the page bound: at most `2 * ceil(distinct records seen / limit) + EXTRA_PAGES` requests in all, whatever
  `sample_count`, `total_number` or the data's motion say. Past the last page that brought a new id, a reading
  requests at most the pages already in flight (`2 * pages_in_flight`) before it reads that it has ended.

The count page 0 states plans how many pages may be requested before the previous one is read (up to
`pages_in_flight` at once); past it, one page at a time, each after the previous proved full and new. Pages are read
(and deduplicated) in the order they were requested, as they arrive, so the ids a reading brought are known before
it goes on. Memory is bounded by the pages in flight: at most `pages_in_flight` requests are unanswered and at most
`2 * pages_in_flight` pages requested or waiting ahead of the consumer. The ids seen grow with the list (`IdSet`).
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from .._config import DEFAULT_PAGES_IN_FLIGHT
from .._exceptions import InvalidArgumentError
from .._log import logger
from ._offsets import OffsetMode, detect_offset_mode, slides_by_records
from ._seen_ids import IdSet

__all__ = [
    "DEFAULT_PAGES_IN_FLIGHT",
    "EXTRA_PAGES",
    "PAGE_SIZE",
    "TASK_NAME",
    "Ending",
    "FetchPage",
    "OffsetMode",
    "PageRun",
    "check_pages_in_flight",
]

T = TypeVar("T")

#: Records per page: the most `limit` allows.
PAGE_SIZE = 100
#: Requests a listing may make beyond two per `limit` distinct records seen: page 0, the offset probe, the empty page
#: after a full last one, and one to spare for pages in flight when the end shows.
EXTRA_PAGES = 4

#: `(offset, limit) -> (count the answer states or None, records)`; raises the page's error.
FetchPage = Callable[[int, int], Awaitable[tuple[int | None, Sequence[T]]]]

#: What a list request answered: the count it stated (or None) and its records.
_Answer = tuple[int | None, Sequence[T]]

#: The tasks of a listing are named so (the supervisor, and one per page request).
TASK_NAME = "modelarts-pages"


def check_pages_in_flight(value: object) -> int:
    """`value` if it is a positive int, else `InvalidArgumentError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"pages_in_flight must be a positive integer, got {value!r}")
    return value


class Ending(enum.Enum):
    """Why a reading of the list requests no more pages: every way a listing ends, in one place."""

    SHORT_PAGE = "a page shorter than the limit"
    NO_NEW_ID = "a full page brought no new id"
    SLIDES = "its pages overlapped like record offsets"
    PAGE_BOUND = f"it reached the bound of 2 requests per page of distinct records + {EXTRA_PAGES}"
    FAILED = "a page failed"


class _Reading:
    """One reading of the list: `offset = k` (a page index, step 1) or `offset = k·limit` (a record offset)."""

    def __init__(self, step: int, *, watch_slides: bool) -> None:
        self.step = step
        self.watch_slides = watch_slides
        self.next_k = 1  # page 0 is shared by both readings
        self.read_k = 0  # its pages below this have been read
        self.ending: Ending | None = None
        self.ended_at = 0  # the offset of the page that ended it
        self._last_ids: frozenset[str] = frozenset()
        self._last_count: int | None = None

    def read(self, k: int, ids: Sequence[str], count: int | None, *, full: bool, news: bool, both: bool) -> None:
        """Note what page `k` (whose answer stated `count`) said about where the next one is; the first ending
        counts."""
        self.read_k = k + 1
        if both and self.watch_slides and k > 0:
            grown = None if count is None or self._last_count is None else count - self._last_count
            slides = slides_by_records(self._last_ids, ids, limit=len(ids), grown=grown)
        else:
            slides = False
        if self.watch_slides:
            self._last_ids, self._last_count = frozenset(ids), count
        if self.ending is None:
            ending = Ending.SHORT_PAGE if not full else Ending.NO_NEW_ID if not news else None
            self.ending = Ending.SLIDES if ending is None and slides else ending
            self.ended_at = k * self.step


class PageRun(Generic[T]):
    """The state of one listing: the pages requested, read and not yet taken, and what the readings have learnt."""

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
        self.by_page = _Reading(1, watch_slides=True)
        self.by_record = _Reading(page_size, watch_slides=False)
        self.pages: dict[int, Sequence[T] | BaseException] = {}  # by slot: read, not yet taken
        self._arrived: dict[int, _Answer[T] | BaseException] = {}  # by slot: answered, waiting for earlier slots
        self._slots: dict[int, tuple[tuple[_Reading, ...], int]] = {}  # by slot: the readings it serves, its k
        self._seen = IdSet()
        self.created = 0  # slots (page requests) created so far
        self.read = 0  # slots read so far, in order
        self.taken = 0  # slots the consumer has taken
        self.unanswered = 0
        self.planned = 1
        self.producing = True
        self.fatal: BaseException | None = None
        self.failed = False
        self.duplicates = 0
        self.expected: int | None = None
        self.count_moved = False
        self.answered = 0
        self.in_flight = 0
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._wake = asyncio.Event()  # the producer's: a page was read or taken
        self._ready = asyncio.Event()  # the consumer's: a page was read, or the producer ended

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

    # -- the scheduler ---------------------------------------------------------------------------------------------

    async def _produce(self) -> None:
        first = await self._request((self.by_page, self.by_record), 0)
        if first is None or len(first) < self.page_size:
            return  # failed, or the whole list under both meanings of `offset`
        if self.expected is not None:
            self.planned = max(1, -(-self.expected // self.page_size))
        if self.mode is None:
            await self._probe([self._id_of(record) for record in first])
        readings = {"page": [self.by_page], "record": [self.by_record], "both": [self.by_page, self.by_record]}
        active = readings[self.mode or "page"]
        async with asyncio.TaskGroup() as group:
            while (reading := await self._next_reading(active)) is not None:
                k = reading.next_k
                reading.next_k += 1
                slot = self._new_slot((reading,), k)
                group.create_task(self._fetch_into(slot, k * reading.step), name=f"{TASK_NAME}-{k}")

    async def _probe(self, first_ids: list[str]) -> None:
        """Request `offset=1` and learn from it what `offset` means; it is page 1 unless offset counts records."""
        slot = self._new_slot((), 1)
        try:
            answer = await self._get(1)
        except Exception as exc:
            self._arrive(slot, exc)
            return
        probe = answer[1]
        self.mode = detect_offset_mode(first_ids, [self._id_of(record) for record in probe], self.page_size)
        logger.debug("offset read as %r (probe offset=1&limit=%d)", self.mode, self.page_size)
        if self.mode != "record":
            self._slots[slot] = ((self.by_page,), 1)
            self.by_page.next_k = 2
        self._arrive(slot, answer)

    async def _next_reading(self, active: list[_Reading]) -> _Reading | None:
        """The reading whose next page to request, once it may be; None when every reading has ended."""
        while True:
            for reading in active:
                self._note_ending(reading)
            live = [reading for reading in active if reading.ending is None]
            if not live:
                return None
            reading = min(live, key=lambda r: r.next_k)  # slot order: by k, the page reading first
            if self._may_request(reading):
                return reading
            self._wake.clear()
            await self._wake.wait()

    def _note_ending(self, reading: _Reading) -> None:
        """Mark `reading` ended when the listing failed or reached its page bound (it ends itself on a page)."""
        if reading.ending is None and self.failed:
            reading.ending = Ending.FAILED
        elif reading.ending is None and self.created >= self.page_bound() and self.read == self.created:
            reading.ending = Ending.PAGE_BOUND
            reading.ended_at = reading.next_k * reading.step

    def page_bound(self) -> int:
        """The most requests this listing may make, given the distinct records it has read so far."""
        return 2 * -(-len(self._seen) // self.page_size) + EXTRA_PAGES

    def _may_request(self, reading: _Reading) -> bool:
        """Whether the next page of `reading` may be requested now, or must wait for a page to be read or taken."""
        if reading.next_k >= self.planned and reading.read_k < reading.next_k:
            return False  # past what the count promised: only once the previous page proved full and new
        return (
            self.created < self.page_bound()
            and self.unanswered < self.window
            and self.created - self.taken < 2 * self.window
        )

    # -- requests and reading --------------------------------------------------------------------------------------

    def _new_slot(self, readings: tuple[_Reading, ...], k: int) -> int:
        slot = self.created
        self.created += 1
        self.unanswered += 1
        self._slots[slot] = (readings, k)
        return slot

    async def _request(self, readings: tuple[_Reading, ...], k: int) -> Sequence[T] | None:
        """Request page `k` of `readings` and wait for it; None when it failed (the consumer will raise that)."""
        slot = self._new_slot(readings, k)
        try:
            answer = await self._get(k)
        except Exception as exc:
            self._arrive(slot, exc)
            return None
        self._arrive(slot, answer)
        return answer[1]

    async def _fetch_into(self, slot: int, offset: int) -> None:
        try:
            answer = await self._get(offset)
        except Exception as exc:
            self._arrive(slot, exc)
        else:
            self._arrive(slot, answer)

    async def _get(self, offset: int) -> _Answer[T]:
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
        return count, records

    def _arrive(self, slot: int, answer: _Answer[T] | BaseException) -> None:
        """Keep an answered page, and read every page now next in slot order."""
        self.unanswered -= 1
        self._arrived[slot] = answer
        while self.read in self._arrived:
            self._read(self.read, self._arrived.pop(self.read))
            self.read += 1
        self._wake.set()
        self._ready.set()

    def _read(self, slot: int, answer: _Answer[T] | BaseException) -> None:
        """Drop the records seen before, hand the rest to the consumer, and tell each reading what the page said."""
        readings, k = self._slots.pop(slot)
        if isinstance(answer, BaseException):
            self.failed = True
            self.pages[slot] = answer
            return
        count, page = answer
        if not readings:  # the probe under a record offset: page 0 again, one record on
            self.pages[slot] = ()
            return
        ids = [self._id_of(record) for record in page]
        seen = self._seen
        fresh = [record for record, key in zip(page, ids, strict=True) if seen.add(key)]
        self.duplicates += len(page) - len(fresh)
        self.pages[slot] = fresh
        for reading in readings:
            reading.read(k, ids, count, full=len(page) >= self.page_size, news=bool(fresh), both=self.mode == "both")

    def unusual_endings(self) -> list[str]:
        """How readings ended that a stable list would not have ended them (for the warning)."""
        reasons = []
        for reading in (self.by_page, self.by_record):
            if reading.ending is Ending.PAGE_BOUND:
                reasons.append(f"the listing stopped at offset {reading.ended_at}: {reading.ending.value}")
            elif reading.ending is Ending.NO_NEW_ID and not (self.mode == "both" and reading is self.by_page):
                reasons.append(
                    f"the full page at offset {reading.ended_at} brought no new id, so the listing stopped there "
                    "(the service repeats pages it sent, e.g. it ignores or clamps offset)"
                )
        return reasons

    # -- consumer --------------------------------------------------------------------------------------------------

    def take(self) -> Sequence[T] | BaseException | None:
        """The next page in order, or None when it has not been read yet."""
        page = self.pages.pop(self.taken, None)
        if page is not None:
            self.taken += 1
            self._wake.set()
        return page

    async def wait(self) -> None:
        self._ready.clear()
        if self.taken in self.pages or not self.producing or self.fatal is not None:
            return
        await self._ready.wait()
