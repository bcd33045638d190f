"""The interface between the pipeline and the wire: a `Sender` sends one request and returns its whole `Exchange`.

Two senders implement it: `AiohttpSender` (our own requests straight over aiohttp's pool, the fast default) and
`HttpxSender` (anything httpx must run: a user's `httpx.Auth`, `transport=`, `http_client=`). Both sign exactly
the URL they send, read the body under the same cap, and raise only `ModelArtsError`s, the same type for the same
failure, so that retries, pacing and decoding above them are written once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, NamedTuple, Protocol

import httpx

from ._exceptions import ResponseValidationError

__all__ = ["Exchange", "Sender", "read_capped", "too_large"]


class Exchange(NamedTuple):
    """What came back for one request: status, headers (case-insensitive lookups) and the whole body."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes


class Sender(Protocol):
    """Sends one request to `endpoint + path` and reads its answer whole; raises only `ModelArtsError`s."""

    async def send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, timeouts: httpx.Timeout
    ) -> Exchange:
        """Send to `endpoint + path` (`path` starts with `/`, query included, encoded); the sender adds auth."""
        ...

    async def aclose(self) -> None:
        """Close the connections this sender owns (none when it was given the user's own HTTP client)."""
        ...


async def read_capped(
    chunks: AsyncIterator[bytes], declared: int | None, limit: int, status_code: int, headers: Mapping[str, Any]
) -> bytes:
    """A body read chunk by chunk, refusing at once to hold more than `limit` bytes (declared or decompressed)."""
    if declared is not None and declared > limit:
        raise too_large(status_code, headers, limit)
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(status_code, headers, limit)
        parts.append(chunk)
    return b"".join(parts)


def too_large(status_code: int, headers: Mapping[str, Any], limit: int) -> ResponseValidationError:
    """The error for an answer larger than `max_response_bytes`: it is never read whole."""
    return ResponseValidationError(
        f"HTTP {status_code}: the answer is larger than max_response_bytes={limit}",
        status_code=status_code,
        request_id=headers.get("x-request-id"),
    )


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The `Content-Length` an answer declares, or None when it declares none (or nonsense)."""
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None
