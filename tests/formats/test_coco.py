"""COCO files load in pycocotools and agree with what was added on every count."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pycocotools.coco import COCO
from support.formats import NAMES, random_dataset, sample, to_sample

from modelarts_async.formats import CocoWriter, assign_split
from modelarts_async.testing import box_label, classification_label, shape_label

SPLITS = {"train": 0.7, "val": 0.3}


def _load(path: Path) -> COCO:
    return COCO(str(path))


def test_pycocotools_agrees_on_every_count(tmp_path: Path) -> None:
    wires = list(random_dataset(300, seed=1))
    expected_images: dict[str, set[int]] = {"train": set(), "val": set()}
    expected_per_image: dict[int, int] = {}
    expected_skips: Counter[str] = Counter()
    with CocoWriter(tmp_path, labels=NAMES, splits=SPLITS) as coco:
        for line, wire in enumerate(wires, start=1):
            split = assign_split(wire["sample_id"], SPLITS)
            result = coco.add(to_sample(wire), split=split, image_id=line)
            assert result.ok
            expected_images[split].add(line)
            shapes = [label["property"].get("@modelarts:shape", "classification") for label in wire["labels"]]
            expected_per_image[line] = sum(shape in ("bndbox", "polygon") for shape in shapes)
            expected_skips.update(shape for shape in shapes if shape not in ("bndbox", "polygon"))
            assert result.written == expected_per_image[line]
    summary = coco.close()

    assert dict(summary.skipped) == dict(expected_skips)
    assert summary.samples == len(wires)
    assert summary.annotations == sum(expected_per_image.values())
    for split, image_ids in expected_images.items():
        loaded = _load(tmp_path / "annotations" / f"{split}.json")
        assert set(loaded.getImgIds()) == image_ids
        assert [category["name"] for category in loaded.loadCats(loaded.getCatIds())] == list(NAMES)
        assert loaded.getCatIds() == [1, 2, 3]
        for image_id in image_ids:
            assert len(loaded.getAnnIds(imgIds=[image_id])) == expected_per_image[image_id]
        assert len(loaded.getAnnIds()) == sum(expected_per_image[i] for i in image_ids)


# pycocotools' compiled mask code trips numpy 2's copy-keyword deprecation; the mask itself is right.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_annotation_ids_count_up_in_file_order_and_geometry_is_coco(tmp_path: Path) -> None:
    polygon = shape_label("bus", "polygon", [[10, 10], [50, 10], [50, 40]])
    first = sample("a", [box_label("car", (10, 20, 110, 70)), polygon], size=(200, 100))
    second = sample("b", [box_label("person", (0, 0, 200, 100))], size=(200, 100))
    with CocoWriter(tmp_path, labels=NAMES) as coco:
        coco.add(first, image_id=7)
        coco.add(second, image_id=3)
    data = json.loads((tmp_path / "annotations" / "train.json").read_text())

    assert [(a["id"], a["image_id"]) for a in data["annotations"]] == [(1, 7), (2, 7), (3, 3)]
    box, poly, whole = data["annotations"]
    assert box["bbox"] == [10, 20, 100, 50]
    assert box["area"] == 5000
    assert box["category_id"] == 1
    assert "segmentation" not in box
    assert poly["segmentation"] == [[10, 10, 50, 10, 50, 40]]
    assert poly["bbox"] == [10, 10, 40, 30]
    assert poly["area"] == 600
    assert whole["category_id"] == 3
    assert data["images"] == [
        {"id": 7, "file_name": "a.jpg", "width": 200, "height": 100},
        {"id": 3, "file_name": "b.jpg", "width": 200, "height": 100},
    ]
    mask = COCO(str(tmp_path / "annotations" / "train.json")).annToMask(poly)
    assert mask.shape == (100, 200)
    assert 500 < mask.sum() < 700


def test_image_ids_count_up_when_not_given(tmp_path: Path) -> None:
    with CocoWriter(tmp_path, labels=NAMES) as coco:
        for name in ("a", "b", "c"):
            coco.add(sample(name, []))
    assert _load(tmp_path / "annotations" / "train.json").getImgIds() == [1, 2, 3]


@pytest.mark.parametrize("shape", ["circle", "line", "dashed", "point", "polyline"])
def test_shapes_coco_cannot_hold_are_counted_skips(tmp_path: Path, shape: str) -> None:
    feature = {"circle": [[5, 5], [2]], "point": [[5, 5]], "polyline": [[1, 1], [5, 5], [9, 1]]}.get(
        shape, [[1, 1], [9, 9]]
    )
    with CocoWriter(tmp_path, labels=NAMES) as coco:
        result = coco.add(sample("a", [shape_label("car", shape, feature), classification_label("bus")]))
    assert result.written == 0
    assert [(s.label, s.shape, s.invalid) for s in result.skipped] == [
        ("car", shape, False),
        ("bus", "classification", False),
    ]
    assert "COCO" in result.skipped[0].why
    assert dict(coco.close().skipped) == {shape: 1, "classification": 1}
    assert len(_load(tmp_path / "annotations" / "train.json").getAnnIds()) == 0


def test_every_declared_split_gets_a_file_and_no_temporary_file_stays(tmp_path: Path) -> None:
    with CocoWriter(tmp_path, labels=NAMES, splits=("train", "val", "test")) as coco:
        coco.add(sample("a", [box_label("car", (1, 1, 5, 5))]), split="val")
    assert sorted(p.name for p in (tmp_path / "annotations").iterdir()) == ["test.json", "train.json", "val.json"]
    assert _load(tmp_path / "annotations" / "test.json").getImgIds() == []


def test_sample_without_size_is_kept_without_width_and_height(tmp_path: Path) -> None:
    with CocoWriter(tmp_path, labels=NAMES) as coco:
        result = coco.add(sample("a", [box_label("car", (1, 1, 5000, 5000))], size=None))
    assert result.written == 1
    image = json.loads((tmp_path / "annotations" / "train.json").read_text())["images"][0]
    assert image == {"id": 1, "file_name": "a.jpg"}


def test_an_interrupted_writer_leaves_the_previous_file_whole_and_no_temporary_file(tmp_path: Path) -> None:
    with CocoWriter(tmp_path, labels=NAMES) as coco:
        for n in range(3):
            coco.add(sample(f"s{n}", [box_label("car", (1, 1, 5, 5))]))

    def interrupted() -> None:
        with CocoWriter(tmp_path, labels=NAMES) as coco:
            coco.add(sample("only-one", [box_label("car", (1, 1, 5, 5))]))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert len(_load(tmp_path / "annotations" / "train.json").getImgIds()) == 3
    assert sorted(p.name for p in (tmp_path / "annotations").iterdir()) == ["train.json"]
