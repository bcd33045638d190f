"""A listing ends within its page bound whatever the service answers, as a property: hypothesis drives an
`httpx.MockTransport` service that repeats pages, clamps offsets past the end, lies in its count and moves records
between pages, and the listing must end within `2 * ceil(distinct records / limit) + EXTRA_PAGES` requests, yield
each id at most once, yield every id of a stable snapshot exactly once, and say `changed` when it missed one
that was there throughout."""

from __future__ import annotations

import asyncio
import math
import random

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from modelarts_async import ListingStats, ModelArtsClient
from modelarts_async._v2._listing import Listing
from modelarts_async._v2._pager import EXTRA_PAGES, PAGE_SIZE

PROJECT = "p1"
DATASET = "WxCREuCkBSAlQr9xrde"
#: Requests after which the service refuses to answer: a listing past it would never have ended (fails the test).
RUNAWAY = 400

ACTS = ("repeat", "clamp", "insert", "remove")


class Adversary:
    """A sample list endpoint reading `offset` as `meaning`, that answers each request as `rng` (from hypothesis)
    picks: the page it should send, an earlier answer again, the last full page for an offset past the end, or the
    page after inserting or removing records; its count is the truth or a lie. (A `random.Random` seeded by
    hypothesis: a hypothesis draw inside the transport could end the example from within the client.)"""

    def __init__(
        self, rng: random.Random, size: int, meaning: str, acts: frozenset[str], lies: bool, *, moves: int = 150
    ) -> None:
        self.rng = rng
        self.moves = moves
        self.records = [f"{n:032x}" for n in range(size)]
        self.meaning = meaning
        self.acts = ("honest", *sorted(acts))
        self.lies = lies
        self.answers: list[list[str]] = []
        self.requests = 0
        self.moved = False
        self.next_id = size

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The answer as the service's JSON, over `httpx.MockTransport`."""
        if self.requests >= RUNAWAY:
            return httpx.Response(400, json={"error_code": "ModelArts.4001", "error_msg": "runaway listing"})
        count, ids = self.answer(int(request.url.params["offset"]), int(request.url.params["limit"]))
        return httpx.Response(200, json={"sample_count": count, "samples": [{"sample_id": i} for i in ids]})

    async def fetch(self, offset: int, limit: int) -> tuple[int | None, list[str]]:
        """The answer as a `FetchPage` of `Listing`, for any page size (the client's is 100)."""
        if self.requests >= RUNAWAY:
            raise LookupError("runaway listing")
        await asyncio.sleep(0)  # let the pages in flight interleave
        return self.answer(offset, limit)

    def answer(self, offset: int, limit: int) -> tuple[int, list[str]]:
        self.requests += 1
        ids = self._page(self.rng.choice(self.acts), offset, limit)
        self.answers.append(ids)
        count = len(self.records)
        if self.lies and self.rng.random() < 0.5:
            count = self.rng.choice([0, 1, len(self.records) * 3, 2**53 - 1, self.rng.randrange(2**53)])
        return count, ids

    def _page(self, act: str, offset: int, limit: int) -> list[str]:
        start = offset * limit if self.meaning == "page" else offset
        if act == "repeat" and self.answers:
            return self.rng.choice(self.answers)
        if act == "clamp" and start >= len(self.records) >= limit:
            return self.records[-limit:]
        if act == "insert":
            at, added = self.rng.randint(0, len(self.records)), self.rng.randint(1, self.moves)
            self.records[at:at] = [f"{n:032x}" for n in range(self.next_id, self.next_id + added)]
            self.next_id += added
            self.moved = True
        if act == "remove" and self.records:
            at, removed = self.rng.randrange(len(self.records)), self.rng.randint(1, self.moves)
            del self.records[at : at + removed]
            self.moved = True
        return self.records[start : start + limit]


async def list_all(service: Adversary, offset_mode: str, pages_in_flight: int) -> tuple[list[str], ListingStats]:
    transport = httpx.MockTransport(service.handle)
    async with ModelArtsClient("https://modelarts.test", project_id=PROJECT, transport=transport) as client:
        listing = client.list_samples(
            dataset_id=DATASET,
            offset_mode=offset_mode,  # type: ignore[arg-type]
            pages_in_flight=pages_in_flight,
        )
        async with listing:
            ids = [sample.sample_id async for sample in listing]
    return ids, listing.stats


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(0, 450),
    meaning=st.sampled_from(["page", "record"]),
    offset_mode=st.sampled_from(["auto", "page", "record"]),
    pages_in_flight=st.integers(1, 8),
    acts=st.frozensets(st.sampled_from(ACTS)),
    lies=st.booleans(),
)
def test_a_listing_ends_within_its_bound_whatever_the_service_answers(
    seed: int,
    size: int,
    meaning: str,
    offset_mode: str,
    pages_in_flight: int,
    acts: frozenset[str],
    lies: bool,
) -> None:
    service = Adversary(random.Random(seed), size, meaning, acts, lies)
    snapshot = list(service.records)

    ids, stats = asyncio.run(list_all(service, offset_mode, pages_in_flight))

    check(service, snapshot, ids, stats, offset_mode=offset_mode, page_size=PAGE_SIZE)


def check(
    service: Adversary, snapshot: list[str], ids: list[str], stats: ListingStats, *, offset_mode: str, page_size: int
) -> None:
    """The promises of a listing, whatever the service did."""
    assert len(ids) == len(set(ids)), "an id came twice"
    assert service.requests <= 2 * math.ceil(len(ids) / page_size) + EXTRA_PAGES
    assert stats.pages == service.requests
    meaning, acts, lies = service.meaning, set(service.acts), service.lies
    understood = offset_mode in ("auto", meaning)
    if understood and not acts & {"repeat", "insert", "remove"}:
        assert sorted(ids) == snapshot, "a stable snapshot was not listed exactly once"
    there_throughout = set(snapshot) & set(service.records)
    if understood and not lies and not there_throughout <= set(ids):
        assert stats.changed, "records were lost and the listing did not say so"


async def list_directly(
    service: Adversary, offset_mode: str, pages_in_flight: int, page_size: int
) -> tuple[list[str], ListingStats]:
    listing = Listing(
        service.fetch,
        lambda record: record,
        what="adversarial records",
        stable_hint="",
        pages_in_flight=pages_in_flight,
        offset_mode=offset_mode,  # type: ignore[arg-type]
        on_start=lambda: None,
        page_size=page_size,
    )
    async with listing:
        ids = [record async for record in listing]
    return ids, listing.stats


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(0, 40),
    page_size=st.integers(1, 6),
    meaning=st.sampled_from(["page", "record"]),
    offset_mode=st.sampled_from(["auto", "page", "record"]),
    pages_in_flight=st.integers(1, 5),
    acts=st.frozensets(st.sampled_from(ACTS)),
    lies=st.booleans(),
)
def test_the_bound_holds_for_any_page_size(
    seed: int,
    size: int,
    page_size: int,
    meaning: str,
    offset_mode: str,
    pages_in_flight: int,
    acts: frozenset[str],
    lies: bool,
) -> None:
    service = Adversary(random.Random(seed), size, meaning, acts, lies, moves=page_size * 2)
    snapshot = list(service.records)

    ids, stats = asyncio.run(list_directly(service, offset_mode, pages_in_flight, page_size))

    check(service, snapshot, ids, stats, offset_mode=offset_mode, page_size=page_size)
