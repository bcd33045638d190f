"""The lean hot path: send our own requests straight through the aiohttp session under the default transport.

httpx's per-request machinery (request building, the auth generator, cookies, the response stream chain) costs
about twice what aiohttp itself does (benchmarks/NOTES.md), so when nothing of the user's needs it — the client
built its own transport and the auth is `None`, `AKSKAuth` or `TokenAuth` — a request skips it. One aiohttp
session serves both paths: the httpx transport is handed the same session, so there is one connection pool.
Anything else (a user's `httpx.Auth`, `transport=`, `http_client=`, IAM password auth) goes through httpx.
"""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx

from ._exceptions import ResponseValidationError

if TYPE_CHECKING:
    import aiohttp

__all__ = ["NOT_DIRECT", "DirectSender", "Exchange", "HeaderSigner", "direct_signer", "read_capped"]

#: Adds headers to a request before it is sent: `(method, target, headers, body) -> headers to add`, where
#: `target` is the path with its query and `headers` are the (name, value) pairs that will be sent, Host included.
HeaderSigner = Callable[[str, str, list[tuple[str, str]], bytes], list[tuple[str, str]]]

_CHUNK = 64 * 1024


def _not_direct(method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    raise AssertionError("requests with this auth take the httpx path")


#: The signer of an auth that only httpx can run (its flow may send other requests or read answers).
NOT_DIRECT: HeaderSigner = _not_direct


def direct_signer(auth: httpx.Auth | None) -> HeaderSigner | None:
    """How the lean path adds `auth`'s headers: None for no auth, `NOT_DIRECT` when only httpx can run it.

    Only our own classes qualify, and only exactly them: a subclass may override `auth_flow`.
    """
    if auth is None:
        return None
    signer: HeaderSigner | None = getattr(auth, "direct_headers", None)
    if signer is None or type(auth).auth_flow is not getattr(type(auth), "_direct_auth_flow", None):
        return NOT_DIRECT
    return signer


class Exchange(NamedTuple):
    """What came back for one request: status, headers (case-insensitive lookups) and the whole body."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes


class DirectSender:
    """Owns the aiohttp session of a client that uses the default transport, and sends lean requests over it."""

    def __init__(self, endpoint: str, *, max_connections: int, max_response_bytes: int) -> None:
        self._endpoint = endpoint
        self._host = httpx.URL(endpoint).netloc.decode("ascii")
        self._max_connections = max_connections
        self._max_response_bytes = max_response_bytes
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def session(self) -> aiohttp.ClientSession:
        """The shared session, made on first use inside the running event loop (aiohttp binds it to that loop)."""
        if self._session is None:
            import aiohttp

            # httpx's trust store (certifi), as the httpx path would use; loading it costs ~0.1 s, so only for https.
            ssl = httpx.create_ssl_context() if self._endpoint.startswith("https:") else True
            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=ssl)
            # No cookie jar: this API sets no cookies, and parsing Set-Cookie per answer is pure cost.
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    def transport(self) -> httpx.AsyncBaseTransport:
        """The httpx transport for the requests that take the httpx path, sharing this sender's session."""
        from httpx_aiohttp import AiohttpTransport

        # The transport builds an SSL context in __init__ only for a session of its own, which it never makes here:
        # hand it an empty one instead of paying ~0.1 s to load a trust store nobody uses.
        unused = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_CLIENT)
        return AiohttpTransport(client=self.session, verify=unused)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        timeouts: httpx.Timeout,
        sign: HeaderSigner | None,
    ) -> Exchange:
        """Send one request and read its body under the size cap; aiohttp's exceptions pass through unmapped."""
        import yarl

        items = [("Host", self._host), *headers.items()]
        if sign is not None:
            items += sign(method, path, items, body)
        url = yarl.URL(self._endpoint + path, encoded=True)
        async with self.session().request(
            method, url, headers=items, data=body or None, timeout=self._client_timeout(timeouts), allow_redirects=False
        ) as response:
            content = await self._read(response)
            return Exchange(response.status, response.headers, content)

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        limit = self._max_response_bytes
        declared = response.content_length
        if declared is not None and declared <= limit and "Content-Encoding" not in response.headers:
            return await response.read()  # exactly `declared` bytes: one read, no chunk loop
        return await read_capped(
            response.content.iter_chunked(_CHUNK), declared, limit, response.status, response.headers
        )

    def _client_timeout(self, timeout: httpx.Timeout) -> aiohttp.ClientTimeout:
        """aiohttp's form of an httpx timeout, as the httpx-aiohttp transport maps it (write is not enforced)."""
        key = (timeout.connect, timeout.read, timeout.pool)
        cached = self._timeouts.get(key)
        if cached is None:
            import aiohttp

            cached = aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool)
            if len(self._timeouts) < 8:  # the client's own few; the many clamped near a deadline are not kept
                self._timeouts[key] = cached
        return cached


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
