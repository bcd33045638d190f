"""Bad input is a counted skip or an error with its reason: never an exception out of `add`, never a lost label,
never a file outside the output directory."""

from __future__ import annotations

import csv
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.formats import NAMES, sample, to_sample, wire_sample

from modelarts_async import ClientStateError, InvalidArgumentError, Sample, SampleLabel
from modelarts_async.formats import CocoWriter, CsvWriter, ManifestWriter, VocWriter, YoloWriter
from modelarts_async.formats._base import FormatWriter
from modelarts_async.testing import box_label, classification_label, shape_label

WRITERS: list[type[FormatWriter]] = [CocoWriter, YoloWriter, VocWriter, ManifestWriter, CsvWriter]
SHAPE_NAMES = ["bndbox", "polygon", "circle", "line", "dashed", "point", "polyline", "ellipse", None]

numbers = st.one_of(st.integers(-50, 700), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.just("7"))
points = st.lists(st.one_of(st.tuples(numbers, numbers), numbers, st.tuples(numbers)), max_size=6)
features = st.one_of(points, st.tuples(st.tuples(numbers, numbers), st.tuples(numbers)), numbers, st.none())
names = st.one_of(st.sampled_from([*NAMES, "truck"]), st.text(max_size=8), st.none())
ids = st.one_of(st.sampled_from(["ok-1", "a.b_c"]), st.text(max_size=12), st.just("../up"), st.just("a/b"))


@st.composite
def samples(draw: st.DrawFn) -> Sample:
    labels = []
    for _ in range(draw(st.integers(0, 5))):
        shape = draw(st.sampled_from(SHAPE_NAMES))
        prop: dict[str, Any] = (
            {} if shape is None else {"@modelarts:shape": shape, "@modelarts:feature": draw(features)}
        )
        labels.append(SampleLabel(name=draw(names), type=1, property=prop))
    size = draw(st.one_of(st.none(), st.tuples(st.integers(1, 800), st.integers(1, 800))))
    metadata = {} if size is None else {"@modelarts:size": size}
    return Sample(
        sample_id=draw(ids),
        sample_type=draw(st.sampled_from([None, 0, 1, 2])),
        labels=tuple(labels),
        metadata=metadata,
        source=draw(st.sampled_from([None, "https://h/x.jpg?Signature=s", "gopher://x"])),
    )


@pytest.mark.parametrize("writer_type", WRITERS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(samples(), max_size=6))
def test_add_accounts_for_every_label_and_stays_inside_out_dir(
    writer_type: type[FormatWriter], batch: list[Sample]
) -> None:
    with tempfile.TemporaryDirectory() as root:
        out = os.path.join(root, "out")
        with writer_type(out, labels=NAMES) as writer:
            for item in batch:
                result = writer.add(item)
                if result.error is not None:
                    assert not result.kept
                    assert result.written == 0
                elif result.kept:
                    assert result.written + len(result.skipped) == len(item.labels)
                else:
                    assert [skip.label for skip in result.skipped] == [None]
                for skip in result.skipped:
                    assert skip.why
        summary = writer.close()
        assert os.listdir(root) == ["out"]
        assert summary.samples + summary.errors + sum(1 for s in batch if s.sample_type in (1, 2)) >= len(batch)


@pytest.mark.parametrize("writer_type", WRITERS)
@pytest.mark.parametrize(
    # The downloader's rule too (one predicate): a leading '-' reads as an option to tools; CON is no file on Windows.
    "sample_id",
    ["../escape", "/abs", ".hidden", "a/b", "a\nb", "", "x" * 129, "名前", "a b", "-rf", "CON", "lpt1.txt"],
)
def test_unsafe_sample_ids_are_errors(tmp_path: Path, writer_type: type[FormatWriter], sample_id: str) -> None:
    out = tmp_path / "out"
    with writer_type(out, labels=NAMES) as writer:
        result = writer.add(sample(sample_id, [box_label("car", (1, 1, 5, 5))]))
    assert result.error is not None
    assert "not a safe file name" in result.error
    assert writer.close().errors == 1
    assert os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize("writer_type", WRITERS)
def test_bad_data_in_labels_is_an_invalid_skip_with_its_reason(tmp_path: Path, writer_type: type[FormatWriter]) -> None:
    labels = [
        box_label("car", (50, 1, 10, 5)),  # corners swapped
        box_label("car", (1, 1, 700, 5)),  # past the 640 wide image
        box_label("car/van", (1, 1, 5, 5)),
        box_label("car\nvan", (1, 1, 5, 5)),
        box_label("truck", (1, 1, 5, 5)),  # not in the label list
    ]
    odd = SampleLabel(name="car", property={"@modelarts:shape": "bndbox", "@modelarts:feature": ((1, 2, 3),)})
    nan = SampleLabel(
        name="car", property={"@modelarts:shape": "polygon", "@modelarts:feature": ((0, 0), (1, float("nan")), (2, 2))}
    )
    item = sample("a", labels)
    item = Sample(sample_id="a", labels=(*item.labels, odd, nan), metadata=item.metadata, source=item.source)
    options = {"segments": True} if writer_type is YoloWriter else {}  # so that every writer holds polygons
    with writer_type(tmp_path, labels=NAMES, **options) as writer:
        result = writer.add(item)
    reasons = [skip.why for skip in result.skipped if skip.invalid]
    expected = ["out of order", "outside the 640x480 image", "contains '/'", "line break", "not in the label list"]
    expected += ["does not fit a bndbox", "not a finite number"]
    assert len(reasons) == len(expected)
    for reason, fragment in zip(reasons, expected, strict=True):
        assert fragment in reason
    assert result.written == 0
    assert writer.close().invalid == {"bndbox": 6, "polygon": 1}


@pytest.mark.parametrize("writer_type", WRITERS)
def test_non_image_samples(tmp_path: Path, writer_type: type[FormatWriter]) -> None:
    text = to_sample(wire_sample("t", [classification_label("car")], size=None, sample_type=1))
    with writer_type(tmp_path, labels=NAMES) as writer:
        result = writer.add(text)
    if writer_type is CsvWriter:
        assert result.written == 1
    else:
        assert not result.kept
        assert [(s.label, s.shape, s.invalid) for s in result.skipped] == [(None, "text sample", False)]
        assert writer.close().skipped == {"text sample": 1}


@pytest.mark.parametrize("writer_type", WRITERS)
def test_programming_errors_raise(tmp_path: Path, writer_type: type[FormatWriter]) -> None:
    with pytest.raises(InvalidArgumentError, match="listed twice"):
        writer_type(tmp_path, labels=["car", "car"])
    with pytest.raises(InvalidArgumentError, match=r"labels\[1\].*'/'"):
        writer_type(tmp_path, labels=["car", "a/b"])
    with pytest.raises(InvalidArgumentError, match="split name"):
        writer_type(tmp_path, labels=NAMES, splits=("../x",))
    writer = writer_type(tmp_path, labels=NAMES, splits=("train",))
    with pytest.raises(InvalidArgumentError, match="'val' is not one of"):
        writer.add(sample("a", []), split="val")
    writer.close()
    with pytest.raises(ClientStateError):
        writer.add(sample("a", []))


@pytest.mark.parametrize("writer_type", WRITERS)
@pytest.mark.parametrize("file_name", ["../x.jpg", "a/b.jpg", ".x", "a b.jpg"])
def test_unsafe_file_names_and_sizes_are_errors(
    tmp_path: Path, writer_type: type[FormatWriter], file_name: str
) -> None:
    with writer_type(tmp_path, labels=NAMES) as writer:
        bad_name = writer.add(sample("a", []), file_name=file_name)
        bad_size = writer.add(sample("b", []), size=(0, 10))
    assert bad_name.error is not None
    assert "file name" in bad_name.error
    assert bad_size.error is not None
    assert "positive integers" in bad_size.error


def test_circle_may_run_past_the_edge_but_not_its_centre(tmp_path: Path) -> None:
    inside = shape_label("car", "circle", [[5, 5], [20]])
    outside = shape_label("car", "circle", [[-1, 5], [2]])
    with VocWriter(tmp_path, labels=NAMES) as writer:
        result = writer.add(sample("a", [inside, outside]))
    assert result.written == 1
    assert "outside" in result.skipped[0].why


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(min_size=1, max_size=12))
def test_any_label_name_is_refused_or_read_back_exactly(name: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        try:
            yolo = YoloWriter(os.path.join(root, "yolo"), labels=[name])
        except InvalidArgumentError:
            return
        item = sample("a", [box_label(name, (1, 1, 5, 5))])
        voc = VocWriter(os.path.join(root, "voc"), labels=[name])
        table = CsvWriter(os.path.join(root, "csv"), labels=[name])
        for writer in (yolo, voc, table):
            with writer:
                assert writer.add(item).written == 1
        assert yaml.safe_load(Path(root, "yolo", "data.yaml").read_text(encoding="utf-8"))["names"] == {0: name}
        assert ET.parse(Path(root, "voc", "Annotations", "a.xml")).getroot().findtext("object/name") == name
        with Path(root, "csv", "labels.csv").open(newline="", encoding="utf-8") as file:
            assert next(csv.DictReader(file))["label"] == name
