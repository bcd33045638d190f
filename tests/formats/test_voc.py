"""VOC files read with ElementTree: folder, filename, integer size, one element per ModelArts shape."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from pathlib import Path

from support.formats import NAMES, SHAPES, random_dataset, random_label, sample, to_sample

from modelarts_async.formats import VocWriter
from modelarts_async.testing import box_label, classification_label, shape_label

ELEMENTS = {
    "bndbox": ["xmin", "ymin", "xmax", "ymax"],
    "circle": ["cx", "cy", "r"],
    "point": ["x", "y"],
}


def _children(root: ET.Element, path: str) -> list[ET.Element]:
    element = root.find(path)
    assert element is not None, path
    return list(element)


def _expected_values(shape: str, feature: list[list[float]]) -> list[str]:
    flat = [value for point in feature for value in point]
    return [str(value) for value in flat]


def test_every_shape_in_its_own_element_with_values_as_given(tmp_path: Path) -> None:
    wires = list(random_dataset(150, seed=4))
    with VocWriter(tmp_path, labels=NAMES, splits=("train",)) as voc:
        for wire in wires:
            voc.add(to_sample(wire))
    for wire in wires:
        root = ET.parse(tmp_path / "Annotations" / f"{wire['sample_id']}.xml").getroot()
        assert root.findtext("folder")
        assert root.findtext("filename") == f"{wire['sample_id']}.jpg"
        width, height = wire["metadata"]["@modelarts:size"][:2]
        assert int(root.findtext("size/width") or "") == width
        assert int(root.findtext("size/height") or "") == height
        shaped = [label for label in wire["labels"] if label["property"]]
        objects = root.findall("object")
        assert len(objects) == len(shaped)
        for element, label in zip(objects, shaped, strict=True):
            shape = label["property"]["@modelarts:shape"]
            assert element.findtext("name") == label["name"]
            (geometry,) = [child for child in element if child.tag in SHAPES]
            assert geometry.tag == shape
            values = [child.text for child in geometry]
            assert values == _expected_values(shape, label["property"]["@modelarts:feature"])
            tags = [child.tag for child in geometry]
            if shape in ELEMENTS:
                assert tags == ELEMENTS[shape]
            else:
                count = len(label["property"]["@modelarts:feature"])
                assert tags == [f"{axis}{n}" for n in range(1, count + 1) for axis in "xy"]
    listed = (tmp_path / "ImageSets" / "Main" / "train.txt").read_text().split()
    assert listed == [wire["sample_id"] for wire in wires]


def test_integers_stay_integers(tmp_path: Path) -> None:
    with VocWriter(tmp_path, labels=NAMES) as voc:
        voc.add(sample("a", [box_label("car", (10, 20, 30.5, 40))]))
    root = ET.parse(tmp_path / "Annotations" / "a.xml").getroot()
    assert [child.text for child in _children(root, "object/bndbox")] == ["10", "20", "30.5", "40"]
    assert int(root.findtext("object/bndbox/xmin") or "") == 10


def test_splits_are_listed_and_classification_is_skipped(tmp_path: Path) -> None:
    with VocWriter(tmp_path, labels=NAMES, splits=("train", "val")) as voc:
        voc.add(sample("a", [box_label("car", (1, 1, 5, 5))]), split="val")
        result = voc.add(sample("b", [classification_label("bus")]), split="train")
    assert (tmp_path / "ImageSets" / "Main" / "val.txt").read_text() == "a\n"
    assert (tmp_path / "ImageSets" / "Main" / "train.txt").read_text() == "b\n"
    assert [(s.shape, s.invalid) for s in result.skipped] == [("classification", False)]
    assert ET.parse(tmp_path / "Annotations" / "b.xml").getroot().findall("object") == []


def test_hard_labels_are_difficult_and_sizeless_samples_are_kept(tmp_path: Path) -> None:
    hard = box_label("car", (1, 1, 5, 5), properties={"@modelarts:hard": "true"})
    with VocWriter(tmp_path, labels=NAMES) as voc:
        result = voc.add(sample("a", [hard, random_label(random.Random(0), "polygon", 50, 50, "bus")], size=None))
    assert result.written == 2
    root = ET.parse(tmp_path / "Annotations" / "a.xml").getroot()
    assert root.find("size") is None
    assert [o.findtext("difficult") for o in root.findall("object")] == ["1", "0"]


def test_point_and_circle_in_manifest_form(tmp_path: Path) -> None:
    labels = [shape_label("car", "point", [[3, 4]]), shape_label("bus", "circle", [[10, 10], [5]])]
    with VocWriter(tmp_path, labels=NAMES) as voc:
        voc.add(sample("a", labels))
    root = ET.parse(tmp_path / "Annotations" / "a.xml").getroot()
    assert [c.text for c in _children(root, "object/point")] == ["3", "4"]
    assert [c.text for c in _children(root, "object/circle")] == ["10", "10", "5"]
