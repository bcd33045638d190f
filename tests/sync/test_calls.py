"""Every call of the sync client answers what the async client answers, against the fake over real HTTP."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync.conftest import DATASET, IMAGES, JOB, SAMPLE_COUNT

from modelarts_async import (
    BulkStats,
    ClientStateError,
    Dataset,
    ImageInfo,
    ListingStats,
    ModelArtsClient,
    NotFoundError,
    SyncModelArtsClient,
    SyncStream,
)
from modelarts_async._sync._stream import READ_AHEAD
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts

CALLS = (
    "get_image_info_by_id",
    "get_image_info_by_ids",
    "get_image_infos",
    "get_sample",
    "get_dataset",
    "get_dataset_labels",
)
STREAMS = ("iter_image_infos", "iter_samples", "list_samples", "list_datasets")


def _parameters(function: object) -> list[inspect.Parameter]:
    return list(inspect.signature(function).parameters.values())[1:]  # without self  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [*CALLS, *STREAMS, "__init__", "from_env", "with_options"])
def test_each_method_takes_the_async_clients_arguments(name: str) -> None:
    assert _parameters(getattr(SyncModelArtsClient, name)) == _parameters(getattr(ModelArtsClient, name))


def test_every_public_call_of_the_async_client_is_there() -> None:
    public = {name for name in vars(ModelArtsClient) if not name.startswith("_")}
    assert public - {"aclose"} <= set(vars(SyncModelArtsClient)) | {"close"}


def test_single_calls_return_what_the_async_client_returns(client: SyncModelArtsClient, fake: FakeModelArts) -> None:
    sample_id = fake.datasets[DATASET].sample_ids[7]

    async def expected() -> tuple[object, ...]:
        async with fake.client() as async_client:
            return (
                await async_client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGES[1]),
                await async_client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=IMAGES[:5]),
                await async_client.get_sample(dataset_id=DATASET, sample_id=sample_id),
                await async_client.get_dataset(dataset_id=DATASET),
                await async_client.get_dataset_labels(dataset_id=DATASET),
            )

    got = (
        client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGES[1]),
        client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=IMAGES[:5]),
        client.get_sample(dataset_id=DATASET, sample_id=sample_id),
        client.get_dataset(dataset_id=DATASET),
        client.get_dataset_labels(dataset_id=DATASET),
    )
    assert got == asyncio.run(expected())
    assert isinstance(got[0], ImageInfo)
    assert got[0].labels == ("cat",)


def test_get_image_infos_returns_one_result_per_id_in_order(client: SyncModelArtsClient) -> None:
    results = client.get_image_infos([*IMAGES, "missing"], data_annotation_id=JOB, concurrency=4)
    assert [result.image_id for result in results] == [*IMAGES, "missing"]
    assert all(result.ok for result in results[:-1])
    assert isinstance(results[-1].error, NotFoundError)


def test_iter_samples_gives_every_sample_exactly_once(client: SyncModelArtsClient, fake: FakeModelArts) -> None:
    ids = fake.datasets[DATASET].sample_ids
    with client.iter_samples(iter(ids), dataset_id=DATASET, concurrency=8) as results:
        assert isinstance(results, SyncStream)
        got = [result.sample_id for result in results if result.ok]
    assert sorted(got) == sorted(ids)
    assert isinstance(results.stats, BulkStats)
    assert results.stats.done == SAMPLE_COUNT


def test_iter_image_infos_reports_each_id_once_failures_included(client: SyncModelArtsClient) -> None:
    ids = [*IMAGES, "missing-1", "missing-2"]
    results = list(client.iter_image_infos(ids, data_annotation_id=JOB, batch_size=7))
    assert sorted(result.image_id for result in results) == sorted(ids)
    assert {result.image_id for result in results if not result.ok} == {"missing-1", "missing-2"}


def test_list_samples_and_list_datasets_list_everything_once(client: SyncModelArtsClient, fake: FakeModelArts) -> None:
    fake.add_dataset("other-dataset")
    listing = client.list_samples(dataset_id=DATASET, pages_in_flight=2)
    samples = [sample.sample_id for sample in listing]
    assert sorted(samples) == sorted(fake.datasets[DATASET].sample_ids)
    assert isinstance(listing.stats, ListingStats)
    assert not listing.stats.changed
    datasets = list(client.list_datasets())
    assert all(isinstance(dataset, Dataset) for dataset in datasets)
    assert sorted(dataset.dataset_id for dataset in datasets) == sorted([DATASET, "other-dataset"])


def test_next_steps_through_a_stream_by_hand(client: SyncModelArtsClient, fake: FakeModelArts) -> None:
    ids = fake.datasets[DATASET].sample_ids[:3]
    with client.iter_samples(ids, dataset_id=DATASET, ordered=True) as results:
        assert [next(results).sample_id for _ in ids] == ids
        with pytest.raises(StopIteration):
            next(results)


def test_errors_are_the_same_typed_errors(client: SyncModelArtsClient) -> None:
    with pytest.raises(NotFoundError, match="nope") as caught:
        client.get_dataset(dataset_id="nope")
    assert caught.value.error_code == "ModelArts.4352"


def test_with_options_shares_the_client_and_closes_nothing(client: SyncModelArtsClient) -> None:
    copy = client.with_options(max_attempts=1)
    copy.close()
    assert copy.get_dataset(dataset_id=DATASET).dataset_id == DATASET
    assert client.get_dataset(dataset_id=DATASET).dataset_id == DATASET


async def test_works_inside_a_running_event_loop(client: SyncModelArtsClient) -> None:
    # As in a notebook: this thread's loop is running, and asyncio.run() would refuse.
    asyncio.get_running_loop()
    assert client.get_dataset(dataset_id=DATASET).dataset_id == DATASET
    assert len(list(client.list_samples(dataset_id=DATASET))) == SAMPLE_COUNT


def test_a_sync_client_made_inside_a_running_loop_works_too(url: str) -> None:
    async def in_a_notebook() -> str:
        with SyncModelArtsClient(url, project_id=FAKE_PROJECT_ID) as sync_client:
            return sync_client.get_dataset(dataset_id=DATASET).dataset_id

    assert asyncio.run(in_a_notebook()) == DATASET


def test_a_streams_error_comes_after_the_results_before_it(client: SyncModelArtsClient, fake: FakeModelArts) -> None:
    first, second = fake.datasets[DATASET].sample_ids[:2]
    ids = [first, "f" * 32, second]
    got: list[str] = []
    with pytest.raises(NotFoundError) as caught:  # noqa: PT012
        for result in client.iter_samples(ids, dataset_id=DATASET, fail_fast=True, ordered=True, concurrency=1):
            got.append(result.sample_id)
    assert got == [first]
    assert caught.value.__context__ is None


def test_the_sync_stream_reads_ids_ahead_only_a_bounded_way(client: SyncModelArtsClient) -> None:
    pulled = 0

    def many_ids() -> Iterator[str]:
        nonlocal pulled
        for n in range(1_000_000):
            pulled += 1
            yield f"{n:032x}"

    with client.iter_samples(many_ids(), dataset_id=DATASET, concurrency=8) as results:
        next(results)
        time.sleep(0.5)  # time for the loop to read ahead as far as it will
        assert pulled < 8 * 16 + READ_AHEAD + 100


def test_download_images_takes_a_list_and_refuses_a_sync_stream_of_its_own_client(
    client: SyncModelArtsClient, tmp_path: Path
) -> None:
    samples = [sample for sample, _ in zip(client.list_samples(dataset_id=DATASET), range(5), strict=False)]
    with client.download_images(samples, tmp_path, dataset_id=DATASET) as downloads:
        got = list(downloads)
    assert [download.ok for download in got] == [True] * 5
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{s.sample_id}.png" for s in samples)

    # Its next() would wait for the loop that reads it: a clear error instead of a hang.
    with (
        pytest.raises(ClientStateError, match="its own event loop thread"),
        client.download_images(client.list_samples(dataset_id=DATASET), tmp_path, dataset_id=DATASET) as downloads,
    ):
        list(downloads)
