"""`image_info_to_sample`: a v1 answer becomes what the writers take, and nothing in it is dropped unannounced."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelarts_async import DetectionTag, ImageInfo
from modelarts_async.formats import CsvWriter, image_info_to_sample


@pytest.mark.parametrize(
    ("pos", "shape", "box"),
    [
        ((10, 0, 100, 100), "bndbox", (10, 0, 100, 100)),
        (((10, 0), (100, 100)), "bndbox", (10, 0, 100, 100)),
        (((0, 0), (10, 0), (10, 10)), "polygon", None),
        ((5, 5, 2), "circle", None),
        ((5, 5), "point", None),
        (((5, 5),), "point", None),
    ],
)
def test_positions_become_shapes(pos: tuple[object, ...], shape: str, box: tuple[int, ...] | None) -> None:
    info = ImageInfo(image_id="a", tags=(DetectionTag(tag="car", pos=pos),), size=(200, 100))  # type: ignore[arg-type]
    sample = image_info_to_sample(info)
    (label,) = sample.labels
    assert (label.name, label.shape, label.box) == ("car", shape, box)
    assert sample.size == (200, 100)
    assert sample.to_image_info().tags[0].box == info.tags[0].box  # type: ignore[union-attr]


def test_classification_and_unknown_positions(tmp_path: Path) -> None:
    sample = image_info_to_sample(ImageInfo(image_id="c", tags=("car", "road")))
    assert [(label.name, label.shape) for label in sample.labels] == [("car", None), ("road", None)]
    odd = ImageInfo(image_id="d", tags=(DetectionTag(tag="car", pos=(1, 2, 3, 4, 5)),))
    with CsvWriter(tmp_path, labels=["car"]) as writer:
        result = writer.add(image_info_to_sample(odd))
    assert [(skip.shape, skip.invalid) for skip in result.skipped] == [("v1 position", False)]
