"""The v2 dataset API of the fake: datasets, their samples and labels, published versions, and the routes serving them.

Each sample is serialized once, when it is added; a list answer is a slice of a cached sorted view joined into bytes,
cheap enough for a benchmark's upstream. Where the documentation leaves the behaviour open (see API_V2.md), the fake
reads it this way:

- `offset` is a page index (`offset_mode="page"`, the default, as Huawei's SDK reference reads it: records
  `[offset*limit, offset*limit+limit)`) or a record offset (`"record"`: records `[offset, offset+limit)`), chosen per
  `FakeModelArts` and applied to every v2 list.
- Samples sort by `sample_time`, then `sample_id` (a total order, so pages never overlap), descending unless
  `order=asc`. Datasets sort by `create_time` (or `sort_by=dataset_name`), then `dataset_id`.
- `sample_count` and `total_number` count everything matching the filter, not the page.
- `sample_state=__ALL__` selects labelled samples, `__NONE__` unlabelled ones, `__AUTO_ANNOTATION__` auto-labelled
  ones to confirm; any other value must equal the sample's `sample_status`. `label_name` and `label_type` select the
  samples having one label that matches both.
- Not found is HTTP 400 (`ModelArts.4352` dataset, `ModelArts.4420` sample, `ModelArts.4353` version), a bad
  parameter 400 `ModelArts.0104`; v2 error bodies carry no `is_success`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, Literal, NamedTuple, TypeVar
from urllib.parse import parse_qsl, quote, unquote

from ._images import IMAGE_PATH_PREFIX, presigned_source
from ._reply import JSON_HEADERS, FakeReply, dumps, error_reply

__all__ = [
    "DEMO_DATASET_ID",
    "DatasetKind",
    "FakeDataset",
    "OffsetMode",
    "box_label",
    "check_offset_mode",
    "classification_label",
    "generated_dataset",
    "generated_sample_ids",
    "route_v2",
    "shape_label",
]

OffsetMode = Literal["page", "record"]
DatasetKind = Literal["classification", "detection"]

#: The generated dataset that `python -m modelarts_async.testing serve` creates (19 characters, like the service's).
DEMO_DATASET_ID = "DemoDataset00000001"

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
#: Samples added without a `sample_time` are dated one second after the dataset's latest, from here (2023-11-14):
#: answers are the same on every run, and the newest sample comes first in the default order.
FAKE_EPOCH_MS = 1_700_000_000_000

UN_ANNOTATION = "UN_ANNOTATION"
MANUAL_ANNOTATION = "MANUAL_ANNOTATION"
AUTO_ANNOTATION = "AUTO_ANNOTATION"
CLASSIFICATION = 0  # label (and dataset) type
DETECTION = 1

#: The documented `@modelarts:feature` of each shape, and (fewest, most) of its [x, y] points.
_FEATURE_FORMS: Mapping[str, str] = {
    "bndbox": "[[xmin, ymin], [xmax, ymax]]",
    "polygon": "[[x, y], ...] with at least 3 points",
    "polyline": "[[x, y], ...] with at least 2 points",
    "line": "[[x1, y1], [x2, y2]]",
    "dashed": "[[x1, y1], [x2, y2]]",
    "point": "[[x, y]]",
    "circle": "[[cx, cy], [r]]",
}
_POINT_COUNTS: Mapping[str, tuple[int, int | None]] = {
    "bndbox": (2, 2),
    "polygon": (3, None),
    "polyline": (2, None),
    "line": (2, 2),
    "dashed": (2, 2),
    "point": (1, 1),
}
_COLORS = ("#3399ff", "#ffcc33", "#33cc66", "#ff6666", "#9966ff", "#ff9933", "#33cccc", "#cc3399", "#99cc33", "#666699")
_EXTENSIONS: Mapping[int, str] = {0: ".png", 1: ".txt", 2: ".wav", 6: ".mp4"}

T = TypeVar("T")


# --- labels -----------------------------------------------------------------------------------------------------------


def classification_label(
    name: str,
    *,
    label_type: int = CLASSIFICATION,
    score: float | None = None,
    annotated_by: str | None = None,
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A label without a shape, as the wire carries it: `dataset.add_sample(sample_id, [classification_label("a")])`."""
    return _label(name, label_type, dict(properties or {}), score, annotated_by)


def box_label(
    name: str,
    box: Sequence[float],
    *,
    score: float | None = None,
    annotated_by: str | None = None,
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A detection box `(xmin, ymin, xmax, ymax)`: a `bndbox` label with feature `[[xmin, ymin], [xmax, ymax]]`."""
    if len(box) != 4:
        raise ValueError(f"a box is (xmin, ymin, xmax, ymax), got {box!r}")
    xmin, ymin, xmax, ymax = box
    feature = [[xmin, ymin], [xmax, ymax]]
    return shape_label(name, "bndbox", feature, score=score, annotated_by=annotated_by, properties=properties)


def shape_label(
    name: str,
    shape: str,
    feature: Sequence[Sequence[float]],
    *,
    score: float | None = None,
    annotated_by: str | None = None,
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A detection label of any documented shape, its feature checked against the API's form.

    bndbox `[[xmin, ymin], [xmax, ymax]]`; polygon (at least 3 points) and polyline (at least 2) `[[x, y], ...]`;
    line and dashed `[[x1, y1], [x2, y2]]`; circle `[[cx, cy], [r]]`; point `[[x, y]]`. To serve another form (the
    manifest's `[cx, cy, r]`), give `add_sample` a wire dict instead.
    """
    points = [list(point) for point in feature]
    _check_feature(shape, points)
    prop = {"@modelarts:shape": shape, "@modelarts:feature": points, **(properties or {})}
    return _label(name, DETECTION, prop, score, annotated_by)


def _check_feature(shape: str, points: list[list[float]]) -> None:
    if shape == "circle":
        valid = len(points) == 2 and len(points[0]) == 2 and len(points[1]) == 1
    elif shape in _POINT_COUNTS:
        fewest, most = _POINT_COUNTS[shape]
        valid = fewest <= len(points) <= (most or len(points)) and all(len(point) == 2 for point in points)
    else:
        raise ValueError(f"shape must be one of {', '.join(_FEATURE_FORMS)}; got {shape!r}")
    if not valid:
        raise ValueError(f"a {shape} feature is {_FEATURE_FORMS[shape]}, got {points!r}")


def _label(
    name: str, label_type: int, prop: dict[str, Any], score: float | None, annotated_by: str | None
) -> dict[str, Any]:
    label: dict[str, Any] = {"name": name, "type": label_type}
    if score is not None:
        label["score"] = score
    if annotated_by is not None:
        label["annotated_by"] = annotated_by
    label["property"] = prop
    return label


def _dataset_label(name: Any, label_type: Any, index: int) -> dict[str, Any]:
    """A label as the labels endpoint lists it, with a colour picked by its position."""
    return {"name": name, "type": label_type, "property": {"@modelarts:color": _COLORS[index % len(_COLORS)]}}


# --- stored samples -----------------------------------------------------------------------------------------------


class _Sample(NamedTuple):
    """A stored sample: its answer, serialized once, and what sorting and the list filters read."""

    sort_key: tuple[int, str]  # (sample_time, sample_id)
    sample_id: str
    sample_type: int
    status: str
    labels: frozenset[tuple[Any, Any]]  # (name, type) of each label
    body: bytes
    label_list: tuple[tuple[Any, Any], ...] = ()  # (name, type) of every label, repeats included: for the stats
    size: tuple[int, int] | None = None  # (width, height) from `@modelarts:size`: the size of the image served


class _SampleFilter(NamedTuple):
    """The list filters of `GET .../samples`; None means "any"."""

    label_name: str | None = None
    label_type: int | None = None
    sample_state: str | None = None
    sample_type: int | None = None

    def matches(self, sample: _Sample) -> bool:
        if self.sample_type is not None and sample.sample_type != self.sample_type:
            return False
        if self.sample_state is not None and not _state_matches(self.sample_state, sample.status):
            return False
        if self.label_name is None and self.label_type is None:
            return True
        return any(self._label_matches(name, kind) for name, kind in sample.labels)

    def _label_matches(self, name: Any, kind: Any) -> bool:
        return (self.label_name is None or name == self.label_name) and (
            self.label_type is None or kind == self.label_type
        )


def _state_matches(state: str, status: str) -> bool:
    if state == "__ALL__":
        return status not in (UN_ANNOTATION, AUTO_ANNOTATION)
    if state == "__NONE__":
        return status == UN_ANNOTATION
    if state == "__AUTO_ANNOTATION__":
        return status == AUTO_ANNOTATION
    return status == state


_ANY = _SampleFilter()
_LABELLED = _SampleFilter(sample_state="__ALL__")
_BY_SORT_KEY = attrgetter("sort_key")
#: Sorted views kept per sample set; a client trying many filters only costs re-sorting, never memory.
_MAX_VIEWS = 64


class _SampleSet:
    """Samples by id, with one sorted view per filter asked for, kept until the next change."""

    def __init__(self, samples: Mapping[str, _Sample] | None = None) -> None:
        self.by_id: dict[str, _Sample] = dict(samples or {})
        self._views: dict[_SampleFilter, list[_Sample]] = {}

    def put(self, sample: _Sample) -> None:
        self.by_id[sample.sample_id] = sample
        self._views.clear()

    def remove(self, sample_id: str) -> None:
        del self.by_id[sample_id]
        self._views.clear()

    def copy(self) -> _SampleSet:
        """A snapshot: the samples are immutable, so sharing them is safe."""
        return _SampleSet(self.by_id)

    def ascending(self, where: _SampleFilter = _ANY) -> list[_Sample]:
        """The samples matching `where`, by (sample_time, sample_id) ascending."""
        view = self._views.get(where)
        if view is None:
            if len(self._views) >= _MAX_VIEWS:
                self._views.clear()
            samples = self.by_id.values()
            view = sorted(samples if where == _ANY else filter(where.matches, samples), key=_BY_SORT_KEY)
            self._views[where] = view
        return view


class _Version(NamedTuple):
    """A published version: the samples and labels as they were when it was published, and its own fields."""

    samples: _SampleSet
    labels: list[dict[str, Any]]
    version_name: str = ""
    create_time: int = 0
    previous_version_id: str | None = None


# --- datasets -----------------------------------------------------------------------------------------------------


class FakeDataset:
    """One v2 dataset of the fake: its samples (stored as ready-made answers), labels and published versions.

    Example::

        dataset = fake.add_dataset("WxCREuCkBSAlQr9xrde", dataset_type=1)
        dataset.add_sample("0a1b2c3d4e5f60718293a4b5c6d7e8f9", [box_label("car", (10, 20, 110, 220))])
        dataset.publish_version("v1")  # lists with version_id=v1 keep this state
    """

    def __init__(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        dataset_type: int = CLASSIFICATION,
        labels: Iterable[str | Mapping[str, Any]] | None = None,
        description: str = "",
        create_time: int | None = None,
        **extra_fields: Any,
    ) -> None:
        self.dataset_id = dataset_id
        self.name = dataset_id if name is None else name
        self.dataset_type = dataset_type
        self.description = description
        self.create_time = FAKE_EPOCH_MS if create_time is None else create_time
        self.update_time = self.create_time
        #: more fields of the dataset's answer (`data_format`, `work_path`, ...), added as given
        self.extra_fields = dict(extra_fields)
        self.current_version_id: str | None = None
        self._given_labels = None if labels is None else [self._given_label(label, i) for i, label in enumerate(labels)]
        self._seen_labels: dict[tuple[Any, Any], None] = {}
        self._live = _SampleSet()
        self._versions: dict[str, _Version] = {}
        self._latest_sample_time = self.create_time

    def __repr__(self) -> str:
        return f"FakeDataset(dataset_id={self.dataset_id!r}, samples={len(self._live.by_id)})"

    @property
    def sample_ids(self) -> list[str]:
        """The ids of the dataset's samples, in the order they were first added."""
        return list(self._live.by_id)

    @property
    def version_ids(self) -> list[str]:
        """The published versions, oldest first."""
        return list(self._versions)

    @property
    def labels(self) -> list[dict[str, Any]]:
        """The labels the labels endpoint lists: those given to `add_dataset`, else every one a sample has used."""
        if self._given_labels is not None:
            return [dict(label) for label in self._given_labels]
        return [_dataset_label(name, kind, index) for index, (name, kind) in enumerate(self._seen_labels)]

    def add_sample(
        self,
        sample_id: str,
        labels: Iterable[Mapping[str, Any]] = (),
        *,
        sample_type: int = 0,
        sample_status: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        sample_time: int | None = None,
        **extra_fields: Any,
    ) -> None:
        """Add (or replace) a sample; labels are wire dicts or `classification_label`/`box_label`/`shape_label`.

        `sample_status` defaults to MANUAL_ANNOTATION when labelled, else UN_ANNOTATION; `sample_time` (ms) to one
        second after the latest sample. `extra_fields` are added to the answer as given (`labelers=[...]`, ...).
        """
        if not sample_id:
            raise ValueError("sample_id must not be empty")
        wire_labels = [dict(label) for label in labels]
        if sample_time is None:
            sample_time = self._latest_sample_time + 1000
        self._latest_sample_time = self.update_time = max(self._latest_sample_time, sample_time)
        status = sample_status or (MANUAL_ANNOTATION if wire_labels else UN_ANNOTATION)
        answer = self._answer(sample_id, sample_type, status, sample_time, wire_labels, metadata)
        answer.update(extra_fields)
        label_list = tuple((label.get("name"), label.get("type")) for label in wire_labels)
        size = _image_size(answer.get("metadata"))
        key = (sample_time, sample_id)
        body = dumps(answer)
        self._live.put(_Sample(key, sample_id, sample_type, status, frozenset(label_list), body, label_list, size))
        for label in wire_labels:
            if isinstance(label.get("name"), str):
                self._seen_labels.setdefault((label["name"], label.get("type")), None)

    def remove_sample(self, sample_id: str) -> None:
        """Forget a sample: asking for it fails like asking for an unknown one; published versions keep it."""
        self._live.remove(sample_id)

    def publish_version(self, version_id: str, *, version_name: str | None = None) -> None:
        """Freeze the samples and labels as they are now; `version_id=` lists them whatever changes later.

        The versions endpoints show it (`version_name` defaults to `V001`, `V002`, ...) as the current version.
        """
        if version_id in self._versions:
            raise ValueError(f"version {version_id!r} is already published")
        name = version_name if version_name is not None else f"V{len(self._versions) + 1:03d}"
        create_time = self._latest_sample_time + 1000
        version = _Version(self._live.copy(), self.labels, name, create_time, self.current_version_id)
        self._versions[version_id] = version
        self.current_version_id = version_id

    def stats(self, sample_state: str | None = None) -> dict[str, Any]:
        """The stats endpoint's answer for the live samples (those matching `sample_state`, if given)."""
        samples = self._live.ascending(_SampleFilter(sample_state=sample_state) if sample_state else _ANY)
        by_status: dict[str, int] = {}
        counts: dict[tuple[Any, Any], list[int]] = {}
        for sample in samples:
            by_status[sample.status] = by_status.get(sample.status, 0) + 1
            for pair in sample.label_list:
                counts.setdefault(pair, [0, 0])[0] += 1
            for pair in sample.labels:
                counts[pair][1] += 1
        sample_stats = {
            "total": len(samples),
            "un_annotation": by_status.get(UN_ANNOTATION, 0),
            "manual_annotation": by_status.get(MANUAL_ANNOTATION, 0),
            "auto_annotation": by_status.get(AUTO_ANNOTATION, 0),
            "deleted": 0,
        }
        label_stats = [
            {"name": name, "type": kind, "count": count, "sample_count": holding, "property": {}}
            for (name, kind), (count, holding) in counts.items()
        ]
        return {
            "sample_stats": sample_stats,
            "label_stats": label_stats,
            "data_path": f"/fake-bucket/{self.dataset_id}/",
        }

    def describe_version(self, version_id: str) -> dict[str, Any]:
        """A published version as the versions endpoints show it."""
        version = self._version(version_id)
        samples = version.samples
        return {
            "version_id": version_id,
            "version_name": version.version_name,
            "description": "",
            "status": 1,  # normal
            "create_time": version.create_time,
            "update_time": version.create_time,
            "is_current": version_id == self.current_version_id,
            "previous_version_id": version.previous_version_id,
            "total_sample_count": len(samples.by_id),
            "annotated_sample_count": len(samples.ascending(_LABELLED)),
            "train_evaluate_sample_ratio": "1.00",
            "version_format": "Default",
        }

    def image_size(self, sample_name: str) -> tuple[int, int] | None:
        """The (width, height) of the image named `sample_name`, live or in a version; None if there is none."""
        sample_id = sample_name.rpartition(".")[0] or sample_name
        for samples in (self._live, *(version.samples for version in self._versions.values())):
            sample = samples.by_id.get(sample_id)
            if sample is not None:
                return sample.size or (64, 48)
        return None

    def describe(self, *, with_labels: bool = True) -> dict[str, Any]:
        """The dataset as the dataset endpoints show it, with the counts of its live samples."""
        info: dict[str, Any] = {
            "dataset_id": self.dataset_id,
            "dataset_name": self.name,
            "dataset_type": self.dataset_type,
            "description": self.description,
            "status": 1,  # normal
            "create_time": self.create_time,
            "update_time": self.update_time,
            "total_sample_count": len(self._live.by_id),
            "annotated_sample_count": len(self._live.ascending(_LABELLED)),
        }
        if self.current_version_id is not None:
            info["current_version_id"] = self.current_version_id
        if with_labels:
            info["labels"] = self.labels
        info.update(self.extra_fields)
        return info

    def _given_label(self, label: str | Mapping[str, Any], index: int) -> dict[str, Any]:
        return _dataset_label(label, self.dataset_type, index) if isinstance(label, str) else dict(label)

    def _answer(
        self,
        sample_id: str,
        sample_type: int,
        status: str,
        sample_time: int,
        labels: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The sample's answer with plausible defaults (a pre-signed-looking OBS URL, a file name)."""
        name = f"{sample_id}{_EXTENSIONS.get(sample_type, '')}"
        answer: dict[str, Any] = {
            "sample_id": sample_id,
            "sample_type": sample_type,
            "labels": labels,
            "metadata": {"@modelarts:import_origin": 0} if metadata is None else dict(metadata),
            "sample_status": status,
            "sample_time": sample_time,
            "sample_name": name,
            "sample_dir": f"/fake-bucket/{self.dataset_id}/",
            "source": presigned_source(f"{IMAGE_PATH_PREFIX}fake-bucket/{quote(self.dataset_id)}/{quote(name)}"),
        }
        if labels:
            answer["annotated_by"] = "human/fake-user/fake-user"
        return answer

    def _samples(self, version_id: str | None) -> _SampleSet:
        return self._live if version_id is None else self._version(version_id).samples

    def _labels_of(self, version_id: str | None) -> list[dict[str, Any]]:
        return self.labels if version_id is None else self._version(version_id).labels

    def _version(self, version_id: str) -> _Version:
        version = self._versions.get(version_id)
        if version is None:
            message = f"Dataset version [{version_id}] of dataset [{self.dataset_id}] does not exist."
            raise _V2Error(400, "ModelArts.4353", message)
        return version


# --- generated datasets -------------------------------------------------------------------------------------------

_GENERATED_LABELS = ["animal", "fish", "cat", "dog", "bird", "car", "flower", "tree", "person", "boat"]
_GENERATED_SHAPES = ("bndbox", "polygon", "circle", "point", "line", "dashed", "polyline")
_GENERATED_SHAPE_WEIGHTS = (60, 20, 4, 4, 4, 4, 4)
_GENERATED_SIZES = ((1920, 1080), (1280, 720), (640, 480))


def generated_sample_ids(count: int, *, seed: int = 0) -> list[str]:
    """`count` distinct 32-hex sample ids, the same for the same seed (and not the ones `generated_image_ids` gives)."""
    rng = random.Random(f"samples:{seed}")
    ids = dict.fromkeys(f"{rng.getrandbits(128):032x}" for _ in range(count))
    while len(ids) < count:  # a collision in 128 bits: practically never
        ids[f"{rng.getrandbits(128):032x}"] = None
    return list(ids)


def generated_dataset(dataset_id: str, count: int, *, seed: int = 0, kind: DatasetKind = "detection") -> FakeDataset:
    """A dataset of `count` plausible random samples, the same for the same seed.

    About 10% are unlabelled and 10% of the rest auto-labelled with scores; detection samples carry 1-4 labels of
    every shape (mostly bndbox and polygon) and an `@modelarts:size`. Sample times repeat, so ties get sorted too.
    """
    if kind not in ("classification", "detection"):
        raise ValueError(f"kind must be 'classification' or 'detection', got {kind!r}")
    label_type = DETECTION if kind == "detection" else CLASSIFICATION
    dataset = FakeDataset(dataset_id, name=f"demo-{kind}", dataset_type=label_type, labels=_GENERATED_LABELS)
    rng = random.Random(seed)
    for sample_id in generated_sample_ids(count, seed=seed):
        width, height = rng.choice(_GENERATED_SIZES)
        auto = rng.random() < 0.1
        labels = _random_labels(rng, kind, width, height, auto=auto) if rng.random() >= 0.1 else []
        dataset.add_sample(
            sample_id,
            labels,
            sample_status=AUTO_ANNOTATION if auto and labels else None,
            metadata={"@modelarts:import_origin": 0, "@modelarts:size": [width, height, 3]},
            sample_time=FAKE_EPOCH_MS + rng.randrange(max(count, 1)) * 1000,
        )
    return dataset


def _random_labels(
    rng: random.Random, kind: DatasetKind, width: int, height: int, *, auto: bool
) -> list[dict[str, Any]]:
    names = rng.sample(_GENERATED_LABELS, rng.randint(1, 2 if kind == "classification" else 4))
    score = round(rng.uniform(0.5, 1.0), 3) if auto else 1
    annotated_by = "auto" if auto else "human"
    if kind == "classification":
        return [classification_label(name, score=score, annotated_by=annotated_by) for name in names]
    shapes = rng.choices(_GENERATED_SHAPES, weights=_GENERATED_SHAPE_WEIGHTS, k=len(names))
    return [
        shape_label(name, shape, _random_feature(rng, shape, width, height), score=score, annotated_by=annotated_by)
        for name, shape in zip(names, shapes, strict=True)
    ]


def _random_feature(rng: random.Random, shape: str, width: int, height: int) -> list[list[int]]:
    if shape == "bndbox":
        x, y = rng.randrange(width - 130), rng.randrange(height - 130)
        return [[x, y], [x + rng.randrange(10, 120), y + rng.randrange(10, 120)]]
    if shape == "circle":
        return [[rng.randrange(width), rng.randrange(height)], [rng.randrange(5, 60)]]
    fewest, most = _POINT_COUNTS[shape]
    count = rng.randint(fewest, most or fewest + 3)
    return [[rng.randrange(width), rng.randrange(height)] for _ in range(count)]


# --- routes -------------------------------------------------------------------------------------------------------


class _V2Error(Exception):
    """An error answer, raised where the problem is found and turned into the reply by `route_v2`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.reply = error_reply(status, code, message, is_success_field=False)


def _bad_parameter(name: str, expected: str) -> _V2Error:
    return _V2Error(400, "ModelArts.0104", f"Invalid parameter: {name} must be {expected}.")


_INTEGER = re.compile(r"-?[0-9]+")


class _Query(NamedTuple):
    """One v2 request's query parameters, and the state it reads."""

    params: dict[str, str]
    datasets: Mapping[str, FakeDataset]
    offset_mode: str

    def dataset(self, dataset_id: str) -> FakeDataset:
        dataset = self.datasets.get(dataset_id)
        if dataset is None:
            raise _V2Error(400, "ModelArts.4352", f"Dataset [{dataset_id}] does not exist.")
        return dataset

    def integer(self, name: str) -> int | None:
        value = self.params.get(name)
        if value is None:
            return None
        if not _INTEGER.fullmatch(value):
            raise _bad_parameter(name, "an integer")
        return int(value)

    def choice(self, name: str, options: Sequence[str], default: str) -> str:
        value = self.params.get(name, default)
        if value not in options:
            raise _bad_parameter(name, " or ".join(options))
        return value

    def descending(self) -> bool:
        return self.choice("order", ("asc", "desc"), "desc") == "desc"

    def window(self) -> tuple[int, int]:
        """The records [start, stop) that `offset` and `limit` ask for, read as `offset_mode` says."""
        offset, limit = self.integer("offset"), self.integer("limit")
        offset = 0 if offset is None else offset
        limit = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_LIMIT:
            raise _bad_parameter("limit", f"an integer from 1 to {MAX_LIMIT}")
        if offset < 0:
            raise _bad_parameter("offset", "an integer of at least 0")
        start = _first_record(self.offset_mode, offset, limit)
        return start, start + limit


def check_offset_mode(offset_mode: str) -> OffsetMode:
    """`offset_mode` if it is "page" or "record", else ValueError."""
    if offset_mode == "page":
        return "page"
    if offset_mode == "record":
        return "record"
    raise ValueError(f"offset_mode must be 'page' or 'record', got {offset_mode!r}")


def _first_record(offset_mode: str, offset: int, limit: int) -> int:
    return offset * limit if check_offset_mode(offset_mode) == "page" else offset


def _window(view: list[T], start: int, stop: int, *, descending: bool) -> list[T]:
    """Records [start, stop) of the ascending `view`, counted in the requested order."""
    if not descending:
        return view[start:stop]
    size = len(view)
    return view[max(size - stop, 0) : max(size - start, 0)][::-1]


_DATASET_SORT_KEYS: Mapping[str, Callable[[FakeDataset], tuple[Any, str]]] = {
    "create_time": lambda dataset: (dataset.create_time, dataset.dataset_id),
    "dataset_name": lambda dataset: (dataset.name, dataset.dataset_id),
}


def _list_datasets(query: _Query, ids: list[str]) -> bytes:
    dataset_type = query.integer("dataset_type")
    with_labels = query.choice("with_labels", ("true", "false"), "false") == "true"
    sort_key = _DATASET_SORT_KEYS[query.choice("sort_by", tuple(_DATASET_SORT_KEYS), "create_time")]
    matching = sorted(
        (d for d in query.datasets.values() if dataset_type is None or d.dataset_type == dataset_type), key=sort_key
    )
    page = _window(matching, *query.window(), descending=query.descending())
    return dumps({"total_number": len(matching), "datasets": [d.describe(with_labels=with_labels) for d in page]})


def _show_dataset(query: _Query, ids: list[str]) -> bytes:
    return dumps(query.dataset(ids[0]).describe())


def _list_samples(query: _Query, ids: list[str]) -> bytes:
    samples = query.dataset(ids[0])._samples(query.params.get("version_id"))
    where = _SampleFilter(
        query.params.get("label_name"),
        query.integer("label_type"),
        query.params.get("sample_state"),
        query.integer("sample_type"),
    )
    start, stop = query.window()
    view = samples.ascending(where)
    page = _window(view, start, stop, descending=query.descending())
    return b'{"sample_count":%d,"samples":[%b]}' % (len(view), b",".join(sample.body for sample in page))


def _show_sample(query: _Query, ids: list[str]) -> bytes:
    dataset_id, sample_id = ids[0], ids[3]
    sample = query.dataset(dataset_id)._live.by_id.get(sample_id)
    if sample is None:
        raise _V2Error(400, "ModelArts.4420", f"Sample [{sample_id}] of dataset [{dataset_id}] does not exist.")
    return sample.body


def _show_stats(query: _Query, ids: list[str]) -> bytes:
    return dumps(query.dataset(ids[0]).stats(query.params.get("sample_state")))


#: The versions list takes a `limit` up to 1000 (its default).
_MAX_VERSION_LIMIT = 1000


def _list_versions(query: _Query, ids: list[str]) -> bytes:
    dataset = query.dataset(ids[0])
    newest_first = list(reversed(dataset.version_ids))
    offset, limit = query.integer("offset") or 0, query.integer("limit") or _MAX_VERSION_LIMIT
    if not 1 <= limit <= _MAX_VERSION_LIMIT or offset < 0:
        raise _bad_parameter("limit", f"an integer from 1 to {_MAX_VERSION_LIMIT}, and offset at least 0")
    start = _first_record(query.offset_mode, offset, limit)
    page = [dataset.describe_version(version_id) for version_id in newest_first[start : start + limit]]
    return dumps({"total_number": len(newest_first), "versions": page})


def _show_version(query: _Query, ids: list[str]) -> bytes:
    return dumps(query.dataset(ids[0]).describe_version(ids[2]))


def _image_size(metadata: Any) -> tuple[int, int] | None:
    size = metadata.get("@modelarts:size") if isinstance(metadata, Mapping) else None
    if isinstance(size, list | tuple) and len(size) >= 2 and all(type(n) is int and 0 < n < 65536 for n in size[:2]):
        return size[0], size[1]
    return None


def _list_labels(query: _Query, ids: list[str]) -> bytes:
    labels = query.dataset(ids[0])._labels_of(query.params.get("version_id"))
    # Without paging parameters every label comes back: the documentation gives no default limit for labels.
    paged = "offset" in query.params or "limit" in query.params
    page = _window(labels, *query.window(), descending=False) if paged else labels
    return dumps({"total_number": len(labels), "labels": page})


_Handler = Callable[[_Query, list[str]], bytes]


def _handler_for(rest: list[str]) -> _Handler | None:
    """The endpoint for the path segments after `/v2/{project_id}/datasets`, if there is one."""
    match rest:
        case []:
            return _list_datasets
        case [_]:
            return _show_dataset
        case [_, "data-annotations", "samples"]:
            return _list_samples
        case [_, "data-annotations", "samples", _]:
            return _show_sample
        case [_, "data-annotations", "labels"]:
            return _list_labels
        case [_, "data-annotations", "stats"]:
            return _show_stats
        case [_, "versions"]:
            return _list_versions
        case [_, "versions", _]:
            return _show_version
    return None


def route_v2(
    method: str,
    path: str,
    query: str,
    datasets: Mapping[str, FakeDataset],
    *,
    project_id: str | None,
    offset_mode: str,
) -> FakeReply | None:
    """Answer a `/v2/{project_id}/datasets...` request; None when no v2 API has that method and path."""
    parts = path.split("/")
    if method != "GET" or len(parts) < 4 or parts[0] or parts[1] != "v2" or parts[3] != "datasets" or "" in parts[2:]:
        return None
    rest = [_segment(part) for part in parts[4:]]
    handler = _handler_for(rest)
    if handler is None:
        return None
    project = _segment(parts[2])
    if project_id is not None and project != project_id:
        return error_reply(404, "ModelArts.0102", f"Project {project} does not exist", is_success_field=False)
    try:
        body = handler(_Query(dict(parse_qsl(query)), datasets, offset_mode), rest)
    except _V2Error as error:
        return error.reply
    return FakeReply(200, body, JSON_HEADERS)


def _segment(raw: str) -> str:
    return unquote(raw) if "%" in raw else raw
