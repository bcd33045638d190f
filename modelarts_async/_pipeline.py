"""The one way a call reaches the service: pacing → attempt (sender) → decode → structure, retried as `RetryPolicy`
allows.

Data flows one way: a path (`_paths`) → `Pipeline.fetch` → `Pipeline.call` → a `Sender` (auth, transport, capped
body) → `decode_response` → a JSON object → the caller's converter → a model. Everything here is the same for both
senders and both API families, so a fix made here is made once. In particular every error a call can end with,
from the wire or from the converter, leaves `fetch` through `Redactor.scrub`: a server that echoes a credential
into any field cannot put it into a message, whichever part of the library noticed the field was wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import attrs
import httpx

from ._bulk._pacing import Pacer
from ._deadline import Deadlines
from ._decode import decode_response
from ._exceptions import ClientStateError, InvalidArgumentError, ModelArtsError, NotFoundError, RequestTimeoutError
from ._log import logger
from ._redact import Redactor
from ._retry import (
    RetryPolicy,
    describe,
    log_attempt,
    log_giving_up,
    log_retry,
    plan_retry,
    request_id_of,
)
from ._transport._sender import Sender

__all__ = ["Lifecycle", "Pipeline", "Reply"]

_Value = TypeVar("_Value")
_Key = TypeVar("_Key")

#: The shortest timeout an attempt is given when the call's deadline is nearly spent (0 would mean "no timeout").
_MIN_ATTEMPT_TIMEOUT = 0.001
#: Header sets a pipeline keeps built: one per project and body kind (a client rarely uses more than two).
_MAX_HEADER_SETS = 16


class Reply(NamedTuple):
    """A decoded successful answer, with what support needs if its content later proves invalid."""

    data: dict[str, Any]
    status_code: int
    #: As the server sent it, so it may echo a credential: quote it only in errors, which `fetch` scrubs.
    request_id: str | None


class Lifecycle:
    """Whether the client is closed, the event loop it belongs to and its calls' deadlines there; shared by a
    client and its copies."""

    def __init__(self) -> None:
        self.closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.deadlines = Deadlines()

    def check_usable(self) -> None:
        """Raise `ClientStateError` when the client is closed or used from a second event loop."""
        if self.closed:
            raise ClientStateError("this ModelArtsClient is closed: create a new one (or use `async with`)")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise ClientStateError(
                "this ModelArtsClient was first used in another event loop, which owns its connections: "
                "create one client per event loop (e.g. inside the coroutine passed to asyncio.run)"
            )


@attrs.define(slots=True)
class Pipeline:
    """Sends calls through one `Sender` with the client's headers, timeouts and retry policy."""

    sender: Sender
    lifecycle: Lifecycle
    headers: dict[str, str]
    retry: RetryPolicy
    timeout: httpx.Timeout
    #: AK/SK requests name their project in X-Project-Id (as the official SDK does) when the auth has none.
    sends_project: bool = False
    #: The client's endpoint, named in `NotFoundError`s: a wrong endpoint path is the usual cause.
    endpoint: str = ""
    #: Removes the client's secrets from every error that leaves a call.
    redactor: Redactor = attrs.field(factory=lambda: Redactor(tuple))
    _longest_timeout: float = attrs.field(init=False)
    _header_sets: dict[tuple[str | None, bool], dict[str, str]] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        parts = [math.inf if part is None else part for part in self.timeout.as_dict().values()]
        self._longest_timeout = max(parts, default=math.inf)

    def evolve(self, *, retry: RetryPolicy | None = None, timeout: httpx.Timeout | None = None) -> Pipeline:
        """A copy with other retry or timeout settings, over the same sender and lifecycle."""
        return attrs.evolve(self, retry=retry or self.retry, timeout=timeout or self.timeout)

    async def fetch(
        self,
        method: str,
        path: str,
        structure: Callable[[Reply], _Value],
        *,
        json_body: Any = None,
        pacer: Pacer | None = None,
        project_id: str | None = None,
    ) -> _Value:
        """Send a call (see `call`) and `structure` its answer into a value; what either raises is scrubbed.

        This is where every public call turns an answer into a model, so a converter that quotes a wrong value
        (which the server may have copied from the request's headers) cannot leak a credential.
        """
        reply = await self.call(method, path, json_body=json_body, pacer=pacer, project_id=project_id)
        try:
            return structure(reply)
        except ModelArtsError as error:
            raise self.redactor.scrub(error) from None

    def scrub_outcomes(self, outcomes: Mapping[_Key, _Value | ModelArtsError]) -> dict[_Key, _Value | ModelArtsError]:
        """`outcomes` (a batch answer's value or error per key) with every error through the same scrub as `fetch`."""
        scrub = self.redactor.scrub
        return {key: scrub(item) if isinstance(item, ModelArtsError) else item for key, item in outcomes.items()}

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        pacer: Pacer | None = None,
        project_id: str | None = None,
    ) -> Reply:
        """Send a call, retrying the attempts the policy allows; raise the last attempt's error with `attempts`.

        `project_id` is the project the path names; AK/SK requests send it as `X-Project-Id`.
        """
        self.lifecycle.check_usable()
        headers, body = self._request_parts(json_body, project_id)
        policy = self.retry
        clock = policy.clock
        deadline_at = math.inf
        attempt = 0
        error: ModelArtsError | None = None
        while True:
            attempt += 1
            if pacer is not None:
                # Time queued before the first attempt is not the call's; a retry must start within the deadline.
                within = math.inf if error is None else deadline_at - clock()
                if not await pacer.before_attempt(within):
                    assert error is not None
                    error.attempts = attempt - 1
                    raise self.redactor.scrub(error)
            started = clock()
            if attempt == 1:
                deadline_at = started + policy.deadline
            try:
                reply = await self._attempt(method, path, headers, body, deadline_at - started)
            except ModelArtsError as exc:
                error = exc
            else:
                if pacer is not None:
                    pacer.after_attempt(None)
                if logger.isEnabledFor(logging.DEBUG):
                    request_id = reply.request_id and self.redactor.redact(reply.request_id)
                    log_attempt(method, path, f"HTTP {reply.status_code}", attempt, clock() - started, request_id)
                return reply
            if pacer is not None:
                pacer.after_attempt(error)
            if self.lifecycle.closed and not isinstance(error, ClientStateError):
                # Closed under this call: the transport only saw its connection go (refused, reset, a timeout).
                raise ClientStateError("the ModelArtsClient was closed while this call was in flight") from None
            ended = clock()
            if logger.isEnabledFor(logging.DEBUG):
                log_attempt(method, path, describe(error), attempt, ended - started, request_id_of(error))
            plan = plan_retry(policy, error, attempt, deadline_at - ended)
            if plan is None:
                error.attempts = attempt
                log_giving_up(method, path, error, attempt)
                if isinstance(error, NotFoundError):
                    error.args = (f"{error.args[0]} (requested {method} {self.endpoint}{path})", *error.args[1:])
                raise self.redactor.scrub(error)
            reason, wait = plan
            log_retry(method, path, error, reason, attempt, wait)
            await policy.sleep(wait)

    def _request_parts(self, json_body: Any, project_id: str | None) -> tuple[dict[str, str], bytes]:
        headers = self._headers_for(project_id if self.sends_project else None, json_body is not None)
        if json_body is None:
            return headers, b""
        return headers, json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()

    def _headers_for(self, project_id: str | None, with_body: bool) -> dict[str, str]:
        """The request headers for a project and body kind: built once, and the same object every time after
        (senders cache what they derive from it, keyed by it)."""
        key = (project_id, with_body)
        headers = self._header_sets.get(key)
        if headers is not None:
            return headers
        headers = self.headers
        if project_id is not None:
            if not project_id.isascii():  # the path percent-encodes it; a header cannot
                raise InvalidArgumentError(f"project_id {project_id!r} must be ASCII to be sent as X-Project-Id")
            headers = {**headers, "X-Project-Id": project_id}
        if with_body:
            headers = {**headers, "Content-Type": "application/json"}
        if len(self._header_sets) >= _MAX_HEADER_SETS:
            self._header_sets.clear()
        self._header_sets[key] = headers
        return headers

    async def _attempt(self, method: str, path: str, headers: dict[str, str], body: bytes, remaining: float) -> Reply:
        """One HTTP exchange within `remaining` seconds: send, read the body under the cap, decode.

        Each phase's timeout is cut to the deadline, and a timer bounds the whole exchange, so a server that
        trickles its answer byte by byte cannot keep a call past its deadline. Raises only `ModelArtsError`s.
        """
        timeouts = self._timeout_within(remaining)
        if remaining == math.inf:
            exchange = await self.sender.send(method, path, headers, body, timeouts)
        else:
            watch = self.lifecycle.deadlines.watch(max(remaining, _MIN_ATTEMPT_TIMEOUT))
            try:
                exchange = await self.sender.send(method, path, headers, body, timeouts)
            except BaseException as exc:
                if watch.stop() and isinstance(exc, asyncio.CancelledError):
                    raise RequestTimeoutError(
                        f"the call's deadline passed during {method} {path}", phase="deadline"
                    ) from None
                raise
            watch.stop()
        data = decode_response(exchange.status_code, exchange.headers, exchange.body, redact=self.redactor.redact)
        # As sent: the errors that quote it leave `fetch` scrubbed, and the debug log redacts it.
        return Reply(data, exchange.status_code, exchange.headers.get("x-request-id"))

    def _timeout_within(self, remaining: float) -> httpx.Timeout:
        """This attempt's timeouts, each cut to the call's remaining deadline when that is shorter."""
        if remaining >= self._longest_timeout:
            return self.timeout
        cut = max(remaining, _MIN_ATTEMPT_TIMEOUT)
        parts = self.timeout.as_dict()
        return httpx.Timeout(**{k: cut if v is None else min(v, cut) for k, v in parts.items()})
