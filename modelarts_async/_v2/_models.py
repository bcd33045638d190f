"""The values the v2 dataset API returns (samples, datasets, labels): frozen attrs classes, no I/O, no parsing.

Everything a model holds is read-only all the way down: JSON objects become `FrozenDict`s and JSON arrays become
tuples, so a sample can be shared, hashed and pickled, and nobody changes it under your feet. Fields the service
sends that have no typed attribute land in `extra`, unchanged; `_converter.py` reads and writes the wire JSON.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeAlias, cast

from attrs import field, frozen

from .._v1._models import Coordinate, DetectionTag, ImageInfo, Position

__all__ = [
    "Dataset",
    "DatasetLabel",
    "FrozenDict",
    "Point",
    "Sample",
    "SampleLabel",
    "SampleResult",
    "freeze_json",
]

#: One `(x, y)` point, in pixels from the image's top-left corner.
Point: TypeAlias = tuple[Coordinate, Coordinate]


class FrozenDict(dict[str, Any]):
    """A JSON object you can read but not change: assigning, deleting or updating raises `TypeError`.

    It is a `dict` for everything that reads (`json.dumps` writes it as is), hashes when its values do, and
    pickles. Call `dict(d)` for a mutable copy. Models make theirs with `freeze_json`, which freezes nested values
    too; `FrozenDict(...)` alone freezes only the top level.
    """

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is read-only; copy it with dict(...) to change it")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        # Pickle's default for dict subclasses refills the object item by item, which `__setitem__` refuses.
        return type(self), (dict(self),)

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


def freeze_json(value: Any) -> Any:
    """A read-only copy of a JSON value: objects become `FrozenDict`s, arrays tuples, all the way down.

    A `FrozenDict` comes back as it is: the ones models hold were made here, frozen all the way down.
    """
    if value is None or isinstance(value, FrozenDict | str | int | float):
        return value
    if isinstance(value, Mapping):
        return FrozenDict({key: freeze_json(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze_json(item) for item in value)
    return value


def _frozen_object(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if type(value) is FrozenDict else cast(Mapping[str, Any], freeze_json(value))


def _frozen_objects(value: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(_frozen_object(item) for item in value)


def _sample_labels(value: Iterable[SampleLabel]) -> tuple[SampleLabel, ...]:
    return value if type(value) is tuple else tuple(value)


def _dataset_labels(value: Iterable[DatasetLabel]) -> tuple[DatasetLabel, ...]:
    return value if type(value) is tuple else tuple(value)


def _wire_keys(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return value if value is None or type(value) is tuple else tuple(value)


_SHAPE = "@modelarts:shape"
_FEATURE = "@modelarts:feature"
_SIZE = "@modelarts:size"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integral(value: object) -> bool:
    return type(value) is int or (type(value) is float and value.is_integer())


def _point(value: object) -> Point | None:
    if isinstance(value, tuple) and len(value) == 2 and _is_number(value[0]) and _is_number(value[1]):
        return cast(Point, value)
    return None


def _points(value: object) -> tuple[Point, ...] | None:
    if not isinstance(value, tuple):
        return None
    points = tuple(_point(item) for item in value)
    return None if None in points else cast(tuple[Point, ...], points)


def _circle(value: object) -> tuple[Coordinate, Coordinate, Coordinate] | None:
    """`(cx, cy, r)` from `[[cx, cy], [r]]` (API pages) or `[cx, cy, r]` (manifest files), frozen to tuples."""
    if not isinstance(value, tuple):
        return None
    if len(value) == 2 and (centre := _point(value[0])) is not None:
        radius = value[1]
        if isinstance(radius, tuple) and len(radius) == 1 and _is_number(radius[0]):
            return centre[0], centre[1], radius[0]
    if len(value) == 3 and all(_is_number(item) for item in value):
        return cast(tuple[Coordinate, Coordinate, Coordinate], value)
    return None


@frozen
class SampleLabel:
    """One label on a sample: read `name`, and `shape`, `points`, `box` or `circle` for detection labels.

    `type` is the service's label type, kept even when this library does not know it: 0 image classification,
    1 object detection, 3 segmentation, 100 text classification, 101 named entity, 102 triplet, 200 sound
    classification, 201 speech content, 202 speech paragraph, 600 video.
    """

    name: str | None = None
    type: int | None = None
    id: str | None = None
    #: Confidence from 0 to 1, exactly as sent: the service sends the integer `1` for human labels.
    score: int | float | None = None
    #: `"human"` or `"auto"`.
    annotated_by: str | None = None
    #: The `@modelarts:*` keys (`@modelarts:shape`, `@modelarts:feature`, `@modelarts:hard`, ...) and the
    #: user-defined attributes (keys without the prefix), as sent.
    property: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: Every other key of the label object, as sent.
    extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: The keys of the JSON object this label was read from, in order, so that writing it back gives the same
    #: JSON; None for a label you build. Not part of equality.
    wire_keys: tuple[str, ...] | None = field(default=None, converter=_wire_keys, eq=False, repr=False)
    #: The keys of an array or object field that was `null` on the wire (read as empty), so that writing it back
    #: gives `null` again while the field stays empty. Not part of equality.
    wire_nulls: frozenset[str] = field(default=frozenset(), eq=False, repr=False)

    @builtins.property  # the field `property` shadows the builtin in this class body
    def shape(self) -> str | None:
        """The detection shape (`"bndbox"`, `"polygon"`, `"circle"`, `"line"`, `"dashed"`, `"point"`,
        `"polyline"`, or a newer one), None for a label without one (classification, text, audio)."""
        shape = self.property.get(_SHAPE)
        return shape if isinstance(shape, str) else None

    @builtins.property
    def feature(self) -> Any:
        """The raw `@modelarts:feature` (nested tuples of pixel coordinates), None when absent."""
        return self.property.get(_FEATURE)

    @builtins.property
    def points(self) -> tuple[Point, ...] | None:
        """The shape as `(x, y)` points: two corners for a bndbox, line or dashed line, every vertex for a
        polygon or polyline, one point for a point, and the centre alone for a circle (its radius: `circle`).

        Points come in either documented form (`[[x, y]]` or `[x, y]` for a point). None without a shape, or
        when the feature of a shape this library does not know is not a list of `[x, y]` points.
        """
        shape, feature = self.shape, self.feature
        if shape is None:
            return None
        if shape == "circle":
            circle = _circle(feature)
            return None if circle is None else ((circle[0], circle[1]),)
        if shape == "point" and (point := _point(feature)) is not None:
            return (point,)
        return _points(feature)

    @builtins.property
    def box(self) -> tuple[Coordinate, Coordinate, Coordinate, Coordinate] | None:
        """`(xmin, ymin, xmax, ymax)` for a `bndbox` label, else None; corners sent swapped are put in order."""
        if self.shape != "bndbox":
            return None
        points = _points(self.feature)
        if points is None or len(points) != 2:
            return None
        (x1, y1), (x2, y2) = points
        return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)

    @builtins.property
    def circle(self) -> tuple[Coordinate, Coordinate, Coordinate] | None:
        """`(cx, cy, r)` for a `circle` label (from `[[cx, cy], [r]]` or `[cx, cy, r]`), else None."""
        return _circle(self.feature) if self.shape == "circle" else None


@frozen
class Sample:
    """One sample of a dataset with its labels: read `labels`, `label_names`, `size`, or `to_image_info()`.

    `source` is a pre-signed OBS URL that expires: fetch it soon, never cache or log it. Fields without a typed
    attribute (`labelers`, `check_*`, `review_*`, `hard_details`, ...) are in `extra`, exactly as sent.
    """

    sample_id: str
    #: 0 image, 1 text, 2 audio, 4 table, 6 video, 9 free format.
    sample_type: int | None = None
    labels: tuple[SampleLabel, ...] = field(default=(), converter=_sample_labels)
    #: The `@modelarts:*` keys (`@modelarts:size`, `@modelarts:import_origin`, `@modelarts:hard`, ...), as sent.
    metadata: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: `"MANUAL_ANNOTATION"`, `"UN_ANNOTATION"`, `"AUTO_ANNOTATION"`, or another value the service adds.
    sample_status: str | None = None
    #: Pre-signed URLs: they grant access until they expire, so `repr` leaves them out (logs stay safe).
    source: str | None = field(default=None, repr=False)
    preview: str | None = field(default=None, repr=False)
    #: Milliseconds since the epoch (the OBS object's last change).
    sample_time: int | None = None
    sample_name: str | None = None
    sample_dir: str | None = None
    sample_size: int | None = None
    #: Who labeled it last, e.g. `"human/alice/alice"`.
    annotated_by: str | None = None
    #: Every other key of the sample object, as sent.
    extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: The keys of the JSON object this sample was read from, in order, so that writing it back gives the same
    #: JSON; None for a sample you build. Not part of equality.
    wire_keys: tuple[str, ...] | None = field(default=None, converter=_wire_keys, eq=False, repr=False)
    #: The keys of an array or object field that was `null` on the wire (read as empty), so that writing it back
    #: gives `null` again while the field stays empty. Not part of equality.
    wire_nulls: frozenset[str] = field(default=frozenset(), eq=False, repr=False)

    @property
    def size(self) -> tuple[int, ...] | None:
        """`(width, height)` or `(width, height, depth)` from `@modelarts:size`, as integers; the service sends it
        for samples with detection labels. None when absent."""
        size = self.metadata.get(_SIZE)
        if isinstance(size, tuple) and len(size) in (2, 3) and all(_is_integral(n) for n in size):
            return tuple(int(n) for n in size)  # `1080.0` (sent by some backends) reads as 1080
        return None

    @property
    def label_names(self) -> tuple[str, ...]:
        """The names of the labels, in order: `('car', 'outdoor')` (labels without a name are skipped)."""
        return tuple(label.name for label in self.labels if label.name is not None)

    def to_image_info(self) -> ImageInfo:
        """This sample as the v1 API's `ImageInfo`, for code written against `get_image_info_by_id`.

        When any label has a shape, the result is a detection answer: one `DetectionTag(name, feature)` per
        shaped label, with the feature exactly as sent (`((10, 20), (110, 220))`, `(cx, cy, r)`, ...), and
        `size` from the metadata. Otherwise it is a classification answer: the label names as `tags`.

        Dropped: labels without a name; in a detection answer, labels without a shape (e.g. an image-level
        class next to boxes) and labels of an unknown shape whose feature is not a list of numbers or of
        points; and everything v1 has no field for (label type, id, score, annotator, other properties,
        metadata other than the size, and `extra`).
        """
        if any(label.shape is not None for label in self.labels):
            tags = tuple(
                DetectionTag(tag=label.name, pos=pos)
                for label in self.labels
                if label.name is not None and label.shape is not None and (pos := _position(label.feature))
            )
            return ImageInfo(image_id=self.sample_id, tags=tags, size=self.size)
        return ImageInfo(image_id=self.sample_id, tags=self.label_names, size=self.size)


def _position(feature: object) -> Position | None:
    """The feature as a v1 `Position` (a tuple of numbers, or of tuples of numbers), else None."""
    if not isinstance(feature, tuple) or not feature:
        return None
    if all(_is_number(item) for item in feature):
        return cast(Position, feature)
    if all(isinstance(item, tuple) and item and all(_is_number(n) for n in item) for item in feature):
        return cast(Position, feature)
    return None


@frozen
class SampleResult:
    """The outcome for one id of a bulk sample run: `sample` when it worked, else `error`; check `ok` or call
    `unwrap()`.

    `sample_id` is the id exactly as it came from the input (even when it was not a valid id).
    """

    sample_id: str
    sample: Sample | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the sample arrived (`sample` is set), False when `error` says why not."""
        return self.error is None

    def unwrap(self) -> Sample:
        """Return `sample`, or raise `error` (a `ModelArtsError` for everything the client can foresee)."""
        if self.error is not None:
            raise self.error
        return cast(Sample, self.sample)


@frozen
class DatasetLabel:
    """A label defined on a dataset: its `name`, `type`, display `property` (`@modelarts:color`, ...) and
    `attributes` (the label's attribute definitions, as sent)."""

    name: str | None = None
    type: int | None = None
    property: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    attributes: tuple[Mapping[str, Any], ...] = field(default=(), converter=_frozen_objects)
    #: Every other key of the label object, as sent.
    extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: The keys of the JSON object this label was read from, in order; None for a label you build.
    wire_keys: tuple[str, ...] | None = field(default=None, converter=_wire_keys, eq=False, repr=False)
    #: The keys of an array or object field that was `null` on the wire (read as empty), so that writing it back
    #: gives `null` again while the field stays empty. Not part of equality.
    wire_nulls: frozenset[str] = field(default=frozenset(), eq=False, repr=False)


@frozen
class Dataset:
    """A dataset: its id and name, sample counts, current version and labels; other fields are in `extra`.

    `labels` is empty unless the list was asked for `with_labels` (or the service sent them anyway).
    """

    dataset_id: str
    dataset_name: str | None = None
    dataset_type: int | None = None
    description: str | None = None
    status: int | None = None
    total_sample_count: int | None = None
    annotated_sample_count: int | None = None
    #: Milliseconds since the epoch.
    create_time: int | None = None
    #: Milliseconds since the epoch.
    update_time: int | None = None
    current_version_id: str | None = None
    labels: tuple[DatasetLabel, ...] = field(default=(), converter=_dataset_labels)
    #: Every other key of the dataset object, as sent.
    extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: The keys of the JSON object this dataset was read from, in order; None for a dataset you build.
    wire_keys: tuple[str, ...] | None = field(default=None, converter=_wire_keys, eq=False, repr=False)
    #: The keys of an array or object field that was `null` on the wire (read as empty), so that writing it back
    #: gives `null` again while the field stays empty. Not part of equality.
    wire_nulls: frozenset[str] = field(default=frozenset(), eq=False, repr=False)
