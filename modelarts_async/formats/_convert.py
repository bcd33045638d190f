"""`convert_jsonl`: an existing JSONL export (v2 samples or v1 image infos) to a training format, offline.

The export is read one line at a time (twice when the label order or YOLO's segments mode must come from the
data), so memory does not grow with the file. Every line that cannot be written is one line of `errors.jsonl` in
the output, every label left out one line of `skipped.jsonl`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, Literal, NamedTuple

from attrs import frozen

from .._exceptions import InvalidArgumentError, ResponseValidationError
from .._v1._converter import structure_image_info
from .._v2._converter import structure_sample
from .._v2._models import DatasetLabel, Sample
from ._adapter import image_info_to_sample
from ._base import FormatWriter
from ._coco import CocoWriter
from ._csv import CsvWriter
from ._image_size import find_image, image_size
from ._manifest import ManifestWriter
from ._names import check_file_name, check_label_name, check_sample_id, default_file_name, label_names
from ._report import AddResult, WriteSummary
from ._split import assign_split, parse_splits
from ._voc import VocWriter
from ._yolo import YoloWriter

__all__ = ["FORMATS", "ConvertSummary", "convert_jsonl", "exported_samples", "read_label_names"]

FormatName = Literal["coco", "yolo", "voc", "manifest", "csv"]
FORMATS: tuple[FormatName, ...] = ("coco", "yolo", "voc", "manifest", "csv")
LABELS_FILE = "labels.json"
ERRORS_FILE = "errors.jsonl"
SKIPPED_FILE = "skipped.jsonl"
_DECODER = json.JSONDecoder()


@frozen
class ConvertSummary:
    """What `convert_jsonl` did: the writer's `WriteSummary`, and the export's lines read, failed and unreadable.

    `failed_lines` are the export's own error lines (samples it could not fetch); `bad_lines` are lines that are
    not a sample. `ok` is False when anything failed, or when labels were left out and `allow_lossy` was not set.
    """

    written: WriteSummary
    lines: int
    failed_lines: int
    bad_lines: int
    allow_lossy: bool

    @property
    def ok(self) -> bool:
        """True when everything was written (a lossy skip counts only without `allow_lossy`)."""
        clean = not self.written.failed and self.failed_lines == 0 and self.bad_lines == 0
        return clean and (self.allow_lossy or not self.written.lossy)


def convert_jsonl(
    path: str | os.PathLike[str],
    fmt: FormatName,
    out_dir: str | os.PathLike[str],
    *,
    labels: Sequence[DatasetLabel | str] | None = None,
    images_from: str | os.PathLike[str] | None = None,
    splits: Mapping[str, float] | str | None = None,
    seed: int = 0,
    allow_lossy: bool = False,
    segments: bool | None = None,
    errors_file: str = ERRORS_FILE,
    skipped_file: str = SKIPPED_FILE,
) -> ConvertSummary:
    """Write the export at `path` as `fmt` ("coco", "yolo", "voc", "manifest", "csv") into `out_dir`.

    Label order: `labels`, else the `labels.json` beside `path`, else names in order of first appearance.
    `images_from` is a folder of downloaded images (`{sample_id}.jpg`, ...; also in `{split}/`), read for sizes
    the samples lack. `splits` is `{"train": 0.8, "val": 0.2}` or `"train=0.8,val=0.2"` (default: all train),
    assigned by `assign_split` with `seed`. YOLO writes polygons in segments mode when any sample has one, unless
    `segments` says otherwise. What was not written goes to `errors_file` and `skipped_file` in `out_dir` (one
    JSON line each; rewritten on every run). Raises `InvalidArgumentError` for a bad argument, `OSError` when a file
    cannot be read or written; a bad line is an error line, never an exception.
    """
    source = os.fspath(path)
    if fmt not in FORMATS:
        raise InvalidArgumentError(f"fmt: {fmt!r} is not one of {list(FORMATS)}")
    for name, value in (("errors_file", errors_file), ("skipped_file", skipped_file)):
        problem = check_file_name(value)
        if problem is not None:
            raise InvalidArgumentError(f"{name}: {problem}")
    ratios = parse_splits(splits) if isinstance(splits, str) else dict(splits or {"train": 1.0})
    assign_split("", ratios, seed=seed)  # checks the ratios before anything is written
    names = _label_order(source, labels)
    if names is None or (fmt == "yolo" and segments is None):
        found_names, has_polygons = _first_pass(source)
        names = found_names if names is None else names
        segments = has_polygons if segments is None else segments
    writer = _writer(fmt, out_dir, names, tuple(ratios), bool(segments))
    with writer, _jsonl(writer.out_dir, errors_file) as errors, _jsonl(writer.out_dir, skipped_file) as skipped:
        counts = _convert(source, writer, _Reports(errors, skipped), ratios, seed, images_from)
        written = writer.close()
    return ConvertSummary(written, *counts, allow_lossy)


def _writer(
    fmt: FormatName, out_dir: str | os.PathLike[str], names: Sequence[str], splits: tuple[str, ...], segments: bool
) -> FormatWriter:
    if fmt == "yolo":
        return YoloWriter(out_dir, labels=names, splits=splits, segments=segments)
    kinds: dict[str, type[CocoWriter | VocWriter | ManifestWriter | CsvWriter]] = {
        "coco": CocoWriter,
        "voc": VocWriter,
        "manifest": ManifestWriter,
        "csv": CsvWriter,
    }
    return kinds[fmt](out_dir, labels=names, splits=splits)


# ---------------------------------------------------------------------------------------------------------------------
# Label order.


def _label_order(source: str, labels: Sequence[DatasetLabel | str] | None) -> tuple[str, ...] | None:
    if labels is not None:
        return label_names(labels)
    beside = os.path.join(os.path.dirname(os.path.abspath(source)), LABELS_FILE)
    if not os.path.exists(beside):
        return None
    return label_names(read_label_names(beside))


def read_label_names(path: str) -> list[str]:
    """The label names a file lists in order: a `labels.json` (names, label objects, `{"labels": [...]}`), or plain
    text with one name per line. `InvalidArgumentError` says what the file should hold."""
    with open(path, "rb") as file:
        raw = file.read()
    try:
        data = json.loads(raw)
    except ValueError:
        if path.endswith(".json"):
            raise InvalidArgumentError(f"{path} is not JSON; expected a list of label names") from None
        return [line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    return _names_in(data, path)


def _names_in(data: Any, where: str) -> list[str]:
    """The names of a `labels.json`: `["car", ...]`, `[{"name": "car", ...}, ...]` or `{"labels": [...]}`."""
    if isinstance(data, dict) and isinstance(data.get("labels"), list):
        data = data["labels"]
    if isinstance(data, list):
        names = [item.get("name") if isinstance(item, dict) else item for item in data]
        strings = [name for name in names if isinstance(name, str)]
        if len(strings) == len(names):
            return strings
    raise InvalidArgumentError(f"{where}: expected a list of label names or of objects with a 'name'")


def _first_pass(source: str) -> tuple[tuple[str, ...], bool]:
    """The label names in order of first appearance (names no format can hold are left out: their labels are
    reported as skips) and whether any label is a polygon.

    It reads the JSON as it is, without building samples: a line the second pass finds bad adds nothing here.
    """
    seen: dict[str, None] = {}
    polygons = False
    with open(source, "rb") as file:
        for raw in file:
            for name, shape in _names_and_shapes(raw):
                if name not in seen and check_label_name(name) is None:
                    seen[name] = None
                polygons = polygons or shape == "polygon"
    return tuple(seen), polygons


def _names_and_shapes(raw: bytes) -> Iterator[tuple[str, object]]:
    """`(name, shape)` of each named label of a v2 line (`labels`) or a v1 line (`tags`), nothing for other lines."""
    try:
        data = _DECODER.decode(raw.decode())
    except (ValueError, RecursionError):
        return
    labels = data.get("labels", data.get("tags")) if isinstance(data, dict) and "error" not in data else None
    for label in labels if isinstance(labels, list) else ():
        if isinstance(label, str):
            yield label, None
        elif isinstance(label, dict) and isinstance(name := label.get("name", label.get("tag")), str):
            prop = label.get("property")
            yield name, prop.get("@modelarts:shape") if isinstance(prop, dict) else _v1_shape(label.get("pos"))


def _v1_shape(pos: object) -> str | None:
    """ "polygon" for a v1 position of 3 or more points (as `image_info_to_sample` reads it)."""
    if isinstance(pos, list) and len(pos) >= 3 and all(isinstance(point, list) for point in pos):
        return "polygon"
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Lines.


class _ExportFailure:
    """An export's own error line: the sample it could not fetch."""

    def __init__(self, key: str, message: str) -> None:
        self.key, self.message = key, message


def exported_samples(source: str) -> Iterator[Sample]:
    """The samples of an export's JSON lines, a line at a time, read by the rules the conversion uses (v2 samples
    and v1 image infos; error lines and lines that are no sample are left out)."""
    return (item for _, item in _samples(source) if isinstance(item, Sample))


def _samples(source: str) -> Iterator[tuple[int, Sample | _ExportFailure | str]]:
    """`(line number, what it holds)` for every non-blank line: a sample, an export failure, or why it is neither."""
    with open(source, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if raw.strip():
                yield number, _read_line(raw)


def _read_line(raw: bytes) -> Sample | _ExportFailure | str:
    try:
        data = _DECODER.decode(raw.decode())
    except (ValueError, RecursionError):
        return "not a JSON line"
    if not isinstance(data, dict):
        return "not a JSON object"
    key = data.get("sample_id", data.get("image_id"))
    if "error" in data and isinstance(key, str):
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else None
        return _ExportFailure(key, str(message or "no message"))
    try:
        if "sample_id" in data:
            return structure_sample(data, requested_sample_id=None)
        if isinstance(data.get("image_id"), str):
            return image_info_to_sample(structure_image_info(data, requested_image_id=data["image_id"]))
    except ResponseValidationError as exc:
        return str(exc)
    return "neither a v2 sample (sample_id) nor a v1 image info (image_id)"


# ---------------------------------------------------------------------------------------------------------------------
# The conversion.


class _Reports(NamedTuple):
    """Where a conversion says what it did not write."""

    errors: IO[str]
    skipped: IO[str]


def _convert(
    source: str,
    writer: FormatWriter,
    reports: _Reports,
    ratios: Mapping[str, float],
    seed: int,
    images_from: str | os.PathLike[str] | None,
) -> tuple[int, int, int]:
    """Write every line of `source`; `(lines, the export's failed lines, bad lines)`."""
    images = None if images_from is None else os.fspath(images_from)
    lines = failed = bad = 0
    for number, item in _samples(source):
        lines += 1
        if isinstance(item, _ExportFailure):
            failed += 1
            _write(reports.errors, {"line": number, "sample_id": item.key, "error": f"not exported: {item.message}"})
        elif isinstance(item, str):
            bad += 1
            _write(reports.errors, {"line": number, "error": item})
        else:
            _report(_add(writer, item, number, ratios, seed, images), number, reports)
    return lines, failed, bad


def _add(
    writer: FormatWriter, sample: Sample, number: int, ratios: Mapping[str, float], seed: int, images: str | None
) -> AddResult:
    split = next(iter(ratios)) if len(ratios) == 1 else assign_split(sample.sample_id, ratios, seed=seed)
    if images is None or check_sample_id(sample.sample_id) is not None:
        return writer.add(sample, split=split, image_id=number)
    image = find_image(images, sample.sample_id, split, default_file_name(sample))
    if image is None:
        return writer.add(sample, split=split, image_id=number)
    size = sample.size[:2] if sample.size is not None else image_size(image)
    return writer.add(
        sample,
        file_name=os.path.basename(image),
        size=None if size is None else (size[0], size[1]),
        split=split,
        image_id=number,
        image_path=os.path.abspath(image),
    )


def _report(result: AddResult, number: int, reports: _Reports) -> None:
    if result.error is not None:
        _write(reports.errors, {"line": number, "sample_id": result.sample_id, "error": result.error})
    for skip in result.skipped:
        record = {"sample_id": skip.sample_id, "label": skip.label, "shape": skip.shape, "why": skip.why}
        _write(reports.skipped, {**record, "invalid": skip.invalid})


def _jsonl(out_dir: str, name: str) -> IO[str]:
    return open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n")


def _write(file: IO[str], record: dict[str, Any]) -> None:
    file.write(json.dumps(record) + "\n")  # ASCII: an id or name with a lone surrogate is still written
