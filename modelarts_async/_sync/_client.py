"""`SyncModelArtsClient` and `create_sync_client`: the client's calls without `await`, for scripts and notebooks.

Each method is the async client's, run on the `LoopThread` the sync client owns; the wrappers are made by
`_blocking` (a call) and `_streaming` (a stream or listing), so that adding a call to the sync client is one line.
"""

from __future__ import annotations

import copy
import functools
import os
import ssl
import warnings
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

import httpx

from .._client import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_RESPONSE_BYTES, ModelArtsClient
from .._config import ClientConfig, Connection, read_context, read_env
from .._exceptions import ClientStateError, ConfigError, InvalidArgumentError
from .._retry import RetryPolicy
from ._loop import LoopThread
from ._stream import AsyncStream, SyncStream

__all__ = ["SyncModelArtsClient", "create_sync_client"]

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")


def _blocking(
    method: Callable[Concatenate[ModelArtsClient, P], Awaitable[T]],
) -> Callable[Concatenate[SyncModelArtsClient, P], T]:
    """The sync client's method for an async client's coroutine method: same arguments, the result without await."""

    @functools.wraps(method)
    def call(self: SyncModelArtsClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._loop.run(method, self._usable(), *args, **kwargs)

    return call


def _streaming(
    method: Callable[Concatenate[ModelArtsClient, P], AsyncStream[T, S]],
) -> Callable[Concatenate[SyncModelArtsClient, P], SyncStream[T, S]]:
    """The sync client's method for an async client's stream or listing: a `SyncStream` over it."""

    @functools.wraps(method)
    def call(self: SyncModelArtsClient, /, *args: P.args, **kwargs: P.kwargs) -> SyncStream[T, S]:
        return SyncStream(self._loop, self._loop.run_sync(method, self._usable(), *args, **kwargs))

    return call


class SyncModelArtsClient:
    """A blocking client for scripts, notebooks and worker tasks: the calls of `ModelArtsClient` without `await`.

    It takes the same arguments and has the same calls with the same names, arguments and results; streams and
    listings are plain iterators (`SyncStream`). The async client runs on an event loop of its own in a
    background thread for this client's whole life: one connection pool for every call, safe to call from
    several threads at once, and usable in a notebook whose event loop is running. Use it in `with`::

        with SyncModelArtsClient(endpoint, project_id=pid, auth=auth) as client:
            sample = client.get_sample(dataset_id="WxCREuCkBSAlQr9xrde", sample_id=sample_id)

    Errors are the same `ModelArtsError`s, raised in the calling thread; Ctrl-C interrupts a call and cancels what
    it had in flight. After `close()` every call raises `ClientStateError`.
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
        proxy: str | None = None,
        verify: bool | str | ssl.SSLContext = True,
        trust_env: bool = True,
    ) -> None:
        self._owns = False  # until the loop and the client exist: nothing to close before
        self._closed = False
        loop = LoopThread(type(self).__name__)
        try:
            # Made on its loop, which its connections and locks belong to.
            self._client = loop.run_sync(
                ModelArtsClient,
                endpoint,
                project_id=project_id,
                auth=auth,
                timeout=timeout,
                headers=headers,
                max_connections=max_connections,
                max_response_bytes=max_response_bytes,
                transport=transport,
                http_client=http_client,
                max_attempts=max_attempts,
                deadline=deadline,
                retry=retry,
                proxy=proxy,
                verify=verify,
                trust_env=trust_env,
            )
        except BaseException:
            loop.stop()
            raise
        self._loop = loop
        self._owns = True

    @classmethod
    def from_config(cls, config: ClientConfig) -> Self:
        """A client with the settings of `config` (e.g. one pickled to a worker process), with its own pool."""
        return cls(config.endpoint, **config.client_options())

    @classmethod
    def from_env(cls, *, endpoint: str | None = None, project_id: str | None = None, **options: Any) -> Self:
        """A client from the official SDK's variables, like `ModelArtsClient.from_env()`. Raises `ConfigError`."""
        return cls._from_connection(read_env(endpoint=endpoint, project_id=project_id), options)

    @classmethod
    def _from_connection(cls, connection: Connection, options: dict[str, Any]) -> Self:
        try:
            return cls(connection.endpoint, project_id=connection.project_id, auth=connection.auth, **options)
        except InvalidArgumentError as exc:
            raise ConfigError(f"{connection.source}: {exc}") from None

    @property
    def endpoint(self) -> str:
        """The service's base URL, as the async client has it."""
        return self._client.endpoint

    @property
    def project_id(self) -> str | None:
        """The project calls use unless they name another."""
        return self._client.project_id

    @property
    def config(self) -> ClientConfig:
        """This client's settings as a `ClientConfig`; raises `ConfigError` like `ModelArtsClient.config`."""
        return self._client.config

    def __repr__(self) -> str:
        return f"SyncModelArtsClient(endpoint={self.endpoint!r}, project_id={self.project_id!r})"

    def _usable(self) -> ModelArtsClient:
        if self._closed:
            raise ClientStateError("this SyncModelArtsClient is closed: create a new one (or use `with`)")
        return self._client

    def with_options(
        self,
        *,
        max_attempts: int | None = None,
        deadline: float | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> Self:
        """A copy with other retry or timeout settings over the same loop and pool; closing it closes nothing."""
        clone = copy.copy(self)
        clone._owns = False
        clone._client = self._client.with_options(
            max_attempts=max_attempts, deadline=deadline, timeout=timeout, retry=retry
        )
        return clone

    def close(self) -> None:
        """Close the connection pool and stop the event loop thread (a call still waiting gets `ClientStateError`)."""
        if not self._owns or self._closed:
            return
        self._closed = True
        try:
            self._loop.run(self._client.aclose)
        finally:
            self._loop.stop()

    def __enter__(self) -> Self:
        self._usable()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_owns", False) and not self._closed:
            self._closed = True
            # Stop first: under `-W error` the warning raises, and the thread must not outlive this object.
            self._loop.abandon(self._client.aclose)
            warnings.warn(
                f"unclosed {self!r}: use `with SyncModelArtsClient(...)` or `client.close()`",
                ResourceWarning,
                stacklevel=2,
            )

    # -- the calls: one line each, the async client's method made blocking -----------------------------------------

    get_image_info_by_id = _blocking(ModelArtsClient.get_image_info_by_id)
    get_image_info_by_ids = _blocking(ModelArtsClient.get_image_info_by_ids)
    get_image_infos = _blocking(ModelArtsClient.get_image_infos)
    get_sample = _blocking(ModelArtsClient.get_sample)
    get_dataset = _blocking(ModelArtsClient.get_dataset)
    get_dataset_labels = _blocking(ModelArtsClient.get_dataset_labels)
    get_dataset_stats = _blocking(ModelArtsClient.get_dataset_stats)
    get_version = _blocking(ModelArtsClient.get_version)

    iter_image_infos = _streaming(ModelArtsClient.iter_image_infos)
    iter_samples = _streaming(ModelArtsClient.iter_samples)
    list_samples = _streaming(ModelArtsClient.list_samples)
    list_datasets = _streaming(ModelArtsClient.list_datasets)
    list_versions = _streaming(ModelArtsClient.list_versions)
    #: `samples` is read on the client's loop thread: give a list or another plain iterable, not a `SyncStream`
    #: of this client (its `next()` would wait for the very loop that is reading it).
    download_images = _streaming(ModelArtsClient.download_images)


def create_sync_client(
    context: str = "default",
    config_file: str | os.PathLike[str] | None = None,
    *,
    endpoint: str | None = None,
    project_id: str | None = None,
    **options: Any,
) -> SyncModelArtsClient:
    """A `SyncModelArtsClient` for a named context of the config file, like `create_client()` for the async one.

    Environment variables override the file; `endpoint=` and `project_id=` override both; other keyword arguments
    go to `SyncModelArtsClient`. Raises `ConfigError` naming the file, context and key at fault.
    """
    connection = read_context(context, config_file, endpoint=endpoint, project_id=project_id)
    return SyncModelArtsClient._from_connection(connection, options)
