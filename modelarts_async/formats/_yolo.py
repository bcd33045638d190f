"""YOLO in the Ultralytics layout: `labels/{split}/{sample_id}.txt` and a `data.yaml` naming the splits and classes.

Detection lines are `class cx cy w h`; with `segments=True` every object is a polygon line `class x1 y1 x2 y2 ...`
(boxes as their 4 corners), since Ultralytics mishandles a file mixing both. Values are normalised by the image
size, to 6 decimals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import ClassVar

from .._v2._models import DatasetLabel
from ._base import Entry, FormatWriter, LabelObject
from ._geometry import Number, Shape
from ._numbers import normalised

__all__ = ["YoloWriter"]


class YoloWriter(FormatWriter):
    """Writes an Ultralytics dataset: `with YoloWriter(out, labels=names, splits=("train", "val")) as yolo: ...`.

    Class ids are the labels' positions (0-based). Pass `segments=True` when any sample has polygons (decide it
    before writing, e.g. from the label list or a first pass): polygons are kept instead of being skipped. A
    sample without a size cannot be normalised: it is an error unless it has nothing to write. An unlabeled
    sample gets an empty file.
    """

    format_name: ClassVar[str] = "yolo"

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        labels: Sequence[DatasetLabel | str],
        splits: Iterable[str] = ("train",),
        segments: bool = False,
    ) -> None:
        super().__init__(out_dir, labels=labels, splits=splits)
        self.segments = segments
        self._made: set[str] = set()

    def cannot_hold(self, shape: str) -> str | None:
        if shape == "bndbox" or (shape == "polygon" and self.segments):
            return None
        if shape == "polygon":
            return "YOLO detection has no polygon; pass segments=True to keep polygons"
        return f"YOLO has no {shape}"

    def sample_problem(self, entry: Entry, objects: list[LabelObject]) -> str | None:
        if objects and entry.size is None:
            return "image size unknown: YOLO normalises by it (give size= or the sample's @modelarts:size)"
        return None

    def write_sample(self, entry: Entry, objects: list[LabelObject]) -> None:
        directory = os.path.join(self.out_dir, "labels", entry.split)
        if directory not in self._made:
            os.makedirs(directory, exist_ok=True)
            self._made.add(directory)
        lines = [self._line(item, entry.size) for item in objects if entry.size is not None]
        with open(os.path.join(directory, entry.sample_id + ".txt"), "w", encoding="ascii", newline="\n") as file:
            file.write("".join(line + "\n" for line in lines))

    def _line(self, item: LabelObject, size: tuple[int, int]) -> str:
        assert item.shape is not None  # YOLO holds shaped labels only
        width, height = size
        if self.segments:
            values = [_xy(x, y, size) for x, y in _outline(item.shape)]
        else:
            xmin, ymin, xmax, ymax = item.shape.bounds
            values = [
                normalised((xmin + xmax) / 2, width) + " " + normalised((ymin + ymax) / 2, height),
                normalised(xmax - xmin, width) + " " + normalised(ymax - ymin, height),
            ]
        return f"{item.class_id} " + " ".join(values)

    def finish(self) -> None:
        used = self._tally.splits
        train = "train" if "train" in self.splits else self.splits[0]
        keys = {"train": train, "val": "val" if used.get("val") else train}
        keys.update({split: split for split in self.splits if split not in (train, "val")})
        lines = [f"path: {_quoted(self.out_dir)}"]
        lines += [f"{key}: {_quoted('images/' + split)}" for key, split in keys.items()]
        lines.append("names:" if self.names else "names: {}")
        lines += [f"  {index}: {_quoted(name)}" for index, name in enumerate(self.names)]
        with open(os.path.join(self.out_dir, "data.yaml"), "w", encoding="utf-8", newline="\n") as file:
            file.write("\n".join(lines) + "\n")


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax is a subset (names with line breaks were refused)."""
    return json.dumps(text, ensure_ascii=False)


def _xy(x: Number, y: Number, size: tuple[int, int]) -> str:
    return normalised(x, size[0]) + " " + normalised(y, size[1])


def _outline(shape: Shape) -> tuple[tuple[Number, Number], ...]:
    if shape.kind != "bndbox":
        return shape.points
    xmin, ymin, xmax, ymax = shape.bounds
    return (xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax)
