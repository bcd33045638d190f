"""The backoff schedule, as a pure function of the policy, the error and the attempt number."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelarts_async import RateLimitError, RetryPolicy, ServerError
from modelarts_async._retry import plan_retry

POLICY = RetryPolicy()


def server_error() -> ServerError:
    return ServerError("HTTP 503", status_code=503)


def throttled(retry_after: float | None = None) -> RateLimitError:
    return RateLimitError("HTTP 429", status_code=429, error_code="APIG.0308", retry_after=retry_after)


@given(attempt=st.integers(1, 3))
def test_backoff_is_full_jitter_under_a_doubling_cap(attempt: int) -> None:
    plan = plan_retry(POLICY, server_error(), attempt, math.inf)
    assert plan is not None
    assert 0 <= plan[1] <= min(POLICY.max_backoff, POLICY.initial_backoff * 2 ** (attempt - 1))


@given(attempt=st.integers(1, 3))
def test_throttling_without_retry_after_waits_whole_seconds(attempt: int) -> None:
    plan = plan_retry(POLICY, throttled(), attempt, math.inf)
    assert plan is not None
    assert POLICY.throttle_backoff <= plan[1] <= POLICY.max_backoff


def test_retry_after_is_capped() -> None:
    assert plan_retry(POLICY, throttled(3600), 1, math.inf) == ("throttled", POLICY.max_retry_after)


@pytest.mark.parametrize("error", [server_error(), throttled(), throttled(30)], ids=["503", "429", "429-retry-after"])
def test_no_retry_when_the_wait_would_pass_the_deadline(error: ServerError) -> None:
    assert plan_retry(POLICY, error, 1, remaining=0.0) is None


def test_no_retry_after_the_last_attempt() -> None:
    assert plan_retry(POLICY, server_error(), POLICY.max_attempts, math.inf) is None
