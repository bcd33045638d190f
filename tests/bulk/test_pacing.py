"""Pacing of a bulk run: rate limit, AIMD concurrency under throttling, and the run-wide Retry-After pause.

The assertions hold whether `_call` makes one attempt or retries (each attempt passes the pacer): they count
requests as the server saw them, never how long something took.
"""

from __future__ import annotations

import asyncio

from support.bulk import bulk_tasks, stock
from support.constants import JOB
from support.probe import Probe, json_reply

from modelarts_async import ModelArtsClient, RateLimitError
from modelarts_async.testing import FakeJob, FakeReply


async def test_rate_limit_caps_requests_per_second(probe: Probe, job: FakeJob, client: ModelArtsClient) -> None:
    rate, ids = 40, [f"r{n}" for n in range(70)]
    stock(job, ids)
    start = asyncio.get_running_loop().time()
    results = await client.get_image_infos(ids, data_annotation_id=JOB, concurrency=16, rate_limit=rate)
    assert all(r.ok for r in results)
    assert len(probe.arrivals) == len(ids)
    # A bucket of one second's worth: by time t at most rate + rate * t requests can have arrived. Slowness only
    # makes arrivals later, so this bound cannot fail on a busy machine.
    for count, (arrived, _) in enumerate(sorted(probe.arrivals), start=1):
        assert count <= rate + rate * (arrived - start) + 1


async def test_throttling_storm_cuts_concurrency_to_one_then_it_grows_back(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    storm = 60

    async def throttle_first_requests(image_id: str) -> FakeReply | None:
        if len(probe.arrivals) <= storm:
            return json_reply(429, {"error_code": "APIG.0308", "error_msg": "limit:10,time:1 minute"})
        return None

    probe.on_image = throttle_first_requests
    concurrency, seen = 16, []
    ids = [f"s{n}" for n in range(400)]
    stock(job, ids)
    async with client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=16) as s:
        async for result in s:
            assert result.ok or isinstance(result.error, RateLimitError)
            seen.append(s.stats.concurrency)
    assert min(seen) == 1
    assert max(seen) <= concurrency
    assert probe.max_in_flight <= concurrency
    stats = s.stats
    assert stats.throttled >= storm
    assert 1 < stats.concurrency <= concurrency  # additive regrowth after the storm
    assert stats.done == 400
    assert not bulk_tasks()


async def test_retry_after_pauses_every_worker_of_the_run(probe: Probe, job: FakeJob, client: ModelArtsClient) -> None:
    concurrency, pause = 8, 0.4
    first_wave = asyncio.Event()
    throttled_at: list[float] = []

    async def throttle_the_first_wave(image_id: str) -> FakeReply | None:
        if len(probe.arrivals) > concurrency:
            return None
        if len(probe.arrivals) == concurrency:
            first_wave.set()
        await asyncio.wait_for(first_wave.wait(), 10)  # all `concurrency` workers are in flight at once
        throttled_at.append(asyncio.get_running_loop().time())
        body = {"error_code": "ModelArts.0114", "error_msg": "too frequent"}
        return json_reply(429, body, {"Retry-After": "0.4"})

    probe.on_image = throttle_the_first_wave
    ids = [f"p{n}" for n in range(40)]
    stock(job, ids)
    results = await client.get_image_infos(ids, data_annotation_id=JOB, concurrency=concurrency)
    assert [r.image_id for r in results] == ids
    assert all(r.ok or isinstance(r.error, RateLimitError) for r in results)
    later = [arrived for arrived, _ in probe.arrivals[concurrency:]]
    assert later  # the run went on after the pause
    # No worker started a request during the pause that the first throttling answer asked for.
    assert min(later) >= min(throttled_at) + pause
    assert sum(r.ok for r in results) >= len(ids) - concurrency
