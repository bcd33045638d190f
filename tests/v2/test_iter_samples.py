"""iter_samples: the guarantees of iter_image_infos, over the v2 sample call: one result per id (invalid ids and
failures included), order, fail-fast, clean-up, and the errors naming the sample."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from typing import Any

import attrs
import httpx
import pytest
from support.bulk import NO_BACKOFF, bulk_tasks, wait_until
from support.v2 import PageLog

from modelarts_async import (
    APIError,
    InvalidArgumentError,
    ModelArtsClient,
    NotFoundError,
    RequestTimeoutError,
    ResponseValidationError,
    SampleResult,
    SampleResultStream,
    ServerError,
)
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, FakeReply, RecordedRequest, classification_label

DATASET = "WxCREuCkBSAlQr9xrde"
INVALID_IDS: list[Any] = ["", "a/b", "..", 7, " padded "]


def stock(fake: FakeModelArts, sample_ids: list[str]) -> None:
    """A dataset whose samples carry their own id as label, so that a result handed to the wrong id shows."""
    dataset = fake.datasets.get(DATASET) or fake.add_dataset(DATASET)
    for sample_id in sample_ids:
        dataset.add_sample(sample_id, [classification_label(f"label-{sample_id}")])


def sample_id_of(request: RecordedRequest) -> str:
    return request.path.rsplit("/", 1)[-1]


def _fault(sample_id: str) -> str:
    """A fault picked from the id alone, so that a retry of the same id meets the same fault."""
    faults = ["ok"] * 6 + ["503", "garbage", "gone", "bad-request", "bad-shape", "slow"]
    return faults[hashlib.sha256(sample_id.encode()).digest()[0] % len(faults)]


def json_reply(status: int, body: Any) -> FakeReply:
    return FakeReply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


async def _faulty(request: RecordedRequest) -> FakeReply | None:
    fault = _fault(sample_id_of(request))
    if fault == "503":
        return json_reply(503, {"error_code": "ModelArts.0001", "error_msg": "boom"})
    if fault == "garbage":
        return FakeReply(200, b"<html>gateway</html>", {"Content-Type": "text/html"})
    if fault == "gone":
        return None  # the fake answers 400 ModelArts.4420: the test did not add it
    if fault == "bad-request":
        return json_reply(400, {"error_code": "ModelArts.0104", "error_msg": "bad parameter"})
    if fault == "bad-shape":
        return json_reply(200, {"sample_id": sample_id_of(request), "labels": 5})
    if fault == "slow":
        await asyncio.sleep(5)  # longer than the client's read timeout
    return None


_EXPECTED_ERROR: dict[str, type[Exception] | None] = {
    "ok": None,
    "503": ServerError,
    "garbage": ResponseValidationError,
    "gone": NotFoundError,
    "bad-request": APIError,
    "bad-shape": ResponseValidationError,
    "slow": RequestTimeoutError,
}


@pytest.mark.parametrize("send_path", ["in-process", "served"])
async def test_exactly_one_result_per_id_under_injected_faults(
    fake: FakeModelArts, page_log: PageLog, send_path: str
) -> None:
    page_log.script = _faulty
    ids: list[Any] = [f"{n:032x}" for n in range(150)]
    stock(fake, [i for i in ids if _fault(i) != "gone"])
    ids += ids[:20]  # duplicates get one result per occurrence
    ids += INVALID_IDS
    # In-process, nothing enforces the read timeout: the call's deadline ends the slow ones instead.
    timeout, retry = httpx.Timeout(5.0, read=0.3), attrs.evolve(NO_BACKOFF, deadline=2.0)
    async with (
        fake.serve() as url,
        (
            fake.client(timeout=timeout, retry=retry)
            if send_path == "in-process"
            else ModelArtsClient(url, project_id=FAKE_PROJECT_ID, timeout=timeout, retry=retry)
        ) as client,
        client.iter_samples(iter(ids), dataset_id=DATASET, concurrency=16) as results,
    ):
        seen = [result async for result in results]

    assert Counter(map(repr, (r.sample_id for r in seen))) == Counter(map(repr, ids))
    for result in seen:
        assert isinstance(result, SampleResult)
        if result.sample_id in INVALID_IDS:
            assert isinstance(result.error, InvalidArgumentError)
            continue
        expected = _EXPECTED_ERROR[_fault(result.sample_id)]
        if expected is None:
            assert result.ok
            assert result.unwrap().label_names == (f"label-{result.sample_id}",)
        else:
            assert type(result.error) is expected, (result.sample_id, result.error)
            with pytest.raises(expected):
                result.unwrap()
        if expected is NotFoundError:
            assert str(result.error).startswith(f"sample {result.sample_id!r} of dataset {DATASET!r} not found")
    stats = results.stats
    assert (stats.done, stats.in_flight) == (len(ids), 0)
    assert stats.failed == len(ids) - stats.ok
    sent = {sample_id_of(r) for r in page_log.requests}
    assert not sent & {str(i) for i in INVALID_IDS}  # invalid ids are never sent
    assert not bulk_tasks()


async def test_ordered_yields_in_input_order_and_unordered_yields_every_id(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    async def jitter(request: RecordedRequest) -> None:
        await asyncio.sleep((hash(request.path) % 7) / 1000)

    page_log.script = jitter
    ids = [f"{n:032x}" for n in range(120)]
    stock(fake, ids)
    async with client.iter_samples(ids, dataset_id=DATASET, concurrency=10, ordered=True) as ordered:
        assert [r.sample_id async for r in ordered] == ids
    async with client.iter_samples(ids, dataset_id=DATASET, concurrency=10) as unordered:
        assert sorted([r.unwrap().sample_id async for r in unordered]) == sorted(ids)


async def test_concurrency_is_bounded(client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog) -> None:
    async def slow(request: RecordedRequest) -> None:
        await asyncio.sleep(0.001)

    page_log.script = slow
    ids = [f"{n:032x}" for n in range(80)]
    stock(fake, ids)
    async with client.iter_samples(ids, dataset_id=DATASET, concurrency=5) as results:
        assert all([r.ok async for r in results])
    assert page_log.max_in_flight <= 5


async def test_fail_fast_raises_the_first_error_and_leaves_no_task(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    never = asyncio.Event()

    async def one_missing_rest_hang(request: RecordedRequest) -> None:
        if sample_id_of(request) != "missing":
            await never.wait()
        else:
            await wait_until(lambda: page_log.in_flight >= 4)

    page_log.script = one_missing_rest_hang
    stock(fake, [f"h{n}" for n in range(20)])
    with pytest.raises(NotFoundError, match=r"^sample 'missing' of dataset"):
        async for _ in client.iter_samples(
            ["missing", *(f"h{n}" for n in range(20))], dataset_id=DATASET, concurrency=4, fail_fast=True
        ):
            pass
    assert not bulk_tasks()
    assert await wait_until(lambda: page_log.in_flight == 0)


async def test_leaving_early_cancels_and_leaves_no_task(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    never = asyncio.Event()

    async def first_fast_rest_hang(request: RecordedRequest) -> None:
        if sample_id_of(request) != "fast":
            await never.wait()

    page_log.script = first_fast_rest_hang
    stock(fake, ["fast"])
    stream = client.iter_samples(["fast", "h1", "h2", "h3"], dataset_id=DATASET, concurrency=4)
    assert isinstance(stream, SampleResultStream)
    async with stream:
        async for result in stream:
            assert result.ok
            break
    assert not bulk_tasks()
    assert await wait_until(lambda: page_log.in_flight == 0)
    assert page_log.cancelled == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dataset_id": "a/b"}, "dataset_id"),
        ({"batch_size": 10}, "batch_size"),
        ({"concurrency": 0}, "concurrency"),
        ({"rate_limit": -1}, "rate_limit"),
        ({"sample_ids": "abc"}, "not one string"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_bad_arguments_raise_at_the_call(
    client: ModelArtsClient, page_log: PageLog, kwargs: dict[str, Any], match: str
) -> None:
    args: dict[str, Any] = {"sample_ids": ["a"], "dataset_id": DATASET, **kwargs}
    with pytest.raises(InvalidArgumentError, match=match):
        client.iter_samples(args.pop("sample_ids"), **args)
    assert page_log.requests == []


async def test_an_async_iterable_of_ids(client: ModelArtsClient, fake: FakeModelArts) -> None:
    async def ids() -> Any:
        for n in range(25):
            await asyncio.sleep(0)
            yield f"a{n}"

    stock(fake, [f"a{n}" for n in range(25)])
    async with client.iter_samples(ids(), dataset_id=DATASET, ordered=True, rate_limit=1000) as results:
        assert [r.unwrap().sample_id async for r in results] == [f"a{n}" for n in range(25)]


async def test_throttling_is_retried_and_counted(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    throttled: set[str] = set()

    async def throttle_once(request: RecordedRequest) -> FakeReply | None:
        sample_id = sample_id_of(request)
        if sample_id.startswith("t") and sample_id not in throttled:
            throttled.add(sample_id)
            reply = json_reply(
                429, {"error_code": "APIG.0308", "error_msg": "The throttling threshold has been reached"}
            )
            return reply._replace(headers={**reply.headers, "Retry-After": "0"})
        return None

    page_log.script = throttle_once
    ids = [f"t{n}" for n in range(10)] + [f"u{n}" for n in range(30)]
    stock(fake, ids)
    async with client.iter_samples(ids, dataset_id=DATASET, concurrency=8) as results:
        assert sorted([r.unwrap().sample_id async for r in results]) == sorted(ids)
    assert results.stats.throttled == 10
    assert results.stats.attempts == 50
