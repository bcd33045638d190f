"""`AKSKAuth` (request signing with an access key) and `TokenAuth` (a fixed IAM token): `httpx.Auth` classes.

Both work with any httpx client, sync or async. Signing runs on every request of a bulk run, so `AKSKAuth`
does the least work it can: the `X-Sdk-Date` string is formatted once per second, the secret key is encoded once,
and the URL is rewritten only when its query is not already in canonical form.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import NamedTuple

import httpx

from ._exceptions import InvalidArgumentError
from ._signer import (
    UNSIGNED_PAYLOAD,
    HeaderBlock,
    authorization,
    canonical_query,
    canonical_request_from_block,
    format_sdk_date,
    header_block,
    needs_unsigned_payload,
    signature,
)

__all__ = ["AKSKAuth", "TokenAuth"]

#: Header sets an `AKSKAuth` keeps prepared (see `_SigningPlan`); past that it starts over.
_MAX_HEADER_SETS = 32


class _SigningPlan(NamedTuple):
    """For one set of headers to sign: the headers signing adds (but the date and `Authorization`), their
    canonical block, and `Authorization`'s value up to the signature."""

    added: tuple[tuple[str, str], ...]
    block: HeaderBlock
    authorization_prefix: str

    def __repr__(self) -> str:  # it holds the access key
        return "_SigningPlan(...)"


def credential(name: str, value: object, *, optional: bool = False) -> str | None:
    """`value` with surrounding whitespace stripped (a token read from a file ends in a newline), checked to be
    printable ASCII that can stand in a header; `InvalidArgumentError` otherwise, never echoing the value."""
    if optional and value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str, got {type(value).__name__}")
    value = value.strip()
    if not value:
        raise InvalidArgumentError(f"{name} must not be empty")
    if not value.isascii() or not value.isprintable():
        raise InvalidArgumentError(f"{name} must be printable ASCII (it holds a control or non-ASCII character)")
    return value


class AKSKAuth(httpx.Auth):
    """Sign every request with an access key (AK/SK, `SDK-HMAC-SHA256`), like Huawei Cloud's official SDKs.

    Pass `security_token=` with temporary credentials, and `project_id=` to send `X-Project-Id`. Surrounding
    whitespace is stripped from each value (keys and tokens read from files end in a newline)::

        client = ModelArtsClient(endpoint, project_id=pid, auth=AKSKAuth(ak, sk, project_id=pid))

    `clock` returns the POSIX time used for `X-Sdk-Date` (tests inject a fixed one); the gateway rejects a
    signature more than 15 minutes away from its own clock (APIG.0303).
    """

    requires_request_body = True

    def __init__(
        self,
        ak: str,
        sk: str,
        *,
        security_token: str | None = None,
        project_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ak = str(credential("ak", ak))
        self._sk_text = str(credential("sk", sk))
        self._sk = self._sk_text.encode()
        self._security_token = credential("security_token", security_token, optional=True)
        self._project_id = credential("project_id", project_id, optional=True)
        self._clock = clock
        self._date_second = -1
        self._date = ""
        self._plans: dict[tuple[tuple[str, str], ...], _SigningPlan] = {}

    def __repr__(self) -> str:
        temporary = ", security_token=***" if self._security_token else ""
        return f"AKSKAuth(ak=***, sk=***{temporary}, project_id={self._project_id!r})"

    def secret_values(self) -> tuple[str | None, ...]:
        """The values the client redacts from every error (see `_redact.py`)."""
        return self._ak, self._sk_text, self._security_token

    @property
    def project_id(self) -> str | None:
        """The project sent as `X-Project-Id`, if any."""
        return self._project_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add `X-Sdk-Date`, `Authorization` (and `X-Project-Id`, `X-Security-Token`) to the request."""
        self.sign(request)
        yield request

    def sign(self, request: httpx.Request) -> None:
        """Sign `request` in place (its query may be rewritten into the canonical order the gateway checks)."""
        url = request.url
        path, _, query = url.raw_path.decode("ascii").partition("?")
        canonical = canonical_query(query) if query else ""
        if canonical != query:
            # Send the query exactly as signed: no `+`-for-space ambiguity left for the gateway.
            request.url = url.copy_with(query=canonical.encode("ascii") or None)
        # Decode the headers once: httpx re-detects their encoding on every lookup, which costs more than signing.
        items = _decoded(request.headers.raw)
        for name, value in self._signing_headers(request.method, path, canonical, items, request.content):
            request.headers[name] = value

    def direct_headers(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> list[tuple[str, str]]:
        """The headers that sign a request given as plain values; `target` is its path and canonical query.

        The aiohttp sender (`_transport/_aiohttp.py`) calls this instead of running `auth_flow`; both sign alike.
        """
        path, _, query = target.partition("?")
        return self._signing_headers(method, path, query, headers, body)

    def _signing_headers(
        self, method: str, path: str, canonical: str, items: list[tuple[str, str]], body: bytes
    ) -> list[tuple[str, str]]:
        plan = self._plans.get(key := tuple(items)) or self._plan(key)
        date = self._sdk_date()
        canonical_request = canonical_request_from_block(method, path, canonical, plan.block, date, body)
        authorization = plan.authorization_prefix + signature(self._sk, date, canonical_request)
        return [("X-Sdk-Date", date), *plan.added, ("Authorization", authorization)]

    def _plan(self, items: tuple[tuple[str, str], ...]) -> _SigningPlan:
        """What signing a request with these headers adds, apart from the date and the signature; kept per set."""
        added = []
        if self._project_id is not None:
            added.append(("X-Project-Id", self._project_id))
        if self._security_token is not None:
            added.append(("X-Security-Token", self._security_token))
        if needs_unsigned_payload(items):
            added.append(("X-Sdk-Content-Sha256", UNSIGNED_PAYLOAD))
        block = header_block([*items, *added])
        plan = _SigningPlan(tuple(added), block, authorization(self._ak, block.signed_names, ""))
        if len(self._plans) >= _MAX_HEADER_SETS:  # a client sends a few header sets; never grow without bound
            self._plans.clear()
        self._plans[items] = plan
        return plan

    #: The aiohttp sender may call `direct_headers` instead of this flow (see `_transport/_aiohttp.header_signer`).
    _direct_auth_flow = auth_flow

    def _sdk_date(self) -> str:
        now = self._clock()
        second = int(now)
        if second != self._date_second:
            self._date = format_sdk_date(now)
            self._date_second = second
        return self._date


def _decoded(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    # Names are ASCII; values are signed as the UTF-8 text they carry, like the official SDK signs its str values.
    return [(name.decode("latin-1"), value.decode("utf-8", "surrogateescape")) for name, value in raw]


class TokenAuth(httpx.Auth):
    """Send an IAM token you already have as `X-Auth-Token` (it is never refreshed: see `IAMPasswordAuth`).

    Surrounding whitespace is stripped, so `TokenAuth(Path("token").read_text())` works.

    Example::

        client = ModelArtsClient(endpoint, project_id=pid, auth=TokenAuth(token))
    """

    def __init__(self, token: str) -> None:
        self._token = str(credential("token", token))

    def __repr__(self) -> str:
        return "TokenAuth(token=***)"

    def secret_values(self) -> tuple[str, ...]:
        """The values the client redacts from every error (see `_redact.py`)."""
        return (self._token,)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add `X-Auth-Token` to the request."""
        request.headers["X-Auth-Token"] = self._token
        yield request

    def direct_headers(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> list[tuple[str, str]]:
        """`X-Auth-Token`, for the aiohttp sender (`_transport/_aiohttp.py`), which calls this, not `auth_flow`."""
        return [("X-Auth-Token", self._token)]

    _direct_auth_flow = auth_flow
