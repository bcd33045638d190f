"""Test mocks see our requests: while respx or pytest-httpx patches httpx, the default client sends through httpx.

respx patches httpcore's connection pool (its default) or `httpx.AsyncClient._transport_for_url` (`using="httpx"`);
pytest-httpx patches `httpx.AsyncHTTPTransport.handle_async_request`. Our default sender goes straight to aiohttp
and would pass them all by, so `MockAwareSender` checks, per request, whether any of the three is patched (three
attribute reads, well under a microsecond) and if so sends that request through a plain `httpx.AsyncClient`, made on
first need, exactly as a user's own client would: the mock sees the same method, URL, headers and body.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping

import httpx

from ._sender import Exchange, Sender

__all__ = ["MockAwareSender", "httpx_is_mocked"]

_CLIENT = httpx.AsyncClient
_TRANSPORT = httpx.AsyncHTTPTransport


def httpx_is_mocked() -> bool:
    """Whether a test mock has replaced one of the methods respx or pytest-httpx patch (checked by origin, so a
    mock started before this module was imported is seen too).

    httpcore is looked at only once something imported it (a mock of it must have): `import modelarts_async`
    does not pay for it (~12 ms).
    """
    httpcore = sys.modules.get("httpcore")
    return not (
        _CLIENT._transport_for_url.__module__.startswith("httpx")
        and _TRANSPORT.handle_async_request.__module__.startswith("httpx")
        and (httpcore is None or httpcore.AsyncConnectionPool.handle_async_request.__module__.startswith("httpcore"))
    )


class MockAwareSender:
    """Sends with `primary`, except while httpx is mocked: then with the sender `make_mocked()` builds once.

    `send` is a plain function handing back the chosen sender's coroutine: no frame of its own per request.
    """

    def __init__(self, primary: Sender, make_mocked: Callable[[], Sender]) -> None:
        self._primary = primary
        self._make_mocked = make_mocked
        self._mocked: Sender | None = None

    def send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, timeouts: httpx.Timeout
    ) -> Awaitable[Exchange]:
        if httpx_is_mocked():
            if self._mocked is None:
                self._mocked = self._make_mocked()
            return self._mocked.send(method, path, headers, body, timeouts)
        return self._primary.send(method, path, headers, body, timeouts)

    async def aclose(self) -> None:
        await self._primary.aclose()
        if self._mocked is not None:
            await self._mocked.aclose()
