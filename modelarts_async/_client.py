"""`ModelArtsClient`: one pooled `httpx.AsyncClient` per instance, and the typed calls of the annotation API.

Data flows one way: path building (`_paths`) → `_call` (where retries wrap one attempt) → auth → transport
→ `_decode` → `_converter` → model. An attempt takes the lean path (`_direct`, aiohttp's pool directly) when the
client owns its transport and its auth can sign plain values; otherwise httpx sends it, running any `httpx.Auth`.
"""

from __future__ import annotations

import asyncio
import copy
import json as _json
import logging
import math
import sys
from collections.abc import AsyncIterable, Iterable
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit

import attrs
import httpx

from . import _bulk
from ._auth import AKSKAuth
from ._bulk import ImageResultStream
from ._converter import structure_image_info
from ._decode import decode_response
from ._direct import NOT_DIRECT, DirectSender, Exchange, direct_signer, read_capped
from ._exceptions import ClientStateError, InvalidArgumentError, ModelArtsError
from ._models import ImageInfo, ImageResult
from ._pacing import Pacer
from ._paths import image_tags_path
from ._retry import RetryPolicy, describe, log_attempt, log_retry, logger, plan_retry, request_id_of
from ._transport import is_wire_error, map_transport_error
from ._version import __version__

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_TIMEOUT", "ModelArtsClient"]

#: connect 10 s, read 30 s, write 30 s, waiting for a pooled connection 30 s (each attempt; see RetryPolicy.deadline).
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=30.0)
#: The shortest timeout an attempt is given when the call's deadline is nearly spent (0 would mean "no timeout").
_MIN_ATTEMPT_TIMEOUT = 0.001
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
USER_AGENT = f"modelarts-async/{__version__}"


class JSONReply(NamedTuple):
    """A decoded successful answer, with what support needs if its content later proves invalid."""

    data: dict[str, Any]
    status_code: int
    request_id: str | None


class ModelArtsClient:
    """An asyncio client for ModelArts' data-annotation API; use one per event loop, as an async context manager.

    Example::

        async with ModelArtsClient("https://modelarts.cn-north-4.myhuaweicloud.com", project_id=pid) as client:
            info = await client.get_image_info_by_id(data_annotation_id="282", image_id=image_id)
    """

    def __init__(
        self,
        endpoint: str,
        *,
        project_id: str | None = None,
        auth: httpx.Auth | None = None,
        timeout: float | httpx.Timeout | None = None,
        headers: dict[str, str] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.endpoint = _checked_endpoint(endpoint)
        self.project_id = project_id
        if max_connections < 1:
            raise InvalidArgumentError(f"max_connections must be at least 1, got {max_connections}")
        if max_response_bytes < 1:
            raise InvalidArgumentError(f"max_response_bytes must be at least 1, got {max_response_bytes}")
        if http_client is not None and transport is not None:
            raise InvalidArgumentError("pass either transport= or http_client=, not both")
        self._auth = auth
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        self._max_response_bytes = max_response_bytes
        self._owns_http = http_client is None
        # The lean path needs our own aiohttp session (no user transport) and headers we can sign without httpx.
        self._direct: DirectSender | None = None
        if transport is None and http_client is None:
            self._direct = DirectSender(
                self.endpoint, max_connections=max_connections, max_response_bytes=max_response_bytes
            )
            transport = self._direct.transport()
        self._direct_signer = direct_signer(auth)
        self._lean = self._direct is not None and self._direct_signer is not NOT_DIRECT
        # AK/SK requests name their project in X-Project-Id (as the official SDK sends it); an AKSKAuth made
        # without one gets each call's project from here, signed like every other header.
        self._sends_project = isinstance(auth, AKSKAuth) and auth.project_id is None
        self._http = http_client or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout, transport=transport
        )
        # A user's http_client keeps its own timeout unless timeout= is given too.
        self._set_timeout(httpx.Timeout(timeout) if timeout is not None and http_client is not None else None)
        self._retry = _retry_policy(retry or RetryPolicy(), max_attempts, deadline)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @classmethod
    def from_env(cls, **options: Any) -> ModelArtsClient:
        """A client from the official SDK's variables (`HUAWEICLOUD_SDK_AK`, `_SK`, `_PROJECT_ID`, `_SECURITY_TOKEN`).

        The endpoint comes from `MODELARTS_ENDPOINT` or `HUAWEICLOUD_SDK_REGION`; other keyword arguments go to
        `ModelArtsClient`. A plain (not async) function: it only reads the environment. Raises `ConfigError`.
        """
        from ._config import client_from_env

        return client_from_env(**options)

    def __repr__(self) -> str:
        return f"ModelArtsClient(endpoint={self.endpoint!r}, project_id={self.project_id!r})"

    async def __aenter__(self) -> Self:
        self._check_usable()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (unless the user passed `http_client=`, which stays theirs to close)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()
            if self._direct is not None:
                await self._direct.aclose()

    async def get_image_info_by_id(
        self, *, project_id: str | None = None, data_annotation_id: str, image_id: str
    ) -> ImageInfo:
        """Get the labels of one image (the old SDK's call, awaited).

        Raises `InvalidArgumentError` before sending for ids that are not one path segment, and an
        `APIError` subclass, `TransportError` or `ResponseValidationError` for everything that can go wrong after.
        """
        return await self._get_image_info(
            project_id=project_id, data_annotation_id=data_annotation_id, image_id=image_id, pacer=None
        )

    async def _get_image_info(
        self, *, project_id: str | None, data_annotation_id: str, image_id: str, pacer: Pacer | None
    ) -> ImageInfo:
        project = self._project(project_id)
        path = image_tags_path(project, data_annotation_id, image_id)
        reply = await self._call("GET", path, pacer=pacer, project_id=project)
        return structure_image_info(
            reply.data,
            requested_image_id=image_id,
            status_code=reply.status_code,
            request_id=reply.request_id,
        )

    def _project(self, project_id: str | None) -> str:
        project = project_id if project_id is not None else self.project_id
        if project is None:
            raise InvalidArgumentError("project_id is missing: pass it to the call or to ModelArtsClient()")
        return project

    async def _call(
        self, method: str, path: str, *, json: Any = None, pacer: Pacer | None = None, project_id: str | None = None
    ) -> JSONReply:
        """Send a call, retrying the attempts `RetryPolicy` allows; raise the last attempt's error with `attempts`.

        `project_id` is the project the path names; AK/SK requests send it as `X-Project-Id`.
        """
        self._check_usable()
        if self._http.is_closed:
            raise ClientStateError("the connection pool of this ModelArtsClient is closed: create a new client")
        headers = self._headers
        if self._sends_project and project_id is not None:
            headers = {**headers, "X-Project-Id": project_id}
        policy = self._retry
        clock = policy.clock
        deadline_at = math.inf
        attempt = 0
        while True:
            attempt += 1
            if pacer is not None:
                await pacer.before_attempt()
            started = clock()
            if attempt == 1:
                # Time spent queued in a pacer before the first attempt is not the call's: the deadline starts here.
                deadline_at = started + policy.deadline
            try:
                reply = await self._attempt(method, path, json, headers, self._timeout_within(deadline_at - started))
            except ModelArtsError as exc:
                error = exc
            else:
                if pacer is not None:
                    pacer.after_attempt(None)
                if logger.isEnabledFor(logging.DEBUG):
                    outcome = f"HTTP {reply.status_code}"
                    log_attempt(method, path, outcome, attempt, clock() - started, reply.request_id)
                return reply
            if pacer is not None:
                pacer.after_attempt(error)
            ended = clock()
            if logger.isEnabledFor(logging.DEBUG):
                log_attempt(method, path, describe(error), attempt, ended - started, request_id_of(error))
            plan = plan_retry(policy, error, attempt, deadline_at - ended)
            if plan is None:
                error.attempts = attempt
                raise error
            reason, wait = plan
            log_retry(method, path, error, reason, attempt, wait)
            await policy.sleep(wait)

    async def _attempt(self, method: str, path: str, json: Any, headers: dict[str, str], timeouts: Any) -> JSONReply:
        """One HTTP exchange: send, read the body under the size cap, decode. Raises only `ModelArtsError`s."""
        if self._lean:
            exchange = await self._send_direct(method, path, json, headers, timeouts)
        else:
            exchange = await self._send_httpx(method, path, json, headers, timeouts)
        data = decode_response(exchange.status_code, exchange.headers, exchange.body)
        return JSONReply(data, exchange.status_code, exchange.headers.get("x-request-id"))

    async def _send_direct(self, method: str, path: str, json: Any, headers: dict[str, str], timeouts: Any) -> Exchange:
        assert self._direct is not None
        body = b""
        if json is not None:
            headers = {**headers, "Content-Type": "application/json"}
            body = _json.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
        timeout = self._http.timeout if timeouts is httpx.USE_CLIENT_DEFAULT else timeouts
        try:
            return await self._direct.send(method, path, headers, body, timeout, self._direct_signer)
        except Exception as exc:
            if is_wire_error(exc):
                raise map_transport_error(exc, method=method, path=path) from exc
            raise

    async def _send_httpx(self, method: str, path: str, json: Any, headers: dict[str, str], timeouts: Any) -> Exchange:
        request = self._http.build_request(method, self.endpoint + path, headers=headers, json=json, timeout=timeouts)
        try:
            response = await self._http.send(request, auth=self._auth or httpx.USE_CLIENT_DEFAULT, stream=True)
            try:
                declared = response.headers.get("content-length")
                body = await read_capped(
                    response.aiter_bytes(),
                    int(declared) if declared is not None and declared.isdigit() else None,
                    self._max_response_bytes,
                    response.status_code,
                    response.headers,
                )
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise map_transport_error(exc, method=method, path=path) from exc
        return Exchange(response.status_code, response.headers, body)

    def with_options(
        self,
        *,
        max_attempts: int | None = None,
        deadline: float | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> ModelArtsClient:
        """A copy with other retry or timeout settings that shares this client's connection pool.

        The copy is cheap (make one per call if you like); closing it closes nothing, and it stops working when
        the original is closed. Example: ``await client.with_options(max_attempts=1).get_image_info_by_id(...)``.
        """
        clone = copy.copy(self)
        clone._owns_http = False
        clone._retry = _retry_policy(retry or self._retry, max_attempts, deadline)
        if timeout is not None:
            clone._set_timeout(httpx.Timeout(timeout))
        return clone

    def _set_timeout(self, timeout: httpx.Timeout | None) -> None:
        """Use `timeout` per attempt (None: the HTTP client's own), and note its longest part for deadline clamping."""
        self._timeout: Any = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
        self._timeout_parts: dict[str, float | None] = (timeout or self._http.timeout).as_dict()
        parts = [math.inf if part is None else part for part in self._timeout_parts.values()]
        self._longest_timeout: float = max(parts, default=math.inf)

    def _timeout_within(self, remaining: float) -> Any:
        """This attempt's timeouts, each cut to the call's remaining deadline when that is shorter."""
        if remaining >= self._longest_timeout:
            return self._timeout
        cut = max(remaining, _MIN_ATTEMPT_TIMEOUT)
        return httpx.Timeout(**{k: cut if v is None else min(v, cut) for k, v in self._timeout_parts.items()})

    def _check_usable(self) -> None:
        if self._closed:
            raise ClientStateError("this ModelArtsClient is closed: create a new one (or use `async with`)")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise ClientStateError(
                "this ModelArtsClient was first used in another event loop, which owns its connections: "
                "create one client per event loop (e.g. inside the coroutine passed to asyncio.run)"
            )

    def iter_image_infos(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        *,
        data_annotation_id: str,
        project_id: str | None = None,
        concurrency: int = 32,
        ordered: bool = False,
        rate_limit: float | None = None,
        batch_size: int | None = None,
        fail_fast: bool = False,
    ) -> ImageResultStream:
        """Stream the labels of many images: exactly one `ImageResult` per input id, failures included.

        `image_ids` may be any iterable or async iterable of str, read lazily: memory stays bounded however many
        ids it yields. At most `concurrency` requests are in flight (fewer while the service throttles: the run
        halves its concurrency on each throttling round and grows it back on success; a `Retry-After` pauses the
        whole run). `rate_limit` caps requests per second. `ordered=True` yields in input order, holding up to
        16 x concurrency results while an earlier one is slow. `batch_size=N` sends N ids per call to the batch
        endpoint (a failed batch is split so one bad id cannot fail its neighbours). `fail_fast=True` raises the
        first error and cancels the rest. Use the stream in `async with` so that `break` cancels what is in flight::

            async with client.iter_image_infos(ids, data_annotation_id="282", concurrency=64) as results:
                async for result in results:
                    print(result.image_id, result.info.labels if result.ok else result.error)

        Raises `InvalidArgumentError` at once for bad arguments; invalid ids become failed results.
        """
        return _bulk.iter_image_infos(
            self,
            image_ids,
            data_annotation_id=data_annotation_id,
            project_id=project_id,
            concurrency=concurrency,
            ordered=ordered,
            rate_limit=rate_limit,
            batch_size=batch_size,
            fail_fast=fail_fast,
        )

    async def get_image_infos(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        *,
        data_annotation_id: str,
        project_id: str | None = None,
        concurrency: int = 32,
        rate_limit: float | None = None,
        batch_size: int | None = None,
        fail_fast: bool = False,
    ) -> list[ImageResult]:
        """Fetch many images' labels into a list of `ImageResult`s in input order (for jobs that fit in memory).

        Same behaviour as `iter_image_infos`; check each result's `ok`, or call `unwrap()` to raise its error.
        """
        # The list holds every result anyway, so the reorder window may be unbounded.
        stream = _bulk.iter_image_infos(
            self,
            image_ids,
            data_annotation_id=data_annotation_id,
            project_id=project_id,
            concurrency=concurrency,
            ordered=True,
            rate_limit=rate_limit,
            batch_size=batch_size,
            fail_fast=fail_fast,
            window=sys.maxsize,
        )
        async with stream:
            return [result async for result in stream]

    async def get_image_info_by_ids(
        self, *, data_annotation_id: str, image_ids: Iterable[str], project_id: str | None = None
    ) -> list[ImageInfo]:
        """Get the labels of several images in one call to the batch endpoint (the old SDK's call, awaited).

        Returns the images in the order the service lists them; ids it does not know are simply absent (compare
        `image_id`s, or use `iter_image_infos(..., batch_size=N)`, which reports them as `NotFoundError`s).
        Raises like `get_image_info_by_id`, and `ResponseValidationError` naming the item, e.g.
        `$.images_tags[3].tags`, when one item of the answer is malformed.
        """
        return await _bulk.get_image_info_by_ids(
            self, project_id=project_id, data_annotation_id=data_annotation_id, image_ids=image_ids
        )


def _retry_policy(policy: RetryPolicy, max_attempts: int | None, deadline: float | None) -> RetryPolicy:
    changes: dict[str, Any] = {}
    if max_attempts is not None:
        changes["max_attempts"] = max_attempts
    if deadline is not None:
        changes["deadline"] = deadline
    return attrs.evolve(policy, **changes) if changes else policy


def _checked_endpoint(endpoint: str) -> str:
    if not isinstance(endpoint, str):
        raise InvalidArgumentError(f"endpoint must be a str, got {type(endpoint).__name__}")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(
            "endpoint must be an http(s) URL such as https://modelarts.cn-north-4.myhuaweicloud.com"
        )
    if parts.username or parts.password:
        raise InvalidArgumentError("endpoint must not contain a user name or password")
    if parts.query or parts.fragment:
        raise InvalidArgumentError("endpoint must not contain a query or fragment")
    return endpoint.rstrip("/")
