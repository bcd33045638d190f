"""Batch calls that cannot let one bad key fail its neighbours: a batch that fails whole is halved and retried.

Splitting stops at single keys, and for errors that splitting cannot cure or would make worse: rejected
credentials (keys lock after 5 failures), no permission, throttling, and an API the gateway does not route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from .._exceptions import (
    APIError,
    AuthenticationError,
    ClientStateError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    TransportError,
)
from .._service import is_api_missing
from ._pacing import WorkerPacer

__all__ = ["fetch_splitting", "worth_splitting"]

V = TypeVar("V")

_NO_SPLIT = (AuthenticationError, PermissionDeniedError, RateLimitError)


async def fetch_splitting(
    chunk: list[tuple[int, Any]],
    fetch_batch: Callable[[list[Any], WorkerPacer], Awaitable[Mapping[Any, V | Exception]]],
    pacer: WorkerPacer,
    deliver: Callable[[int, Any, V | None, Exception | None], None],
) -> None:
    """Fetch `(position, key)` pairs in one call and `deliver` each key's outcome; halve the chunk on failure."""
    try:
        outcomes = await fetch_batch([key for _, key in chunk], pacer)
    except ClientStateError:
        raise
    except Exception as exc:
        error: Exception = exc
    else:
        for seq, key in chunk:
            outcome = outcomes.get(key, _NO_OUTCOME)
            if isinstance(outcome, Exception):
                deliver(seq, key, None, outcome)
            elif outcome is _NO_OUTCOME:
                deliver(seq, key, None, ResponseValidationError(f"the batch answer has no outcome for {key!r}"))
            else:
                deliver(seq, key, outcome, None)
        return
    finally:
        pacer.release()
    if len(chunk) > 1 and worth_splitting(error):
        half = len(chunk) // 2
        await fetch_splitting(chunk[:half], fetch_batch, pacer, deliver)
        await fetch_splitting(chunk[half:], fetch_batch, pacer, deliver)
        return
    for seq, key in chunk:
        deliver(seq, key, None, error)


_NO_OUTCOME: Any = object()


def worth_splitting(error: Exception) -> bool:
    """Whether halving a batch that failed whole with `error` may let some of its keys succeed."""
    if isinstance(error, _NO_SPLIT):
        return False
    if isinstance(error, NotFoundError):
        return not is_api_missing(error.error_code)  # a missing API stays missing for half a batch
    return isinstance(error, (APIError, TransportError, ResponseValidationError))
