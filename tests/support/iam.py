"""A fake of IAM's token endpoint (for `IAMPasswordAuth`), and a clock the tests move by hand."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

import httpx

IAM_URL = "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens"
PASSWORD = "Pa55-w0rd-SECRET-9f1c"
NOW = 1_800_000_000.0


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeIAM:
    """Answers token requests with numbered tokens (`token-1`, `token-2`, ...) valid for `lifetime` seconds.

    Use it as a respx side effect: `router.post(IAM_URL).mock(side_effect=FakeIAM(clock))`.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lifetime = 86_400.0
        self.requests: list[httpx.Request] = []
        self.failure: tuple[int, Any] | None = None
        #: Tests count the calls they started, so each token answer records how many were waiting on it.
        self.started = 0
        self.answered_at_started: list[int] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for _ in range(5):
            await asyncio.sleep(0)  # let concurrent calls pile up behind this token request
        self.answered_at_started.append(self.started)
        if self.failure is not None:
            status, body = self.failure
            return httpx.Response(status, json=body, headers={"X-Request-Id": "iam-req-1"})
        token = f"token-{len(self.requests)}-SECRET"
        expires_at = _iso(self.clock.now + self.lifetime)
        return httpx.Response(
            201, json={"token": {"expires_at": expires_at, "methods": ["password"]}}, headers={"X-Subject-Token": token}
        )

    def body(self, index: int = 0) -> Any:
        return json.loads(self.requests[index].content)


def _iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
