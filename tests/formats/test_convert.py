"""`convert_jsonl` turns an export (v2 sample lines, v1 image-info lines, error lines) into a format, offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pycocotools.coco import COCO
from support.formats import files_under, png, random_dataset, wire_sample, write_jsonl

from modelarts_async import InvalidArgumentError
from modelarts_async.formats import convert_jsonl
from modelarts_async.testing import box_label, classification_label, shape_label


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _mixed_export(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "samples.jsonl",
        [
            wire_sample("a", [box_label("bus", (1, 1, 50, 50)), shape_label("car", "circle", [[9, 9], [3]])]),
            {"sample_id": "gone", "error": {"type": "NotFoundError", "message": "no such sample"}},
            {**wire_sample("b", [box_label("car", (2, 2, 20, 20))]), "server_sample_id": "B"},
            {"image_id": "v1det", "tags": [{"tag": "person", "pos": [10, 0, 100, 100]}], "size": [200, 100]},
            {"image_id": "v1cls", "tags": ["car"]},
        ],
    )


def test_v2_and_v1_lines_and_error_lines(tmp_path: Path) -> None:
    export = _mixed_export(tmp_path)
    with export.open("a") as file:
        file.write("{not json\n\n[1, 2]\n")
    out = tmp_path / "coco"
    summary = convert_jsonl(export, "coco", out)

    assert (summary.lines, summary.failed_lines, summary.bad_lines) == (7, 1, 2)
    assert not summary.ok
    coco = COCO(str(out / "annotations" / "train.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["bus", "car", "person"]  # first appearance
    assert sorted(coco.getImgIds()) == [1, 3, 4, 5]  # line numbers
    assert len(coco.getAnnIds(imgIds=[4])) == 1
    assert coco.loadAnns(coco.getAnnIds(imgIds=[4]))[0]["bbox"] == [10, 0, 90, 100]
    errors = _jsonl(out / "errors.jsonl")
    assert errors[0] == {"line": 2, "sample_id": "gone", "error": "not exported: no such sample"}
    assert [e["line"] for e in errors[1:]] == [6, 8]
    skipped = _jsonl(out / "skipped.jsonl")
    assert skipped == [
        {"sample_id": "a", "label": "car", "shape": "circle", "why": "COCO instances have no circle", "invalid": False},
        {
            "sample_id": "v1cls",
            "label": "car",
            "shape": "classification",
            "why": "a classification label has no place in coco",
            "invalid": False,
        },
    ]


def test_label_order_from_labels_json_beside_the_file(tmp_path: Path) -> None:
    export = _mixed_export(tmp_path)
    (tmp_path / "labels.json").write_text(json.dumps([{"name": "person"}, {"name": "car"}, {"name": "bus"}]))
    summary = convert_jsonl(export, "yolo", tmp_path / "yolo")
    assert yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())["names"] == {0: "person", 1: "car", 2: "bus"}
    assert (tmp_path / "yolo" / "labels" / "train" / "a.txt").read_text().split()[0] == "2"
    assert summary.written.samples == 4


def test_labels_argument_wins_and_a_bad_labels_file_is_refused(tmp_path: Path) -> None:
    export = _mixed_export(tmp_path)
    (tmp_path / "labels.json").write_text('{"labels": "nope"}')
    with pytest.raises(InvalidArgumentError, match=r"labels\.json"):
        convert_jsonl(export, "csv", tmp_path / "out")
    summary = convert_jsonl(export, "csv", tmp_path / "out", labels=["car"])
    assert summary.written.invalid == {"bndbox": 2}  # the bus and the person: not in the label list
    assert not summary.ok


def test_yolo_uses_segments_when_any_polygon_is_there(tmp_path: Path) -> None:
    export = write_jsonl(
        tmp_path / "samples.jsonl",
        [
            wire_sample("a", [box_label("car", (0, 0, 320, 240))]),
            wire_sample("b", [shape_label("bus", "polygon", [[0, 0], [640, 0], [640, 480]])]),
        ],
    )
    summary = convert_jsonl(export, "yolo", tmp_path / "yolo")
    assert summary.ok
    assert (tmp_path / "yolo" / "labels" / "train" / "a.txt").read_text() == "0 0 0 0.5 0 0.5 0.5 0 0.5\n"
    assert (tmp_path / "yolo" / "labels" / "train" / "b.txt").read_text() == "1 0 0 1 0 1 1\n"


def test_sizes_from_image_headers(tmp_path: Path) -> None:
    export = write_jsonl(
        tmp_path / "samples.jsonl",
        [
            wire_sample("a", [box_label("car", (0, 0, 10, 10))], size=None),
            wire_sample("b", [box_label("car", (0, 0, 10, 10))], size=None),
            wire_sample("c", [box_label("car", (0, 0, 10, 10))], size=None),
        ],
    )
    images = tmp_path / "images"
    (images / "val").mkdir(parents=True)
    (images / "a.png").write_bytes(png(40, 20))
    (images / "val" / "b.jpg").write_bytes(png(20, 40))  # a misnamed PNG: the header decides
    (images / "c.jpg").write_bytes(b"not an image")
    summary = convert_jsonl(export, "yolo", tmp_path / "yolo", images_from=images, splits={"train": 1, "val": 0})
    assert (tmp_path / "yolo" / "labels" / "train" / "a.txt").read_text() == "0 0.125 0.25 0.25 0.5\n"
    assert summary.written.errors == 2  # b is looked for in train/, c is not an image
    summary = convert_jsonl(export, "manifest", tmp_path / "manifest", images_from=images)
    sources = [line["source"] for line in _jsonl(tmp_path / "manifest" / "dataset.manifest")]
    assert sources == [str(images / "a.png"), "https://bucket.obs.example.com/data/b.jpg", str(images / "c.jpg")]


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc", "manifest", "csv"])
def test_the_same_export_gives_the_same_bytes(tmp_path: Path, fmt: Any) -> None:
    export = write_jsonl(tmp_path / "samples.jsonl", random_dataset(300, seed=9))
    out = tmp_path / "out"
    convert_jsonl(export, fmt, out, splits="train=0.8,val=0.2", seed=3)
    first = files_under(out)
    shutil.rmtree(out)
    convert_jsonl(export, fmt, out, splits="train=0.8,val=0.2", seed=3)
    assert files_under(out) == first
    assert len(first) > 2


def test_allow_lossy_never_hides_a_failure(tmp_path: Path) -> None:
    lossy = write_jsonl(tmp_path / "lossy.jsonl", [wire_sample("a", [classification_label("car")])])
    assert not convert_jsonl(lossy, "voc", tmp_path / "1").ok
    assert convert_jsonl(lossy, "voc", tmp_path / "2", allow_lossy=True).ok
    failed = write_jsonl(tmp_path / "failed.jsonl", [wire_sample("../a", [])])
    assert not convert_jsonl(failed, "voc", tmp_path / "3", allow_lossy=True).ok


def test_bad_arguments(tmp_path: Path) -> None:
    export = _mixed_export(tmp_path)
    with pytest.raises(InvalidArgumentError, match="fmt"):
        convert_jsonl(export, "tfrecord", tmp_path / "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="splits"):
        convert_jsonl(export, "coco", tmp_path / "x", splits="train=x")
    with pytest.raises(InvalidArgumentError, match="usage"):
        convert_jsonl(export, "manifest", tmp_path / "x", splits="train=1,holdout=1")
    assert not (tmp_path / "x" / "dataset.manifest").exists()


def test_report_files_can_be_named(tmp_path: Path) -> None:
    export = _mixed_export(tmp_path)
    out = tmp_path / "out"
    convert_jsonl(export, "voc", out, errors_file="convert-errors.jsonl", skipped_file="convert-skipped.jsonl")
    assert [e["sample_id"] for e in _jsonl(out / "convert-errors.jsonl")] == ["gone"]
    assert {s["shape"] for s in _jsonl(out / "convert-skipped.jsonl")} == {"classification"}
    assert not (out / "errors.jsonl").exists()
    with pytest.raises(InvalidArgumentError, match="errors_file"):
        convert_jsonl(export, "voc", out, errors_file="../errors.jsonl")
