"""Constants and a loopback HTTP server shared by the core tests (imported as a module, never from conftest)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

ENDPOINT = "https://modelarts.cn-north-4.myhuaweicloud.com"
PROJECT = "cc0f0990a56f4f9b8b3e7b0e2c7e1f00"
JOB = "282"
IMAGE = "076e3caed758a1c18c91a0e9cae3368f"
TAGS_URL = f"{ENDPOINT}/v1/{PROJECT}/data-annotations/{JOB}/images/{IMAGE}/tags"


class Loopback:
    """A real HTTP server on 127.0.0.1 that answers every request with one configurable reply."""

    def __init__(self) -> None:
        self.url = ""
        self.status = 200
        self.body = b"{}"
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.requests: list[web.BaseRequest] = []
        self.peers: set[Any] = set()
        self.delay = 0.0

    def reply(self, status: int = 200, *, json_body: Any = None, body: bytes | None = None, **headers: str) -> None:
        self.status = status
        self.body = body if body is not None else json.dumps(json_body).encode()
        self.headers = {"Content-Type": "application/json", **headers}

    async def handle(self, request: web.BaseRequest) -> web.Response:
        self.requests.append(request)
        assert request.transport is not None
        self.peers.add(request.transport.get_extra_info("peername"))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.status, body=self.body, headers=self.headers)
