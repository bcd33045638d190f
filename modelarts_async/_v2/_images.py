"""What `download_images` yields: one `ImageDownload` per sample, and the stream of them."""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from .._bulk._stream import ResultStream
from ._models import Sample

__all__ = ["ImageDownload", "ImageDownloadStream"]


@frozen
class ImageDownload:
    """The outcome for one sample of `download_images`: `path` when the image is on disk, else `error`.

    `path` is absolute (`{out_dir}/{sample_id}{ext}`); `width` and `height` come from the sample's
    `@modelarts:size`, else from the file's header (None when neither says). `error` is a `ModelArtsError`:
    `ImageDownloadError` (not http(s), expired twice, not an image, too big, unsafe sample id), `TransportError`,
    or the error of fetching the sample again for a fresh URL.
    """

    sample: Sample
    path: Path | None = None
    width: int | None = None
    height: int | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the image is on disk at `path`, False when `error` says why not."""
        return self.error is None


class ImageDownloadStream(ResultStream[ImageDownload]):
    """The async iterator of `ImageDownload`s that `ModelArtsClient.download_images()` returns: one per sample.

    Use it in `async with` so that leaving the block early cancels the downloads in flight (their `.part` files
    are deleted) and closes the image connections. `stats` is readable at any time.

    Example::

        async with client.list_samples(dataset_id=dataset_id) as samples:
            async with client.download_images(samples, "images", dataset_id=dataset_id) as downloads:
                async for download in downloads:
                    print(download.path if download.ok else download.error)
    """
