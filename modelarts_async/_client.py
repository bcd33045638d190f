"""`ModelArtsClient`: the typed calls of the annotation API over one connection pool, and `create_client`.

The client picks its sender once, in `__init__`: `AiohttpSender` when it owns its transport and its auth signs
plain values, else `HttpxSender` (any `httpx.Auth`, `transport=`, `http_client=`). Every call then flows one way:
path (`_paths`) → `Pipeline` (retries, pacing, deadline) → sender (auth, wire) → `_decode` → converter → model.
"""

from __future__ import annotations

import copy
import os
import ssl
import sys
import warnings
from collections.abc import AsyncIterable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, Unpack
from urllib.parse import urlsplit

import attrs
import httpx

from ._auth import AKSKAuth
from ._bulk._options import BulkKwargs, BulkOptions
from ._bulk._stream import Fetchers, stream_results
from ._config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_IMAGE_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_PAGES_IN_FLIGHT,
    DEFAULT_TIMEOUT,
    ClientConfig,
    Connection,
    config_of,
    read_context,
    read_env,
)
from ._exceptions import ConfigError, InvalidArgumentError
from ._lazy import LazyModule
from ._log import logger
from ._paths import checked_headers
from ._pipeline import Lifecycle, Pipeline
from ._redact import Redactor, secrets_of
from ._retry import RetryPolicy
from ._transport._aiohttp import AiohttpPool, AiohttpSender, header_signer
from ._transport._httpx import HttpxSender
from ._transport._mocking import MockAwareSender
from ._transport._network import Network
from ._transport._sender import ACCEPT_ENCODING, Sender
from ._v1 import _calls as v1
from ._v1._calls import ImageResultStream
from ._v1._models import ImageInfo, ImageResult
from ._v2._offsets import OffsetMode
from ._version import __version__

if TYPE_CHECKING:
    from ._v2 import _calls as v2
    from ._v2 import _image_download as images
    from ._v2 import _snapshot_calls as snapshots
    from ._v2._calls import DatasetListing, SampleListing, SampleResultStream
    from ._v2._images import ImageDownloadStream
    from ._v2._models import Dataset, DatasetLabel, Sample
    from ._v2._snapshot_calls import VersionListing
    from ._v2._stats import DatasetStats
    from ._v2._versions import DatasetVersion
else:  # the v2 modules load on a client's first v2 call: `import modelarts_async` stays light (issue 20)
    v2 = LazyModule("modelarts_async._v2._calls")
    images = LazyModule("modelarts_async._v2._image_download")
    snapshots = LazyModule("modelarts_async._v2._snapshot_calls")

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "ModelArtsClient",
    "create_client",
]

USER_AGENT = f"modelarts-async/{__version__}"


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
        proxy: str | None = None,
        verify: bool | str | ssl.SSLContext = True,
        trust_env: bool = True,
    ) -> None:
        self.endpoint = _checked_endpoint(endpoint)
        self.project_id = project_id
        if max_connections < 1:
            raise InvalidArgumentError(f"max_connections must be at least 1, got {max_connections}")
        if max_response_bytes < 1:
            raise InvalidArgumentError(f"max_response_bytes must be at least 1, got {max_response_bytes}")
        if http_client is not None and transport is not None:
            raise InvalidArgumentError("pass either transport= or http_client=, not both")
        network = Network(proxy, verify, trust_env)
        own_connections = http_client is None and transport is None
        if not own_connections and network != Network():
            raise InvalidArgumentError(
                "proxy=, verify= and trust_env= configure the client's own connections: with transport= or "
                "http_client=, set them on your transport or httpx.AsyncClient"
            )
        self._auth = auth
        headers = checked_headers(headers or {})
        # What `config` reports besides what the pipeline holds (see "settings as one value" below); image
        # downloads reach OBS through the same proxy and TLS settings.
        self._network, self._headers, self._max_response_bytes = network, headers, max_response_bytes
        self._owns = True
        self._max_connections = max_connections if own_connections else None
        self._pool = (
            AiohttpPool(self.endpoint, max_connections=max_connections, network=network) if own_connections else None
        )
        # A user's http_client keeps its own timeout unless timeout= is given too.
        if timeout is not None:
            attempt_timeout = httpx.Timeout(timeout)
        elif http_client is not None:
            attempt_timeout = http_client.timeout
        else:
            attempt_timeout = DEFAULT_TIMEOUT
        sender = self._sender(auth, transport, http_client, attempt_timeout, max_response_bytes, network)
        self._pipeline = Pipeline(
            sender=sender,
            lifecycle=Lifecycle(),
            headers={
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
                "User-Agent": USER_AGENT,
                **headers,
            },
            retry=_retry_policy(retry or RetryPolicy(), max_attempts, deadline),
            timeout=attempt_timeout,
            # AK/SK requests name their project in X-Project-Id (as the official SDK does); an AKSKAuth made
            # without one gets each call's project from here, signed like every other header.
            sends_project=isinstance(auth, AKSKAuth) and auth.project_id is None,
            redactor=Redactor(secrets_of(auth, headers)),
            endpoint=self.endpoint,
        )

    def _sender(
        self,
        auth: httpx.Auth | None,
        transport: httpx.AsyncBaseTransport | None,
        http_client: httpx.AsyncClient | None,
        timeout: httpx.Timeout,
        max_response_bytes: int,
        network: Network,
    ) -> Sender:
        """The fast aiohttp sender when nothing of the user's needs httpx, else the httpx sender.

        Our own connections also yield to respx and pytest-httpx while they are active (see `_transport/_mocking.py`).
        """
        endpoint, pool, cap, connections = self.endpoint, self._pool, max_response_bytes, self._max_connections
        if pool is None:
            http = http_client or httpx.AsyncClient(timeout=timeout, transport=transport)
            return HttpxSender(endpoint, http, auth, max_response_bytes=cap, owns_http=http_client is None)
        signer = header_signer(auth)
        primary: Sender
        if signer is not None:
            primary = AiohttpSender(endpoint, pool, signer, max_response_bytes=cap)
        else:
            http = httpx.AsyncClient(timeout=timeout, transport=pool.httpx_transport())
            primary = HttpxSender(endpoint, http, auth, max_response_bytes=cap, owns_http=True)

        def mocked() -> Sender:
            limits = httpx.Limits(max_connections=connections)
            http = httpx.AsyncClient(timeout=timeout, limits=limits, **network.httpx_options())
            return HttpxSender(endpoint, http, auth, max_response_bytes=cap, owns_http=True)

        return MockAwareSender(primary, mocked)

    @classmethod
    def from_env(cls, *, endpoint: str | None = None, project_id: str | None = None, **options: Any) -> Self:
        """A client from the official SDK's variables (`HUAWEICLOUD_SDK_AK`, `_SK`, `_PROJECT_ID`, `_SECURITY_TOKEN`).

        The endpoint comes from `MODELARTS_ENDPOINT` or `HUAWEICLOUD_SDK_REGION`; other keyword arguments go to
        `ModelArtsClient`. A plain (not async) function: it only reads the environment. Raises `ConfigError`.
        """
        return cls._from_connection(read_env(endpoint=endpoint, project_id=project_id), options)

    @classmethod
    def _from_connection(cls, connection: Connection, options: dict[str, Any]) -> Self:
        try:
            return cls(connection.endpoint, project_id=connection.project_id, auth=connection.auth, **options)
        except InvalidArgumentError as exc:
            raise ConfigError(f"{connection.source}: {exc}") from None

    def __repr__(self) -> str:
        return f"ModelArtsClient(endpoint={self.endpoint!r}, project_id={self.project_id!r})"

    async def __aenter__(self) -> Self:
        self._pipeline.lifecycle.check_usable()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # An owned pool left open: say which object was not closed (aiohttp would name only its session).
        pool = getattr(self, "_pool", None)
        if getattr(self, "_owns", False) and pool is not None and pool.abandon():
            warnings.warn(
                f"unclosed {self!r}: use `async with ModelArtsClient(...)` or `await client.aclose()`",
                ResourceWarning,
                stacklevel=2,
            )

    async def aclose(self) -> None:
        """Close the connection pool (unless the user passed `http_client=`, which stays theirs to close)."""
        lifecycle = self._pipeline.lifecycle
        if not self._owns or lifecycle.closed:
            return
        lifecycle.closed = True
        await self._pipeline.sender.aclose()
        if self._pool is not None:
            await self._pool.aclose()

    def with_options(
        self,
        *,
        max_attempts: int | None = None,
        deadline: float | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> Self:
        """A copy with other retry or timeout settings that shares this client's connection pool.

        The copy is cheap (make one per call if you like); closing it closes nothing, and it stops working when
        the original is closed. Example: ``await client.with_options(max_attempts=1).get_image_info_by_id(...)``.
        """
        clone = copy.copy(self)
        clone._owns = False
        clone._pipeline = self._pipeline.evolve(
            retry=_retry_policy(retry or self._pipeline.retry, max_attempts, deadline),
            timeout=None if timeout is None else httpx.Timeout(timeout),
        )
        return clone

    # -- settings as one value (ClientConfig) ------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: ClientConfig) -> Self:
        """A client with the settings of `config` (e.g. one pickled to a worker process), with its own pool."""
        return cls(config.endpoint, **config.client_options())

    @property
    def config(self) -> ClientConfig:
        """This client's settings as a `ClientConfig` (current retry and timeout: `with_options` copies differ).

        Raises `ConfigError` saying why for a client a config cannot rebuild: one made with `transport=` or
        `http_client=`, an auth other than `AKSKAuth`, `TokenAuth` or `IAMPasswordAuth`, or an `ssl.SSLContext`.
        """
        if self._pool is None:
            raise ConfigError(
                "this client was made with transport= or http_client=, which a ClientConfig cannot carry (a "
                "connection object does not pickle): make the client without them to take its config"
            )
        return config_of(
            self.endpoint,
            self.project_id,
            self._auth,
            self._network,
            timeout=self._pipeline.timeout,
            retry=self._pipeline.retry,
            headers=self._headers,
            max_connections=self._max_connections,
            max_response_bytes=self._max_response_bytes,
        )

    def _project(self, project_id: str | None) -> str:
        project = project_id if project_id is not None else self.project_id
        if project is None:
            raise InvalidArgumentError("project_id is missing: pass it to the call or to ModelArtsClient()")
        return project

    # -- v1: data-annotation jobs --------------------------------------------------------------------------------

    async def get_image_info_by_id(
        self, *, project_id: str | None = None, data_annotation_id: str, image_id: str
    ) -> ImageInfo:
        """Get the labels of one image (the old SDK's call, awaited).

        Raises `InvalidArgumentError` before sending for ids that are not one path segment, and an
        `APIError` subclass, `TransportError` or `ResponseValidationError` for everything that can go wrong after.
        """
        return await v1.get_image_info(self._pipeline, self._project(project_id), data_annotation_id, image_id)

    async def get_image_info_by_ids(
        self, *, data_annotation_id: str, image_ids: Iterable[str], project_id: str | None = None
    ) -> list[ImageInfo]:
        """Get the labels of several images in one call to the batch endpoint (the old SDK's call, awaited).

        Returns the images in the order the service lists them; ids it does not know are simply absent (compare
        `image_id`s, or use `iter_image_infos(..., batch_size=N)`, which reports them as `NotFoundError`s).
        Raises like `get_image_info_by_id`, and `ResponseValidationError` naming the item, e.g.
        `$.images_tags[3].tags`, when one item of the answer is malformed.
        """
        return await v1.get_image_info_by_ids(self._pipeline, self._project(project_id), data_annotation_id, image_ids)

    def iter_image_infos(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        *,
        data_annotation_id: str,
        project_id: str | None = None,
        **options: Unpack[BulkKwargs],
    ) -> ImageResultStream:
        """Stream the labels of many images: exactly one `ImageResult` per input id, failures included.

        `image_ids` may be any iterable or async iterable of str, read lazily: memory stays bounded however many
        ids it yields. Options (all keyword): `concurrency=32` requests in flight at most (fewer while the service
        throttles: the run halves its concurrency on each throttling round and grows it back on success; a
        `Retry-After` pauses the whole run); `rate_limit=None` caps requests per second; `ordered=False` (True
        yields in input order, holding up to 16 x concurrency results while an earlier one is slow);
        `batch_size=None` (N sends N ids per call to the batch endpoint; a failed batch is split so one bad id
        cannot fail its neighbours); `fail_fast=False` (True raises the first error and cancels the rest).
        Use the stream in `async with` so that `break` cancels what is in flight::

            async with client.iter_image_infos(ids, data_annotation_id="282", concurrency=64) as results:
                async for result in results:
                    print(result.image_id, result.info.labels if result.ok else result.error)

        Raises `InvalidArgumentError` at once for bad arguments; invalid ids become failed results.
        """
        return self._image_stream(image_ids, data_annotation_id, project_id, BulkOptions.of(options))

    async def get_image_infos(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        *,
        data_annotation_id: str,
        project_id: str | None = None,
        **options: Unpack[BulkKwargs],
    ) -> list[ImageResult]:
        """Fetch many images' labels into a list of `ImageResult`s in input order (for jobs that fit in memory).

        Same options as `iter_image_infos` (`ordered` is always True); check each result's `ok`, or call
        `unwrap()` to raise its error.
        """
        # The list holds every result anyway, so the reorder window may be unbounded.
        bulk = attrs.evolve(BulkOptions.of(options), ordered=True, window=sys.maxsize)
        async with self._image_stream(image_ids, data_annotation_id, project_id, bulk) as stream:
            return [result async for result in stream]

    def _fitted(self, options: BulkOptions) -> BulkOptions:
        """`options` with `concurrency` cut to the client's connection pool, saying so once: more requests in
        flight than connections would only wait for the pool (and fail on its timeout)."""
        limit = self._max_connections
        if limit is None or options.concurrency <= limit:
            return options
        logger.warning(
            "concurrency=%d is more than this client's max_connections=%d: running %d requests at a time "
            "(pass max_connections= to the client for more)",
            options.concurrency,
            limit,
            limit,
        )
        return attrs.evolve(options, concurrency=limit)

    def _image_stream(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        data_annotation_id: str,
        project_id: str | None,
        options: BulkOptions,
    ) -> ImageResultStream:
        fetchers = v1.image_fetchers(self._pipeline, self._project(project_id), data_annotation_id)
        stream = stream_results(
            image_ids,
            fetchers,
            self._fitted(options),
            on_start=self._pipeline.lifecycle.check_usable,
            stream_class=ImageResultStream,
        )
        assert isinstance(stream, ImageResultStream)
        return stream

    # -- v2: datasets ------------------------------------------------------------------------------------------------

    async def get_sample(self, *, dataset_id: str, sample_id: str, project_id: str | None = None) -> Sample:
        """Get one sample of a dataset with its labels (the v2 API; use it where v1 answers `APIG.0101`).

        Raises `InvalidArgumentError` before sending for ids that are not one path segment; `NotFoundError`
        naming the sample and dataset when either does not exist (the service answers HTTP 400 `ModelArts.4420`
        or `ModelArts.4352`); other `APIError`s, `TransportError` or `ResponseValidationError` (naming the field,
        e.g. `$.labels[0].property["@modelarts:feature"]`) for everything else that can go wrong.
        """
        return await v2.get_sample(self._pipeline, self._project(project_id), dataset_id, sample_id)

    def iter_samples(
        self,
        sample_ids: Iterable[str] | AsyncIterable[str],
        *,
        dataset_id: str,
        project_id: str | None = None,
        **options: Unpack[BulkKwargs],
    ) -> SampleResultStream:
        """Stream many samples of one dataset by id: exactly one `SampleResult` per input id, failures included.

        The same engine and options as `iter_image_infos` (`concurrency=32`, `ordered=False`, `rate_limit=None`,
        `fail_fast=False`; not `batch_size`: the v2 API has no batch endpoint): ids are read lazily, memory stays
        bounded, throttling halves the concurrency and a `Retry-After` pauses the run. Use it in `async with`::

            async with client.iter_samples(ids, dataset_id="WxCREuCkBSAlQr9xrde", concurrency=64) as results:
                async for result in results:
                    print(result.sample_id, result.sample.label_names if result.ok else result.error)

        Raises `InvalidArgumentError` at once for bad arguments (e.g. `dataset_id`); an invalid sample id becomes
        that id's failed result, never sent.
        """
        fetchers = v2.sample_fetchers(self._pipeline, self._project(project_id), dataset_id)
        stream = stream_results(
            sample_ids,
            fetchers,
            self._fitted(BulkOptions.of(options)),
            on_start=self._pipeline.lifecycle.check_usable,
            stream_class=v2.SampleResultStream,
        )
        assert isinstance(stream, v2.SampleResultStream)
        return stream

    def list_samples(
        self,
        *,
        dataset_id: str,
        label_name: str | None = None,
        label_type: int | None = None,
        sample_state: str | None = None,
        sample_type: int | None = None,
        version_id: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        pages_in_flight: int = DEFAULT_PAGES_IN_FLIGHT,
        offset_mode: OffsetMode = "auto",
        rate_limit: float | None = None,
        project_id: str | None = None,
    ) -> SampleListing:
        """Stream every sample of a dataset (or of a published version), each exactly once, a few pages ahead.

        Filters go to the service as given: `label_name`, `label_type`, `sample_state` (e.g. `"__ALL__"`
        labelled, `"__NONE__"` unlabelled), `sample_type`, `version_id` (a published version: a stable
        snapshot), `order` (`"asc"`/`"desc"`; the service's default is `desc`). Pages of 100; after the first,
        up to `pages_in_flight` page requests are on the wire and at most twice that many pages are ahead of the
        one you read, so memory is bounded by them, not by the dataset. `offset_mode="auto"` learns whether the
        service reads `offset` as a page index or a record offset with one probe (`"page"`/`"record"` skip it;
        see README, "Datasets (v2 API)"). `rate_limit=R` sends at most R page requests per second, retries
        included (default: no limit).
        Use it in `async with`, and check `stats.changed` (the dataset changed while listed; also logged once)::

            async with client.list_samples(dataset_id="WxCREuCkBSAlQr9xrde", label_name="car") as samples:
                async for sample in samples:
                    print(sample.sample_id, sample.label_names)

        Raises `InvalidArgumentError` at the call for bad arguments; during the run, the first failed page's error
        after every sample before it (a malformed page: `ResponseValidationError` with its offset and path).
        """
        return v2.list_samples(
            self._pipeline,
            self._project(project_id),
            dataset_id,
            label_name=label_name,
            label_type=label_type,
            sample_state=sample_state,
            sample_type=sample_type,
            version_id=version_id,
            order=order,
            pages_in_flight=pages_in_flight,
            offset_mode=offset_mode,
            on_start=self._pipeline.lifecycle.check_usable,
            rate_limit=rate_limit,
        )

    def list_datasets(
        self,
        *,
        dataset_type: int | None = None,
        search_content: str | None = None,
        with_labels: bool = False,
        sort_by: Literal["create_time", "dataset_name"] | None = None,
        order: Literal["asc", "desc"] | None = None,
        pages_in_flight: int = DEFAULT_PAGES_IN_FLIGHT,
        offset_mode: OffsetMode = "auto",
        project_id: str | None = None,
    ) -> DatasetListing:
        """Stream every dataset of the project, each once, paged like `list_samples`.

        Works as ``[d async for d in client.list_datasets()]`` and in `async with` (which cancels what is in
        flight when you leave early). `with_labels=True` asks for each dataset's labels too; `dataset_type`,
        `search_content`, `sort_by` and `order` go to the service as given.
        """
        return v2.list_datasets(
            self._pipeline,
            self._project(project_id),
            dataset_type=dataset_type,
            search_content=search_content,
            with_labels=with_labels,
            sort_by=sort_by,
            order=order,
            pages_in_flight=pages_in_flight,
            offset_mode=offset_mode,
            on_start=self._pipeline.lifecycle.check_usable,
        )

    async def get_dataset(self, *, dataset_id: str, project_id: str | None = None) -> Dataset:
        """Get one dataset: name, type, sample counts, current version, labels.

        Raises `NotFoundError` naming the dataset when it does not exist (HTTP 400 `ModelArts.4352`).
        """
        return await v2.get_dataset(self._pipeline, self._project(project_id), dataset_id)

    async def get_dataset_labels(
        self, *, dataset_id: str, version_id: str | None = None, project_id: str | None = None
    ) -> tuple[DatasetLabel, ...]:
        """Get every label defined on a dataset (or on a published version), paging when the service does.

        Raises `NotFoundError` naming the dataset (or version) when it does not exist.
        """
        return await v2.get_dataset_labels(self._pipeline, self._project(project_id), dataset_id, version_id)

    # -- v2: statistics, versions and images -----------------------------------------------------------------------

    async def get_dataset_stats(
        self, *, dataset_id: str, sample_state: str | None = None, project_id: str | None = None
    ) -> DatasetStats:
        """Get a dataset's own counts: samples by state (`total`, `manual_annotation`, ...) and `labels` by name.

        Check an export against them. `sample_state` filters as in `list_samples`. Raises `NotFoundError` naming
        the dataset when it does not exist, `ResponseValidationError` naming the path of a bad count.
        """
        return await snapshots.get_dataset_stats(self._pipeline, self._project(project_id), dataset_id, sample_state)

    def list_versions(
        self,
        *,
        dataset_id: str,
        pages_in_flight: int = DEFAULT_PAGES_IN_FLIGHT,
        offset_mode: OffsetMode = "auto",
        project_id: str | None = None,
    ) -> VersionListing:
        """Stream every published version of a dataset (`DatasetVersion`s), each once, paged like `list_samples`.

        Works as ``[v async for v in client.list_versions(dataset_id=ds)]`` and in `async with`.
        """
        return snapshots.list_versions(
            self._pipeline,
            self._project(project_id),
            dataset_id,
            pages_in_flight=pages_in_flight,
            offset_mode=offset_mode,
            on_start=self._pipeline.lifecycle.check_usable,
        )

    async def get_version(self, *, dataset_id: str, version_id: str, project_id: str | None = None) -> DatasetVersion:
        """Get one published version: its sample counts, whether it is current, the version before it.

        Raises `NotFoundError` naming the version and dataset when either does not exist.
        """
        return await snapshots.get_version(self._pipeline, self._project(project_id), dataset_id, version_id)

    def download_images(
        self,
        samples: Iterable[Sample] | AsyncIterable[Sample],
        out_dir: str | os.PathLike[str],
        *,
        dataset_id: str,
        concurrency: int = 32,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        project_id: str | None = None,
    ) -> ImageDownloadStream:
        """Download each sample's image into `out_dir` as `{sample_id}{ext}`: exactly one `ImageDownload` each.

        `samples` is any iterable or async iterable of `Sample`s, read lazily (e.g. a `list_samples` listing):
        memory stays bounded. The images come from each sample's pre-signed `source` URL over a connection pool
        of their own, which never carries this client's credentials, signature or `headers=`. A file already in
        `out_dir` is not fetched again; a download is written to a `.part` file and renamed when whole. A URL that
        expired (HTTP 403) is refreshed once by fetching the sample again (`get_sample` in `dataset_id`); a 5xx or
        429 answer or a failed connection is tried again as this client's `RetryPolicy` allows. Failures
        are results (`ok` False, `error` an `ImageDownloadError`, `TransportError`, ...), never raised: not an
        http(s) URL, not an image, bigger than `max_image_bytes` (200 MiB), a sample id that is not a safe file
        name. Use it in `async with`::

            async with client.download_images(samples, "images", dataset_id=dataset_id) as downloads:
                async for download in downloads:
                    print(download.path, download.width, download.height) if download.ok else print(download.error)

        Raises `InvalidArgumentError` at once for bad arguments.
        """
        # Not cut to max_connections: the images have a pool of their own, of `concurrency` connections.
        options = BulkOptions(concurrency=concurrency)
        if isinstance(max_image_bytes, bool) or not isinstance(max_image_bytes, int) or max_image_bytes < 1:
            raise InvalidArgumentError(f"max_image_bytes must be a positive integer, got {max_image_bytes!r}")
        if not isinstance(out_dir, str | os.PathLike):
            raise InvalidArgumentError(f"out_dir must be a path, got {type(out_dir).__name__}")
        project, pipeline = self._project(project_id), self._pipeline
        v2.sample_fetchers(pipeline, project, dataset_id)  # checks dataset_id now

        async def refetch(sample_id: str) -> Sample:
            return await v2.get_sample(pipeline, project, dataset_id, sample_id)

        downloader = images.ImageDownloader(
            Path(os.path.abspath(out_dir)),
            refetch,
            network=self._network,
            connections=options.concurrency,
            max_image_bytes=max_image_bytes,
            retry=pipeline.retry,
        )
        fetchers = Fetchers(one=downloader.download, result=downloader.result)
        stream_class: type[ImageDownloadStream] = images.ImageDownloadStream
        stream = stream_results(
            samples,
            fetchers,
            options,
            on_start=pipeline.lifecycle.check_usable,
            on_end=downloader.aclose,  # the image pool closes with the run, however the run ends
            stream_class=stream_class,
        )
        assert isinstance(stream, stream_class)
        return stream


def create_client(
    context: str = "default",
    config_file: str | os.PathLike[str] | None = None,
    *,
    endpoint: str | None = None,
    project_id: str | None = None,
    **options: Any,
) -> ModelArtsClient:
    """A `ModelArtsClient` for a named context of the config file; environment variables override the file.

    The file is `config_file`, else `$MODELARTS_CONFIG`, else `~/.modelarts/config.json` (format: README,
    "Authentication"). `endpoint=` and `project_id=` override both the file and the environment. Other keyword
    arguments go to `ModelArtsClient` (e.g. `timeout=`). This reads the file
    synchronously (a plain function, like the old SDK's `config.create_client`): call it before async work.
    Raises `ConfigError` naming the file, context and key at fault.
    """
    connection = read_context(context, config_file, endpoint=endpoint, project_id=project_id)
    return ModelArtsClient._from_connection(connection, options)


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
    last = parts.path.rstrip("/").rpartition("/")[2]
    if last in ("v1", "v2"):
        raise InvalidArgumentError(
            f"endpoint must not end in /{last}: the client adds /v1/... and /v2/... itself "
            f"(use {parts.scheme}://{parts.netloc}{parts.path.rstrip('/')[: -len(last) - 1]})"
        )
    return endpoint.rstrip("/")
