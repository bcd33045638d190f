"""Downloads sample images from their pre-signed `source` URLs, on a connection pool of their own.

The image pool is a plain `aiohttp.ClientSession`: no auth, no cookie jar, no default header of the client's, so
whatever credential, signature or `headers=` the `ModelArtsClient` was given can never reach the image host. Per
sample (one worker of the bulk engine)::

    safe file name? ─▶ already on disk? (done) ─▶ http(s)? ─▶ GET ──403──▶ get_sample once for a fresh URL ─▶ GET
                                                     │          └─▶ size cap ─▶ image bytes? ─▶ `.part` ─▶ rename
                                                     └──5xx, 429, connection failed──▶ again, as the client's
                                                        `RetryPolicy` allows (max_attempts, its backoff)

Every loop here is bounded: one refetch per sample, at most `max_attempts` GETs per URL, at most
`MAX_REDIRECTS` redirects, at most `max_image_bytes` read, and each GET's `TOTAL_TIMEOUT`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from .._config import DEFAULT_MAX_IMAGE_BYTES
from .._exceptions import ImageDownloadError, RequestTimeoutError, TransportError
from .._retry import RETRIED_STATUSES, RetryPolicy, backoff
from .._transport._network import Network
from ._image_files import (
    MAGIC_BYTES,
    PartFile,
    check_file_stem,
    existing_image,
    extension_for,
    image_kind,
    make_folder,
    read_size,
)
from ._images import ImageDownload, ImageDownloadStream
from ._models import Sample
from ._signed_urls import scrub_signatures, url_extension

if TYPE_CHECKING:
    import aiohttp  # imported on first download: `import modelarts_async` stays light

#: `ImageDownloadStream` is re-exported for the client, which loads this module on its first download.
__all__ = ["DEFAULT_MAX_IMAGE_BYTES", "ImageDownloadStream", "ImageDownloader"]


MAX_REDIRECTS = 5
#: Seconds one image may take in all (a server trickling bytes cannot hold a worker forever).
TOTAL_TIMEOUT = 600.0
#: Bytes held in memory per download before they go to the `.part` file (one thread hop per small image).
_FLUSH_BYTES = 1024 * 1024
#: Bytes kept from a body's start for the header reader.
_HEAD_BYTES = 64 * 1024

#: `(sample_id) -> Sample` with a fresh `source`: `get_sample` of the run's dataset.
Refetch = Callable[[str], Awaitable[Sample]]


class _Expired(Exception):
    """The image host answered 403: a pre-signed URL that expired (or was never valid)."""


@frozen
class _Saved:
    path: Path
    width: int | None
    height: int | None


def _transient(error: ImageDownloadError | TransportError) -> bool:
    """A failed connection, or an answer saying the image host is busy or failing for now."""
    if isinstance(error, RequestTimeoutError):
        return False
    return isinstance(error, TransportError) or error.status_code in RETRIED_STATUSES or error.status_code == 429


def _size_of(sample: Sample) -> tuple[int, int] | None:
    size = sample.size
    return (size[0], size[1]) if size is not None and size[0] > 0 and size[1] > 0 else None


class ImageDownloader:
    """One `download_images` run: the output folder, the image connection pool and how to refresh a URL."""

    def __init__(
        self,
        out_dir: Path,
        refetch: Refetch,
        *,
        network: Network,
        connections: int,
        max_image_bytes: int,
        retry: RetryPolicy,
    ) -> None:
        self._out_dir = out_dir
        self._refetch = refetch
        self._retry = retry
        self._network = network
        self._connections = connections
        self._max_bytes = max_image_bytes
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._ssl: Any = None
        self._folder_made = False

    def _pool(self) -> aiohttp.ClientSession:
        if self._session is None:
            import aiohttp

            connector = aiohttp.TCPConnector(limit=self._connections)
            # No auth, no cookies, no default headers: nothing of the ModelArts client's can ride along.
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=TOTAL_TIMEOUT, sock_connect=10.0, sock_read=30.0),
                trust_env=False,
            )
        return self._session

    async def aclose(self) -> None:
        """Close the image connection pool (a later download opens a new one)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def result(self, sample: Any, saved: _Saved | None, error: Exception | None) -> ImageDownload:
        """The bulk engine's result for one sample."""
        if saved is None:
            return ImageDownload(sample, error=error)
        return ImageDownload(sample, saved.path, saved.width, saved.height)

    async def download(self, sample: Any, _pacer: object = None) -> _Saved:
        """Download one sample's image into the output folder (or find it there); raises why it could not."""
        if not isinstance(sample, Sample):
            raise ImageDownloadError(f"expected a Sample, got {type(sample).__name__}")
        stem = check_file_stem(sample.sample_id)
        if not self._folder_made:
            await make_folder(self._out_dir)
            self._folder_made = True
        source = sample.source
        existing = await existing_image(self._out_dir, stem, None if source is None else url_extension(source))
        if existing is not None:
            return await self._saved(existing, sample, b"")
        try:
            return await self._fetch_retrying(sample, stem)
        except _Expired:
            pass  # refreshed below, outside this handler: the refetch's own error must not chain to it
        fresh = await self._refetch(sample.sample_id)
        try:
            return await self._fetch_retrying(fresh, stem)
        except _Expired:
            raise ImageDownloadError(
                f"the image of sample {stem!r} was refused (HTTP 403) twice, also with the fresh URL "
                "from fetching the sample again: the URL expired or the bucket denies access",
                status_code=403,
            ) from None

    async def _fetch_retrying(self, sample: Sample, stem: str) -> _Saved:
        """`_fetch`, again after a failure that may pass (a 5xx or 429 answer, a failed connection), as the
        client's `RetryPolicy` allows: `max_attempts` GETs at most, its backoff between them.

        A timeout is not tried again: one GET may already have taken up to `TOTAL_TIMEOUT`. A 403 goes to the
        caller, which refreshes the URL.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._fetch(sample, stem)
            except (ImageDownloadError, TransportError) as error:
                if attempt >= self._retry.max_attempts or not _transient(error):
                    raise
            await self._retry.sleep(backoff(self._retry, attempt))

    async def _saved(self, path: Path, sample: Sample, head: bytes) -> _Saved:
        size = _size_of(sample) or await read_size(head, path)
        width, height = size if size is not None else (None, None)
        return _Saved(path, width, height)  # absolute: `out_dir` is

    def _checked_url(self, sample: Sample) -> str:
        source = sample.source
        if not isinstance(source, str) or not source:
            raise ImageDownloadError(f"sample {sample.sample_id!r} has no source URL")
        scheme = source.partition(":")[0].lower()
        if scheme not in ("http", "https"):
            shown = scheme if scheme.isalnum() and len(scheme) < 20 else "another kind"
            raise ImageDownloadError(
                f"the source of sample {sample.sample_id!r} is a {shown} URL, not http(s): not fetched"
            )
        return source

    def _request_options(self, url: str) -> dict[str, Any]:
        scheme, _, rest = url.partition("://")
        host = rest.partition("/")[0].rpartition("@")[2]
        key = (scheme.lower(), host.lower())
        if key not in self._proxies:
            self._proxies[key] = self._network.proxy_for(f"{key[0]}://{key[1]}/")
        options: dict[str, Any] = {"max_redirects": MAX_REDIRECTS, "proxy": self._proxies[key]}
        if key[0] == "https" and self._network.verify is not True:
            if self._ssl is None:
                self._ssl = self._network.ssl_context()
            options["ssl"] = self._ssl
        return options

    async def _fetch(self, sample: Sample, stem: str) -> _Saved:
        import aiohttp

        url = self._checked_url(sample)
        failure: Exception
        try:
            async with self._pool().get(url, **self._request_options(url)) as response:
                return await self._save(response, sample, stem, url)
        except (ImageDownloadError, _Expired):
            raise
        except TimeoutError:
            failure = RequestTimeoutError(
                f"GET {scrub_signatures(url)}: the image server did not answer in time", phase="read"
            )
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            failure = TransportError(
                f"GET {scrub_signatures(url)}: {type(exc).__name__}: {scrub_signatures(str(exc))[:300]}"
            )
        # Raised outside the handler: aiohttp's exception (its request_info holds the signed URL) must not become
        # this error's __context__, which `from None` hides from tracebacks but keeps on the object.
        raise failure

    async def _save(self, response: aiohttp.ClientResponse, sample: Sample, stem: str, url: str) -> _Saved:
        shown = scrub_signatures(url)
        if response.status == 403:
            raise _Expired
        if response.status >= 400:
            raise ImageDownloadError(f"GET {shown} answered HTTP {response.status}", status_code=response.status)
        length = response.content_length
        if length is not None and length > self._max_bytes:
            raise ImageDownloadError(
                f"the image of sample {stem!r} is {length} bytes, over max_image_bytes={self._max_bytes}: not fetched",
                status_code=response.status,
            )
        part = PartFile(self._out_dir, stem)
        try:
            head, rest = await self._stream_body(response, stem, part)
            extension = extension_for(url_extension(url), response.content_type, head)
            final = self._out_dir / f"{stem}{extension}"
            await part.commit(rest, final)
        except BaseException:
            await part.discard()  # also when cancelled: a `.part` file is never left behind
            raise
        return await self._saved(final, sample, head)

    async def _stream_body(self, response: aiohttp.ClientResponse, stem: str, part: PartFile) -> tuple[bytes, bytes]:
        """Reads the body into `part`, checking it is an image; returns its head and the bytes not yet written."""
        buffer = bytearray()
        head = b""
        checked = False
        total = 0
        async for chunk in response.content.iter_chunked(256 * 1024):
            total += len(chunk)
            if total > self._max_bytes:
                raise ImageDownloadError(
                    f"the image of sample {stem!r} is over max_image_bytes={self._max_bytes}: download stopped"
                )
            if len(head) < _HEAD_BYTES:
                head += chunk[: _HEAD_BYTES - len(head)]
            if not checked and len(head) >= MAGIC_BYTES:
                checked = self._check_image(head, stem, response)
            buffer += chunk
            if len(buffer) >= _FLUSH_BYTES:
                await part.write(bytes(buffer))
                buffer.clear()
        if not checked:
            self._check_image(head, stem, response)
        return head, bytes(buffer)

    def _check_image(self, head: bytes, stem: str, response: aiohttp.ClientResponse) -> bool:
        if image_kind(head) is None:
            media_type = scrub_signatures(response.content_type or "none")[:60]
            raise ImageDownloadError(
                f"the body for sample {stem!r} is not an image (Content-Type {media_type}, "
                f"{len(head)} bytes, no PNG/JPEG/GIF/BMP/WebP/TIFF signature)",
                status_code=response.status,
            )
        return True
