"""An image's size from its file's header (imagesize reads a few bytes; no image library, no decoding)."""

from __future__ import annotations

import os
from typing import Any, cast

__all__ = ["IMAGE_EXTENSIONS", "find_image", "image_size"]

#: The extensions tried when looking for a sample's image, after the one its name or URL suggests.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def image_size(path: str) -> tuple[int, int] | None:
    """`(width, height)` read from the header of the image at `path` (as displayed: EXIF rotation applied), or
    None when it is not an image imagesize knows or cannot be read."""
    import imagesize  # type: ignore[import-untyped]  # no type hints shipped; imported only when images are read

    width, height = cast(tuple[Any, Any], imagesize.get(path))
    if type(width) is int and type(height) is int and width > 0 and height > 0:
        return width, height
    return None


def find_image(directory: str, sample_id: str, split: str, preferred: str) -> str | None:
    """The path of `sample_id`'s image in `directory` (or its `split` subfolder, as a YOLO download lays it out):
    `preferred` file name first, then `{sample_id}` with each of `IMAGE_EXTENSIONS`. `sample_id` must be checked."""
    names = [preferred] + [sample_id + extension for extension in IMAGE_EXTENSIONS]
    for folder in (directory, os.path.join(directory, split)):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
    return None
