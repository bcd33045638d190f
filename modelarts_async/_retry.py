"""Which failed attempts are worth another try, how long to wait before it, and the log lines about both.

A plain loop in `ModelArtsClient._call` uses this module; it is not built on a retry library because the success
path must cost well under a microsecond (stamina's `retry_context` costs ~50 µs per call, see the CHANGELOG), the
wait after a throttled answer depends on the error itself (`Retry-After`), and a `Retry-After` that would pass the
call's deadline must end the call at once. Waits and the clock are injectable per client, so tests never sleep.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from attrs import field, frozen

from ._exceptions import (
    APIError,
    InvalidArgumentError,
    ModelArtsError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    TransportError,
)
from ._log import logger
from ._service import never_retried

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_ATTEMPTS",
    "RETRIED_STATUSES",
    "RetryPolicy",
    "backoff",
    "log_attempt",
    "plan_retry",
]

DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_DEADLINE = 60.0
RETRIED_STATUSES = frozenset({500, 502, 503, 504})


def _positive(name: str) -> Callable[[Any, Any, float], None]:
    def check(_instance: Any, _attribute: Any, value: float) -> None:
        if not value > 0:
            raise InvalidArgumentError(f"{name} must be greater than 0, got {value!r}")

    return check


def _at_least_one(_instance: Any, _attribute: Any, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"max_attempts must be an int of at least 1, got {value!r}")


def _non_negative(_instance: Any, attribute: Any, value: float) -> None:
    if not value >= 0:
        raise InvalidArgumentError(f"{attribute.name} must be 0 or more, got {value!r}")


@frozen
class RetryPolicy:
    """How a call is retried; pass one as `ModelArtsClient(retry=...)` or `client.with_options(retry=...)`.

    Attempts that failed on the wire (refused, reset, closed mid-answer, connect/read/write timeouts), HTTP 429,
    500, 502, 503, 504 and the throttling codes `APIG.0308` / `ModelArts.0114` are retried; nothing else is, and an
    authentication failure never is. Between attempts the call waits with full jitter
    (`uniform(0, min(max_backoff, initial_backoff * 2 ** (attempt - 1)))`); after throttling it waits what
    `Retry-After` asked (at most `max_retry_after`), else `throttle_backoff * 2 ** (attempt - 1)` plus up to
    `throttle_jitter` seconds (at most `max_backoff`). A wait that would pass `deadline` ends the call at once
    with the last error.

    Tests switch waits off by passing their own `sleep` (and `clock`)::

        async def no_sleep(seconds: float) -> None:
            waits.append(seconds)

        client = ModelArtsClient(url, project_id="p", retry=RetryPolicy(sleep=no_sleep))
    """

    #: Attempts per call in total, the first included.
    max_attempts: int = field(default=DEFAULT_MAX_ATTEMPTS, validator=_at_least_one)
    #: Seconds from the first attempt's start after which no attempt starts, and which clamps each attempt's
    #: connect, read, write and pool timeouts (use `math.inf` for none).
    deadline: float = field(default=DEFAULT_DEADLINE, validator=_positive("deadline"))
    initial_backoff: float = field(default=0.5, validator=_non_negative)
    max_backoff: float = field(default=10.0, validator=_non_negative)
    throttle_backoff: float = field(default=2.0, validator=_non_negative)
    throttle_jitter: float = field(default=3.0, validator=_non_negative)
    max_retry_after: float = field(default=60.0, validator=_non_negative)
    #: Awaited with the seconds to wait between attempts.
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    #: Seconds on a monotonic clock; the deadline is measured with it.
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)


def retry_reason(error: ModelArtsError) -> str | None:
    """Why `error` is worth another attempt (a few words for the log), or None when it is not."""
    if isinstance(error, APIError):
        if never_retried(error.error_code):  # token refresh is the auth layer's single replay
            return None
        if isinstance(error, RateLimitError):
            return "throttled"
        if isinstance(error, ServerError) and error.status_code in RETRIED_STATUSES:
            return "server error"
        return None
    if isinstance(error, RequestTimeoutError):
        # A pool timeout means this process already has max_connections calls in flight: another attempt
        # would only queue again, so the caller learns it at once.
        return None if error.phase == "pool" else f"{error.phase} timeout"
    if isinstance(error, TransportError):
        return "connection failed"
    return None


def plan_retry(policy: RetryPolicy, error: ModelArtsError, attempt: int, remaining: float) -> tuple[str, float] | None:
    """`(reason, seconds to wait)` before another attempt after `attempt` failed with `error`, or None to stop."""
    if attempt >= policy.max_attempts:
        return None
    reason = retry_reason(error)
    if reason is None:
        return None
    wait = _wait(policy, error, attempt)
    if wait >= remaining:
        return None
    return reason, wait


def _wait(policy: RetryPolicy, error: ModelArtsError, attempt: int) -> float:
    growth = 2.0 ** (attempt - 1)
    if isinstance(error, APIError) and error.retry_after is not None:
        return min(error.retry_after, policy.max_retry_after)
    if isinstance(error, RateLimitError):
        base = policy.throttle_backoff * growth + random.uniform(0.0, policy.throttle_jitter)
        return min(base, max(policy.max_backoff, policy.throttle_backoff))
    return backoff(policy, attempt)


def backoff(policy: RetryPolicy, attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (full jitter, growing, at most `max_backoff`)."""
    return random.uniform(0.0, min(policy.max_backoff, policy.initial_backoff * 2.0 ** (attempt - 1)))


def describe(error: ModelArtsError) -> str:
    """A few words on how an attempt ended, with no message text: bodies and headers never reach the log."""
    if isinstance(error, APIError):
        return f"HTTP {error.status_code} {error.error_code}" if error.error_code else f"HTTP {error.status_code}"
    if isinstance(error, RequestTimeoutError):
        return f"{error.phase} timeout"
    if isinstance(error, ResponseValidationError) and error.status_code is not None:
        return f"HTTP {error.status_code} {type(error).__name__}"
    return type(error).__name__


def request_id_of(error: ModelArtsError) -> str | None:
    """The request id an error carries, if the service sent one."""
    return getattr(error, "request_id", None)


def log_attempt(method: str, path: str, outcome: str, attempt: int, elapsed: float, request_id: str | None) -> None:
    """One DEBUG line per attempt; call only when `logger.isEnabledFor(logging.DEBUG)`."""
    logger.debug(
        "%s %s -> %s (attempt %d, %.1f ms, request id %s)",
        method,
        path,
        outcome,
        attempt,
        elapsed * 1000.0,
        request_id,
    )


def log_retry(method: str, path: str, error: ModelArtsError, reason: str, attempt: int, wait: float) -> None:
    """One INFO line before waiting for another attempt (openai-python logs the same event at INFO)."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "%s %s: %s (%s) on attempt %d; retrying in %.2f s", method, path, reason, describe(error), attempt, wait
        )


def log_giving_up(method: str, path: str, error: ModelArtsError, attempt: int) -> None:
    """One WARNING line when a call fails with an error that was worth retrying: attempts or deadline ran out."""
    if retry_reason(error) is not None and logger.isEnabledFor(logging.WARNING):
        logger.warning("%s %s: giving up after %d attempt(s): %s", method, path, attempt, describe(error))
