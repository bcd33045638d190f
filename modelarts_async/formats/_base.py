"""What every writer shares: the checks each sample and label pass before a format sees them, and the summary.

A writer is a plain sync context manager holding at most one sample: `add` checks the sample (its id names files,
so it must be a safe name), sorts its labels into objects the format can write and `Skip`s, and hands the objects
to the format's `write_sample`. Data problems come back in the `AddResult`; only programming errors raise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import ClassVar, Self

from attrs import frozen

from .._exceptions import ClientStateError, InvalidArgumentError
from .._v2._models import DatasetLabel, Sample, SampleLabel
from ._geometry import KNOWN_SHAPES, Shape, read_shape
from ._names import check_file_name, check_label_name, check_sample_id, check_splits, default_file_name, label_names
from ._report import AddResult, Skip, Tally, WriteSummary

__all__ = ["Entry", "FormatWriter", "LabelObject"]

#: `sample_type` values and the word a skip uses for them (0 and None are images).
_SAMPLE_KINDS = {1: "text", 2: "audio", 4: "table", 6: "video", 9: "free format"}
CLASSIFICATION = "classification"


@frozen
class LabelObject:
    """One label a format is asked to write: its name and class id (0-based), the label, and its checked shape
    (None for a classification label)."""

    name: str
    class_id: int
    label: SampleLabel
    shape: Shape | None


@frozen
class Entry:
    """One checked sample as a format writes it: every name in it is safe to put in a path or a file."""

    sample: Sample
    sample_id: str
    file_name: str
    #: `(width, height)`, or None when neither the caller nor `@modelarts:size` gave it.
    size: tuple[int, int] | None
    depth: int
    split: str
    image_id: int | None
    image_path: str | None


class FormatWriter:
    """The base of the five writers: checks, splits, the summary, and the context manager."""

    format_name: ClassVar[str]
    #: Whether the format only holds images (text, audio... samples are then lossy skips).
    images_only: ClassVar[bool] = True
    #: Whether a label without a shape can be written.
    holds_classification: ClassVar[bool] = False

    def __init__(
        self, out_dir: str | os.PathLike[str], *, labels: Sequence[DatasetLabel | str], splits: Iterable[str]
    ) -> None:
        self.out_dir = os.path.abspath(os.fspath(out_dir))
        self.names = label_names(labels)
        self.splits = check_splits(splits)
        self._class_ids = {name: index for index, name in enumerate(self.names)}
        self._tally = Tally(self.format_name)
        self._summary: WriteSummary | None = None
        os.makedirs(self.out_dir, exist_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        elif self._summary is None:  # interrupted: finishing would put a partial file where a whole one may be
            self._summary = self._tally.summary()
            self.abandon()

    def add(
        self,
        sample: Sample,
        *,
        file_name: str | None = None,
        size: tuple[int, int] | None = None,
        split: str | None = None,
        image_id: int | None = None,
        image_path: str | None = None,
    ) -> AddResult:
        """Write `sample` (named `file_name`, default `{sample_id}.jpg` or the source's extension) into `split`
        (default: the first split) and return what was written and skipped.

        `size` is `(width, height)` when known better than the sample's `@modelarts:size` (e.g. from the image
        file). `image_id` is COCO's image id (e.g. the sample's line number; default: counting up from 1).
        `image_path` is where the image was saved, for the manifest's `source`. Raises `InvalidArgumentError` for
        a split this writer was not given, `ClientStateError` after `close()`.
        """
        if self._summary is not None:
            raise ClientStateError(f"this {type(self).__name__} is closed")
        split = self.splits[0] if split is None else split
        if split not in self.splits:
            raise InvalidArgumentError(f"split: {split!r} is not one of this writer's splits {self.splits!r}")
        return self._tally.count(self._add(sample, file_name, size, split, image_id, image_path), split)

    def close(self) -> WriteSummary:
        """Finish the format's files (once) and return what was written in all."""
        if self._summary is None:
            self.finish()
            self._summary = self._tally.summary()
        return self._summary

    # -- for the formats -----------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Write what can only be written once every sample is in."""

    def abandon(self) -> None:
        """Release what `finish` would have completed, writing nothing more (the run was interrupted)."""

    def write_sample(self, entry: Entry, objects: list[LabelObject]) -> None:
        """Write one checked sample with the objects it can hold."""
        raise NotImplementedError

    def cannot_hold(self, shape: str) -> str | None:
        """Why this format cannot hold `shape` (a lossy skip), None when it can."""
        return None

    def sample_problem(self, entry: Entry, objects: list[LabelObject]) -> str | None:
        """Why this format cannot write this sample at all (e.g. YOLO without the image's size), else None."""
        return None

    # -- the checks ----------------------------------------------------------------------------------------------

    def _add(
        self,
        sample: Sample,
        file_name: str | None,
        size: tuple[int, int] | None,
        split: str,
        image_id: int | None,
        image_path: str | None,
    ) -> AddResult:
        sample_id = sample.sample_id
        problem = check_sample_id(sample_id)
        if problem is not None:
            return AddResult(str(sample_id)[:128], error=problem, kept=False)
        file_name = default_file_name(sample) if file_name is None else file_name
        problem = check_file_name(file_name) or _size_problem(size)
        if problem is not None:
            return AddResult(sample_id, error=problem, kept=False)
        kind = _SAMPLE_KINDS.get(sample.sample_type or 0)
        if kind is not None and self.images_only:
            why = f"a {kind} sample is not an image; {self.format_name} holds images only"
            return AddResult(sample_id, skipped=(Skip(sample_id, None, f"{kind} sample", why),), kept=False)
        entry = Entry(
            sample, sample_id, file_name, size or _known_size(sample), _depth(sample), split, image_id, image_path
        )
        objects, skipped = self._sort_labels(entry)
        problem = self.sample_problem(entry, objects)
        if problem is not None:
            return AddResult(sample_id, error=problem, kept=False)
        self.write_sample(entry, objects)
        return AddResult(sample_id, len(objects), tuple(skipped))

    def _sort_labels(self, entry: Entry) -> tuple[list[LabelObject], list[Skip]]:
        objects: list[LabelObject] = []
        skipped: list[Skip] = []
        for label in entry.sample.labels:
            item = self._label_object(entry, label)
            if isinstance(item, LabelObject):
                objects.append(item)
            else:
                skipped.append(item)
        return objects, skipped

    def _label_object(self, entry: Entry, label: SampleLabel) -> LabelObject | Skip:
        shape_name = label.shape or CLASSIFICATION
        name = label.name

        def skip(why: str, *, invalid: bool) -> Skip:
            return Skip(entry.sample_id, name, shape_name, why, invalid)

        problem = check_label_name(name)
        if problem is not None or name is None:
            return skip(problem or "label has no name", invalid=True)
        class_id = self._class_ids.get(name)
        if class_id is None:
            return skip("label name is not in the label list", invalid=True)
        if label.shape is None:
            if self.holds_classification:
                return LabelObject(name, class_id, label, None)
            return skip(f"a classification label has no place in {self.format_name}", invalid=False)
        if label.shape not in KNOWN_SHAPES:
            return skip(f"unknown shape {label.shape!r}: no format here knows how to write it", invalid=False)
        lossy = self.cannot_hold(label.shape)
        if lossy is not None:
            return skip(lossy, invalid=False)
        shape = read_shape(label, entry.size)
        if isinstance(shape, str):
            return skip(shape, invalid=True)
        return LabelObject(name, class_id, label, shape)


def _size_problem(size: tuple[int, int] | None) -> str | None:
    if size is None:
        return None
    if len(size) == 2 and all(type(n) is int and n > 0 for n in size):
        return None
    return f"size {size!r} is not (width, height) in positive integers"


def _known_size(sample: Sample) -> tuple[int, int] | None:
    size = sample.size
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size[0], size[1]


def _depth(sample: Sample) -> int:
    size = sample.size
    return size[2] if size is not None and len(size) == 3 and size[2] > 0 else 3
