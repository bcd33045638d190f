"""One mapping from any transport's exceptions, httpx's or aiohttp's own, to our typed errors.

The `httpx-aiohttp` transport reports a refused connection or a server hanging up as `httpx.ConnectTimeout`, and
aiohttp raises one exception for a slow connect and for a full pool; we look at the exception underneath (and the
frames it passed through) to tell users "refused", "closed", "connect timeout" and "pool timeout" apart.
"""

from __future__ import annotations

import httpx

from .._exceptions import ClientStateError, ModelArtsError, RequestTimeoutError, TransportError

__all__ = ["as_typed_error", "is_wire_error", "map_wire_error"]

_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}

# aiohttp's names for "the peer hung up": before answering, mid-body, or with a socket error.
_CLOSED_NAMES = frozenset({"ServerDisconnectedError", "ClientOSError", "ClientPayloadError"})


def as_typed_error(exc: Exception, *, method: str, path: str, closed: bool) -> ModelArtsError | None:
    """Our error for what a sender's HTTP stack raised, or None for an exception that is not the stack's report
    (a bug to let through). `closed`: the client was closed meanwhile, so a "session is closed" is ours to explain."""
    if isinstance(exc, ModelArtsError):
        return exc
    if is_wire_error(exc):
        return map_wire_error(exc, method=method, path=path)
    if isinstance(exc, RuntimeError) and closed:
        return ClientStateError("the ModelArtsClient was closed while this call was in flight")
    return None


def is_wire_error(exc: BaseException) -> bool:
    """Whether `exc` is the HTTP stack's report of a failed exchange (not a bug of ours to let through)."""
    return isinstance(exc, (httpx.TransportError, OSError, TimeoutError)) or _from_aiohttp(exc)


def map_wire_error(exc: BaseException, *, method: str, path: str) -> TransportError:
    """Our `TransportError` (or `RequestTimeoutError`) for what went wrong on the wire; chain `exc` to it.

    `exc` is an httpx exception (from any transport) or, on the lean path, aiohttp's own.
    """
    where = f"{method} {path}"
    cause = exc if _from_aiohttp(exc) else _root_cause(exc)
    name = type(cause).__name__
    if isinstance(cause, ConnectionRefusedError) or name == "ClientConnectorError":
        return TransportError(f"connection refused or unreachable for {where}: {cause}")
    if name in _CLOSED_NAMES or isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return TransportError(f"the server closed the connection without a full answer to {where}")
    phase = _timeout_phase(exc, cause)
    if phase is not None:
        return RequestTimeoutError(f"{phase} timeout for {where}", phase=phase)
    return TransportError(f"{type(exc).__name__} for {where}: {exc}")


def _timeout_phase(exc: BaseException, cause: BaseException | None) -> str | None:
    """Which timeout expired ("connect", "read", "write", "pool", "request"), or None when none did."""
    name = type(cause).__name__
    if name == "ConnectionTimeoutError":
        # aiohttp raises this one exception both when waiting for a pooled connection and when opening a socket
        # takes too long; only the frames it was raised through tell the two apart.
        return "pool" if _raised_in(cause, _POOL_WAIT_FRAME) else "connect"
    if name == "SocketTimeoutError":
        return "read"
    if isinstance(exc, httpx.TimeoutException):
        return _TIMEOUT_PHASES.get(type(exc), "request")
    if isinstance(exc, TimeoutError):
        return "request"
    return None


def _from_aiohttp(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("aiohttp")


# The aiohttp connector coroutine that waits for a free connection slot (aiohttp >= 3.10).
_POOL_WAIT_FRAME = "_wait_for_available_connection"


def _raised_in(exc: BaseException | None, function_name: str) -> bool:
    """Whether `exc`, or an exception chained under it, passed through a function of that name."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_name == function_name:
                return True
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    return False


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
