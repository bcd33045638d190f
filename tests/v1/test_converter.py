"""The converter: wire JSON ⇄ models, exact both ways, with errors that name the field and the image id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelarts_async import DetectionTag, ImageInfo, ResponseValidationError
from modelarts_async._v1._converter import _hooks, structure_image_info, unstructure_image_info

numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
flat_pos = st.lists(numbers, max_size=8)
point_pos = st.lists(st.lists(numbers, min_size=1, max_size=3), min_size=1, max_size=6)
detection_tags = st.lists(st.fixed_dictionaries({"tag": st.text(), "pos": flat_pos | point_pos}), max_size=5)
sizes = st.lists(st.integers(min_value=0), min_size=2, max_size=3)
classification_answers = st.fixed_dictionaries({"image_id": st.text(), "tags": st.lists(st.text(), max_size=5)})
detection_answers = st.fixed_dictionaries({"image_id": st.text(), "tags": detection_tags}, optional={"size": sizes})


def as_tuple(value: Any) -> Any:
    return tuple(as_tuple(v) for v in value) if isinstance(value, list) else value


models = st.builds(
    ImageInfo,
    image_id=st.text(),
    tags=st.lists(st.text(), max_size=5).map(tuple)
    | st.lists(st.builds(DetectionTag, tag=st.text(), pos=(flat_pos | point_pos).map(as_tuple)), max_size=5).map(tuple),
    size=st.none() | sizes.map(tuple),
)


@given(classification_answers | detection_answers, st.booleans())
def test_unstructure_of_structure_gives_back_the_wire_object(answer, with_envelope):
    wire = {"is_success": True, **answer} if with_envelope else answer
    info = structure_image_info(json.loads(json.dumps(wire)), requested_image_id="unused")
    assert unstructure_image_info(info) == answer


@given(models)
def test_structure_of_unstructure_gives_back_the_model(info):
    wire = json.loads(json.dumps(unstructure_image_info(info)))
    assert structure_image_info(wire, requested_image_id="unused") == info


@given(classification_answers, st.booleans())
def test_the_plain_classification_shortcut_agrees_with_the_converter(answer, with_size_none):
    wire = {**answer, "size": None} if with_size_none else answer
    assert structure_image_info(wire, requested_image_id="x") == _hooks().structure_image_info(wire, ImageInfo)


def test_unknown_fields_are_ignored():
    answer = {"is_success": True, "image_id": "a", "tags": [{"tag": "t", "pos": [1, 2, 3, 4], "new": 1}], "x": {}}
    info = structure_image_info(answer, requested_image_id="a")
    assert info == ImageInfo(image_id="a", tags=(DetectionTag(tag="t", pos=(1, 2, 3, 4)),))


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        ({"image_id": "x"}, "$.tags"),
        ({"tags": "animal"}, "$.tags"),
        ({"tags": ["a", {"tag": "b", "pos": []}]}, "$.tags"),
        ({"tags": [{"tag": "b", "pos": ["1"]}]}, "$.tags[0].pos[0]"),
        ({"tags": [{"tag": "b", "pos": [[1, {"x": 1}]]}]}, "$.tags[0].pos[0][1]"),
        ({"tags": [{"tag": "b", "pos": [1, [2]]}]}, "$.tags[0].pos[1]"),
        ({"tags": [{"tag": "b", "pos": [True]}]}, "$.tags[0].pos[0]"),
        ({"tags": [{"pos": [1]}]}, "$.tags[0].tag"),
        ({"tags": [{"tag": 7, "pos": [1]}]}, "$.tags[0].tag"),
        ({"tags": ["a"], "size": [1920]}, "$.size"),
        ({"tags": ["a"], "size": [1920, "1080"]}, "$.size[1]"),
        ({"tags": ["a"], "image_id": 5}, "$.image_id"),
    ],
)
def test_invalid_shapes_name_the_field_and_the_image(answer, path):
    with pytest.raises(ResponseValidationError) as caught:
        structure_image_info(answer, requested_image_id="img-9")
    message = str(caught.value)
    assert f"@ {path}" in message
    assert "'img-9'" in message


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_non_object_answers_are_rejected(body):
    with pytest.raises(ResponseValidationError, match="expected a JSON object"):
        structure_image_info(body, requested_image_id="img")


@pytest.mark.parametrize(
    ("pos", "box"),
    [
        ((10, 0, 100, 100), (10, 0, 100, 100)),
        ((100, 100, 10, 0), (10, 0, 100, 100)),
        (((0, 10), (50, 95.5)), (0, 10, 50, 95.5)),
        (((50, 95), (0, 10)), (0, 10, 50, 95)),
        ((1, 2, 3), None),
        (((0, 0), (1, 1), (2, 0)), None),
        ((5, 5, 3), None),
        ((), None),
    ],
)
def test_box_reads_two_corner_shapes_only(pos, box):
    assert DetectionTag(tag="t", pos=pos).box == box


def test_labels_and_kind_for_both_job_types():
    classification = ImageInfo(image_id="a", tags=("cat", "dog"))
    detection = ImageInfo(image_id="b", tags=(DetectionTag("car", (1, 2, 3, 4)),), size=(640, 480))
    assert (classification.labels, classification.is_detection) == (("cat", "dog"), False)
    assert (detection.labels, detection.is_detection) == (("car",), True)
    assert ImageInfo(image_id="c", tags=(), size=(1, 1)).is_detection
