"""v1 answers as the writers' input: `image_info_to_sample(info)` is `Sample.to_image_info()` the other way."""

from __future__ import annotations

from typing import Any

from .._v1._models import DetectionTag, ImageInfo, Position
from .._v2._models import Sample, SampleLabel

__all__ = ["image_info_to_sample"]

#: Label types of the v2 API, for the labels made here.
_CLASSIFICATION, _DETECTION = 0, 1
#: The shape of a v1 position nothing here recognises: writers count it as a skip of an unknown shape.
UNKNOWN_V1_SHAPE = "v1 position"


def image_info_to_sample(info: ImageInfo) -> Sample:
    """A v2 `Sample` holding what a v1 `ImageInfo` says, for the format writers.

    Detection positions become shapes: 4 numbers or 2 points a `bndbox` (two corners, as v1's example), 3 or more
    points a `polygon`, `[cx, cy, r]` a `circle`, `[x, y]` or one point a `point`; anything else keeps its numbers
    under an unknown shape, so a writer reports it instead of guessing. Class names become classification labels.
    """
    labels = tuple(_label(tag) for tag in info.tags)
    metadata = {} if info.size is None else {"@modelarts:size": info.size}
    return Sample(sample_id=info.image_id, sample_type=0, labels=labels, metadata=metadata)


def _label(tag: str | DetectionTag) -> SampleLabel:
    if isinstance(tag, str):
        return SampleLabel(name=tag, type=_CLASSIFICATION)
    shape, feature = _shape(tag.pos)
    return SampleLabel(
        name=tag.tag, type=_DETECTION, property={"@modelarts:shape": shape, "@modelarts:feature": feature}
    )


def _shape(pos: Position) -> tuple[str, Any]:
    if all(isinstance(item, tuple) and len(item) == 2 for item in pos):
        count = len(pos)
        if count == 2:
            return "bndbox", pos
        if count >= 3:
            return "polygon", pos
        if count == 1:
            return "point", pos
    if not any(isinstance(item, tuple) for item in pos):
        if len(pos) == 4:
            x1, y1, x2, y2 = pos
            return "bndbox", ((x1, y1), (x2, y2))
        if len(pos) == 3:
            return "circle", pos
        if len(pos) == 2:
            return "point", pos
    return UNKNOWN_V1_SHAPE, pos
