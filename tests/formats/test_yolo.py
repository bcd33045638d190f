"""YOLO output read back as Ultralytics reads it: `data.yaml` with PyYAML, label files line by line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.formats import NAMES, random_dataset, sample, to_sample

from modelarts_async.formats import YoloWriter, assign_split
from modelarts_async.testing import box_label, classification_label, shape_label


def _rows(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()]


def _check_values(row: list[str], classes: int) -> list[float]:
    assert 0 <= int(row[0]) < classes
    values = [float(v) for v in row[1:]]
    assert all(0 <= v <= 1 for v in values)
    assert all(len(v.partition(".")[2]) <= 6 for v in row[1:])
    return values


def test_detection_layout_and_data_yaml(tmp_path: Path) -> None:
    splits = {"train": 0.8, "val": 0.2}
    wires = list(random_dataset(200, seed=2, shapes=("bndbox",)))
    with YoloWriter(tmp_path, labels=NAMES, splits=splits) as writer:
        for wire in wires:
            writer.add(to_sample(wire), split=assign_split(wire["sample_id"], splits))

    data = yaml.safe_load((tmp_path / "data.yaml").read_text())
    assert data == {
        "path": str(tmp_path),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(NAMES)),
    }
    for wire in wires:
        split = assign_split(wire["sample_id"], splits)
        rows = _rows(tmp_path / "labels" / split / f"{wire['sample_id']}.txt")
        boxes = [label for label in wire["labels"] if label["property"]]
        assert len(rows) == len(boxes)
        for row, label in zip(rows, boxes, strict=True):
            assert len(row) == 5
            assert NAMES[int(row[0])] == label["name"]
            cx, cy, w, h = _check_values(row, len(NAMES))
            (x1, y1), (x2, y2) = label["property"]["@modelarts:feature"]
            width, height = wire["metadata"]["@modelarts:size"][:2]
            assert cx == pytest.approx((x1 + x2) / 2 / width, abs=1e-6)
            assert cy == pytest.approx((y1 + y2) / 2 / height, abs=1e-6)
            assert w == pytest.approx((x2 - x1) / width, abs=1e-6)
            assert h == pytest.approx((y2 - y1) / height, abs=1e-6)


def test_val_points_at_train_without_a_validation_split(tmp_path: Path) -> None:
    with YoloWriter(tmp_path, labels=NAMES, splits=("train", "val")) as writer:
        writer.add(sample("a", [box_label("car", (0, 0, 10, 10))]))
    data = yaml.safe_load((tmp_path / "data.yaml").read_text())
    assert data["train"] == data["val"] == "images/train"


def test_segments_mode_writes_every_object_as_a_polygon(tmp_path: Path) -> None:
    labels = [box_label("car", (100, 50, 300, 150)), shape_label("bus", "polygon", [[0, 0], [400, 0], [400, 200]])]
    with YoloWriter(tmp_path, labels=NAMES, segments=True) as writer:
        result = writer.add(sample("a", labels, size=(400, 200)))
    assert result.written == 2
    box, polygon = _rows(tmp_path / "labels" / "train" / "a.txt")
    assert box == ["0", "0.25", "0.25", "0.75", "0.25", "0.75", "0.75", "0.25", "0.75"]
    assert polygon == ["1", "0", "0", "1", "0", "1", "1"]


def test_segments_values_are_in_range(tmp_path: Path) -> None:
    with YoloWriter(tmp_path, labels=NAMES, segments=True) as writer:
        for wire in random_dataset(100, seed=3, shapes=("bndbox", "polygon")):
            writer.add(to_sample(wire))
    for path in (tmp_path / "labels" / "train").iterdir():
        for row in _rows(path):
            values = _check_values(row, len(NAMES))
            assert len(values) % 2 == 0
            assert len(values) >= 6


def test_polygons_in_detection_mode_are_counted_not_turned_into_boxes(tmp_path: Path) -> None:
    polygon = shape_label("bus", "polygon", [[0, 0], [40, 0], [40, 20]])
    with YoloWriter(tmp_path, labels=NAMES) as writer:
        result = writer.add(sample("a", [polygon, box_label("car", (0, 0, 10, 10))]))
    assert result.written == 1
    assert [(s.shape, s.invalid) for s in result.skipped] == [("polygon", False)]
    assert "segments=True" in result.skipped[0].why
    assert len(_rows(tmp_path / "labels" / "train" / "a.txt")) == 1


def test_unlabeled_sample_gets_an_empty_file_and_classification_is_skipped(tmp_path: Path) -> None:
    with YoloWriter(tmp_path, labels=NAMES) as writer:
        writer.add(sample("empty", []))
        result = writer.add(sample("cls", [classification_label("car")]))
    assert (tmp_path / "labels" / "train" / "empty.txt").read_bytes() == b""
    assert (tmp_path / "labels" / "train" / "cls.txt").read_bytes() == b""
    assert result.skipped[0].shape == "classification"


def test_labeled_sample_without_size_is_an_error(tmp_path: Path) -> None:
    with YoloWriter(tmp_path, labels=NAMES) as writer:
        result = writer.add(sample("a", [box_label("car", (0, 0, 10, 10))], size=None))
        unlabeled = writer.add(sample("b", [], size=None))
        writer.add(sample("c", [box_label("car", (0, 0, 10, 10))], size=None), size=(20, 20))
    assert not result.ok
    assert result.error is not None
    assert "size" in result.error
    assert not (tmp_path / "labels" / "train" / "a.txt").exists()
    assert unlabeled.ok
    assert _rows(tmp_path / "labels" / "train" / "c.txt") == [["0", "0.25", "0.25", "0.5", "0.5"]]
    assert writer.close().errors == 1


def test_names_that_need_quoting_round_trip_through_yaml(tmp_path: Path) -> None:
    names = ["yes", "null", "1.5", "a: b", "#tag", 'quo"te', "übung", "[x]"]
    with YoloWriter(tmp_path, labels=names):
        pass
    assert yaml.safe_load((tmp_path / "data.yaml").read_text())["names"] == dict(enumerate(names))
