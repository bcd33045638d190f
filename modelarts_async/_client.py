"""`ModelArtsClient`: one pooled `httpx.AsyncClient` per instance, and the typed calls of the annotation API.

Data flows one way: path building (`_paths`) → `httpx.Auth` → transport → `_call` (where retries wrap one
attempt) → `_decode` → `_converter` → model.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit

import httpx

from ._converter import structure_image_info
from ._decode import decode_response
from ._exceptions import ClientStateError, InvalidArgumentError, ModelArtsError, ResponseValidationError
from ._models import ImageInfo
from ._pacing import Pacer
from ._paths import image_tags_path
from ._transport import default_transport, map_transport_error
from ._version import __version__

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_TIMEOUT", "ModelArtsClient"]

#: connect 10 s, read 30 s, write 30 s, waiting for a pooled connection 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
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
        self._http = http_client or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            transport=transport or default_transport(max_connections),
        )
        # A user's http_client keeps its own timeout unless timeout= is given too.
        self._timeout: Any = (
            httpx.Timeout(timeout) if timeout is not None and http_client is not None else httpx.USE_CLIENT_DEFAULT
        )
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
        path = image_tags_path(self._project(project_id), data_annotation_id, image_id)
        reply = await self._call("GET", path, pacer=pacer)
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

    async def _call(self, method: str, path: str, *, json: Any = None, pacer: Pacer | None = None) -> JSONReply:
        """Send one call and decode its answer; the one place where retries wrap attempts."""
        self._check_usable()
        if pacer is not None:
            await pacer.before_attempt()
        try:
            reply = await self._attempt(method, path, json)
        except Exception as exc:
            if pacer is not None and isinstance(exc, ModelArtsError):
                pacer.after_attempt(exc)
            raise
        if pacer is not None:
            pacer.after_attempt(None)
        return reply

    async def _attempt(self, method: str, path: str, json: Any) -> JSONReply:
        """One HTTP exchange: send, read the body under the size cap, decode. Raises only `ModelArtsError`s."""
        request = self._http.build_request(
            method, self.endpoint + path, headers=self._headers, json=json, timeout=self._timeout
        )
        try:
            response = await self._http.send(request, auth=self._auth or httpx.USE_CLIENT_DEFAULT, stream=True)
            try:
                body = await self._read_body(response)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise map_transport_error(exc, method=method, path=path) from exc
        data = decode_response(response.status_code, response.headers, body)
        return JSONReply(data, response.status_code, response.headers.get("x-request-id"))

    async def _read_body(self, response: httpx.Response) -> bytes:
        """Read the body as a stream, refusing to hold more than `max_response_bytes` in memory."""
        limit = self._max_response_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(response, limit)
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(response, limit)
            chunks.append(chunk)
        return b"".join(chunks)

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


def _too_large(response: httpx.Response, limit: int) -> ResponseValidationError:
    return ResponseValidationError(
        f"HTTP {response.status_code}: the answer is larger than max_response_bytes={limit}",
        status_code=response.status_code,
        request_id=response.headers.get("x-request-id"),
    )


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
