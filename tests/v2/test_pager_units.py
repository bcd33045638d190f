"""The pager's parts on their own: the offset detection rule, the id set, the query string, and a property test of
exactly-once paging over an in-memory list under both readings of `offset`, any page size and window."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelarts_async._v2._calls import query_string
from modelarts_async._v2._listing import Listing
from modelarts_async._v2._offsets import detect_offset_mode, slides_by_records
from modelarts_async._v2._seen_ids import IdSet

# --- detect_offset_mode -----------------------------------------------------------------------------------------

FIRST = ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        (["b", "c", "d", "e"], "record"),  # records 1..4
        (["b", "c", "d"], "record"),  # records 1..3: the list has exactly one page
        (["e", "f", "g", "h"], "page"),  # records 4..7
        (["e", "f"], "page"),
        ([], "page"),  # page 1 of a list of exactly one page
        (["x", "b", "c", "d"], "both"),  # a record was replaced between the two requests
        (["c", "d", "e", "f"], "both"),  # a record was removed ahead of them
        (["d", "e", "f", "g"], "both"),  # overlaps page 0 by one record only
        (["b", "c"], "both"),  # too short for the record reading, yet not disjoint
    ],
)
def test_detect_offset_mode(probe: list[str], expected: str) -> None:
    assert detect_offset_mode(FIRST, probe, 4) == expected


@pytest.mark.parametrize(
    ("page", "grown", "slides"),
    [
        (["b", "c", "d", "e"], 0, True),  # offset counts records: three of four shared
        (["b", "c", "d", "e"], None, True),  # the same, without counts
        (["a", "b", "c", "d"], 1, True),  # offset ignored: the same page again
        (["e", "f", "g", "h"], 0, False),  # offset counts pages
        (["c", "d", "e", "f"], 2, False),  # two inserted ahead between the requests: half a page
        (["b", "c", "d", "e"], 3, False),  # three inserted ahead (the count grew by 3): still a page index
        (["b", "c", "d", "e"], -3, True),  # the list shrank: a page index cannot overlap
        ([], 0, False),
    ],
)
def test_slides_by_records(page: list[str], grown: int | None, slides: bool) -> None:
    assert slides_by_records(frozenset(["a", "b", "c", "d"]), page, limit=4, grown=grown) is slides


# --- IdSet ------------------------------------------------------------------------------------------------------


def test_id_set_remembers_exactly_what_it_saw() -> None:
    rng = random.Random(1)
    ids = [f"{rng.getrandbits(128):032x}" for _ in range(20_000)]
    seen = IdSet()
    assert all(seen.add(i) for i in ids)
    assert not any(seen.add(i) for i in ids)
    assert len(seen) == 20_000
    assert seen.nbytes <= 64 * 20_000  # 16 bytes a slot, at least a quarter full

    zero, upper, odd = "0" * 32, "0A1B2C3D4E5F60718293A4B5C6D7E8F9", "not-hex"
    for special in (zero, upper, upper.lower(), odd, ""):
        assert seen.add(special)
        assert not seen.add(special)
    assert len(seen) == 20_005


def test_id_set_keeps_sequential_ids_apart() -> None:
    seen = IdSet()
    ids = [f"{n:032x}" for n in range(5_000)]  # ids that differ only in their last bytes
    assert all(seen.add(i) for i in ids)
    assert not any(seen.add(i) for i in ids)


# --- query_string -----------------------------------------------------------------------------------------------


def test_query_string_is_sorted_encoded_and_skips_none() -> None:
    assert query_string({}) == ""
    assert query_string({"a": None}) == ""
    params: dict[str, str | int | bool | None] = {
        "limit": 100,
        "offset": 0,
        "label_name": "a b/c&d=é",
        "with": True,
        "no": False,
        "x": None,
    }
    assert query_string(params) == "?label_name=a%20b%2Fc%26d%3D%C3%A9&limit=100&no=false&offset=0&with=true"


# --- exactly once, as a property --------------------------------------------------------------------------------


class MemoryList:
    """An in-memory list endpoint reading `offset` as a page index or a record offset; counts requests."""

    def __init__(self, count: int, meaning: str) -> None:
        self.records = [f"{n:032x}" for n in range(count)]
        self.meaning = meaning
        self.requests: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def fetch(self, offset: int, limit: int) -> tuple[int | None, Sequence[str]]:
        self.requests.append(offset)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            start = offset * limit if self.meaning == "page" else offset
            return len(self.records), self.records[start : start + limit]
        finally:
            self.in_flight -= 1


def _listing(source: MemoryList, *, size: int, window: int, mode: str) -> Listing[str]:
    return Listing(
        source.fetch,
        lambda record: record,
        what="test records",
        stable_hint="",
        pages_in_flight=window,
        offset_mode=mode,  # type: ignore[arg-type]
        on_start=lambda: None,
        page_size=size,
    )


async def _list_all(source: MemoryList, **kwargs: Any) -> tuple[list[str], Listing[str]]:
    listing = _listing(source, **kwargs)
    async with listing:
        records = [record async for record in listing]
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("modelarts-pages") and not t.done()]
    return records, listing


@settings(max_examples=150, deadline=None)
@given(
    count=st.integers(0, 80),
    size=st.integers(1, 12),
    window=st.integers(1, 5),
    meaning=st.sampled_from(["page", "record"]),
    auto=st.booleans(),
)
def test_every_record_exactly_once_in_order(count: int, size: int, window: int, meaning: str, auto: bool) -> None:
    source = MemoryList(count, meaning)
    mode = "auto" if auto else meaning
    records, listing = asyncio.run(_list_all(source, size=size, window=window, mode=mode))

    assert records == source.records
    stats = listing.stats
    assert (stats.yielded, stats.expected, stats.duplicates, stats.changed) == (count, count, 0, False)
    assert source.most_in_flight <= window
    if count < size:
        assert source.requests == [0]
    else:
        pages = math.ceil(count / size) + (count % size == 0)
        probe = auto and meaning == "record" and size > 1
        assert len(source.requests) == pages + probe


async def test_an_error_on_the_probe_comes_after_page_0() -> None:
    source = MemoryList(30, "page")
    real = source.fetch

    async def fetch(offset: int, limit: int) -> tuple[int | None, Sequence[str]]:
        if offset == 1:
            raise LookupError("probe failed")
        return await real(offset, limit)

    listing = Listing(
        fetch,
        lambda r: r,
        what="x",
        stable_hint="",
        pages_in_flight=2,
        offset_mode="auto",
        on_start=lambda: None,
        page_size=10,
    )
    seen: list[str] = []

    async def drain() -> None:
        async for record in listing:
            seen.append(record)

    with pytest.raises(LookupError, match="probe failed"):
        await drain()
    assert seen == source.records[:10]
    assert "closed" in repr(listing)
