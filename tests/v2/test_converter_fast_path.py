"""Samples off the converter's fast path (floats, nulls, unknown keys, other mappings, bad values) read exactly
as on it: the same models, the same round trip, the same typed errors with their paths."""

from __future__ import annotations

import json
import math
from types import MappingProxyType
from typing import Any

import pytest

from modelarts_async._exceptions import ResponseValidationError
from modelarts_async._v2._converter import structure_sample, structure_sample_page, unstructure_sample

SHAPE, FEATURE, SIZE = "@modelarts:shape", "@modelarts:feature", "@modelarts:size"


def box(feature: Any, **prop: Any) -> dict[str, Any]:
    return {"name": "car", "type": 1, "score": 1, "property": {SHAPE: "bndbox", FEATURE: feature, **prop}}


def sample(*labels: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"sample_id": "s1", "labels": list(labels), "metadata": {SIZE: [640, 480]}, **fields}


UNUSUAL_BUT_VALID = {
    "float corners": sample(box([[1.5, 2], [3, 4.25]])),
    "a polygon with a float": sample({"property": {SHAPE: "polygon", FEATURE: [[1, 2], [3, 4], [5.5, 6]]}}),
    "a float score": sample(box([[1, 2], [3, 4]]) | {"score": 0.75}),
    "more property keys": sample(box([[1, 2], [3, 4]], color=[1, 2, {"a": None}], hard=True)),
    "feature before shape": sample({"property": {FEATURE: [[1, 2], [3, 4]], SHAPE: "line"}}),
    "null labels and metadata": {"sample_id": "s1", "labels": None, "metadata": None},
    "null property": sample({"name": "x", "property": None}),
    "unknown keys everywhere": sample(box([[1, 2], [3, 4]]) | {"new": {"deep": [1.5, "x"]}}, later=[{"a": 1}]),
    "integral float size": sample(metadata={SIZE: [640.0, 480.0, 3]}),
    "an unknown shape": sample({"property": {SHAPE: "ellipse", FEATURE: {"rx": 1.5}}}),
    "a circle and a point": sample(
        {"property": {SHAPE: "circle", FEATURE: [[1, 2], [3]]}}, {"property": {SHAPE: "point", FEATURE: [1, 2]}}
    ),
}


@pytest.mark.parametrize("wire", UNUSUAL_BUT_VALID.values(), ids=UNUSUAL_BUT_VALID.keys())
def test_unusual_samples_round_trip_exactly_and_read_the_same_from_any_mapping(wire: dict[str, Any]) -> None:
    text = json.dumps(wire)
    read = structure_sample(json.loads(text), requested_sample_id=None)
    assert json.dumps(unstructure_sample(read)) == text
    assert structure_sample(MappingProxyType(json.loads(text)), requested_sample_id=None) == read


BAD = {
    "an array as the shape": (
        sample({"property": {SHAPE: ["bndbox"], FEATURE: [[1, 2], [3, 4]]}}),
        '$.samples[1].labels[0].property["@modelarts:shape"]',
    ),
    "an object as the shape": (
        sample({"property": {SHAPE: {}}}),
        '$.samples[1].labels[0].property["@modelarts:shape"]',
    ),
    "NaN in a corner": (
        sample(box([[1, math.nan], [3, 4]])),
        '$.samples[1].labels[0].property["@modelarts:feature"][0][1]',
    ),
    "a boolean score": (sample(box([[1, 2], [3, 4]]) | {"score": True}), "$.samples[1].labels[0].score"),
    "infinite score": (sample(box([[1, 2], [3, 4]]) | {"score": math.inf}), "$.samples[1].labels[0].score"),
    "three corners": (sample(box([[1, 2], [3, 4], [5, 6]])), '$.samples[1].labels[0].property["@modelarts:feature"]'),
    "a string size": (sample(metadata={SIZE: ["640", 480]}), '$.samples[1].metadata["@modelarts:size"][0]'),
    "a number key": (sample(metadata={1: 2}), "$.samples[1].metadata"),
    "a string sample_type": (sample(sample_type="0"), "$.samples[1].sample_type"),
    "labels as an object": (sample() | {"labels": {}}, "$.samples[1].labels"),
}


@pytest.mark.parametrize(("wire", "path"), BAD.values(), ids=BAD.keys())
def test_bad_samples_get_a_typed_error_naming_the_path_and_the_offset(wire: dict[str, Any], path: str) -> None:
    page = {"sample_count": 2, "samples": [sample(box([[1, 2], [3, 4]])), wire]}
    with pytest.raises(ResponseValidationError) as caught:
        structure_sample_page(page, offset=300)
    message = str(caught.value)
    assert "at offset 300" in message
    assert "sample 's1'" in message
    assert f"@ {path}" in message


def test_a_label_with_the_keys_of_a_sample_keeps_them_as_its_own_extra() -> None:
    structure_sample(sample(), requested_sample_id=None)  # a sample with these keys, in this order, read first
    wire = sample({"sample_id": "not a label field", "labels": [], "metadata": {}})
    read = structure_sample(wire, requested_sample_id=None)
    assert read.labels[0].extra == {"sample_id": "not a label field", "labels": (), "metadata": {}}
    assert unstructure_sample(read) == wire
