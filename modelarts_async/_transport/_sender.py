"""The interface between the pipeline and the wire: a `Sender` sends one request and returns its whole `Exchange`.

Two senders implement it: `AiohttpSender` (our own requests straight over aiohttp's pool, the fast default) and
`HttpxSender` (anything httpx must run: a user's `httpx.Auth`, `transport=`, `http_client=`). Both sign exactly
the URL they send, read the body under the same cap, and raise only `ModelArtsError`s, the same type for the same
failure, so that retries, pacing and decoding above them are written once.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, NamedTuple, Protocol

import httpx

from .._exceptions import ResponseValidationError

__all__ = ["ACCEPT_ENCODING", "Exchange", "Sender", "declared_length", "read_capped", "too_large"]

#: The encodings `read_capped` decodes (with a bound on what it inflates), asked for on every request.
ACCEPT_ENCODING = "gzip, deflate"


class Exchange(NamedTuple):
    """What came back for one request: status, headers (case-insensitive lookups) and the whole body."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes


class Sender(Protocol):
    """Sends one request to `endpoint + path` and reads its answer whole; raises only `ModelArtsError`s."""

    def send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, timeouts: httpx.Timeout
    ) -> Awaitable[Exchange]:
        """Send to `endpoint + path` (`path` starts with `/`, query included, encoded); the sender adds auth.

        `headers` is the same object for every call with the same headers, so a sender may key a cache on it.
        A plain `def` returning another sender's coroutine satisfies this too, without a frame of its own.
        """
        ...

    async def aclose(self) -> None:
        """Close the connections this sender owns (none when it was given the user's own HTTP client)."""
        ...


async def read_capped(
    chunks: AsyncIterator[bytes], headers: Mapping[str, str], status_code: int, limit: int, *, encoded: bool = True
) -> bytes:
    """The body from raw `chunks`, decompressed as it streams, refusing at once to hold more than `limit` bytes.

    The cap counts decompressed bytes, and no chunk is ever inflated past it: a small gzip bomb costs at most
    `limit` bytes of memory. An encoding we cannot decode, or a corrupt or cut-off compressed body, raises
    `ResponseValidationError` (the same on every sender). `encoded=False`: the chunks are already decoded.
    """
    declared = declared_length(headers)
    if declared is not None and declared > limit:
        raise too_large(status_code, headers, limit)
    encoding = headers.get("content-encoding", "").strip().lower() if encoded else ""
    decoder = _Decoder(encoding, status_code, headers) if encoding not in ("", "identity") else None
    parts, size = [], 0
    async for chunk in chunks:
        if decoder is not None:
            chunk = decoder.feed(chunk, limit - size + 1)
        size += len(chunk)
        if size > limit:
            raise too_large(status_code, headers, limit)
        parts.append(chunk)
    if decoder is not None:
        decoder.finish()
    return b"".join(parts)


class _Decoder:
    """Incremental gzip/deflate decoding that never produces more than it is asked for."""

    def __init__(self, encoding: str, status_code: int, headers: Mapping[str, str]) -> None:
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise _undecodable(encoding, "an encoding this client did not ask for", status_code, headers)
        self._encoding = encoding
        self._status_code = status_code
        self._headers = headers
        # gzip: a gzip header; deflate: a zlib stream, or (like some servers send) raw deflate, tried on failure.
        self._wbits = 31 if encoding != "deflate" else 15
        self._inflate = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, max_length: int) -> bytes:
        """Inflate `data`; stop at `max_length` bytes (the caller then refuses the body as too large)."""
        try:
            out = self._inflate.decompress(data, max_length)
        except zlib.error:
            if self._encoding != "deflate" or self._started:
                raise self._corrupt() from None
            self._inflate = zlib.decompressobj(-15)
            self._wbits = -15
            try:
                out = self._inflate.decompress(data, max_length)
            except zlib.error:
                raise self._corrupt() from None
        self._started = True
        if self._inflate.unconsumed_tail:
            return out + b"\0"  # more output is pending: one byte over the remaining room marks the body too large
        return out

    def finish(self) -> None:
        if not self._inflate.eof:
            raise _undecodable(self._encoding, "the compressed body is cut off", self._status_code, self._headers)

    def _corrupt(self) -> ResponseValidationError:
        return _undecodable(self._encoding, "the compressed body is corrupt", self._status_code, self._headers)


def _undecodable(encoding: str, why: str, status_code: int, headers: Mapping[str, str]) -> ResponseValidationError:
    return ResponseValidationError(
        f"HTTP {status_code}: cannot decode Content-Encoding {encoding!r}: {why}",
        status_code=status_code,
        request_id=headers.get("x-request-id"),
    )


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
