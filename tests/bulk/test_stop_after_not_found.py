"""`stop_after_not_found=N`: a bulk run whose first N results are all "not found" is a wrong job or dataset id, so
the stream raises `NotFoundError` saying so instead of sending every other id to fail the same way."""

from __future__ import annotations

from typing import Any

import pytest
from support.bulk import stock
from support.constants import JOB, PROJECT

from modelarts_async import (
    ImageResult,
    ImageResultStream,
    InvalidArgumentError,
    ModelArtsClient,
    NotFoundError,
    SampleResultStream,
)
from modelarts_async.testing import FakeJob, FakeModelArts

MISSING = [f"missing-{n}" for n in range(500)]


async def consume(stream: ImageResultStream | SampleResultStream, into: list[Any]) -> None:
    async with stream:
        async for result in stream:
            into.append(result)


async def test_a_job_that_does_not_exist_stops_after_n_results(client: ModelArtsClient, fake: FakeModelArts) -> None:
    seen: list[ImageResult] = []
    stream = client.iter_image_infos(MISSING, data_annotation_id="nosuchjob", concurrency=4, stop_after_not_found=20)
    with pytest.raises(NotFoundError) as stopped:
        await consume(stream, seen)
    assert len(seen) == 19  # the 20th result is the stop
    assert all(isinstance(result.error, NotFoundError) for result in seen)
    assert "the first 20 results were all not found" in str(stopped.value)
    assert "stop_after_not_found=20" in str(stopped.value)
    assert len(fake.requests) < 20 + 4 + 1  # the ids in flight at the stop, not 500


async def test_one_success_among_the_first_n_turns_the_check_off(client: ModelArtsClient, job: FakeJob) -> None:
    stock(job, ["real"])
    ids = [*MISSING[:10], "real", *MISSING[10:100]]
    async with client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=1, stop_after_not_found=20) as results:
        outcomes = [result async for result in results]
    assert len(outcomes) == 101
    assert sum(result.ok for result in outcomes) == 1


async def test_by_default_every_id_gets_its_result(client: ModelArtsClient) -> None:
    async with client.iter_image_infos(MISSING[:150], data_annotation_id="nosuchjob", concurrency=8) as results:
        assert len([result async for result in results]) == 150


async def test_it_applies_to_samples_too() -> None:
    fake = FakeModelArts(project_id=PROJECT)
    fake.add_generated_dataset("DS000000000000000001", 3)
    async with fake.serve() as url, ModelArtsClient(url, project_id=PROJECT) as client:
        stream = client.iter_samples(MISSING, dataset_id="DS000000000000000001", concurrency=2, stop_after_not_found=5)
        with pytest.raises(NotFoundError, match="the first 5 results"):
            await consume(stream, [])


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "100"])
def test_a_bad_value_is_refused_at_the_call(client: ModelArtsClient, value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="stop_after_not_found must be a positive integer"):
        client.iter_image_infos(MISSING, data_annotation_id=JOB, stop_after_not_found=value)  # type: ignore[arg-type]
