"""The files `download_images` writes: safe names, what kind of image a body is, and atomic `.part` writes.

File work runs in a thread (`asyncio.to_thread`) so the event loop never blocks on the disk; a download is
written to a uniquely named `{name}.{token}.part` beside its final name and renamed (atomically) once whole.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import imagesize  # type: ignore[import-untyped]

from .._exceptions import ImageDownloadError
from ._signed_urls import IMAGE_EXTENSIONS

__all__ = [
    "SAFE_FILE_STEM_RULE",
    "PartFile",
    "check_file_stem",
    "existing_image",
    "extension_for",
    "image_kind",
    "is_part_file",
    "is_safe_file_stem",
    "make_folder",
    "read_size",
]

#: What a sample id must look like to become a file name: no separator, no leading dot or dash (a dash would read
#: as an option to command-line tools), no control character, at most 128 characters.
_SAFE_STEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}").fullmatch
#: Windows device names, which no file can have there (`CON.txt` included).
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?").fullmatch


#: The rule in words, for messages.
SAFE_FILE_STEM_RULE = "1-128 of A-Z a-z 0-9 . _ -, not starting with '.' or '-', not a device name such as CON"


def is_safe_file_stem(sample_id: object) -> bool:
    """Whether `sample_id` can name files (its image, its label files): the one rule downloads and formats share,
    so that an image and its labels are named alike or refused alike."""
    return isinstance(sample_id, str) and _SAFE_STEM(sample_id) is not None and _RESERVED(sample_id) is None


#: Leading bytes of the image formats we accept, and the extension each gets when the URL names none.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, ".png"),
    (b"\xff\xd8\xff", 0, ".jpg"),
    (b"GIF87a", 0, ".gif"),
    (b"GIF89a", 0, ".gif"),
    (b"BM", 0, ".bmp"),
    (b"WEBP", 8, ".webp"),
    (b"II*\x00", 0, ".tif"),
    (b"MM\x00*", 0, ".tif"),
)
#: Bytes needed to recognise any of them.
MAGIC_BYTES = 12
_CONTENT_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/webp": ".webp",
    "image/tiff": ".tif",
}


def check_file_stem(sample_id: object) -> str:
    """`sample_id` if it can name a file in the output folder, else `ImageDownloadError` saying why."""
    if is_safe_file_stem(sample_id):
        assert isinstance(sample_id, str)
        return sample_id
    shown = repr(sample_id)[:80]
    raise ImageDownloadError(f"sample id {shown} is not a safe file name ({SAFE_FILE_STEM_RULE}): nothing was written")


def image_kind(head: bytes) -> str | None:
    """The extension of the image format `head` (a body's first bytes) starts with; None when it is no image."""
    if head[:4] == b"RIFF" and head[8:12] != b"WEBP":
        return None
    for magic, at, extension in _MAGIC:
        if head[at : at + len(magic)] == magic:
            return extension
    return None


def extension_for(url_extension: str | None, content_type: str | None, head: bytes) -> str:
    """The file extension: from the URL path, else the Content-Type, else the body's own format."""
    if url_extension is not None:
        return url_extension
    media_type = (content_type or "").partition(";")[0].strip().lower()
    return _CONTENT_TYPES.get(media_type) or image_kind(head) or ".img"


def _find_existing(out_dir: Path, stem: str, extensions: tuple[str, ...]) -> Path | None:
    for extension in extensions:
        path = out_dir / f"{stem}{extension}"
        if path.is_file():
            return path
    return None


async def make_folder(path: Path) -> None:
    """Create the output folder (and its parents) if needed; an `ImageDownloadError` when it cannot be."""
    try:
        await asyncio.to_thread(path.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageDownloadError(f"cannot create the folder {path}: {exc.strerror or type(exc).__name__}") from None


async def existing_image(out_dir: Path, stem: str, url_extension: str | None) -> Path | None:
    """The image already downloaded for `stem` (named by the URL's extension, or any image extension), if any."""
    extensions = (url_extension,) if url_extension is not None else tuple(sorted(IMAGE_EXTENSIONS))
    return await asyncio.to_thread(_find_existing, out_dir, stem, extensions)


def _size_of(source: str | Path | BinaryIO) -> tuple[int, int] | None:
    width, height = imagesize.get(source)
    return (width, height) if width > 0 and height > 0 else None


async def read_size(head: bytes, path: Path) -> tuple[int, int] | None:
    """`(width, height)` from the image header: from the first bytes in memory, else from the file."""
    size = _size_of(io.BytesIO(head)) if head else None
    return size if size is not None else await asyncio.to_thread(_size_of, path)


#: A download in progress is `{stem}.{8 hex digits}.part` (see `PartFile`).
_PART_NAME = re.compile(r".+\.[0-9a-f]{8}\.part").fullmatch


def is_part_file(name: str) -> bool:
    """Whether a file name is one `PartFile` gives a download in progress (a killed run may leave one behind)."""
    return _PART_NAME(name) is not None


class PartFile:
    """A download in progress: bytes go to `{stem}.{token}.part`, renamed to the final name by `commit`.

    Each disk step runs in a thread; `discard` waits for one still running (a cancelled await does not stop its
    thread), so that no `.part` file can appear after it was deleted.
    """

    def __init__(self, out_dir: Path, stem: str) -> None:
        self._path = out_dir / f"{stem}.{secrets.token_hex(4)}.part"
        self._file: BinaryIO | None = None
        self._step: asyncio.Future[None] | None = None

    def _write(self, data: bytes) -> None:
        if self._file is None:
            self._file = open(self._path, "wb")  # noqa: SIM115 (closed by commit or discard)
        self._file.write(data)

    def _commit(self, data: bytes, final: Path) -> None:
        self._write(data)
        assert self._file is not None
        self._file.close()
        os.replace(self._path, final)

    async def _in_thread(self, step: Callable[..., None], *args: object, name: Path) -> None:
        self._step = asyncio.ensure_future(asyncio.to_thread(step, *args))
        try:
            await asyncio.shield(self._step)
        except OSError as exc:
            raise ImageDownloadError(f"cannot write {name}: {exc.strerror or type(exc).__name__}") from None

    async def write(self, data: bytes) -> None:
        """Append `data`; a disk error is an `ImageDownloadError`."""
        await self._in_thread(self._write, data, name=self._path)

    async def commit(self, data: bytes, final: Path) -> None:
        """Append the last `data`, close, and rename to `final` (atomic: a reader never sees half a file)."""
        await self._in_thread(self._commit, data, final, name=final)

    def _remove(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)

    async def discard(self) -> None:
        """Delete the partial file, once the disk step in flight (if any) has finished."""
        step = self._step
        if step is not None and not step.done():
            await asyncio.wait({step})
        if step is not None and step.done() and not step.cancelled():
            step.exception()  # retrieved: its error is this download's, already reported or superseded
        await asyncio.to_thread(self._remove)
