"""list_samples: every sample exactly once under both readings of `offset`, faults, changes, early exits, and in
bounded memory; filters reach the service; errors name what went wrong."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import tracemalloc
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

import pytest
from support.bulk import wait_until
from support.v2 import PageLog

from modelarts_async import (
    InvalidArgumentError,
    ListingStats,
    ModelArtsClient,
    NotFoundError,
    ResponseValidationError,
    RetryPolicy,
    Sample,
    SampleListing,
    ServerError,
)
from modelarts_async.testing import (
    FAKE_PROJECT_ID,
    FakeModelArts,
    FakeReply,
    Faults,
    RecordedRequest,
    box_label,
    classification_label,
)

DATASET = "WxCREuCkBSAlQr9xrde"
SAMPLES_PATH = f"/v2/{FAKE_PROJECT_ID}/datasets/{DATASET}/data-annotations/samples"
SIZES = [0, 1, 99, 100, 101, 250, 1000]
EPOCH = 1_700_000_000_000


async def no_sleep(seconds: float) -> None:
    pass


def pages_tasks() -> list[asyncio.Task[Any]]:
    """The tasks of a listing (its supervisor and page requests) that are still alive."""
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("modelarts-pages") and not t.done()]


def expected_requests(count: int, fake_mode: str, offset_mode: str) -> int:
    """What a listing should cost: the pages the count needs, one more when the last is full (the service's count
    is not trusted to end the list), and the offset probe when it is not a page the run uses."""
    if count < 100:
        return 1
    pages = math.ceil(count / 100) + (count % 100 == 0)
    return pages + (offset_mode == "auto" and fake_mode == "record")


def service_order(fake: FakeModelArts, dataset_id: str, **query: str) -> list[str]:
    """The dataset's sample ids in the order the fake lists them (read with a record offset, whatever its mode)."""
    mode, fake.offset_mode = fake.offset_mode, "record"
    try:
        ids: list[str] = []
        while True:
            params = "&".join(f"{k}={v}" for k, v in {**query, "offset": len(ids), "limit": 100}.items())
            reply = fake.handle(
                "GET", f"/v2/{FAKE_PROJECT_ID}/datasets/{dataset_id}/data-annotations/samples?{params}", {}, b""
            )
            page = [sample["sample_id"] for sample in json.loads(reply.body)["samples"]]
            ids += page
            if len(page) < 100:
                return ids
    finally:
        fake.offset_mode = mode


async def listed(listing: SampleListing) -> list[str]:
    async with listing:
        return [sample.sample_id async for sample in listing]


async def drain(listing: SampleListing, into: list[Sample]) -> None:
    async with listing:
        async for sample in listing:
            into.append(sample)


def query_of(request: RecordedRequest) -> dict[str, str]:
    return dict(parse_qsl(request.query))


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "modelarts_async" and r.levelno == logging.WARNING]


# --- exactly once -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", SIZES)
@pytest.mark.parametrize("fake_mode", ["page", "record"])
@pytest.mark.parametrize("offset_mode", ["auto", "explicit"])
async def test_every_sample_exactly_once_in_the_service_order(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog, count: int, fake_mode: str, offset_mode: str
) -> None:
    fake.offset_mode = fake_mode  # type: ignore[assignment]
    dataset = fake.add_generated_dataset(DATASET, count, seed=count)
    mode = fake_mode if offset_mode == "explicit" else "auto"
    listing = client.list_samples(dataset_id=DATASET, offset_mode=mode)  # type: ignore[arg-type]

    ids = await listed(listing)

    assert Counter(ids) == Counter(dataset.sample_ids)
    assert ids == service_order(fake, DATASET)
    stats = listing.stats
    assert (stats.yielded, stats.expected, stats.duplicates, stats.changed) == (count, count, 0, False)
    assert stats.offset_mode == (None if mode == "auto" and count < 100 else fake_mode)
    assert stats.pages == len(page_log.lists) == expected_requests(count, fake_mode, mode)
    assert all(query["limit"] == "100" for query in page_log.lists)
    assert not pages_tasks()


@pytest.mark.parametrize("fake_mode", ["page", "record"])
async def test_exactly_once_under_injected_faults(fake: FakeModelArts, fake_mode: str) -> None:
    fake.offset_mode = fake_mode  # type: ignore[assignment]
    dataset = fake.add_generated_dataset(DATASET, 1000, seed=3)
    fake.faults = Faults(p_503=0.25, p_drop=0.15, seed=11)
    retry = RetryPolicy(sleep=no_sleep, max_attempts=12)
    async with fake.serve() as url, ModelArtsClient(url, project_id=FAKE_PROJECT_ID, retry=retry) as client:
        listing = client.list_samples(dataset_id=DATASET, pages_in_flight=4)
        ids = await listed(listing)
    assert Counter(ids) == Counter(dataset.sample_ids)
    assert listing.stats.offset_mode == fake_mode
    assert not listing.stats.changed
    assert fake.request_count > listing.stats.pages  # faults were injected, and retried


@pytest.mark.parametrize("pages_in_flight", [1, 3, 8])
async def test_pages_in_flight_never_changes_what_is_listed(
    client: ModelArtsClient, fake: FakeModelArts, pages_in_flight: int
) -> None:
    dataset = fake.add_generated_dataset(DATASET, 777, seed=1)
    ids = await listed(client.list_samples(dataset_id=DATASET, pages_in_flight=pages_in_flight))
    assert ids == service_order(fake, DATASET)
    assert len(ids) == len(dataset.sample_ids)


# --- a dataset that changes while it is listed ------------------------------------------------------------------


def change_on(fake: FakeModelArts, list_request_number: int, *, new: int, removed: int) -> PageLog:
    """A hook that, when the `list_request_number`-th list request arrives, adds `new` samples (the newest, so the
    first in the default order) and removes `removed` of the oldest, before the fake answers it."""
    log = fake.on_request
    assert isinstance(log, PageLog)

    async def change(request: RecordedRequest) -> None:
        if len(log.lists) == list_request_number and request.path == SAMPLES_PATH:
            dataset = fake.datasets[DATASET]
            for n in range(new):
                dataset.add_sample(f"new-{n:03d}", [classification_label("late")], sample_time=EPOCH * 2 + n)
            for sample_id in service_order(fake, DATASET)[-removed:] if removed else []:
                dataset.remove_sample(sample_id)

    log.script = change
    return log


async def test_a_change_while_listing_is_reported_once_and_recommends_a_version(
    client: ModelArtsClient, fake: FakeModelArts, caplog: pytest.LogCaptureFixture
) -> None:
    before = fake.add_generated_dataset(DATASET, 1000, seed=5).sample_ids
    change_on(fake, 2, new=5, removed=3)  # after page 0 was answered
    listing = client.list_samples(dataset_id=DATASET, offset_mode="page")

    ids = await listed(listing)

    assert len(ids) == len(set(ids))  # nothing twice, even though pages shifted under the listing
    still_there = set(before) & set(fake.datasets[DATASET].sample_ids)
    assert still_there <= set(ids)  # nothing that was there throughout is lost
    stats = listing.stats
    assert stats.changed
    assert stats.expected == 1000
    assert stats.duplicates == 5
    assert stats.yielded == len(ids) == 997
    [warning] = warnings_of(caplog)
    assert f"samples of dataset {DATASET!r}" in warning
    assert "version_id=" in warning


# The record case spends ~25 s in the fallback: slow, so that it starts first under xdist.
@pytest.mark.parametrize("fake_mode", ["page", pytest.param("record", marks=pytest.mark.slow)])
async def test_a_change_during_the_offset_probe_falls_back_to_both_readings(
    client: ModelArtsClient, fake: FakeModelArts, caplog: pytest.LogCaptureFixture, fake_mode: str
) -> None:
    fake.offset_mode = fake_mode  # type: ignore[assignment]
    before = fake.add_generated_dataset(DATASET, 1000, seed=6).sample_ids
    change_on(fake, 2, new=30, removed=0)  # the probe sees a list shifted by 30
    listing = client.list_samples(dataset_id=DATASET)

    ids = await listed(listing)

    assert listing.stats.offset_mode == "both"
    assert Counter(ids) - Counter(set(ids)) == Counter()  # each once
    assert set(before) <= set(ids)  # every sample that was there from the start
    assert listing.stats.changed
    [warning] = warnings_of(caplog)
    assert "neither meaning of offset" in warning


async def test_a_published_version_stays_stable_while_the_dataset_changes(
    client: ModelArtsClient, fake: FakeModelArts, caplog: pytest.LogCaptureFixture
) -> None:
    dataset = fake.add_generated_dataset(DATASET, 1000, seed=7)
    dataset.publish_version("v1")
    snapshot = service_order(fake, DATASET, version_id="v1")
    change_on(fake, 2, new=40, removed=25)
    listing = client.list_samples(dataset_id=DATASET, version_id="v1")

    ids = await listed(listing)

    assert ids == snapshot
    assert not listing.stats.changed
    assert not warnings_of(caplog)
    assert all(query["version_id"] == "v1" for query in fake.on_request.lists)  # type: ignore[union-attr]


# --- early exits leave nothing behind ---------------------------------------------------------------------------


async def hold_later_pages(log: PageLog, release: asyncio.Event) -> None:
    async def hold(request: RecordedRequest) -> None:
        if len(log.lists) > 2:  # page 0 and the probe (page 1) answer; every later page hangs
            await release.wait()

    log.script = hold


async def test_break_inside_async_with_cancels_the_pages_in_flight(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    fake.add_generated_dataset(DATASET, 2000)
    await hold_later_pages(page_log, asyncio.Event())
    async with client.list_samples(dataset_id=DATASET, pages_in_flight=4) as samples:
        async for _ in samples:
            assert await wait_until(lambda: page_log.in_flight == 4)  # pages 2 to 5 are held
            break
    assert not pages_tasks()  # deterministic: leaving the block awaited the clean-up
    assert await wait_until(lambda: page_log.in_flight == 0)
    assert page_log.cancelled == 4
    with pytest.raises(StopAsyncIteration):
        await anext(samples)


async def test_break_without_async_with_still_cancels(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    fake.add_generated_dataset(DATASET, 2000)
    await hold_later_pages(page_log, asyncio.Event())
    async for _ in client.list_samples(dataset_id=DATASET):
        break
    assert await wait_until(lambda: not pages_tasks())
    assert await wait_until(lambda: page_log.in_flight == 0)


async def test_cancelling_the_consumer_cancels_the_listing(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    fake.add_generated_dataset(DATASET, 2000)
    await hold_later_pages(page_log, asyncio.Event())

    async def consume() -> None:
        async with client.list_samples(dataset_id=DATASET) as samples:
            async for _ in samples:
                pass

    consumer = asyncio.create_task(consume())
    assert await wait_until(lambda: page_log.in_flight > 0)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert not pages_tasks()


# --- bounded memory ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pages_in_flight", [1, 3])
async def test_pages_are_requested_at_most_twice_pages_in_flight_ahead_of_the_reader(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog, pages_in_flight: int
) -> None:
    fake.add_generated_dataset(DATASET, 2000)
    checked = 0
    async with client.list_samples(dataset_id=DATASET, pages_in_flight=pages_in_flight) as samples:
        position = 0
        async for _ in samples:
            page = position // 100  # the page being read
            position += 1
            ahead = page + 1 + 2 * pages_in_flight  # the page being read, and two windows ahead of it
            assert len(page_log.lists) <= ahead
            if position % 100 == 1 and 0 < page < 10:
                # The run reaches its window, and stays there while the reader does not move on.
                assert await wait_until(lambda ahead=ahead: len(page_log.lists) == ahead)  # type: ignore[misc]
                await asyncio.sleep(0.02)
                assert len(page_log.lists) == ahead
                checked += 1
    assert checked == 9
    assert page_log.max_in_flight <= pages_in_flight
    assert samples.stats.yielded == 2000


async def _peak(count: int) -> int:
    fake = FakeModelArts(record=False)
    fake.add_generated_dataset(DATASET, count, seed=count)
    fake.add_generated_dataset("warm-up", 1)
    async with fake.client() as client:
        assert len(await listed(client.list_samples(dataset_id="warm-up"))) == 1  # imports and first-use caches
        tracemalloc.start()
        try:
            seen = 0
            async with client.list_samples(dataset_id=DATASET) as samples:
                async for _ in samples:
                    seen += 1
            assert seen == count
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


@pytest.mark.slow  # lists a large dataset twice under tracemalloc
async def test_memory_peak_grows_with_the_pages_in_flight_not_with_the_dataset() -> None:
    small, large = await _peak(1_000), await _peak(10_000)
    # Holding 9,000 more samples would cost ~30 MB more. The ids seen cost 32-64 bytes each (96 while the table
    # grows): under 1 MB for 10,000; the rest is the pages in flight, the same for both.
    assert large - small < 2_000_000, (small, large)


# --- filters, arguments, errors ---------------------------------------------------------------------------------


@pytest.fixture
def labelled(fake: FakeModelArts) -> None:
    dataset = fake.add_dataset(DATASET, dataset_type=1)
    for n in range(30):
        labels = [box_label("car", (0, 0, 5, 5))] if n % 3 == 0 else []
        labels += [classification_label("a b&c=d/é+")] if n % 5 == 0 else []
        dataset.add_sample(f"s{n:02d}", labels, sample_type=2 if n % 2 else 0, sample_time=EPOCH + n)


@pytest.mark.usefixtures("labelled")
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"label_name": "car"}, [f"s{n:02d}" for n in range(27, -1, -3)]),
        ({"label_name": "a b&c=d/é+"}, ["s25", "s20", "s15", "s10", "s05", "s00"]),
        ({"label_name": "car", "label_type": 0}, []),
        ({"label_type": 1}, [f"s{n:02d}" for n in range(27, -1, -3)]),
        ({"sample_state": "__NONE__"}, [f"s{n:02d}" for n in range(29, -1, -1) if n % 3 and n % 5]),
        ({"sample_type": 2, "order": "asc"}, [f"s{n:02d}" for n in range(1, 30, 2)]),
        ({"order": "desc"}, [f"s{n:02d}" for n in range(29, -1, -1)]),
    ],
)
async def test_filters_reach_the_service(
    client: ModelArtsClient, page_log: PageLog, filters: dict[str, Any], expected: list[str]
) -> None:
    assert await listed(client.list_samples(dataset_id=DATASET, **filters)) == expected
    [query] = page_log.lists
    assert query == {**{k: str(v) for k, v in filters.items()}, "offset": "0", "limit": "100"}


@pytest.mark.usefixtures("labelled")
async def test_the_query_is_encoded_whole_and_sorted(client: ModelArtsClient, page_log: PageLog) -> None:
    await listed(client.list_samples(dataset_id=DATASET, order="asc", label_name="a b&c=d/é+"))
    assert page_log.requests[0].query == "label_name=a%20b%26c%3Dd%2F%C3%A9%2B&limit=100&offset=0&order=asc"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dataset_id": "a/b"}, "dataset_id"),
        ({"dataset_id": ""}, "dataset_id"),
        ({"project_id": ".."}, "project_id"),
        ({"pages_in_flight": 0}, "pages_in_flight"),
        ({"pages_in_flight": True}, "pages_in_flight"),
        ({"pages_in_flight": 2.5}, "pages_in_flight"),
        ({"order": "newest"}, "order"),
        ({"offset_mode": "pages"}, "offset_mode"),
        ({"label_type": "1"}, "label_type"),
        ({"sample_type": False}, "sample_type"),
        ({"label_name": 5}, "label_name"),
        ({"version_id": ""}, "version_id"),
    ],
)
async def test_bad_arguments_raise_at_the_call_before_sending(
    client: ModelArtsClient, page_log: PageLog, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        client.list_samples(**{"dataset_id": DATASET, **kwargs})
    assert page_log.requests == []


async def test_a_missing_dataset_or_version_is_named(client: ModelArtsClient, fake: FakeModelArts) -> None:
    with pytest.raises(NotFoundError) as missing:
        await listed(client.list_samples(dataset_id="NoSuchDataset"))
    assert str(missing.value).startswith("dataset 'NoSuchDataset' not found: HTTP 400 ModelArts.4352")
    assert (missing.value.status_code, missing.value.error_code) == (400, "ModelArts.4352")
    assert missing.value.request_id

    fake.add_dataset(DATASET)
    with pytest.raises(NotFoundError) as no_version:
        await listed(client.list_samples(dataset_id=DATASET, version_id="v9"))
    assert str(no_version.value).startswith(f"version 'v9' of dataset {DATASET!r} not found: HTTP 400 ModelArts.4353")
    assert not pages_tasks()


async def test_a_malformed_page_raises_with_its_offset_and_path_after_the_pages_before_it(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    fake.add_generated_dataset(DATASET, 500)

    async def break_page_2(request: RecordedRequest) -> FakeReply | None:
        if query_of(request).get("offset") == "2":
            body = {"sample_count": 500, "samples": [{"sample_id": "x", "labels": [{"name": "car", "score": "high"}]}]}
            return FakeReply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        return None

    page_log.script = break_page_2
    seen: list[Sample] = []
    with pytest.raises(ResponseValidationError) as error:
        await drain(client.list_samples(dataset_id=DATASET), seen)
    assert len(seen) == 200
    assert "at offset 2" in str(error.value)
    assert "$.samples[0].labels[0].score" in str(error.value)
    assert error.value.status_code == 200
    assert not pages_tasks()


async def test_a_failing_page_raises_after_the_pages_before_it(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    fake.add_generated_dataset(DATASET, 500)

    async def fail_page_3(request: RecordedRequest) -> FakeReply | None:
        if query_of(request).get("offset") == "3":
            return FakeReply(500, b'{"error_code": "ModelArts.0001", "error_msg": "boom"}', {})
        return None

    page_log.script = fail_page_3
    seen: list[Sample] = []
    with pytest.raises(ServerError, match="boom"):
        await drain(client.list_samples(dataset_id=DATASET), seen)
    assert len(seen) == 300
    assert not pages_tasks()


# --- what the documentation leaves open -------------------------------------------------------------------------


async def test_a_list_without_sample_count_is_read_page_by_page_to_the_end(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    dataset = fake.add_generated_dataset(DATASET, 250)

    async def drop_count(request: RecordedRequest) -> FakeReply:
        reply = fake.handle(request.method, f"{request.path}?{request.query}", {}, request.body)
        data = json.loads(reply.body)
        del data["sample_count"]
        return reply._replace(body=json.dumps(data).encode())

    page_log.script = drop_count
    listing = client.list_samples(dataset_id=DATASET)
    assert Counter(await listed(listing)) == Counter(dataset.sample_ids)
    assert listing.stats.expected is None
    assert listing.stats.offset_mode == "page"
    assert page_log.offsets == [0, 1, 2]


async def test_a_count_of_the_page_alone_still_lists_everything(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    dataset = fake.add_generated_dataset(DATASET, 250)

    async def page_count(request: RecordedRequest) -> FakeReply:
        reply = fake.handle(request.method, f"{request.path}?{request.query}", {}, request.body)
        data = json.loads(reply.body)
        data["sample_count"] = len(data["samples"])
        return reply._replace(body=json.dumps(data).encode())

    page_log.script = page_count
    listing = client.list_samples(dataset_id=DATASET)
    assert Counter(await listed(listing)) == Counter(dataset.sample_ids)
    assert listing.stats.changed  # the counts disagree with each other: the run cannot vouch for a snapshot


async def test_stats_before_during_and_after(client: ModelArtsClient, fake: FakeModelArts) -> None:
    fake.add_generated_dataset(DATASET, 150)
    listing = client.list_samples(dataset_id=DATASET)
    assert isinstance(listing, SampleListing)
    assert listing.stats == ListingStats(
        pages=0, yielded=0, duplicates=0, expected=None, changed=False, offset_mode=None, in_flight=0, elapsed=0.0
    )
    assert "not started" in repr(listing)
    async with listing:
        first = await anext(listing)
        assert isinstance(first, Sample)
        assert listing.stats.yielded == 1
        assert listing.stats.expected == 150
        rest = [s async for s in listing]
    stats = listing.stats
    assert (stats.pages, stats.yielded, stats.in_flight, stats.offset_mode) == (2, 150, 0, "page")
    assert stats.rate > 0
    assert len(rest) == 149
