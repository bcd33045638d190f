"""`BulkStats`: a snapshot of a bulk run's progress, shared by every stream the bulk engine runs."""

from __future__ import annotations

from attrs import frozen

__all__ = ["BulkStats"]


@frozen
class BulkStats:
    """A snapshot of a bulk run's progress, from `ImageResultStream.stats`; log it, or drive a progress bar.

    `concurrency` is the number of requests the run currently lets in flight: it starts at the `concurrency`
    you asked for, halves when the service throttles, and grows back by about one per round of successes.
    """

    #: Ids with an outcome so far (`ok + failed`).
    done: int
    ok: int
    failed: int
    #: HTTP attempts on the wire right now.
    in_flight: int
    #: The adaptive limit on `in_flight` (AIMD), never above the `concurrency` asked for.
    concurrency: int
    #: HTTP attempts started so far (batch mode sends many ids per attempt; retries add attempts).
    attempts: int
    #: Throttling answers seen (HTTP 429, `APIG.0308`, `ModelArts.0114`).
    throttled: int
    #: Seconds since the run started.
    elapsed: float

    @property
    def rate(self) -> float:
        """Outcomes per second since the run started (0.0 before anything finished)."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0
