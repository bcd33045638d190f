"""`labels.csv` read with `csv.DictReader`: one row per label, every shape, an empty row per unlabeled sample."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from support.formats import NAMES, sample, to_sample, wire_sample

from modelarts_async.formats import CsvWriter
from modelarts_async.testing import box_label, classification_label, shape_label

COLUMNS = ["sample_id", "file_name", "width", "height", "label", "shape", "xmin", "ymin", "xmax", "ymax", "points_json"]


def _rows(root: Path) -> list[dict[str, str]]:
    with (root / "labels.csv").open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_every_shape_is_a_row(tmp_path: Path) -> None:
    labels = [
        box_label("car", (1, 2, 30, 40)),
        shape_label("bus", "circle", [[50, 60], [5]]),
        shape_label("person", "polyline", [[1, 1], [5, 9], [9.5, 2]]),
        classification_label("car"),
    ]
    with CsvWriter(tmp_path, labels=NAMES) as table:
        result = table.add(sample("a", labels, size=(100, 80)))
        table.add(sample("empty", [], size=None))
    assert result.written == 4
    box, circle, polyline, cls, empty = _rows(tmp_path)
    assert box == {
        "sample_id": "a", "file_name": "a.jpg", "width": "100", "height": "80", "label": "car", "shape": "bndbox",
        "xmin": "1", "ymin": "2", "xmax": "30", "ymax": "40", "points_json": "[[1,2],[30,40]]",
    }  # fmt: skip
    assert (circle["xmin"], circle["ymax"], json.loads(circle["points_json"])) == ("45", "65", [[50, 60], [5]])
    assert json.loads(polyline["points_json"]) == [[1, 1], [5, 9], [9.5, 2]]
    assert polyline["xmax"] == "9.5"
    assert (cls["label"], cls["shape"], cls["xmin"], cls["points_json"]) == ("car", "", "", "")
    assert empty == {**dict.fromkeys(COLUMNS, ""), "sample_id": "empty", "file_name": "empty.jpg"}


def test_text_samples_are_kept_and_odd_names_survive_quoting(tmp_path: Path) -> None:
    names = ["a,b", 'say "hi"', "=1+1"]
    wire = wire_sample("t", [classification_label(name) for name in names], size=None, sample_type=1)
    with CsvWriter(tmp_path, labels=names) as table:
        result = table.add(to_sample(wire))
    assert result.written == 3
    assert [row["label"] for row in _rows(tmp_path)] == names
