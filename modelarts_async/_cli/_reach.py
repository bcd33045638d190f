"""Failures to reach the endpoint at all, told in the command's terms: what to check first, the transport's words after.

    cannot reach https://modelarts.example.com: DNS lookup failed (check --endpoint or MODELARTS_ENDPOINT); ...

A DNS failure, a refused connection, a TLS failure or a connect timeout happens to every request of the run alike,
so an export that has not yet had one success stops at the first one instead of writing an error line per id.
"""

from __future__ import annotations

import socket
import ssl
from typing import Protocol

from .._exceptions import ModelArtsError, RequestTimeoutError, TransportError

__all__ = ["FailureAdvice", "PlainAdvice", "describe_failure", "is_reach_failure", "reach_failure"]

_CHECK = "check --endpoint or MODELARTS_ENDPOINT"
#: Words in a transport's message for each failure, for errors whose chain was not kept (lower case).
_DNS_WORDS = ("dnserror", "name or service not known", "nodename nor servname", "name resolution", "getaddrinfo")
_REFUSED_WORDS = ("refused", "connect call failed")
_TLS_WORDS = (
    "certificate",
    "sslerror",
    "sslcert",
    "handshake",
    "wrong version number",
    "wrong_version_number",
    "tlsv1",
)


class FailureAdvice(Protocol):
    """How the command words a failure that stops it: the message first, then a line of advice if any."""

    def describe(self, error: BaseException) -> str:
        """The message, leading with what to do when there is something to do."""

    def failure_hint(self, error: BaseException) -> str | None:
        """A further line of advice (e.g. no credentials were sent), or None."""


class PlainAdvice:
    """`FailureAdvice` without an endpoint to name (the demo): the error's own message, no hint."""

    def describe(self, error: BaseException) -> str:
        return str(error)

    def failure_hint(self, error: BaseException) -> str | None:
        return None


def reach_failure(error: BaseException) -> str | None:
    """Why the endpoint could not be reached at all ("DNS lookup failed"), or None for any other failure."""
    if isinstance(error, RequestTimeoutError):
        return "the connection timed out" if error.phase == "connect" else None
    if not isinstance(error, TransportError):
        return None
    chain = list(_chain(error))
    text = " ".join(f"{type(exc).__name__} {exc}" for exc in chain).lower()
    if any(isinstance(exc, socket.gaierror) for exc in chain) or any(word in text for word in _DNS_WORDS):
        return "DNS lookup failed"
    if any(isinstance(exc, ConnectionRefusedError) for exc in chain) or any(word in text for word in _REFUSED_WORDS):
        return "the connection was refused"
    if any(isinstance(exc, ssl.SSLError | ssl.CertificateError) for exc in chain) or any(
        word in text for word in _TLS_WORDS
    ):
        return "the TLS handshake failed"
    return None


def describe_failure(error: BaseException, endpoint: str) -> str:
    """`error`'s message, led by "cannot reach ENDPOINT: why (check ...)" when the endpoint could not be reached."""
    reason = reach_failure(error)
    if reason is None:
        return str(error)
    return f"cannot reach {endpoint}: {reason} ({_CHECK}); {error}"


def _chain(error: BaseException) -> list[BaseException]:
    """`error` and the exceptions chained under it, each once."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not other for other in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_reach_failure(error: BaseException) -> bool:
    """Whether `error` is a library error saying the endpoint could not be reached."""
    return isinstance(error, ModelArtsError) and reach_failure(error) is not None
