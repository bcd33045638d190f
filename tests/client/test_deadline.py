"""The shared deadline timers (`_deadline.py`): never early, at most a slot late, and an outer cancellation always
wins over the deadline, as with `asyncio.timeout`. Real event loop, real timers."""

from __future__ import annotations

import asyncio
import time

import pytest

from modelarts_async._deadline import Deadlines

#: A busy 2-core CI box may run a timer this late; the slot itself adds at most 1/256 of the time allowed.
SLACK = 0.5


async def _time_until_cancelled(deadlines: Deadlines, seconds: float) -> tuple[float, bool]:
    started = time.monotonic()
    watch = deadlines.watch(seconds)
    try:
        await asyncio.sleep(seconds + SLACK + 5)
    except asyncio.CancelledError:
        return time.monotonic() - started, watch.stop()
    raise AssertionError("the deadline never fired")


@pytest.mark.parametrize("seconds", [0.001, 0.03, 0.2])
async def test_a_deadline_fires_never_early_and_at_most_a_slot_late(seconds: float) -> None:
    elapsed, timed_out = await _time_until_cancelled(Deadlines(), seconds)
    assert timed_out
    assert seconds <= elapsed < seconds + seconds / 256 + 0.001 + SLACK


async def test_many_attempts_share_a_deadline_slot_and_each_is_cancelled() -> None:
    deadlines = Deadlines()
    outcomes = await asyncio.gather(*(_time_until_cancelled(deadlines, 0.05) for _ in range(200)))
    assert all(timed_out for _, timed_out in outcomes)
    assert all(0.05 <= elapsed < 0.05 + SLACK for elapsed, _ in outcomes)


async def test_a_watch_stopped_in_time_never_cancels() -> None:
    deadlines = Deadlines()
    watch = deadlines.watch(0.01)
    assert not watch.stop()
    await asyncio.sleep(0.1)  # past the slot's timer: nothing may reach this task any more
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_an_outer_cancellation_at_the_same_time_is_not_taken_for_the_deadline() -> None:
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[bool] = loop.create_future()

    async def attempt() -> None:
        watch = deadlines.watch(0.001)
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            outcome.set_result(watch.stop())
            raise

    task = asyncio.create_task(attempt())
    await asyncio.sleep(0)  # the attempt starts and waits
    loop.call_later(0.005, task.cancel)  # someone else cancels it, just after its deadline's slot
    time.sleep(0.05)  # noqa: ASYNC251 (blocks on purpose: both timers come due in one loop turn, the deadline's first)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome.result() is False


async def test_a_callers_own_timeout_around_a_deadline_stays_the_callers() -> None:
    deadlines = Deadlines()

    async def call() -> None:
        watch = deadlines.watch(30)
        try:
            await asyncio.sleep(1)
        finally:
            assert not watch.stop()

    with pytest.raises(TimeoutError):  # the caller's asyncio.timeout, not a deadline the callee turned into its own
        await asyncio.wait_for(call(), 0.01)
