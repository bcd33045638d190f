"""Pascal VOC as ModelArts writes it: `Annotations/{sample_id}.xml` per image and `ImageSets/Main/{split}.txt`.

Every ModelArts shape has its own element inside `object` (`bndbox`, `polygon`, `circle`, `line`, `dashed`,
`point`, `polyline`), with coordinates as the service gave them: integers stay integers.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import IO, ClassVar

from .._v2._models import DatasetLabel
from ._base import Entry, FormatWriter, LabelObject
from ._geometry import Shape
from ._numbers import exact

__all__ = ["VocWriter", "voc_document"]

_HARD_VALUES = (True, 1, "1", "true", "True")


def voc_document(entry: Entry, objects: Sequence[LabelObject], folder: str) -> bytes:
    """The VOC XML of one image, as UTF-8 bytes with a declaration."""
    root = ET.Element("annotation")
    _text(root, "folder", folder)
    _text(root, "filename", entry.file_name)
    source = ET.SubElement(root, "source")
    _text(source, "database", "ModelArts")
    if entry.size is not None:
        size = ET.SubElement(root, "size")
        _text(size, "width", str(entry.size[0]))
        _text(size, "height", str(entry.size[1]))
        _text(size, "depth", str(entry.depth))
    _text(root, "segmented", "0")
    for item in objects:
        root.append(_object(item))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _object(item: LabelObject) -> ET.Element:
    assert item.shape is not None  # VOC holds shaped labels only
    element = ET.Element("object")
    _text(element, "name", item.name)
    _text(element, "pose", "Unspecified")
    _text(element, "truncated", "0")
    _text(element, "occluded", "0")
    _text(element, "difficult", "1" if item.label.property.get("@modelarts:hard") in _HARD_VALUES else "0")
    element.append(_shape_element(item.shape))
    return element


def _shape_element(shape: Shape) -> ET.Element:
    element = ET.Element(shape.kind)
    if shape.kind == "bndbox":
        (x1, y1), (x2, y2) = shape.points
        pairs = [("xmin", x1), ("ymin", y1), ("xmax", x2), ("ymax", y2)]
    elif shape.kind == "circle":
        (cx, cy), radius = shape.points[0], shape.radius or 0
        pairs = [("cx", cx), ("cy", cy), ("r", radius)]
    elif shape.kind == "point":
        pairs = [("x", shape.points[0][0]), ("y", shape.points[0][1])]
    else:  # polygon, polyline, line, dashed: numbered vertices
        pairs = []
        for index, (x, y) in enumerate(shape.points, start=1):
            pairs += [(f"x{index}", x), (f"y{index}", y)]
    for tag, value in pairs:
        _text(element, tag, exact(value))
    return element


class VocWriter(FormatWriter):
    """Writes Pascal VOC: `with VocWriter(out, labels=names) as voc: voc.add(sample)`.

    `folder` is the XML's `folder` (non-empty; default `images`, where a download puts the images). Classification
    labels and non-image samples are counted skips; a sample without a size is kept, without a `size` element.
    """

    format_name: ClassVar[str] = "voc"

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        labels: Sequence[DatasetLabel | str],
        splits: Iterable[str] = ("train",),
        folder: str = "images",
    ) -> None:
        super().__init__(out_dir, labels=labels, splits=splits)
        self.folder = folder or "images"
        self._annotations = os.path.join(self.out_dir, "Annotations")
        self._image_sets = os.path.join(self.out_dir, "ImageSets", "Main")
        os.makedirs(self._annotations, exist_ok=True)
        os.makedirs(self._image_sets, exist_ok=True)
        self._lists: dict[str, IO[str]] = {}

    def write_sample(self, entry: Entry, objects: list[LabelObject]) -> None:
        with open(os.path.join(self._annotations, entry.sample_id + ".xml"), "wb") as file:
            file.write(voc_document(entry, objects, self.folder))
        self._list(entry.split).write(entry.sample_id + "\n")

    def _list(self, split: str) -> IO[str]:
        listing = self._lists.get(split)
        if listing is None:
            path = os.path.join(self._image_sets, split + ".txt")
            listing = self._lists[split] = open(path, "w", encoding="ascii", newline="\n")  # noqa: SIM115
        return listing

    def finish(self) -> None:
        for split in self.splits:
            self._list(split).close()
