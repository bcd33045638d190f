"""The options of a bulk run, checked once into one frozen value that every bulk method takes.

Public bulk methods take them as keyword arguments (`**options: Unpack[BulkKwargs]`, typed and documented here
once) and build a `BulkOptions`; a mistake raises `InvalidArgumentError` at the call, before anything runs.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

from attrs import field, frozen

from .._exceptions import InvalidArgumentError

__all__ = ["BulkKwargs", "BulkOptions"]

#: Results a run may hold (in flight + not yet consumed), per worker: unordered, then ordered (the reorder window).
UNORDERED_WINDOW_PER_WORKER = 8  # smaller windows make workers wait on the consumer: ~20% more CPU per id
ORDERED_WINDOW_PER_WORKER = 16
#: Batches amortise the consumer's wake-ups over many ids, so a batch run needs less room per worker.
BATCH_WINDOW_PER_WORKER = 2


class BulkKwargs(TypedDict, total=False):
    """The keyword arguments every bulk method takes; see `BulkOptions` for what each does."""

    concurrency: int
    ordered: bool
    rate_limit: float | None
    batch_size: int | None
    fail_fast: bool
    stop_after_not_found: int | None


def _count(_instance: Any, attribute: Any, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{attribute.name} must be a positive integer, got {value!r}")


def _optional_count(instance: Any, attribute: Any, value: object) -> None:
    if value is not None:
        _count(instance, attribute, value)


def _rate(_instance: Any, _attribute: Any, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"rate_limit must be a positive number of requests per second, got {value!r}")


def _flag(_instance: Any, attribute: Any, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{attribute.name} must be True or False, got {value!r}")


@frozen
class BulkOptions:
    """How a bulk run fetches: how many requests in flight, in which order results come, how fast, how batched."""

    #: Requests in flight at most (fewer while the service throttles: AIMD halves and regrows the limit).
    concurrency: int = field(default=32, validator=_count)
    #: Yield results in input order, holding up to 16 x concurrency results while an earlier one is slow.
    ordered: bool = field(default=False, validator=_flag)
    #: HTTP requests per second at most, retries included (a batch call is one request); None: no limit.
    rate_limit: float | None = field(default=None, validator=_rate)
    #: Keys per call of a batch endpoint (v1 only); a failed batch is split so one bad key cannot fail the rest.
    batch_size: int | None = field(default=None, validator=_optional_count)
    #: Raise the first error and cancel the rest, instead of yielding it as a failed result.
    fail_fast: bool = field(default=False, validator=_flag)
    #: N: when the first N results are all `NotFoundError` (none succeeded), the job or dataset id is most likely
    #: wrong, not the N ids: raise `NotFoundError` saying so from the stream and cancel the rest, instead of
    #: sending every other id to fail the same way (the results before it are yielded as usual). None: never.
    stop_after_not_found: int | None = field(default=None, validator=_optional_count)
    #: Results held at most (in flight + not yet consumed); None: the per-worker default for the mode.
    window: int | None = field(default=None, validator=_optional_count)

    @classmethod
    def of(cls, options: BulkKwargs) -> BulkOptions:
        """The options a bulk method's keyword arguments give; an unknown name raises `InvalidArgumentError`."""
        try:
            return cls(**options)
        except TypeError as exc:
            known = ", ".join(BulkKwargs.__annotations__)
            raise InvalidArgumentError(f"{exc.args[0].partition('() ')[2] or exc}; bulk options are {known}") from None

    def window_size(self) -> int:
        """How many results the run may hold: `window`, else the mode's default per worker."""
        if self.window is not None:
            return self.window
        if self.ordered:
            per_worker = ORDERED_WINDOW_PER_WORKER
        elif self.batch_size is None:
            per_worker = UNORDERED_WINDOW_PER_WORKER
        else:
            per_worker = BATCH_WINDOW_PER_WORKER
        return per_worker * self.concurrency * (self.batch_size or 1)
