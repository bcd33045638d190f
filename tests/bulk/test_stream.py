"""iter_image_infos / get_image_infos: one result per id, bounded concurrency and memory, order, fail-fast, clean-up."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from support.bulk import NO_BACKOFF, bulk_tasks, labels_of, stock, wait_until
from support.constants import JOB, PROJECT
from support.probe import Probe, json_reply

from modelarts_async import (
    APIError,
    BulkStats,
    ImageResult,
    ImageResultStream,
    InvalidArgumentError,
    ModelArtsClient,
    NotFoundError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
)
from modelarts_async.testing import FakeJob, FakeReply

INVALID_IDS: list[Any] = ["", "a/b", "..", 7, " padded "]


def _fault(image_id: str) -> str:
    """A fault picked from the id alone, so that a retry of the same id meets the same fault."""
    faults = ["ok"] * 6 + ["503", "500", "garbage", "404", "refused-200", "bad-shape", "slow"]
    return faults[hashlib.sha256(image_id.encode()).digest()[0] % len(faults)]


async def _faulty(image_id: str) -> FakeReply | None:
    fault = _fault(image_id)
    if fault in ("503", "500"):
        return json_reply(int(fault), {"error_code": "ModelArts.0001", "error_msg": "boom"})
    if fault == "garbage":
        return FakeReply(200, b"<html>gateway</html>", {"Content-Type": "text/html; charset=utf-8"})
    if fault == "404":
        return json_reply(404, {"error_code": "ModelArts.0102", "error_msg": "no such image"})
    if fault == "refused-200":
        return json_reply(200, {"is_success": False, "error_code": "ModelArts.0104", "error_msg": "bad"})
    if fault == "bad-shape":
        return json_reply(200, {"is_success": True, "tags": 5})
    if fault == "slow":
        await asyncio.sleep(5)  # longer than the client's read timeout
    return None


_EXPECTED_ERROR: dict[str, type[Exception] | None] = {
    "ok": None,
    "503": ServerError,
    "500": ServerError,
    "garbage": ResponseValidationError,
    "404": NotFoundError,
    "refused-200": APIError,
    "bad-shape": ResponseValidationError,
    "slow": RequestTimeoutError,
}


async def test_exactly_one_result_per_id_under_injected_faults(url: str, probe: Probe, job: FakeJob) -> None:
    probe.on_image = _faulty
    ids: list[Any] = [f"img-{n}" for n in range(150)]
    stock(job, ids)
    ids += ids[:20]  # duplicates get one result per occurrence
    ids += INVALID_IDS
    async with (
        ModelArtsClient(url, project_id=PROJECT, timeout=httpx.Timeout(5.0, read=0.3), retry=NO_BACKOFF) as client,
        client.iter_image_infos(iter(ids), data_annotation_id=JOB, concurrency=16) as results,
    ):
        seen = [result async for result in results]

    assert Counter(map(repr, (r.image_id for r in seen))) == Counter(map(repr, ids))
    for result in seen:
        if result.image_id in INVALID_IDS:
            assert isinstance(result.error, InvalidArgumentError)
            assert isinstance(result.error, ValueError)
            continue
        expected = _EXPECTED_ERROR[_fault(result.image_id)]
        if expected is None:
            assert result.ok
            assert result.unwrap().labels == tuple(labels_of(result.image_id))
        else:
            assert type(result.error) is expected, (result.image_id, result.error)
            with pytest.raises(expected):
                result.unwrap()
    stats = results.stats
    assert (stats.done, stats.in_flight) == (len(ids), 0)
    assert stats.ok == sum(r.ok for r in seen)
    assert stats.failed == len(ids) - stats.ok
    assert not bulk_tasks()


async def test_concurrency_ceiling_is_reached_and_never_exceeded(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    concurrency = 8
    full = asyncio.Event()

    async def hold_until_full(image_id: str) -> None:
        if probe.in_flight >= concurrency:
            full.set()
        # The first wave waits until `concurrency` requests are in flight at once (or gives up after 10 s).
        await asyncio.wait_for(full.wait(), 10)
        await asyncio.sleep(0.001)

    probe.on_image = hold_until_full
    ids = [f"i{n}" for n in range(60)]
    stock(job, ids)
    results = await client.get_image_infos(ids, data_annotation_id=JOB, concurrency=concurrency)
    assert all(r.ok for r in results)
    assert probe.max_in_flight == concurrency


async def test_ordered_yields_in_input_order_and_unordered_yields_every_id(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    async def jitter(image_id: str) -> None:
        await asyncio.sleep((hash(image_id) % 7) / 1000)

    probe.on_image = jitter
    ids = [f"o{n}" for n in range(120)]
    stock(job, ids)
    async with client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=10, ordered=True) as ordered:
        assert [r.image_id async for r in ordered] == ids
    async with client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=10) as unordered:
        assert sorted([r.image_id async for r in unordered]) == sorted(ids)
    results = await client.get_image_infos(ids, data_annotation_id=JOB)
    assert [r.image_id for r in results] == ids
    assert all(r.ok for r in results)


async def test_ordered_reorder_window_is_bounded_while_the_head_is_slow(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    concurrency, window = 2, 16 * 2  # ORDERED_WINDOW_PER_WORKER x concurrency
    release_head = asyncio.Event()
    pulled = 0

    async def hold_head(image_id: str) -> None:
        if image_id == "0":
            await release_head.wait()

    def ids() -> Iterator[str]:
        nonlocal pulled
        for n in range(10 * window):
            pulled += 1
            yield str(n)

    probe.on_image = hold_head
    stock(job, (str(n) for n in range(10 * window)))
    async with client.iter_image_infos(ids(), data_annotation_id=JOB, concurrency=concurrency, ordered=True) as s:
        first = asyncio.create_task(anext(s))
        assert await wait_until(lambda: len(probe.arrivals) >= window)
        await asyncio.sleep(0.2)  # give a run that ignored its window the chance to pull more
        assert pulled <= window + 1  # +1: a generator counts an id just before handing it over
        assert len(probe.arrivals) <= window
        assert not first.done()
        release_head.set()
        assert (await first).unwrap().image_id == "0"
        rest = [r.unwrap().image_id async for r in s]
    assert rest == [str(n) for n in range(1, 10 * window)]


async def test_a_million_id_generator_is_read_lazily() -> None:
    pulled = 0

    def million() -> Iterator[str]:
        nonlocal pulled
        for n in range(1_000_000):
            pulled += 1
            yield f"m{n}"

    transport = httpx.MockTransport(
        lambda r: httpx.Response(200, json={"is_success": True, "tags": ["x"]}),
    )
    async with (
        ModelArtsClient("http://fake", project_id="p", transport=transport) as client,
        client.iter_image_infos(million(), data_annotation_id="1", concurrency=8) as results,
    ):
        async for result in results:
            assert result.ok
            if results.stats.done >= 100:
                break
    assert pulled <= 100 + 8 * 8 + 8  # consumed + unordered window + one per worker
    assert not bulk_tasks()


async def test_async_iterable_input(job: FakeJob, client: ModelArtsClient) -> None:
    async def ids() -> AsyncIterator[str]:
        for n in range(25):
            await asyncio.sleep(0)
            yield f"a{n}"

    stock(job, (f"a{n}" for n in range(25)))
    results = await client.get_image_infos(ids(), data_annotation_id=JOB, concurrency=4)
    assert [r.image_id for r in results] == [f"a{n}" for n in range(25)]
    assert all(r.ok for r in results)


async def test_fail_fast_raises_the_first_error_and_cancels_what_is_in_flight(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    never = asyncio.Event()
    concurrency = 6

    async def one_bad_rest_hang(image_id: str) -> FakeReply | None:
        if image_id == "bad":
            # Answer once the others are all in flight, so there is something to cancel.
            await wait_until(lambda: probe.in_flight >= concurrency)
            return json_reply(404, {"error_code": "ModelArts.0102", "error_msg": "gone"})
        await never.wait()
        return None

    probe.on_image = one_bad_rest_hang
    ids = ["bad", *(f"h{n}" for n in range(100))]
    stock(job, ids)
    with pytest.raises(NotFoundError, match="gone"):
        async for _ in client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=concurrency, fail_fast=True):
            pass
    assert not bulk_tasks()
    assert len(probe.arrivals) == concurrency  # nothing new started after the failure
    assert await wait_until(lambda: probe.cancelled == concurrency - 1)  # the hanging requests were dropped


async def test_fail_fast_raises_through_get_image_infos(job: FakeJob, client: ModelArtsClient) -> None:
    stock(job, ["ok", "ok2"])
    with pytest.raises(InvalidArgumentError):
        await client.get_image_infos(["ok", "a/b", "ok2"], data_annotation_id=JOB, concurrency=1, fail_fast=True)
    assert not bulk_tasks()


@pytest.mark.parametrize("how", ["async with", "aclose"])
async def test_leaving_early_cancels_in_flight_requests_and_leaves_no_task(
    probe: Probe, job: FakeJob, client: ModelArtsClient, how: str
) -> None:
    never = asyncio.Event()

    async def first_fast_rest_hang(image_id: str) -> None:
        if image_id != "fast":
            await never.wait()

    probe.on_image = first_fast_rest_hang
    ids = ["fast", *(f"h{n}" for n in range(50))]
    stock(job, ids)
    if how == "async with":
        async with client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=5) as results:
            async for _ in results:
                break
    else:
        results = client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=5)
        await anext(results)
        await results.aclose()
    assert not bulk_tasks()  # deterministic: leaving the block awaited the clean-up
    # Every request but the answered one was dropped by the client, so the server cancelled its handler.
    assert await wait_until(lambda: probe.cancelled == len(probe.arrivals) - 1)
    assert probe.in_flight == 0
    assert results.stats.in_flight == 0
    with pytest.raises(StopAsyncIteration):
        await anext(results)


async def test_break_without_async_with_still_cancels_everything(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    never = asyncio.Event()

    async def first_fast_rest_hang(image_id: str) -> None:
        if image_id != "fast":
            await never.wait()

    probe.on_image = first_fast_rest_hang
    stock(job, ["fast"])
    async for result in client.iter_image_infos(["fast", "h1", "h2", "h3"], data_annotation_id=JOB, concurrency=4):
        assert result.ok
        break
    # The dropped stream cancels its run; nothing awaits that, so give the loop a moment (bounded, not timed).
    assert await wait_until(lambda: not bulk_tasks())
    assert await wait_until(lambda: probe.cancelled == len(probe.arrivals) - 1)


async def test_cancelling_the_consumer_cancels_the_run(probe: Probe, client: ModelArtsClient) -> None:
    never = asyncio.Event()

    async def hang(image_id: str) -> None:
        await never.wait()

    probe.on_image = hang

    async def consume() -> None:
        async with client.iter_image_infos([f"h{n}" for n in range(20)], data_annotation_id=JOB, concurrency=3) as s:
            async for _ in s:
                pass

    consumer = asyncio.create_task(consume())
    assert await wait_until(lambda: probe.in_flight == 3)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert not bulk_tasks()
    assert await wait_until(lambda: probe.cancelled == 3)


async def test_an_error_raised_by_the_input_propagates(client: ModelArtsClient) -> None:
    def ids() -> Iterator[str]:
        yield "a"
        raise LookupError("the id source broke")

    with pytest.raises(LookupError, match="source broke"):
        await client.get_image_infos(ids(), data_annotation_id=JOB)
    assert not bulk_tasks()


async def test_stats_describe_the_run(job: FakeJob, client: ModelArtsClient) -> None:
    stock(job, ["a", "b", "c"])
    stream = client.iter_image_infos(["a", "b", "", "c"], data_annotation_id=JOB, concurrency=2)
    assert isinstance(stream, ImageResultStream)
    assert stream.stats == BulkStats(
        done=0, ok=0, failed=0, in_flight=0, concurrency=2, attempts=0, throttled=0, elapsed=0.0
    )
    async with stream:
        async for _ in stream:
            assert stream.stats.in_flight <= 2
    stats = stream.stats
    assert (stats.done, stats.ok, stats.failed, stats.in_flight, stats.attempts) == (4, 3, 1, 0, 3)
    assert stats.concurrency == 2
    assert stats.rate > 0
    assert "ImageResultStream" in repr(stream)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"rate_limit": float("inf")}, "rate_limit"),
        ({"batch_size": 0}, "batch_size"),
        ({"data_annotation_id": "a/b"}, "data_annotation_id"),
        ({"image_ids": "abc"}, "not one string"),
        ({"image_ids": 5}, "iterable"),
    ],
)
async def test_bad_arguments_raise_at_the_call(kwargs: dict[str, Any], match: str) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    async with ModelArtsClient("http://fake", project_id="p", transport=transport, retry=NO_BACKOFF) as client:
        args: dict[str, Any] = {"image_ids": ["a"], "data_annotation_id": "1", **kwargs}
        with pytest.raises(InvalidArgumentError, match=match):
            client.iter_image_infos(args.pop("image_ids"), **args)


async def test_missing_project_raises_at_the_call() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    async with ModelArtsClient("http://fake", transport=transport, retry=NO_BACKOFF) as client:
        with pytest.raises(InvalidArgumentError, match="project_id"):
            client.iter_image_infos(["a"], data_annotation_id="1")
        results = await client.get_image_infos(["a"], data_annotation_id="1", project_id="given")
        assert isinstance(results[0].error, ServerError)


def test_image_result_unwrap_and_ok() -> None:
    error = NotFoundError("nope", status_code=404)
    failed = ImageResult("x", None, error)
    assert not failed.ok
    with pytest.raises(NotFoundError):
        failed.unwrap()
