"""What the fake answers to one request, and the service's error body: shared by every route and adapter."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["JSON_HEADERS", "FakeReply", "dumps", "error_reply"]

JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}


class FakeReply(NamedTuple):
    """What the fake answers: a status, a body and headers, after `delay` seconds; or a dropped connection."""

    status: int
    body: bytes
    headers: Mapping[str, str]
    delay: float = 0.0
    drop: bool = False


def dumps(data: Any) -> bytes:
    """Compact JSON bytes, as the service sends them."""
    return json.dumps(data, separators=(",", ":")).encode()


def error_reply(status: int, code: str, message: str, *, is_success_field: bool = True) -> FakeReply:
    """An error answer; v1 bodies carry `is_success: false`, v2 bodies only `error_code` and `error_msg`."""
    body: dict[str, Any] = {"is_success": False} if is_success_field else {}
    body.update(error_code=code, error_msg=message)
    return FakeReply(status, dumps(body), JSON_HEADERS)
