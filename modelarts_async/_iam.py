"""`IAMPasswordAuth`: an IAM token got with a password, shared by all calls, refreshed before it expires.

The token request is yielded from the auth flow, so it goes through the caller's own httpx client and transport
(proxies, test transports). One `asyncio.Lock` makes fetching single-flight: calls that wait while another one
fetches use its token — or fail with its error, so a wrong password costs IAM one attempt, not one per call.
A password IAM refused is never sent again by the same object: Huawei Cloud locks an account after repeated
failures.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from datetime import UTC, datetime
from typing import Any

import httpx

from ._decode import api_error, parse_retry_after, request_id_note
from ._exceptions import AuthenticationError, ClientStateError, InvalidArgumentError, ModelArtsError, TransportError
from ._service import error_fields, iam_endpoint_for_region, is_token_expired, is_token_rejected, is_valid_region

__all__ = ["IAMPasswordAuth", "says_token_expired"]

logger = logging.getLogger("modelarts_async.auth")

#: Used when IAM's answer has no readable `expires_at`: short, so a wrong guess costs one extra token request.
_FALLBACK_LIFETIME = 3600.0


class IAMPasswordAuth(httpx.Auth):
    """Get an IAM token with a user name and password, send it as `X-Auth-Token`, and refresh it before it expires.

    Example::

        auth = IAMPasswordAuth(username="alice", password=password, domain_name="my-account", region="cn-north-4")
        client = ModelArtsClient(endpoint, project_id=pid, auth=auth)

    The token is scoped to `project_id` when given, else to the project named like `region`. Pass `iam_endpoint=`
    for another IAM (e.g. `https://iam.myhuaweicloud.com`). A token-expired answer from ModelArts triggers one
    refresh and one replay of the call; IAM refusing the password raises `AuthenticationError` with IAM's code and
    message, and this object then refuses to try again (create a new one once the password is fixed).
    Works with `httpx.AsyncClient` only.
    """

    requires_request_body = True

    def __init__(
        self,
        *,
        username: str,
        password: str,
        domain_name: str,
        region: str | None = None,
        project_id: str | None = None,
        iam_endpoint: str | None = None,
        refresh_margin: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name, value in (("username", username), ("password", password), ("domain_name", domain_name)):
            if not isinstance(value, str) or not value:
                raise InvalidArgumentError(f"{name} must be a non-empty str")
        if region is not None and not is_valid_region(region):
            raise InvalidArgumentError(f"region must look like 'cn-north-4', got {region!r}")
        if iam_endpoint is None and region is None:
            raise InvalidArgumentError("pass region= (e.g. 'cn-north-4') or iam_endpoint=")
        if project_id is None and region is None:
            raise InvalidArgumentError("pass project_id= or region= (a token is scoped to a project)")
        self.username = username
        self.domain_name = domain_name
        self.region = region
        self.project_id = project_id
        self.iam_endpoint = (iam_endpoint or iam_endpoint_for_region(str(region))).rstrip("/")
        self._password = password
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        # Counts finished token requests, so a call that waited on the lock knows another call fetched meanwhile.
        self._generation = 0
        self._last_failure: ModelArtsError | None = None
        self._refused: AuthenticationError | None = None

    def secret_values(self) -> tuple[str | None, ...]:
        """The values the client redacts from every error (see `_redact.py`): the password and the current token."""
        return self._password, self._token

    def __repr__(self) -> str:
        return (
            f"IAMPasswordAuth(username={self.username!r}, password=***, domain_name={self.domain_name!r}, "
            f"region={self.region!r}, project_id={self.project_id!r}, iam_endpoint={self.iam_endpoint!r})"
        )

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Refuse synchronous clients: the single-flight token cache is built on asyncio."""
        raise ClientStateError("IAMPasswordAuth works with httpx.AsyncClient only; use TokenAuth with a sync client")
        yield request  # pragma: no cover  (makes this a generator, as httpx expects)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Attach a valid token (fetched first if needed); on a token-expired answer, refresh once and replay once."""
        generation = self._generation
        refresh = self._token is None or self._clock() >= self._refresh_at
        for is_replay in (False, True):
            if refresh:
                # Single flight: only the first caller of a generation asks IAM; the others reuse its outcome.
                async with self._lock:
                    if self._generation == generation:
                        flight = _Flight(self)
                        try:
                            await flight.finish((yield self._token_request(request)))
                        finally:
                            flight.close()
                    else:
                        self._check_last_flight()
                generation = self._generation
            request.headers["X-Auth-Token"] = self._current_token()
            response = yield request
            if is_replay or not 400 <= response.status_code < 500:
                return
            await response.aread()
            if not says_token_expired(response.status_code, response.content):
                return
            logger.debug("ModelArts answered that the token expired: refreshing it once and replaying the call")
            refresh = True

    def _current_token(self) -> str:
        if self._token is None:  # pragma: no cover  (a finished flight always sets the token or raises)
            raise ClientStateError("no IAM token is available")
        return self._token

    def _check_last_flight(self) -> None:
        """After waiting for another call's token request: raise its error if it failed."""
        if self._refused is not None:
            raise _again(self._refused)
        if self._last_failure is not None and (self._token is None or self._clock() >= self._refresh_at):
            raise _again(self._last_failure)

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        if self._refused is not None:
            raise _again(self._refused)
        if self.project_id is not None:
            scope: dict[str, Any] = {"project": {"id": self.project_id}}
        else:
            scope = {"project": {"name": self.region}}
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.username,
                            "password": self._password,
                            "domain": {"name": self.domain_name},
                        }
                    },
                },
                "scope": scope,
            }
        }
        extensions = {"timeout": request.extensions["timeout"]} if "timeout" in request.extensions else {}
        return httpx.Request(
            "POST",
            f"{self.iam_endpoint}/v3/auth/tokens",
            params={"nocatalog": "true"},  # the service catalog is large and unused
            json=body,
            headers={"Accept": "application/json"},
            extensions=extensions,
        )

    def _store(self, token: str, expires_at: float | None) -> None:
        now = self._clock()
        lifetime = (expires_at - now) if expires_at is not None else _FALLBACK_LIFETIME
        # Never plan a refresh sooner than half the lifetime: a short-lived token must not cause a request storm.
        self._refresh_at = now + max(lifetime - self._refresh_margin, lifetime / 2)
        self._token = token
        self._last_failure = None
        logger.debug("got an IAM token; it will be refreshed in %.0f s", self._refresh_at - now)


class _Flight:
    """One token request: records its outcome on the auth object, even when it ends without an answer."""

    def __init__(self, auth: IAMPasswordAuth) -> None:
        self._auth = auth
        self._done = False

    async def finish(self, response: httpx.Response) -> None:
        auth = self._auth
        await response.aread()
        self._done = True
        auth._generation += 1
        token = response.headers.get("x-subject-token")
        if response.is_success and token:
            auth._store(token, _expires_at(response.content))
            return
        error = _iam_error(response)
        auth._last_failure = error
        if isinstance(error, AuthenticationError):
            auth._refused = error  # IAM judged the credentials: never send them again
        raise error

    def close(self) -> None:
        """Called when the flight ends. Without an answer (the send failed), the calls that waited for it fail with a
        `TransportError` — retryable, as IAM never judged the password — instead of each sending the request again."""
        if self._done:
            return
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            return  # Cancelled, not failed: the next waiting call fetches the token itself.
        auth = self._auth
        auth._generation += 1
        auth._last_failure = TransportError(f"the IAM token request to {auth.iam_endpoint} got no answer")


def says_token_expired(status_code: int, body: bytes) -> bool:
    """True for token-expired answers: APIG.0307, ModelArts.0202, or 401 APIG.0301 whose message says expired."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    code, message = error_fields(data)
    if is_token_expired(code):
        return True
    return status_code == 401 and is_token_rejected(code) and "expire" in (message or "").lower()


def _iam_error(response: httpx.Response) -> ModelArtsError:
    """IAM's refusal of the credentials (a 4xx other than 429): `AuthenticationError`, final. Anything else —
    throttling, a 5xx, an answer without a token — is transient: an error the client's retry policy retries."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    code, message = error_fields(data) if isinstance(data, dict) else (None, None)
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    if response.is_success:
        return TransportError(
            f"IAM answered HTTP {status} without a token (X-Subject-Token){request_id_note(request_id)}"
        )
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return api_error(status, error_code=code, error_msg=message, request_id=request_id, retry_after=retry_after)
    detail = f" {code}" if code else ""
    text = f": {message}" if message else ""
    return AuthenticationError(
        f"IAM refused the token request: HTTP {status}{detail}{text}{request_id_note(request_id)}",
        status_code=status,
        error_code=code,
        error_msg=message,
        request_id=request_id,
    )


def _expires_at(body: bytes) -> float | None:
    """`token.expires_at` as a POSIX time, or None when it is missing or unreadable."""
    try:
        value = json.loads(body)["token"]["expires_at"]
        when = datetime.fromisoformat(value)
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _again(error: ModelArtsError) -> ModelArtsError:
    """A fresh copy, so each failing call gets its own traceback."""
    return copy.copy(error)
