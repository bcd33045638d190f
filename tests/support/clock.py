"""`FakeClock`: a clock for `RetryPolicy(sleep=..., clock=...)` that moves only when the retry loop sleeps."""

from __future__ import annotations


class FakeClock:
    """A clock that moves only when the retry loop sleeps: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
