"""Pacing: how every HTTP attempt of a bulk run waits its turn (a Retry-After pause, AIMD slots, a rate limit).

`Pacer` is the hook the pipeline calls around each attempt, retries included; a single call runs without one.
A bulk run shares one `RunPacing` between its workers, each of which holds a `WorkerPacer` view of it.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import TYPE_CHECKING, Protocol

from .._exceptions import APIError, ModelArtsError, RateLimitError
from .._log import logger

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

__all__ = ["MAX_PAUSE", "Pacer", "RatePacer", "RunPacing", "WorkerPacer"]

#: A `Retry-After` longer than this pauses the run only this long (a misconfigured gateway must not stall an ETL).
MAX_PAUSE = 60.0


class Pacer(Protocol):
    """Asked before each HTTP attempt and told how it ended; a single call runs without one."""

    async def before_attempt(self, within: float) -> bool:
        """Wait until a new attempt may start (a rate limit, or a pause the service asked for); False when it
        could not start within `within` seconds (the call's deadline): the call then ends with its last error."""

    def after_attempt(self, error: ModelArtsError | None) -> None:
        """Learn how an attempt ended: None for an answer that is not an error, else the typed error."""


class RunPacing:
    """What all workers of a run share before each attempt: a Retry-After pause, AIMD slots, a rate limiter.

    AIMD: the limit halves on a throttling answer (at most once per round of requests: answers to requests sent
    before the last cut do not cut again) and grows by 1/limit per answer that was not throttled, i.e. by about
    one per round, up to `maximum`.
    """

    def __init__(self, maximum: int, rate_limit: float | None) -> None:
        self.maximum = maximum
        self.limit = float(maximum)
        self.in_flight = 0
        self.attempts = 0
        self.throttled = 0
        self.epoch = 0  # counts the cuts
        self.resume_at = 0.0  # loop time before which no attempt starts (0: no pause)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._limiter = limiter(rate_limit)

    def try_enter(self) -> int | None:
        """Take a slot now when nothing stands in the way (no pause, a free slot, no rate limit): the epoch it
        started in; else None, and `enter` waits. Saves a bulk run's attempts two coroutines each."""
        if self._limiter is not None or self.in_flight >= int(self.limit):
            return None
        if self.resume_at and self.resume_at > asyncio.get_running_loop().time():
            return None
        self.in_flight += 1
        self.attempts += 1
        return self.epoch

    async def enter(self, within: float = math.inf) -> int | None:
        """Wait for the pause to end, a slot and a rate token; take the slot; return the epoch it started in.

        None when that cannot happen within `within` seconds: a pause that outlasts it fails at once.
        """
        if within == math.inf:
            return await self._enter()
        if self.resume_at - asyncio.get_running_loop().time() >= within:
            return None
        try:
            async with asyncio.timeout(within):
                return await self._enter()
        except TimeoutError:
            return None

    async def _enter(self) -> int:
        while True:
            if self.resume_at:
                delay = self.resume_at - asyncio.get_running_loop().time()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue
            if self.in_flight >= int(self.limit):
                await self._wait_for_slot()
                continue
            self.in_flight += 1
            if self._limiter is not None:
                try:
                    await self._limiter.acquire()
                except BaseException:
                    self.leave_slot()
                    raise
                if self.resume_at > asyncio.get_running_loop().time():  # a pause began while we waited for a token
                    self.leave_slot()
                    continue
            self.attempts += 1
            return self.epoch

    def leave(self, error: ModelArtsError | None, epoch: int) -> None:
        """Give the slot back and learn from how the attempt ended."""
        self.in_flight -= 1
        if isinstance(error, RateLimitError):
            self._throttled(error, epoch)
        elif (error is None or (isinstance(error, APIError) and error.status_code < 500)) and self.limit < self.maximum:
            self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
        if self._waiters:
            self._wake()

    def leave_slot(self) -> None:
        """Give the slot back without a verdict (the attempt was cancelled, or failed outside the HTTP layer)."""
        self.in_flight -= 1
        if self._waiters:
            self._wake()

    def _throttled(self, error: RateLimitError, epoch: int) -> None:
        self.throttled += 1
        if error.retry_after:
            now = asyncio.get_running_loop().time()
            resume_at = now + min(error.retry_after, MAX_PAUSE)
            if resume_at > self.resume_at + 1.0:  # a new pause, not the same one reported by its other answers
                logger.warning("the service throttled the run: pausing every request for %.1f s", resume_at - now)
            self.resume_at = max(self.resume_at, resume_at)
        if epoch == self.epoch:
            self.limit = max(1.0, self.limit / 2)
            self.epoch += 1

    async def _wait_for_slot(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._wake()
            raise

    def _wake(self) -> None:
        room = int(self.limit) - self.in_flight
        while room > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                room -= 1


class WorkerPacer:
    """One worker's view of the run's `RunPacing`, implementing the `Pacer` protocol `_call` expects.

    It remembers whether its worker holds a slot, so a slot is given back exactly once even when an attempt
    ends without `after_attempt` (cancellation, or an error outside our error tree).
    """

    __slots__ = ("_epoch", "_holding", "_pacing")

    def __init__(self, pacing: RunPacing) -> None:
        self._pacing = pacing
        self._holding = False
        self._epoch = 0

    async def before_attempt(self, within: float = math.inf) -> bool:
        self.release()
        epoch = self._pacing.try_enter()
        if epoch is None:
            epoch = await self._pacing.enter(within)
            if epoch is None:
                return False
        self._epoch = epoch
        self._holding = True
        return True

    def after_attempt(self, error: ModelArtsError | None) -> None:
        if self._holding:
            self._holding = False
            self._pacing.leave(error, self._epoch)

    def release(self) -> None:
        if self._holding:
            self._holding = False
            self._pacing.leave_slot()


class RatePacer:
    """A rate limit alone, shared by the calls that hold it (a listing's page requests, retries included)."""

    __slots__ = ("_limiter",)

    def __init__(self, rate_limit: float) -> None:
        self._limiter = limiter(rate_limit)

    async def before_attempt(self, within: float = math.inf) -> bool:
        assert self._limiter is not None
        if within == math.inf:
            await self._limiter.acquire()
            return True
        try:
            async with asyncio.timeout(within):
                await self._limiter.acquire()
        except TimeoutError:
            return False
        return True

    def after_attempt(self, error: ModelArtsError | None) -> None:
        pass


def limiter(rate_limit: float | None) -> AsyncLimiter | None:
    if rate_limit is None:
        return None
    from aiolimiter import AsyncLimiter

    # A leaky bucket of one second's worth of requests; below 1/s, one request per 1/rate seconds.
    return AsyncLimiter(rate_limit, 1.0) if rate_limit >= 1 else AsyncLimiter(1, 1.0 / rate_limit)
