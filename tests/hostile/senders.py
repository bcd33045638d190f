"""The three ways a client reaches the wire, so that every hostile test runs on each of them.

- `aiohttp`: the default client with no auth, `AKSKAuth` or `TokenAuth`: our own requests over aiohttp's pool.
- `httpx-aiohttp`: the httpx sender over the same aiohttp pool, as for `IAMPasswordAuth` or any user `httpx.Auth`
  (a trivial pass-through auth, or a subclass of ours that overrides `auth_flow`, as a user's would).
- `httpx`: the httpx sender over httpx's own transport (`transport=httpx.AsyncHTTPTransport()`).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Generator
from typing import Any

import httpx

from modelarts_async import ModelArtsClient
from modelarts_async.auth import AKSKAuth, IAMPasswordAuth, TokenAuth

__all__ = ["ALL_SENDERS", "HTTPX_SENDERS", "Waits", "iam_auth", "make_client", "sender_class_name", "user_auth"]

AIOHTTP = "aiohttp"
HTTPX_OVER_AIOHTTP = "httpx-aiohttp"
HTTPX = "httpx"
ALL_SENDERS = (AIOHTTP, HTTPX_OVER_AIOHTTP, HTTPX)
#: The senders IAMPasswordAuth can use (it needs httpx to run its token request).
HTTPX_SENDERS = (HTTPX_OVER_AIOHTTP, HTTPX)


class Waits:
    """A `RetryPolicy(sleep=...)` that records the waits between attempts instead of sleeping them."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


class PassThroughAuth(httpx.Auth):
    """A user's own (trivial) `httpx.Auth`: makes the client send with httpx over the default aiohttp pool."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield request


class UserAKSKAuth(AKSKAuth):
    """A user's subclass that overrides `auth_flow`: only httpx can run it."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield from super().auth_flow(request)


class UserTokenAuth(TokenAuth):
    """A user's subclass that overrides `auth_flow`: only httpx can run it."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield from super().auth_flow(request)


_SUBCLASSES: dict[type[httpx.Auth], type[httpx.Auth]] = {AKSKAuth: UserAKSKAuth, TokenAuth: UserTokenAuth}


def user_auth(sender: str, cls: type[httpx.Auth], *args: Any, **kwargs: Any) -> httpx.Auth:
    """An instance of auth class `cls` that makes a client over the default transport use `sender`."""
    if sender == HTTPX_OVER_AIOHTTP:
        cls = _SUBCLASSES.get(cls, cls)
    return cls(*args, **kwargs)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, loaded once: each transport would spend ~40 ms loading certifi (unused here)."""
    return httpx.create_ssl_context()


_EXPECTED_SENDER = {AIOHTTP: "AiohttpSender", HTTPX_OVER_AIOHTTP: "HttpxSender", HTTPX: "HttpxSender"}


def make_client(sender: str, url: str, *, auth: httpx.Auth | None = None, **options: Any) -> ModelArtsClient:
    """A client for `url` that sends with `sender`; `auth` must come from `user_auth(sender, ...)` (or be None)."""
    if sender == HTTPX_OVER_AIOHTTP and auth is None:
        auth = PassThroughAuth()
    if sender == AIOHTTP:
        assert auth is None or type(auth) in (AKSKAuth, TokenAuth), "the aiohttp sender signs only our own auths"
    if sender == HTTPX:
        options.setdefault("transport", httpx.AsyncHTTPTransport(verify=_tls_context()))
    options.setdefault("project_id", "hostile-project")
    client = ModelArtsClient(url, auth=auth, **options)
    expected = _EXPECTED_SENDER[sender]
    assert sender_class_name(client) == expected, f"{sender}: the client chose {sender_class_name(client)}"
    return client


def sender_class_name(client: ModelArtsClient) -> str:
    """Which sender the client chose (a guard that the parametrization means what it says).

    A wrapper that yields to respx while httpx is mocked holds the real sender as `_primary`.
    """
    sender = client._pipeline.sender
    sender = getattr(sender, "_primary", sender)
    return type(sender).__name__


def iam_auth(iam_url: str, password: str, **kwargs: Any) -> IAMPasswordAuth:
    return IAMPasswordAuth(
        username="alice",
        password=password,
        domain_name="acme",
        project_id="hostile-project",
        iam_endpoint=iam_url,
        **kwargs,
    )
