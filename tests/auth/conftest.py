"""Fixtures of the authentication tests: a fake IAM and a fake ModelArts behind one respx router."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx
from support.constants import CLASSIFICATION, TAGS_URL
from support.iam import IAM_URL, Clock, FakeIAM


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def iam(clock: Clock) -> FakeIAM:
    return FakeIAM(clock)


@pytest.fixture
def auth_router(iam: FakeIAM) -> respx.Router:
    router = respx.Router(assert_all_called=False)
    router.post(IAM_URL).mock(side_effect=iam)
    return router


@pytest.fixture
def tokens_seen() -> list[str | None]:
    return []


@pytest.fixture
def modelarts(auth_router: respx.Router, tokens_seen: list[str | None]) -> Callable[..., respx.Route]:
    """Route ModelArts' tags URL to a list of answers (the last one repeats), recording the tokens it saw."""

    def install(*answers: httpx.Response) -> respx.Route:
        queue = list(answers) or [httpx.Response(200, json=CLASSIFICATION)]

        def answer(request: httpx.Request) -> httpx.Response:
            tokens_seen.append(request.headers.get("x-auth-token"))
            return queue.pop(0) if len(queue) > 1 else queue[0]

        return auth_router.get(TAGS_URL).mock(side_effect=answer)

    return install
