"""ModelArts' own import format: `dataset.manifest`, one JSON line per image, detection labels in VOC XML beside it.

`source` never carries a signature: it is the saved image's path when given, else the URL without its query.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from .._exceptions import InvalidArgumentError
from .._v2._models import DatasetLabel
from ._base import Entry, FormatWriter, LabelObject
from ._names import source_without_query
from ._voc import voc_document

__all__ = ["ManifestWriter"]

#: The manifest's `usage` for each split name it knows.
USAGES = {
    "train": "TRAIN",
    "val": "EVAL",
    "eval": "EVAL",
    "validation": "EVAL",
    "test": "TEST",
    "inference": "INFERENCE",
}


class ManifestWriter(FormatWriter):
    """Writes a ModelArts manifest: `with ManifestWriter(out, labels=names) as manifest: manifest.add(sample)`.

    Classification labels become `modelarts/image_classification` annotations; shaped labels are written to
    `Annotations/{sample_id}.xml` (VOC) and referenced by one `modelarts/object_detection` annotation, whose
    `annotation-loc` is `{annotation_root}/Annotations/{sample_id}.xml` (default: relative to the manifest; pass
    the OBS folder you will upload to, e.g. `obs://bucket/cars`). Splits must be ones the manifest has a `usage`
    for (train, val, eval, validation, test, inference). A sample with no usable source is an error.
    """

    format_name: ClassVar[str] = "manifest"
    holds_classification: ClassVar[bool] = True

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        labels: Sequence[DatasetLabel | str],
        splits: Iterable[str] = ("train",),
        annotation_root: str | None = None,
        folder: str = "images",
    ) -> None:
        super().__init__(out_dir, labels=labels, splits=splits)
        for split in self.splits:
            if split not in USAGES:
                raise InvalidArgumentError(f"splits: a manifest has no usage for {split!r}; use one of {list(USAGES)}")
        self.annotation_root = None if annotation_root is None else annotation_root.rstrip("/")
        self.folder = folder
        self._annotations = os.path.join(self.out_dir, "Annotations")
        os.makedirs(self._annotations, exist_ok=True)
        self._file = open(os.path.join(self.out_dir, "dataset.manifest"), "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    def sample_problem(self, entry: Entry, objects: list[LabelObject]) -> str | None:
        if _source(entry) is None:
            return "no image source: give image_path=, or a sample whose source is an http(s) or obs URL"
        return None

    def write_sample(self, entry: Entry, objects: list[LabelObject]) -> None:
        annotations = [_classification(item) for item in objects if item.shape is None]
        shaped = [item for item in objects if item.shape is not None]
        if shaped:
            with open(os.path.join(self._annotations, entry.sample_id + ".xml"), "wb") as file:
                file.write(voc_document(entry, shaped, self.folder))
            annotations.append(self._detection(entry, shaped))
        line = {
            "source": _source(entry),
            "usage": USAGES[entry.split],
            "id": entry.sample_id,
            "annotation": annotations,
        }
        self._file.write(_json_line(line))

    def _detection(self, entry: Entry, shaped: list[LabelObject]) -> dict[str, Any]:
        location = f"Annotations/{entry.sample_id}.xml"
        if self.annotation_root is not None:
            location = f"{self.annotation_root}/{location}"
        annotated_by = shaped[0].label.annotated_by or "human"
        return {
            "type": "modelarts/object_detection",
            "annotation-loc": location,
            "annotation-format": "PASCAL VOC",
            "annotated-by": annotated_by,
        }

    def finish(self) -> None:
        self._file.close()

    def abandon(self) -> None:
        self._file.close()  # what was written stays: each line is whole; a rerun writes the file anew


def _source(entry: Entry) -> str | None:
    if entry.image_path is not None:
        return entry.image_path if _is_text(entry.image_path) else None
    return None if entry.sample.source is None else source_without_query(entry.sample.source)


def _json_line(record: dict[str, Any]) -> str:
    """`record` as one JSON line; text UTF-8 cannot hold (a lone surrogate from the service) is written escaped."""
    text = json.dumps(record, ensure_ascii=False)
    return text + "\n" if _is_text(text) else json.dumps(record) + "\n"


def _is_text(path: str) -> bool:
    """Whether `path` can be written as UTF-8 (a path read from disk may hold undecodable bytes as surrogates)."""
    try:
        path.encode()
    except UnicodeError:
        return False
    return True


def _classification(item: LabelObject) -> dict[str, Any]:
    annotation: dict[str, Any] = {
        "type": "modelarts/image_classification",
        "name": item.name,
        "annotated-by": item.label.annotated_by or "human",
    }
    score = item.label.score
    if isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score):
        annotation["confidence"] = score
    return annotation
