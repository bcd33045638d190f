"""The v2 sample and dataset models and their converter: exact round trips, strict checks, errors with JSON paths."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelarts_async._exceptions import ResponseValidationError
from modelarts_async._v1._models import DetectionTag, ImageInfo
from modelarts_async._v2._converter import (
    structure_dataset,
    structure_dataset_labels,
    structure_dataset_page,
    structure_sample,
    structure_sample_page,
    unstructure_dataset,
    unstructure_sample,
)
from modelarts_async._v2._models import Dataset, DatasetLabel, FrozenDict, Sample, SampleLabel, SampleResult

SHAPE, FEATURE, SIZE = "@modelarts:shape", "@modelarts:feature", "@modelarts:size"

# The example answer of API_V2.md, as text: json.loads gives exactly what the service's bytes would.
EXAMPLE_TEXT = """
{"sample_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "sample_type": 0, "sample_status": "MANUAL_ANNOTATION",
 "sample_time": 1589190552106, "annotated_by": "human/alice/alice",
 "source": "https://bucket.obs.example.com:443/data/1.jpg?AccessKeyId=X&Expires=1606297079&Signature=Y",
 "labels": [{"name": "car", "type": 1, "id": "1", "score": 1,
             "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[10, 20], [110, 220]]}},
            {"name": "outdoor", "type": 0, "property": {}}],
 "metadata": {"@modelarts:import_origin": 0, "@modelarts:size": [1920, 1080, 3]},
 "labelers": [{"email": "a@example.com", "worker_id": "5d8d4033b428fed5ac158942c33940a2", "role": 0}]}
"""


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE_TEXT)


def label(shape: str | None, feature: Any = None, **fields: Any) -> dict[str, Any]:
    prop = {} if shape is None else {SHAPE: shape, FEATURE: feature}
    return {"name": "thing", "type": 1, "property": prop, **fields}


def sample_with(*labels: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"sample_id": "s1", "labels": list(labels), **fields}


def page_with(bad_sample: dict[str, Any]) -> dict[str, Any]:
    return {"sample_count": 40, "samples": [example(), example(), example(), bad_sample]}


def structure(data: dict[str, Any]) -> Sample:
    return structure_sample(data, requested_sample_id=None)


# Wire objects for the round-trip properties: every typed key optional (or null, arrays and objects too),
# unknown keys anywhere,
# detection features in both documented forms, unknown shapes with any JSON at all.

finite = st.floats(allow_nan=False, allow_infinity=False)
coordinates = st.integers(-(10**6), 10**6) | finite
point = st.lists(coordinates, min_size=2, max_size=2)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FEATURES = {
    "bndbox": st.lists(point, min_size=2, max_size=2),
    "line": st.lists(point, min_size=2, max_size=2),
    "dashed": st.lists(point, min_size=2, max_size=2),
    "polygon": st.lists(point, min_size=3, max_size=6),
    "polyline": st.lists(point, min_size=2, max_size=6),
    "circle": st.tuples(point, st.lists(coordinates, min_size=1, max_size=1)).map(list)
    | st.lists(coordinates, min_size=3, max_size=3),
    "point": st.lists(point, min_size=1, max_size=1) | point,
}
strings, integers = st.none() | st.text(max_size=8), st.none() | st.integers()


@st.composite
def wire_objects(draw: st.DrawFn, typed: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = ()) -> Any:
    """An object with some of the `typed` keys, some unknown keys, in any order."""
    items = {key: draw(value) for key, value in typed.items() if key in required or draw(st.booleans())}
    unknown = st.text(max_size=10).filter(lambda key: key not in typed)
    items.update(draw(st.dictionaries(unknown, json_values, max_size=3)))
    return {key: items[key] for key in draw(st.permutations(list(items)))}


@st.composite
def label_properties(draw: st.DrawFn) -> dict[str, Any]:
    plain_keys = st.text(max_size=10).filter(lambda key: key not in (SHAPE, FEATURE))
    prop = draw(st.dictionaries(plain_keys, json_values, max_size=3))
    kind = draw(st.sampled_from([*FEATURES, "a shape from the future", None]))
    if kind in FEATURES:
        prop.update({SHAPE: kind, FEATURE: draw(FEATURES[kind])})
    elif kind is not None:
        prop.update({SHAPE: kind, FEATURE: draw(json_values)})
    return {key: prop[key] for key in draw(st.permutations(list(prop)))}


@st.composite
def metadata(draw: st.DrawFn) -> dict[str, Any]:
    meta = draw(st.dictionaries(st.text(max_size=10).filter(lambda key: key != SIZE), json_values, max_size=3))
    if draw(st.booleans()):
        # Integral floats (`1080.0`) too, as some backends write them: they come back as sent.
        meta[SIZE] = draw(st.lists(st.integers(0, 10**5) | st.integers(0, 10**5).map(float), min_size=2, max_size=3))
    return meta


sample_labels = wire_objects(
    {
        "name": strings,
        "type": integers,
        "id": strings,
        "score": st.none() | st.integers(0, 1) | finite,
        "annotated_by": strings,
        "property": st.none() | label_properties(),
    }
)
SAMPLE_FIELDS = {
    "sample_id": st.text(max_size=32),
    "sample_type": integers,
    "labels": st.none() | st.lists(sample_labels, max_size=3),
    "metadata": st.none() | metadata(),
    "sample_status": strings,
    "source": strings,
    "preview": strings,
    "sample_time": integers,
    "sample_name": strings,
    "sample_dir": strings,
    "sample_size": integers,
    "annotated_by": strings,
}
samples = wire_objects(SAMPLE_FIELDS)
dataset_labels = wire_objects(
    {
        "name": strings,
        "type": integers,
        "property": st.none() | st.dictionaries(st.text(max_size=10), json_values, max_size=3),
        "attributes": st.none() | st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=3), max_size=2),
    }
)
DATASET_FIELDS = {
    "dataset_id": st.text(max_size=19),
    "dataset_name": strings,
    "dataset_type": integers,
    "description": strings,
    "status": integers,
    "total_sample_count": integers,
    "annotated_sample_count": integers,
    "create_time": integers,
    "update_time": integers,
    "current_version_id": strings,
    "labels": st.none() | st.lists(dataset_labels, max_size=3),
}
datasets = wire_objects(DATASET_FIELDS, required=("dataset_id",))


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON text: key order counts, and so does `1` against `1.0` (which `==` would let pass)."""
    return json.dumps(a) == json.dumps(b)


@given(samples)
def test_unstructure_of_structure_gives_back_the_sample_exactly(wire):
    sample = structure_sample(wire, requested_sample_id="requested")
    assert same_json(unstructure_sample(sample), wire)


@given(samples)
def test_structure_of_unstructure_gives_back_the_sample(wire):
    sample = structure_sample(wire, requested_sample_id="requested")
    again = structure_sample(json.loads(json.dumps(unstructure_sample(sample))), requested_sample_id="requested")
    assert again == sample


@given(st.lists(samples, max_size=3), st.none() | st.integers(0, 10**6))
def test_a_page_structures_like_its_samples(wires, count):
    wires = [{**wire, "sample_id": wire.get("sample_id", "s")} for wire in wires]
    total, page = structure_sample_page({"sample_count": count, "samples": wires})
    assert total == count
    assert [unstructure_sample(sample) for sample in page] == wires


@given(datasets)
def test_unstructure_of_structure_gives_back_the_dataset_exactly(wire):
    assert same_json(unstructure_dataset(structure_dataset(wire)), wire)


def test_the_documented_example_round_trips_exactly():
    wire = example()
    assert same_json(unstructure_sample(structure(wire)), wire)


def test_the_documented_example_reads_as_documented():
    sample = structure(example())
    car, outdoor = sample.labels
    wire = example()
    assert (sample.sample_id, sample.sample_type, sample.sample_time) == (wire["sample_id"], 0, 1589190552106)
    assert sample.sample_status == "MANUAL_ANNOTATION"
    assert sample.annotated_by == "human/alice/alice"
    assert sample.label_names == ("car", "outdoor")
    assert sample.size == (1920, 1080, 3)
    assert (car.shape, car.box, car.score, type(car.score)) == ("bndbox", (10, 20, 110, 220), 1, int)
    assert (outdoor.shape, outdoor.points, outdoor.box) == (None, None, None)
    assert sample.extra["labelers"][0]["worker_id"] == wire["labelers"][0]["worker_id"]
    assert "source" not in sample.extra
    assert "Signature" not in repr(sample)


def test_absent_null_and_empty_stay_distinct():
    wires = [{"sample_id": "a"}, {"sample_id": "a", "labels": [], "metadata": {}, "preview": None}]
    outs = [unstructure_sample(structure(wire)) for wire in wires]
    assert outs == wires
    assert structure(wires[0]) == structure(wires[1])  # the same sample: the wire form is not part of equality


def test_a_missing_sample_id_takes_the_requested_one_and_stays_missing_on_the_way_out():
    wire = {"labels": []}
    sample = structure_sample(wire, requested_sample_id="asked-for")
    assert sample.sample_id == "asked-for"
    assert unstructure_sample(sample) == wire


def test_a_missing_sample_id_with_nothing_requested_is_an_error():
    with pytest.raises(ResponseValidationError, match=r"required field missing @ \$\.sample_id"):
        structure_sample({"labels": []}, requested_sample_id=None)


def test_samples_you_build_unstructure_without_their_none_fields():
    sample = Sample("s", labels=[SampleLabel(name="cat", type=0)], metadata={SIZE: [3, 2]}, extra={"k": [1]})
    assert unstructure_sample(sample) == {
        "sample_id": "s",
        "labels": [{"name": "cat", "type": 0, "property": {}}],
        "metadata": {SIZE: [3, 2]},
        "k": [1],
    }
    assert sample.size == (3, 2)


def test_fields_set_after_reading_are_written_after_the_wire_keys():
    sample = attrs.evolve(structure({"sample_id": "s", "x": 1}), preview="p", extra={"x": 1, "y": 2})
    assert same_json(unstructure_sample(sample), {"sample_id": "s", "x": 1, "preview": "p", "y": 2})


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.metadata.__setitem__("k", 1),
        lambda s: s.metadata.update(k=1),
        lambda s: s.metadata.pop(SIZE),
        lambda s: s.extra["labelers"][0].__setitem__("role", 1),
        lambda s: s.labels[0].property.__delitem__(SHAPE),
        lambda s: s.labels[0].extra.setdefault("k", 1),
        lambda s: s.labels[0].property.clear(),
    ],
)
def test_mappings_are_read_only_all_the_way_down(change):
    sample = structure(example())
    with pytest.raises(TypeError, match="read-only"):
        change(sample)
    assert unstructure_sample(sample) == example()


def test_nested_arrays_are_tuples_and_the_input_is_not_shared():
    wire = example()
    sample = structure(wire)
    wire["labels"][0]["property"][FEATURE][0][0] = 999
    wire["metadata"][SIZE].append(1)
    assert sample.labels[0].property[FEATURE] == ((10, 20), (110, 220))
    assert sample.size == (1920, 1080, 3)


def test_mappings_handed_to_a_model_are_frozen_too():
    extra = {"nested": {"list": [1, 2]}}
    sample = Sample("s", extra=extra)
    extra["nested"]["list"].append(3)
    assert sample.extra == {"nested": {"list": (1, 2)}}
    with pytest.raises(TypeError):
        sample.extra["nested"]["other"] = 1  # type: ignore[index]


def test_samples_hash_pickle_and_deepcopy():
    sample = structure(example())
    assert pickle.loads(pickle.dumps(sample)) == sample
    assert copy.deepcopy(sample) == sample
    assert len({sample, structure(example())}) == 1
    assert unstructure_sample(pickle.loads(pickle.dumps(sample))) == example()
    assert pickle.loads(pickle.dumps(FrozenDict(a=1))) == {"a": 1}


# Helpers on every documented shape, in both documented forms.


@pytest.mark.parametrize(
    ("shape", "feature", "points", "box", "circle"),
    [
        ("bndbox", [[10, 20], [110, 220.5]], ((10, 20), (110, 220.5)), (10, 20, 110, 220.5), None),
        ("bndbox", [[110, 220], [10, 20]], ((110, 220), (10, 20)), (10, 20, 110, 220), None),
        ("polygon", [[0, 0], [4, 0], [2, 3]], ((0, 0), (4, 0), (2, 3)), None, None),
        ("polyline", [[0, 0], [4, 1]], ((0, 0), (4, 1)), None, None),
        ("line", [[1, 2], [3, 4]], ((1, 2), (3, 4)), None, None),
        ("dashed", [[1, 2], [3, 4]], ((1, 2), (3, 4)), None, None),
        ("circle", [[50, 60], [7.5]], ((50, 60),), None, (50, 60, 7.5)),
        ("circle", [50, 60, 7.5], ((50, 60),), None, (50, 60, 7.5)),
        ("point", [[5, 6]], ((5, 6),), None, None),
        ("point", [5, 6], ((5, 6),), None, None),
        ("cuboid", [[1, 2], [3, 4], [5, 6]], ((1, 2), (3, 4), (5, 6)), None, None),
        ("cuboid", {"corners": 8}, None, None, None),
    ],
)
def test_helpers_read_every_shape_in_every_documented_form(shape, feature, points, box, circle):
    (got,) = structure(sample_with(label(shape, feature))).labels
    assert (got.shape, got.points, got.box, got.circle) == (shape, points, box, circle)


def test_a_label_without_a_shape_has_no_geometry():
    (got,) = structure(sample_with(label(None))).labels
    assert (got.shape, got.feature, got.points, got.box, got.circle) == (None, None, None, None, None)


def test_unknown_shapes_and_label_types_are_kept_unchecked():
    odd = label("cuboid", [[1, 2, 3], "front", {"depth": 4}], type=777)
    wire = sample_with(odd)
    sample = structure(wire)
    assert (sample.labels[0].type, sample.labels[0].shape) == (777, "cuboid")
    assert unstructure_sample(sample) == wire


# to_image_info: the v1 model, for code written against get_image_info_by_id.


def test_to_image_info_for_classification():
    sample = structure(sample_with(label(None, name="cat"), label(None, name="indoor")))
    assert sample.to_image_info() == ImageInfo(image_id="s1", tags=("cat", "indoor"))


def test_to_image_info_for_detection_keeps_shaped_labels_with_their_feature_as_sent():
    sample = structure(
        sample_with(
            label("bndbox", [[1, 2], [3, 4]], name="car"),
            label(None, name="outdoor"),
            {"name": "shapeless", "property": {FEATURE: [[0, 0], [1, 1]]}},
            label("circle", [5, 6, 7], name="wheel"),
            label("point", [[8, 9]], name="nose"),
            label("cuboid", "not coordinates", name="box3d"),
            metadata={SIZE: [640, 480]},
        )
    )
    assert sample.to_image_info() == ImageInfo(
        image_id="s1",
        tags=(
            DetectionTag("car", ((1, 2), (3, 4))),
            DetectionTag("wheel", (5, 6, 7)),
            DetectionTag("nose", ((8, 9),)),
        ),
        size=(640, 480),
    )
    assert sample.to_image_info().tags[0].box == (1, 2, 3, 4)  # type: ignore[union-attr]


def test_sample_result_unwraps_or_raises():
    sample = Sample("s")
    error = ResponseValidationError("bad")
    assert (SampleResult("s", sample).ok, SampleResult("s", sample).unwrap()) == (True, sample)
    assert not SampleResult("s", error=error).ok
    with pytest.raises(ResponseValidationError, match="bad"):
        SampleResult("s", error=error).unwrap()


# Strict checks, each reported at its JSON path.


@pytest.mark.parametrize(
    ("bad_sample", "path"),
    [
        (
            sample_with(label("bndbox", [[1, 2], [3, 4], [5, 6]])),
            '$.samples[3].labels[0].property["@modelarts:feature"]',
        ),
        (sample_with(label("bndbox", [1, 2, 3, 4])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("polygon", [[0, 0], [1, 1]])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("polyline", [[0, 0]])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("line", [[0, 0], [1, 1], [2, 2]])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("dashed", [[0, 0]])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("circle", [[1, 2]])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("circle", [1, 2])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("circle", [[1, 2], [3, 4]])), '$.samples[3].labels[0].property["@modelarts:feature"][1]'),
        (sample_with(label("point", [[1, 2], [3, 4]])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("point", [1, 2, 3])), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (sample_with(label("point", "1,2")), '$.samples[3].labels[0].property["@modelarts:feature"]'),
        (
            sample_with(label("polygon", [[0, 0], [1, 1], [2]])),
            '$.samples[3].labels[0].property["@modelarts:feature"][2]',
        ),
        (
            sample_with(label("bndbox", [[0, 0], [1, "1"]])),
            '$.samples[3].labels[0].property["@modelarts:feature"][1][1]',
        ),
        (
            sample_with(label("bndbox", [[0, True], [1, 1]])),
            '$.samples[3].labels[0].property["@modelarts:feature"][0][1]',
        ),
        (
            sample_with(label("bndbox", [[0, 0], [1, 1]]), {"property": {SHAPE: "bndbox"}}),
            '$.samples[3].labels[1].property["@modelarts:feature"]',
        ),
        (sample_with({"property": {SHAPE: 3}}), '$.samples[3].labels[0].property["@modelarts:shape"]'),
        (sample_with({"property": []}), "$.samples[3].labels[0].property"),
        (sample_with({"type": "1"}), "$.samples[3].labels[0].type"),
        (sample_with({"type": True}), "$.samples[3].labels[0].type"),
        (sample_with({"score": "0.9"}), "$.samples[3].labels[0].score"),
        (sample_with({"score": False}), "$.samples[3].labels[0].score"),
        (sample_with({"name": 5}), "$.samples[3].labels[0].name"),
        (sample_with({"id": 1}), "$.samples[3].labels[0].id"),
        (sample_with("car"), "$.samples[3].labels[0]"),
        ({"sample_id": "s", "labels": {"name": "car"}}, "$.samples[3].labels"),
        ({"sample_id": 5}, "$.samples[3].sample_id"),
        ({"sample_id": None}, "$.samples[3].sample_id"),
        ({"labels": []}, "$.samples[3].sample_id"),
        ({"sample_id": "s", "sample_time": "1589190552106"}, "$.samples[3].sample_time"),
        ({"sample_id": "s", "sample_time": True}, "$.samples[3].sample_time"),
        ({"sample_id": "s", "sample_time": 1.5e12}, "$.samples[3].sample_time"),
        ({"sample_id": "s", "sample_type": False}, "$.samples[3].sample_type"),
        ({"sample_id": "s", "sample_status": 1}, "$.samples[3].sample_status"),
        ({"sample_id": "s", "metadata": [1]}, "$.samples[3].metadata"),
        ({"sample_id": "s", "metadata": {SIZE: [1920]}}, '$.samples[3].metadata["@modelarts:size"]'),
        ({"sample_id": "s", "metadata": {SIZE: [1920, 1080.5]}}, '$.samples[3].metadata["@modelarts:size"][1]'),
        ({"sample_id": "s", "metadata": {SIZE: [1920, True]}}, '$.samples[3].metadata["@modelarts:size"][1]'),
        ("not a sample", "$.samples[3]"),
    ],
)
def test_wrong_shapes_are_named_by_their_path_and_the_page_offset(bad_sample, path):
    with pytest.raises(ResponseValidationError) as caught:
        structure_sample_page(page_with(bad_sample), offset=30, status_code=200, request_id="req-1")
    message = str(caught.value)
    assert f"@ {path}" in message
    assert "offset 30" in message
    if isinstance(bad_sample, dict) and isinstance(bad_sample.get("sample_id"), str):
        assert f"sample {bad_sample['sample_id']!r}: " in message
    assert (caught.value.status_code, caught.value.request_id) == (200, "req-1")


NON_FINITE = ["NaN", "Infinity", "-Infinity"]


@pytest.mark.parametrize("literal", NON_FINITE)
@pytest.mark.parametrize(
    ("template", "path"),
    [
        ('{"sample_id": "s", "labels": [{"score": %s}]}', "$.labels[0].score"),
        (
            '{"sample_id": "s", "labels": [{"property": {"@modelarts:shape": "point", "@modelarts:feature": [1,%s]}}]}',
            '$.labels[0].property["@modelarts:feature"][1]',
        ),
        (
            '{"sample_id": "s", "labels": [{"property": {"@modelarts:shape": "cuboid", "@modelarts:feature": [%s]}}]}',
            '$.labels[0].property["@modelarts:feature"][0]',
        ),
        ('{"sample_id": "s", "metadata": {"@modelarts:size": [%s, 1]}}', '$.metadata["@modelarts:size"][0]'),
        (
            '{"sample_id": "s", "metadata": {"@modelarts:hard_coefficient": %s}}',
            '$.metadata["@modelarts:hard_coefficient"]',
        ),
        ('{"sample_id": "s", "labelers": [{"score": %s}]}', "$.labelers[0].score"),
    ],
)
def test_nan_and_infinity_are_rejected_anywhere(template, path, literal):
    data = json.loads(template % literal)  # Python's json accepts these tokens; JSON does not
    with pytest.raises(ResponseValidationError, match="finite number") as caught:
        structure_sample(data, requested_sample_id=None)
    assert f"@ {path}" in str(caught.value)


def test_every_problem_is_reported_and_the_sample_is_named():
    bad = {"sample_id": "abc", "sample_time": "t", "labels": [{"type": "x"}, {"score": "y"}]}
    with pytest.raises(ResponseValidationError) as caught:
        structure_sample(bad, requested_sample_id="abc")
    message = str(caught.value)
    assert "sample 'abc'" in message
    for path in ("$.sample_time", "$.labels[0].type", "$.labels[1].score"):
        assert f"@ {path}" in message


def test_many_problems_are_capped():
    bad = {"sample_id": "s", "labels": [{"type": "x"}] * 50}
    with pytest.raises(ResponseValidationError, match="and 40 more") as caught:
        structure(bad)
    assert str(caught.value).count(" @ ") == 10


@pytest.mark.parametrize(
    "bad",
    [
        {"sample_id": "s", "sample_time": "9" * 10_000},
        {"sample_id": "s", "labels": [label("bndbox", [[0, 0]] * 10_000)]},
        {"sample_id": "s", "labels": [label("point", [[0, 0], ["x" * 10_000]])]},
        {"sample_id": "s" * 10_000, "sample_type": "x"},
        {"sample_id": "s", "metadata": {"k" * 10_000: float("nan")}},
    ],
)
def test_errors_never_echo_huge_values(bad):
    with pytest.raises(ResponseValidationError) as caught:
        structure(bad)
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize(
    ("page", "path"),
    [
        ({"sample_count": 3}, "$.samples"),
        ({"sample_count": 3, "samples": None}, "$.samples"),
        ({"sample_count": "3", "samples": []}, "$.sample_count"),
        ({"sample_count": True, "samples": []}, "$.sample_count"),
        ([], "$"),
    ],
)
def test_a_page_without_its_list_is_an_error_not_an_empty_page(page, path):
    with pytest.raises(ResponseValidationError) as caught:
        structure_sample_page(page)
    assert f"@ {path}" in str(caught.value)
    assert "offset" not in str(caught.value)


def test_a_page_without_its_count_has_none():
    assert structure_sample_page({"samples": []}) == (None, [])


# Datasets and dataset labels.

DATASET = {
    "dataset_id": "WxCREuCkBSAlQr9xrde",
    "dataset_name": "cars",
    "dataset_type": 0,
    "status": 1,
    "total_sample_count": 10,
    "annotated_sample_count": 4,
    "create_time": 1589190552106,
    "current_version_id": "v1",
    "labels": [{"name": "car", "type": 1, "property": {"@modelarts:color": "#3399ff"}, "attributes": [{"k": 1}]}],
    "data_sources": [{"data_type": 0, "data_path": "/bucket/cars/"}],
}


def test_a_dataset_reads_and_round_trips():
    dataset = structure_dataset(DATASET)
    assert dataset == Dataset(
        "WxCREuCkBSAlQr9xrde",
        dataset_name="cars",
        dataset_type=0,
        status=1,
        total_sample_count=10,
        annotated_sample_count=4,
        create_time=1589190552106,
        current_version_id="v1",
        labels=(DatasetLabel("car", 1, {"@modelarts:color": "#3399ff"}, ({"k": 1},)),),
        extra={"data_sources": [{"data_type": 0, "data_path": "/bucket/cars/"}]},
    )
    assert same_json(unstructure_dataset(dataset), DATASET)


def test_dataset_pages_and_label_pages():
    assert structure_dataset_page({"total_number": 7, "datasets": [DATASET]}) == (7, [structure_dataset(DATASET)])
    total, labels = structure_dataset_labels({"total_number": 1, "labels": DATASET["labels"]})
    assert (total, labels[0].name, labels[0].property["@modelarts:color"]) == (1, "car", "#3399ff")


@pytest.mark.parametrize(
    ("call", "answer", "path"),
    [
        (structure_dataset_page, {"total_number": 1, "datasets": [{**DATASET, "status": "1"}]}, "$.datasets[0].status"),
        (structure_dataset_page, {"total_number": 1, "datasets": [{"dataset_name": "x"}]}, "$.datasets[0].dataset_id"),
        (structure_dataset_page, {"total_number": 1}, "$.datasets"),
        (structure_dataset_labels, {"labels": [{"name": "a", "attributes": [1]}]}, "$.labels[0].attributes[0]"),
        (structure_dataset_labels, {"labels": [{"name": "a", "type": "1"}]}, "$.labels[0].type"),
        (structure_dataset_labels, {"labels": [{"property": {"w": float("inf")}}]}, "$.labels[0].property.w"),
    ],
)
def test_dataset_problems_are_named_by_their_path(call, answer, path):
    with pytest.raises(ResponseValidationError) as caught:
        call(answer, offset=0)
    assert f"@ {path}" in str(caught.value)
    assert "offset 0" in str(caught.value)


def test_a_missing_dataset_id_takes_the_requested_one():
    dataset = structure_dataset({"dataset_name": "x"}, requested_dataset_id="d1")
    assert dataset.dataset_id == "d1"
    assert unstructure_dataset(dataset) == {"dataset_name": "x"}
