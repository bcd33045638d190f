"""Manifest lines read with `json.loads`: no signature in `source`, usage from the split, VOC beside it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support.formats import NAMES, sample, to_sample, wire_sample

from modelarts_async import InvalidArgumentError
from modelarts_async.formats import ManifestWriter
from modelarts_async.testing import box_label, classification_label, shape_label


def _lines(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / "dataset.manifest").read_text().splitlines()]


def test_detection_and_classification_lines(tmp_path: Path) -> None:
    detection = [box_label("car", (1, 2, 30, 40)), shape_label("bus", "polygon", [[0, 0], [9, 0], [9, 9]])]
    with ManifestWriter(tmp_path, labels=NAMES, splits=("train", "val", "test")) as manifest:
        manifest.add(sample("det", detection), split="val")
        manifest.add(to_sample(wire_sample("cls", [classification_label("person", score=0.75)])), split="test")
        manifest.add(sample("none", []))
    det, cls, none = _lines(tmp_path)

    assert det["source"] == "https://bucket.obs.example.com/data/det.jpg"
    assert (det["usage"], cls["usage"], none["usage"]) == ("EVAL", "TEST", "TRAIN")
    assert det["id"] == "det"
    (annotation,) = det["annotation"]
    assert annotation["type"] == "modelarts/object_detection"
    assert annotation["annotation-format"] == "PASCAL VOC"
    xml = ET.parse(tmp_path / annotation["annotation-loc"]).getroot()
    assert [o.findtext("name") for o in xml.findall("object")] == ["car", "bus"]
    assert cls["annotation"] == [
        {"type": "modelarts/image_classification", "name": "person", "annotated-by": "human", "confidence": 0.75}
    ]
    assert none["annotation"] == []


def test_source_never_holds_a_signature_or_credential(tmp_path: Path) -> None:
    signed = "https://user:secret@bucket.obs.example.com/a.jpg?AccessKeyId=AK&Signature=SIG#frag"
    wire = wire_sample("a", [], source=signed)
    with ManifestWriter(tmp_path, labels=NAMES) as manifest:
        manifest.add(to_sample(wire))
    text = (tmp_path / "dataset.manifest").read_text()
    assert _lines(tmp_path)[0]["source"] == "https://bucket.obs.example.com/a.jpg"
    for secret in ("secret", "Signature", "SIG", "AccessKeyId", "frag"):
        assert secret not in text


def test_local_image_path_and_annotation_root(tmp_path: Path) -> None:
    image = str(tmp_path / "images" / "a.jpg")
    with ManifestWriter(tmp_path, labels=NAMES, annotation_root="obs://bucket/cars/") as manifest:
        manifest.add(sample("a", [box_label("car", (1, 1, 5, 5))]), image_path=image)
    (line,) = _lines(tmp_path)
    assert line["source"] == image
    assert line["annotation"][0]["annotation-loc"] == "obs://bucket/cars/Annotations/a.xml"


@pytest.mark.parametrize("source", [None, "file:///etc/passwd", "not a url", "ftp://host/a.jpg"])
def test_a_sample_without_a_usable_source_is_an_error(tmp_path: Path, source: str | None) -> None:
    with ManifestWriter(tmp_path, labels=NAMES) as manifest:
        result = manifest.add(to_sample(wire_sample("a", [], source=source)))
    assert result.error is not None
    assert "source" in result.error
    assert (tmp_path / "dataset.manifest").read_text() == ""


def test_a_split_without_a_usage_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="holdout"):
        ManifestWriter(tmp_path, labels=NAMES, splits=("train", "holdout"))


def test_odd_label_fields_never_break_a_line(tmp_path: Path) -> None:
    labels = [
        {**classification_label("car", annotated_by="auto\ud800"), "score": float("nan")},
        classification_label("bus", score=1),
    ]
    with ManifestWriter(tmp_path, labels=NAMES) as manifest:
        result = manifest.add(to_sample(wire_sample("a", labels)))
    assert result.written == 2
    (line,) = _lines(tmp_path)
    car, bus = line["annotation"]
    assert "confidence" not in car
    assert car["annotated-by"] == "auto\ud800"
    assert bus["confidence"] == 1
