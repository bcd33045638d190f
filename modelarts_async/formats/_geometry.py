"""Each label's shape, checked once for every format: the points it has, and whether they fit the image.

`read_shape` turns a `SampleLabel` into a `Shape` (plain points, a radius for a circle) or the reason it cannot
be written: a feature that does not fit its shape, corners out of order, a coordinate outside the image, a number
that is not finite. Writers then only choose which shapes they can hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from attrs import frozen

from .._v2._models import SampleLabel

__all__ = ["Shape", "polygon_area", "read_shape"]

Number = int | float

#: The shapes ModelArts draws, with how many points each takes (fewest, most).
_POINT_COUNTS: dict[str, tuple[int, int | None]] = {
    "bndbox": (2, 2),
    "polygon": (3, None),
    "line": (2, 2),
    "dashed": (2, 2),
    "polyline": (2, None),
    "point": (1, 1),
    "circle": (1, 1),
}
KNOWN_SHAPES = frozenset(_POINT_COUNTS)


@frozen
class Shape:
    """A checked shape: its `kind`, its points in pixels (a circle's centre), and a circle's `radius`."""

    kind: str
    points: tuple[tuple[Number, Number], ...]
    radius: Number | None = None

    @property
    def bounds(self) -> tuple[Number, Number, Number, Number]:
        """`(xmin, ymin, xmax, ymax)` around the shape (a circle's box around its disc)."""
        xs = [x for x, _ in self.points]
        ys = [y for _, y in self.points]
        r = self.radius or 0
        return min(xs) - r, min(ys) - r, max(xs) + r, max(ys) + r


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def read_shape(label: SampleLabel, size: Sequence[int] | None) -> Shape | str:
    """The label's checked `Shape`, or why it cannot be written (a shape without points gives the reason too)."""
    kind = label.shape
    if kind is None:
        return "label has no shape"
    if kind not in KNOWN_SHAPES:
        return f"unknown shape {kind!r}"
    points = label.points
    radius = label.circle[2] if label.circle is not None else None
    fewest, most = _POINT_COUNTS[kind]
    if points is None or not fewest <= len(points) <= (most or len(points)) or (kind == "circle" and radius is None):
        return f"feature does not fit a {kind}"
    if not all(_is_number(x) and _is_number(y) for x, y in points) or (radius is not None and not _is_number(radius)):
        return f"{kind} has a coordinate that is not a finite number"
    shape = Shape(kind, points, radius)
    return _order_problem(shape) or _size_problem(shape, size) or shape


def _order_problem(shape: Shape) -> str | None:
    if shape.kind == "bndbox":
        (x1, y1), (x2, y2) = shape.points
        if x1 >= x2 or y1 >= y2:
            return f"bndbox corners out of order or empty: ({x1}, {y1}) to ({x2}, {y2})"
    if shape.radius is not None and shape.radius <= 0:
        return f"circle radius {shape.radius} is not positive"
    return None


def _size_problem(shape: Shape, size: Sequence[int] | None) -> str | None:
    if size is None:
        return None
    width, height = size[0], size[1]
    xmin, ymin, xmax, ymax = shape.bounds if shape.kind != "circle" else _centre_bounds(shape)
    if xmin < 0 or ymin < 0 or xmax > width or ymax > height:
        return f"{shape.kind} is outside the {width}x{height} image"
    return None


def _centre_bounds(shape: Shape) -> tuple[Number, Number, Number, Number]:
    """A circle is checked by its centre only: ModelArts lets a circle's disc run past the image's edge."""
    (x, y) = shape.points[0]
    return x, y, x, y


def polygon_area(points: Sequence[tuple[Number, Number]]) -> float:
    """The polygon's area by the shoelace formula (vertices in order, either direction)."""
    twice = 0.0
    for (x1, y1), (x2, y2) in zip(points, (*points[1:], points[0]), strict=True):
        twice += x1 * y2 - x2 * y1
    return abs(twice) / 2
