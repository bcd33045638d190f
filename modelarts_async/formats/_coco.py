"""COCO instances JSON, one `annotations/{split}.json` per split, written as a stream.

Images and annotations go to two temporary files per split as samples arrive; `close()` assembles each split's
document by copying their bytes, so memory does not grow with the dataset.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from typing import IO, Any, ClassVar

from .._v2._models import DatasetLabel
from ._base import Entry, FormatWriter, LabelObject
from ._geometry import polygon_area
from ._numbers import plain

__all__ = ["CocoWriter"]

_HOLDS = frozenset({"bndbox", "polygon"})
_CHUNK = 1 << 20


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class _SplitFiles:
    """A split's images and annotations so far, each a temporary file of comma-separated JSON objects."""

    def __init__(self, directory: str, split: str) -> None:
        self.images_path = os.path.join(directory, f".{split}.images.part")
        self.annotations_path = os.path.join(directory, f".{split}.annotations.part")
        self.images: IO[str] = open(self.images_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.annotations: IO[str] = open(self.annotations_path, "w", encoding="utf-8")  # noqa: SIM115
        self.image_count = 0
        self.annotation_count = 0

    def add_image(self, image: dict[str, Any]) -> None:
        self.images.write(("\n" if self.image_count == 0 else ",\n") + _dumps(image))
        self.image_count += 1

    def add_annotation(self, annotation: dict[str, Any]) -> None:
        self.annotations.write(("\n" if self.annotation_count == 0 else ",\n") + _dumps(annotation))
        self.annotation_count += 1

    def close(self) -> None:
        self.images.close()
        self.annotations.close()

    def remove(self) -> None:
        for path in (self.images_path, self.annotations_path):
            if os.path.exists(path):
                os.remove(path)


class CocoWriter(FormatWriter):
    """Writes COCO instances files: `with CocoWriter(out, labels=names) as coco: coco.add(sample, image_id=n)`.

    Categories are the labels in order, ids 1..N; an image's id is `image_id` (the sample's line number in an
    export, so the same export gives the same file; default: counting up from 1); annotation ids count up from 1
    in each file. Boxes and polygons are written (polygons with `segmentation`); other shapes and classification
    labels are counted skips.
    """

    format_name: ClassVar[str] = "coco"

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        labels: Sequence[DatasetLabel | str],
        splits: Iterable[str] = ("train",),
    ) -> None:
        super().__init__(out_dir, labels=labels, splits=splits)
        self._directory = os.path.join(self.out_dir, "annotations")
        os.makedirs(self._directory, exist_ok=True)
        self._files: dict[str, _SplitFiles] = {}
        self._next_image_id = 1

    def cannot_hold(self, shape: str) -> str | None:
        return None if shape in _HOLDS else f"COCO instances have no {shape}"

    def write_sample(self, entry: Entry, objects: list[LabelObject]) -> None:
        files = self._split_files(entry.split)
        image_id = self._image_id(entry.image_id)
        image: dict[str, Any] = {"id": image_id, "file_name": entry.file_name}
        if entry.size is not None:
            image["width"], image["height"] = entry.size
        files.add_image(image)
        for item in objects:
            files.add_annotation(_annotation(files.annotation_count + 1, image_id, item))

    def _image_id(self, given: int | None) -> int:
        image_id = self._next_image_id if given is None else given
        self._next_image_id = max(self._next_image_id, image_id + 1)
        return image_id

    def _split_files(self, split: str) -> _SplitFiles:
        files = self._files.get(split)
        if files is None:
            files = self._files[split] = _SplitFiles(self._directory, split)
        return files

    def finish(self) -> None:
        categories = [{"id": index + 1, "name": name, "supercategory": ""} for index, name in enumerate(self.names)]
        for split in self.splits:
            files = self._split_files(split)
            files.close()
            try:
                self._assemble(split, files, categories)
            finally:
                files.remove()

    def abandon(self) -> None:
        for files in self._files.values():
            files.close()
            files.remove()

    def _assemble(self, split: str, files: _SplitFiles, categories: list[dict[str, Any]]) -> None:
        final = os.path.join(self._directory, f"{split}.json")
        temporary = final + ".part"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write('{"info":{"description":"modelarts-async export"},"images":[')
            _copy(files.images_path, out)
            out.write('\n],"annotations":[')
            _copy(files.annotations_path, out)
            out.write('\n],"categories":' + _dumps(categories) + "}\n")
        os.replace(temporary, final)


def _copy(path: str, out: IO[str]) -> None:
    with open(path, encoding="utf-8") as source:
        shutil.copyfileobj(source, out, _CHUNK)


def _annotation(annotation_id: int, image_id: int, item: LabelObject) -> dict[str, Any]:
    assert item.shape is not None  # COCO holds shaped labels only
    xmin, ymin, xmax, ymax = item.shape.bounds
    width, height = xmax - xmin, ymax - ymin
    annotation: dict[str, Any] = {
        "id": annotation_id,
        "image_id": image_id,
        "category_id": item.class_id + 1,
        "bbox": [xmin, ymin, width, height],
        "area": plain(width * height),
        "iscrowd": 0,
    }
    if item.shape.kind == "polygon":
        annotation["area"] = plain(polygon_area(item.shape.points))
        annotation["segmentation"] = [[coordinate for point in item.shape.points for coordinate in point]]
    return annotation
