"""Issue 17, items 7-8: a listing closed from another task ends its consumer's `async for` cleanly, and a listing
continued in another event loop raises `ClientStateError`, as the README promises for the client."""

from __future__ import annotations

import asyncio

import pytest
from support.bulk import wait_until
from support.v2 import PageLog

from hostile.senders import make_client
from modelarts_async import ClientStateError, Sample, SampleListing, SampleResultStream
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, RecordedRequest

DATASET = "WxCREuCkBSAlQr9xrde"


def held_after_the_first_pages(log: PageLog, release: asyncio.Event) -> None:
    """Page 0 and the probe answer at once; every later list request waits for `release`."""

    async def hold(request: RecordedRequest) -> None:
        if len(log.lists) > 2:
            await release.wait()

    log.script = hold


async def test_aclose_from_another_task_ends_the_consumers_async_for(sender: str) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.add_generated_dataset(DATASET, 2000, seed=1)
    log = fake.on_request = PageLog()
    held_after_the_first_pages(log, asyncio.Event())
    consumed: list[Sample] = []

    async def consume(listing: SampleListing) -> None:
        async for sample in listing:
            consumed.append(sample)

    async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
        listing = client.list_samples(dataset_id=DATASET, pages_in_flight=4)
        consumer = asyncio.create_task(consume(listing))
        assert await wait_until(lambda: len(consumed) == 200 and log.in_flight == 4)  # waits for page 2
        await listing.aclose()
        await asyncio.wait_for(consumer, 5)  # ends cleanly: no RuntimeError "page … never delivered"

    assert len(consumed) == 200
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("modelarts-pages") and not t.done()]
    with pytest.raises(StopAsyncIteration):
        await anext(listing)


@pytest.mark.parametrize(
    ("count", "answered"),
    [(150, 2), (1000, 3)],  # every page fetched; or pages left to fetch (the window is full: 2 pages ahead)
    ids=["fetched", "pages-left"],
)
def test_a_listing_continued_in_another_event_loop_raises_client_state_error(
    sender: str, count: int, answered: int
) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.add_generated_dataset(DATASET, count, seed=2)

    async def start() -> SampleListing:
        async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
            listing = client.list_samples(dataset_id=DATASET, pages_in_flight=1)
            await anext(listing)
            # nothing left on the wire of this loop: the listing is done, or waits for its reader
            assert await wait_until(lambda: listing.stats.pages == answered and listing.stats.in_flight == 0)
            return listing

    async def go_on(listing: SampleListing) -> None:
        async with listing:
            await anext(listing)

    listing = asyncio.run(start())
    with pytest.raises(ClientStateError, match="another event loop"):
        asyncio.run(go_on(listing))
    with pytest.raises(StopAsyncIteration):  # closed by the `async with` in the second loop, quietly
        asyncio.run(anext(listing))


def test_aclose_in_another_loop_cancels_the_listing_in_its_own(sender: str) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.add_generated_dataset(DATASET, 1000, seed=3)

    async def start() -> SampleListing:
        async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
            listing = client.list_samples(dataset_id=DATASET, pages_in_flight=1)
            await anext(listing)
            assert await wait_until(lambda: listing.stats.pages == 3 and listing.stats.in_flight == 0)
            return listing

    def pages_tasks(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks(loop) if t.get_name().startswith("modelarts-pages")]

    first = asyncio.new_event_loop()
    try:
        listing = first.run_until_complete(start())
        assert pages_tasks(first)  # its loop is open, not running: the listing waits for its reader there
        asyncio.run(listing.aclose())  # from another loop: no "attached to a different loop", no hang
        first.run_until_complete(asyncio.sleep(0.01))
        assert not pages_tasks(first)
    finally:
        first.close()
    with pytest.raises(StopAsyncIteration):
        asyncio.run(anext(listing))


def test_a_bulk_stream_continued_in_another_event_loop_raises_client_state_error(sender: str) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.add_generated_dataset(DATASET, 50, seed=4)
    ids = fake.datasets[DATASET].sample_ids

    async def start() -> SampleResultStream:
        async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
            stream = client.iter_samples(ids, dataset_id=DATASET, concurrency=2)
            await anext(stream)
            # nothing left on the wire of this loop: the stream waits for its reader, or is done
            assert await wait_until(lambda: stream.stats.in_flight == 0)
            return stream

    async def go_on(stream: SampleResultStream) -> None:
        async with stream:
            await anext(stream)

    stream = asyncio.run(start())
    with pytest.raises(ClientStateError, match="another event loop"):
        asyncio.run(go_on(stream))
    with pytest.raises(StopAsyncIteration):  # closed by the `async with` in the second loop, quietly
        asyncio.run(anext(stream))
