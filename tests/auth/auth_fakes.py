"""Constants and fakes shared by the authentication tests (kept out of conftest.py so conftests cannot shadow)."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

import httpx

ENDPOINT = "https://modelarts.cn-north-4.myhuaweicloud.com"
IAM_URL = "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens"
PROJECT = "cc0f0990a56f4f9b8b3e7b0e2c7e1f00"
JOB = "282"
IMAGE = "076e3caed758a1c18c91a0e9cae3368f"
TAGS_URL = f"{ENDPOINT}/v1/{PROJECT}/data-annotations/{JOB}/images/{IMAGE}/tags"
PASSWORD = "Pa55-w0rd-SECRET-9f1c"
NOW = 1_800_000_000.0
OK_BODY = {"is_success": True, "image_id": IMAGE, "tags": ["animal", "fish"]}


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeIAM:
    """Answers token requests with numbered tokens (`token-1`, `token-2`, ...) valid for `lifetime` seconds."""

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
        expires = self.clock.now + self.lifetime
        expires_at = _iso(expires)
        return httpx.Response(
            201, json={"token": {"expires_at": expires_at, "methods": ["password"]}}, headers={"X-Subject-Token": token}
        )

    def body(self, index: int = 0) -> Any:
        return json.loads(self.requests[index].content)


def _iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
