"""The sender for what httpx must run: a user's `httpx.Auth` (and `IAMPasswordAuth`), `transport=`, `http_client=`.

httpx signs with the auth flow over the request's full URL (endpoint path prefix included), follows the user's
client settings (event hooks, proxies, base headers), and streams the answer so the body is read under the cap.
Whatever the transport raises, httpx's or aiohttp's own exceptions, comes out as the same typed error the
`AiohttpSender` gives for the same failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx

from .._exceptions import ClientStateError
from ._sender import Exchange, read_capped
from ._wire_errors import as_typed_error

__all__ = ["HttpxSender"]


class HttpxSender:
    """Sends through an `httpx.AsyncClient`; closes it on `aclose()` only when it is ours."""

    def __init__(
        self,
        endpoint: str,
        http: httpx.AsyncClient,
        auth: httpx.Auth | None,
        *,
        max_response_bytes: int,
        owns_http: bool,
    ) -> None:
        self._endpoint = endpoint
        self._http = http
        self._auth: httpx.Auth | httpx._client.UseClientDefault = auth or httpx.USE_CLIENT_DEFAULT
        self._max_response_bytes = max_response_bytes
        self._owns_http = owns_http

    async def send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, timeouts: httpx.Timeout
    ) -> Exchange:
        if self._http.is_closed:
            raise ClientStateError("the connection pool of this ModelArtsClient is closed: create a new client")
        try:
            return await self._send(method, path, headers, body, timeouts)
        except Exception as exc:
            error = as_typed_error(exc, method=method, path=path, closed=self._http.is_closed)
            if error is None:
                raise
        # Raised here, outside the handler, so that no exception chain carries the request's headers.
        raise error

    async def _send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, timeouts: httpx.Timeout
    ) -> Exchange:
        request = self._http.build_request(
            method, self._endpoint + path, headers=headers, content=body or None, timeout=timeouts
        )
        # Never follow a redirect, even on a user's client that does: httpx would carry X-Auth-Token and
        # X-Security-Token to the other host (it strips only Authorization). This API does not redirect.
        response = await self._http.send(request, auth=self._auth, stream=True, follow_redirects=False)
        try:
            content = await _read(response, self._max_response_bytes)
        finally:
            await response.aclose()
        return Exchange(response.status_code, response.headers, content)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


async def _read(response: httpx.Response, limit: int) -> bytes:
    """The body, raw bytes inflated by read_capped under the cap (httpx's decoders inflate each chunk whole).

    An auth flow or a mock may have read the answer already: then its decoded content is all there is.
    """
    if response.is_stream_consumed or hasattr(response, "_content"):
        return await read_capped(_one(response.content), response.headers, response.status_code, limit, encoded=False)
    return await read_capped(response.aiter_raw(), response.headers, response.status_code, limit)


async def _one(content: bytes) -> AsyncIterator[bytes]:
    yield content
