"""The default HTTP transport, and one mapping from any transport's exceptions to our typed errors.

httpx's own pool collapses above ~16 concurrent requests (shared/PERFORMANCE.md), so the default is
`httpx_aiohttp.AiohttpTransport`, imported only when a client is built so `import modelarts_async` stays light.
That transport reports a refused connection or a server hanging up as `httpx.ConnectTimeout`; we look at the
exception it chained to tell users "refused" or "closed" from "timed out".
"""

from __future__ import annotations

import httpx

from ._exceptions import RequestTimeoutError, TransportError

__all__ = ["default_transport", "map_transport_error"]

_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}

# aiohttp's names for "the peer hung up": before answering, mid-body, or with a socket error.
_CLOSED_NAMES = frozenset({"ServerDisconnectedError", "ClientOSError", "ClientPayloadError"})


def default_transport(max_connections: int) -> httpx.AsyncBaseTransport:
    """An aiohttp-backed transport holding at most `max_connections` connections."""
    from httpx_aiohttp import AiohttpTransport

    return AiohttpTransport(limits=httpx.Limits(max_connections=max_connections))


def map_transport_error(exc: httpx.TransportError, *, method: str, path: str) -> TransportError:
    """Our `TransportError` (or `RequestTimeoutError`) for what went wrong on the wire; chain `exc` to it."""
    where = f"{method} {path}"
    cause = _root_cause(exc)
    if isinstance(cause, ConnectionRefusedError) or type(cause).__name__ == "ClientConnectorError":
        return TransportError(f"connection refused or unreachable for {where}: {cause}")
    if type(cause).__name__ in _CLOSED_NAMES or isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return TransportError(f"the server closed the connection without a full answer to {where}")
    if isinstance(exc, httpx.TimeoutException):
        phase = _timeout_phase(exc, cause)
        return RequestTimeoutError(f"{phase} timeout for {where}", phase=phase)
    return TransportError(f"{type(exc).__name__} for {where}: {exc}")


def _timeout_phase(exc: httpx.TimeoutException, cause: BaseException | None) -> str:
    name = type(cause).__name__
    if name == "ConnectionTimeoutError" and isinstance(exc, httpx.ConnectTimeout):
        # aiohttp's `connect` timeout covers waiting for a pooled connection and opening one; the
        # socket-connect part has its own exception, so this one is the pool wait.
        return "pool"
    return _TIMEOUT_PHASES.get(type(exc), "request")


def _root_cause(exc: BaseException) -> BaseException | None:
    """The innermost exception chained under `exc` (the transport's own), or None when there is none."""
    cause = exc.__cause__ or exc.__context__
    seen = {id(exc)}
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        inner = cause.__cause__ or cause.__context__
        if inner is None or type(cause).__module__.startswith("aiohttp"):
            return cause
        cause = inner
    return cause
