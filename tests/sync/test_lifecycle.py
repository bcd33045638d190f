"""The sync client's life: `with` and `close()`, the warning when it is never closed, threads, leaving a stream."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from support.servers import HostileServer
from support.threaded import serving
from support.v2 import PageLog
from sync.conftest import DATASET, JOB

from modelarts_async import ClientStateError, SyncModelArtsClient
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, RecordedRequest

LOOP_THREAD = "SyncModelArtsClient event loop"


def loop_threads() -> int:
    return sum(thread.name == LOOP_THREAD for thread in threading.enumerate())


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition()` holds (it depends on another thread), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.01)


# -- close ---------------------------------------------------------------------------------------------------------


def test_a_call_after_close_raises_client_state_error(url: str) -> None:
    client = SyncModelArtsClient(url, project_id=FAKE_PROJECT_ID)
    client.close()
    client.close()  # idempotent
    with pytest.raises(ClientStateError, match="closed"):
        client.get_dataset(dataset_id=DATASET)
    with pytest.raises(ClientStateError, match="closed"):
        client.list_samples(dataset_id=DATASET)
    with pytest.raises(ClientStateError, match="closed"), client:
        pass


def test_closing_stops_the_loop_thread(url: str) -> None:
    before = loop_threads()
    with SyncModelArtsClient(url, project_id=FAKE_PROJECT_ID) as client:
        client.get_dataset(dataset_id=DATASET)
        assert loop_threads() == before + 1
    assert loop_threads() == before


def test_close_from_another_thread_ends_a_call_in_flight(url: str, fake: FakeModelArts) -> None:
    async def stall(_request: RecordedRequest) -> None:
        await asyncio.sleep(60)

    fake.on_request = stall
    client = SyncModelArtsClient(url, project_id=FAKE_PROJECT_ID)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.get_dataset(dataset_id=DATASET)
        except BaseException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    eventually(lambda: fake.on_request is stall and bool(client._client._pipeline.lifecycle._loop))
    time.sleep(0.1)
    client.close()
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], ClientStateError)


def test_an_unclosed_client_warns_and_stops_its_thread(url: str) -> None:
    before = loop_threads()
    client = SyncModelArtsClient(url, project_id=FAKE_PROJECT_ID)
    client.get_dataset(dataset_id=DATASET)
    with pytest.warns(ResourceWarning, match=r"unclosed SyncModelArtsClient\(endpoint="):  # noqa: PT031
        del client
        gc.collect()
    eventually(lambda: loop_threads() == before)


def test_a_client_that_failed_to_start_leaves_no_thread() -> None:
    before = loop_threads()
    with pytest.raises(ValueError, match="endpoint"):
        SyncModelArtsClient("ftp://example.com")
    assert loop_threads() == before


# -- one pool, several threads -------------------------------------------------------------------------------------


@pytest.fixture
def counting() -> Iterator[HostileServer]:
    """The hostile server, answering like the service; it counts the connections it accepted."""
    server = HostileServer()

    class Running:
        async def __aenter__(self) -> HostileServer:
            await server.start()
            return server

        async def __aexit__(self, *_: object) -> None:
            await server.stop()

    with serving(Running) as running:
        yield running


def test_calls_one_after_another_reuse_one_connection(counting: HostileServer) -> None:
    with SyncModelArtsClient(counting.url, project_id="hostile-project") as client:
        for n in range(20):
            client.get_image_info_by_id(data_annotation_id=JOB, image_id=f"img-{n}")
    assert len(counting.requests) == 20
    assert counting.connections == 1


def test_many_threads_share_one_client(client: SyncModelArtsClient, fake: FakeModelArts) -> None:
    ids = fake.datasets[DATASET].sample_ids
    chunks = [ids[start::8] for start in range(8)]
    got: list[list[str]] = [[] for _ in chunks]

    def fetch(index: int) -> None:
        for sample_id in chunks[index][:15]:
            got[index].append(client.get_sample(dataset_id=DATASET, sample_id=sample_id).sample_id)
        with client.iter_samples(chunks[index][15:], dataset_id=DATASET, concurrency=4) as results:
            got[index].extend(result.unwrap().sample_id for result in results)

    threads = [threading.Thread(target=fetch, args=(index,)) for index in range(len(chunks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [sorted(chunk) for chunk in got] == [sorted(chunk) for chunk in chunks]


# -- leaving a stream early cancels what it has in flight ------------------------------------------------------------


def stall_after(fake: FakeModelArts, answered: int) -> PageLog:
    """After the first `answered` requests, every request stalls until it is cancelled (the client hangs up)."""
    log = PageLog()

    async def stall(_request: RecordedRequest) -> None:
        if len(log.requests) > answered:
            await asyncio.sleep(60)

    log.script = stall
    fake.on_request = log
    return log


@pytest.fixture
def stalled(fake: FakeModelArts) -> PageLog:
    return stall_after(fake, 3)


def _all_cancelled(log: PageLog) -> Callable[[], bool]:
    return lambda: log.in_flight == 0 and log.cancelled > 0


def test_break_out_of_a_for_loop_cancels_the_requests_in_flight(
    client: SyncModelArtsClient, fake: FakeModelArts, stalled: PageLog
) -> None:
    for result in client.iter_samples(fake.datasets[DATASET].sample_ids, dataset_id=DATASET, concurrency=8):
        assert result.ok
        break
    eventually(_all_cancelled(stalled))
    assert stalled.cancelled == len(stalled.requests) - 3


def test_an_exception_in_a_with_block_cancels_the_requests_in_flight(
    client: SyncModelArtsClient, fake: FakeModelArts, stalled: PageLog
) -> None:
    def leave_by_an_exception() -> None:
        with client.iter_samples(fake.datasets[DATASET].sample_ids, dataset_id=DATASET, concurrency=8) as results:
            next(results)
            raise KeyError("the user's own error")

    with pytest.raises(KeyError):
        leave_by_an_exception()
    eventually(_all_cancelled(stalled))  # the server learns it when the closed connections reach it


def test_leaving_a_listing_early_cancels_its_pages_in_flight(client: SyncModelArtsClient, fake: FakeModelArts) -> None:
    stalled = stall_after(fake, 1)  # the first page: the listing has 3
    listing = client.list_samples(dataset_id=DATASET, pages_in_flight=4)
    for _sample in listing:
        break
    eventually(_all_cancelled(stalled))
    assert list(listing) == []  # closed: the rest is not fetched


def test_a_stream_dropped_without_closing_is_cancelled(
    client: SyncModelArtsClient, fake: FakeModelArts, stalled: PageLog
) -> None:
    results = client.iter_samples(fake.datasets[DATASET].sample_ids, dataset_id=DATASET, concurrency=8)
    next(results)
    del results
    gc.collect()
    eventually(_all_cancelled(stalled))
