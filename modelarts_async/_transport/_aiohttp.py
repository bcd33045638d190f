"""The default sender: our own requests straight through aiohttp's connection pool, skipping httpx's machinery.

httpx's per-request machinery (request building, the auth generator, cookies, the response stream chain) costs
about twice what aiohttp itself does (benchmarks/NOTES.md). When nothing of the user's needs it — the client built
its own transport and the auth signs plain values (`None`, `AKSKAuth`, `TokenAuth`) — the client sends with this
sender. `AiohttpPool` owns the one aiohttp session; an httpx client over the same pool (for `IAMPasswordAuth` or a
user's `httpx.Auth`) gets it through `AiohttpPool.httpx_transport()`.
"""

from __future__ import annotations

import contextlib
import ssl as ssl_module
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from .._exceptions import ClientStateError
from ._network import Network
from ._sender import Exchange, read_capped
from ._wire_errors import as_typed_error

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AiohttpPool", "AiohttpSender", "HeaderSigner", "header_signer"]

#: Adds headers to a request before it is sent: `(method, target, headers, body) -> headers to add`, where
#: `target` is the path with its query and `headers` are the (name, value) pairs that will be sent, Host included.
HeaderSigner = Callable[[str, str, list[tuple[str, str]], bytes], list[tuple[str, str]]]

_CHUNK = 64 * 1024
#: Header sets an `AiohttpSender` keeps built (one per project and body kind a client sends; more are rebuilt).
_MAX_HEADER_SETS = 16


def _no_headers(method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    return []


def header_signer(auth: httpx.Auth | None) -> HeaderSigner | None:
    """How to add `auth`'s headers to a plain request, or None when only httpx can run it.

    Only our own classes qualify, and only exactly them: a subclass may override `auth_flow`.
    """
    if auth is None:
        return _no_headers
    signer: HeaderSigner | None = getattr(auth, "direct_headers", None)
    if signer is None or type(auth).auth_flow is not getattr(type(auth), "_direct_auth_flow", None):
        return None
    return signer


class AiohttpPool:
    """Owns the aiohttp session (one connection pool) of a client that uses the default transport."""

    def __init__(self, endpoint: str, *, max_connections: int, network: Network) -> None:
        # Import aiohttp (~0.1 s) when the client is made, not inside its first call: a service's first request
        # should not pay for it. `import modelarts_async` alone stays without it.
        import aiohttp  # noqa: F401

        self._https = endpoint.startswith("https:")
        self._max_connections = max_connections
        self._network = network
        self._proxy = network.proxy_for(endpoint)
        self._session: aiohttp.ClientSession | None = None
        self.closed = False

    def session(self) -> aiohttp.ClientSession:
        """The shared session, made on first use inside the running event loop (aiohttp binds it to that loop)."""
        if self.closed:
            raise ClientStateError("the connection pool of this ModelArtsClient is closed: create a new client")
        if self._session is None:
            import aiohttp

            # httpx's trust store (certifi), as the httpx path would use; loading it costs ~0.1 s, so only for https.
            ssl = self._network.ssl_context() if self._https else True
            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=ssl)
            # No cookie jar: this API sets no cookies, and parsing Set-Cookie per answer is pure cost.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), proxy=self._proxy
            )
        return self._session

    def httpx_transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport over this pool's session, for requests that httpx must run."""
        from httpx_aiohttp import AiohttpTransport

        # The transport builds an SSL context in __init__ only for a session of its own, which it never makes here:
        # hand it an empty one instead of paying ~0.1 s to load a trust store nobody uses.
        unused = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_CLIENT)
        return AiohttpTransport(client=self.session, verify=unused)

    async def aclose(self) -> None:
        self.closed = True
        if self._session is not None:
            await self._session.close()

    def abandon(self) -> bool:
        """Close an open session's sockets now, without awaiting (its owner was garbage-collected unclosed).

        True when there was one to close. aiohttp then sees a closed session and does not warn in its own name.
        """
        session = self._session
        if self.closed or session is None or session.closed:
            return False
        self.closed = True
        connector = session.connector
        close_now = getattr(connector, "_close", None)  # aiohttp's synchronous close; absent: its own warning stands
        if close_now is not None:
            with contextlib.suppress(Exception):
                close_now()
        return True


class AiohttpSender:
    """Sends requests over an `AiohttpPool`, signing each with a `HeaderSigner` over exactly the target it sends.

    What is the same for every request of a client (its origin, Host, the header list per header set, the aiohttp
    timeout objects) is built once; a request costs one coroutine frame of ours, from the pipeline to its body.
    """

    def __init__(self, endpoint: str, pool: AiohttpPool, signer: HeaderSigner, *, max_response_bytes: int) -> None:
        parts = urlsplit(endpoint)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path.rstrip("/")  # a gateway's path prefix, e.g. `/modelarts`: sent and signed
        self._host = httpx.URL(endpoint).netloc.decode("ascii")
        self._pool = pool
        self._sign = signer
        self._max_response_bytes = max_response_bytes
        import yarl  # already loaded with aiohttp by the pool

        self._make_url = yarl.URL
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        #: The (name, value) list sent for each header set the pipeline passes, keyed by that mapping's identity
        #: (the pipeline keeps one object per header set); the mapping is held so its id cannot be reused.
        self._items: dict[int, tuple[Mapping[str, str], tuple[tuple[str, str], ...]]] = {}

    async def send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, timeouts: httpx.Timeout
    ) -> Exchange:
        target = self._prefix + path
        try:
            items = [*self._header_items(headers)]
            items += self._sign(method, target, items, body)
            response = await self._pool.session().request(
                method,
                self._make_url(self._origin + target, encoded=True),
                headers=items,
                data=body or None,
                timeout=self._client_timeout(timeouts),
                allow_redirects=False,
                auto_decompress=False,  # read_capped inflates under the size cap
            )
            try:
                limit = self._max_response_bytes
                declared = response.content_length
                if declared is not None and declared <= limit and "Content-Encoding" not in response.headers:
                    content = await response.read()  # exactly `declared` bytes: one read, no chunk loop
                else:
                    chunks = response.content.iter_chunked(_CHUNK)
                    content = await read_capped(chunks, response.headers, response.status, limit)
            finally:
                response.release()
                await response.wait_for_close()  # as `async with` does: no request-writer task left behind
            return Exchange(response.status, response.headers, content)
        except Exception as exc:
            error = as_typed_error(exc, method=method, path=path, closed=self._pool.closed)
            if error is None:
                raise
        # Raised here, outside the handler, so that no exception chain carries the request's headers.
        raise error

    def _header_items(self, headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        """Host and `headers` as (name, value) pairs, built once per header set."""
        cached = self._items.get(id(headers))
        if cached is not None and cached[0] is headers:
            return cached[1]
        items = (("Host", self._host), *headers.items())
        if len(self._items) >= _MAX_HEADER_SETS:  # a few per client (per project, with or without a body)
            self._items.clear()
        self._items[id(headers)] = (headers, items)
        return items

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

    async def aclose(self) -> None:
        """Nothing to close: the pool belongs to the client, which closes it."""
