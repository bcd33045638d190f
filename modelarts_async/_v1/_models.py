"""The values the service returns: plain frozen attrs classes, with no I/O and no parsing (see `_v1/_converter.py`)."""

from __future__ import annotations

from typing import TypeAlias, cast

from attrs import frozen

__all__ = ["Coordinate", "DetectionTag", "ImageInfo", "ImageResult", "Position"]

Coordinate: TypeAlias = int | float
#: A shape exactly as sent: a flat list (`[10, 0, 100, 100]`) or a list of points (`[[0, 10], [50, 95]]`).
Position: TypeAlias = tuple[Coordinate, ...] | tuple[tuple[Coordinate, ...], ...]


@frozen
class DetectionTag:
    """One object found in an image by a detection job: its label and its shape, kept as the service sent it."""

    tag: str
    pos: Position

    @property
    def box(self) -> tuple[Coordinate, Coordinate, Coordinate, Coordinate] | None:
        """`(xmin, ymin, xmax, ymax)` for two-corner shapes (`[x1, y1, x2, y2]` or two points), else None.

        The v1 API never states the order of a flat list; we read it as two corners, like its example.
        """
        pos = self.pos
        if len(pos) == 4 and not any(isinstance(p, tuple) for p in pos):
            x1, y1, x2, y2 = cast(tuple[Coordinate, ...], pos)
        elif len(pos) == 2 and all(isinstance(p, tuple) and len(p) == 2 for p in pos):
            (x1, y1), (x2, y2) = cast(tuple[tuple[Coordinate, ...], ...], pos)
        else:
            return None
        return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


@frozen
class ImageInfo:
    """The labels of one image: label names for classification jobs, `DetectionTag`s for detection jobs."""

    image_id: str
    tags: tuple[str, ...] | tuple[DetectionTag, ...]
    #: `(width, height)` or `(width, height, depth)`; sent for detection jobs only.
    size: tuple[int, ...] | None = None

    @property
    def is_detection(self) -> bool:
        """True for a detection job's answer (tags are objects), False for classification (tags are names).

        With no tags at all, only detection answers carry `size`, so that decides.
        """
        if self.tags:
            return isinstance(self.tags[0], DetectionTag)
        return self.size is not None

    @property
    def labels(self) -> tuple[str, ...]:
        """The label names, for either kind of job: `('animal', 'fish')`."""
        return tuple(t.tag if isinstance(t, DetectionTag) else t for t in self.tags)


@frozen
class ImageResult:
    """The outcome for one id of a bulk run: `info` when it worked, else `error`; check `ok` or call `unwrap()`.

    `image_id` is the id exactly as it came from the input (even when it was not a valid id).
    """

    image_id: str
    info: ImageInfo | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the labels arrived (`info` is set), False when `error` says why not."""
        return self.error is None

    def unwrap(self) -> ImageInfo:
        """Return `info`, or raise `error` (a `ModelArtsError` for everything the client can foresee)."""
        if self.error is not None:
            raise self.error
        return cast(ImageInfo, self.info)
