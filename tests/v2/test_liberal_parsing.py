"""Issue 17, "liberal where it loses nothing": shapes a Java backend sends that the documentation never excludes.

`null` for an array or an object reads as empty and is written back as `null`; a list answer without its array
reads as an empty page only when its count says 0; integral floats in `@modelarts:size` are integers. Every other
check stays, and every example answer of API_V2.md parses and round-trips.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from modelarts_async import ModelArtsClient, ResponseValidationError
from modelarts_async._v2._converter import (
    structure_dataset,
    structure_dataset_labels,
    structure_dataset_page,
    structure_sample,
    structure_sample_page,
    unstructure_dataset,
    unstructure_sample,
)
from modelarts_async._v2._models import SampleLabel

SIZE = "@modelarts:size"


def text(data: Any) -> str:
    """JSON text: key order, `null` against `[]`, and `1.0` against `1` all count."""
    return json.dumps(data)


def sample(data: dict[str, Any]) -> Any:
    return structure_sample(data, requested_sample_id="s1")


# -- null for an array or an object -------------------------------------------------------------------------------

NULL_SAMPLES = {
    "labels": {"sample_id": "s1", "labels": None, "sample_type": 0},
    "metadata": {"sample_id": "s1", "metadata": None},
    "a label's property": {"sample_id": "s1", "labels": [{"name": "car", "property": None, "type": 0}]},
    "all three": {"sample_id": "s1", "metadata": None, "labels": [{"property": None}], "extra": None},
}


@pytest.mark.parametrize("wire", NULL_SAMPLES.values(), ids=list(NULL_SAMPLES))
def test_null_arrays_and_objects_of_a_sample_read_as_empty_and_write_back_as_null(wire: dict[str, Any]) -> None:
    read = sample(wire)
    assert isinstance(read.labels, tuple)
    assert dict(read.metadata) == {}
    assert all(dict(label.property) == {} for label in read.labels)
    assert text(unstructure_sample(read)) == text(wire)


def test_a_null_field_reads_as_the_same_empty_value_as_an_absent_one() -> None:
    assert sample({"sample_id": "s1", "labels": None, "metadata": None}) == sample({"sample_id": "s1"})
    assert sample({"sample_id": "s1", "labels": None}).labels == ()
    assert sample({"sample_id": "s1", "metadata": None}).size is None


def test_a_null_field_filled_since_is_written_as_it_now_is() -> None:
    read = sample({"sample_id": "s1", "labels": None, "metadata": None})
    filled = attrs.evolve(read, labels=(SampleLabel(name="car"),))
    written = {"sample_id": "s1", "labels": [{"name": "car", "property": {}}], "metadata": None}
    assert text(unstructure_sample(filled)) == text(written)


NULL_DATASETS = {
    "labels": {"dataset_id": "d1", "labels": None},
    "a label's property and attributes": {
        "dataset_id": "d1",
        "labels": [{"name": "car", "property": None, "attributes": None}],
    },
}


@pytest.mark.parametrize("wire", NULL_DATASETS.values(), ids=list(NULL_DATASETS))
def test_null_arrays_and_objects_of_a_dataset_read_as_empty_and_write_back_as_null(wire: dict[str, Any]) -> None:
    read = structure_dataset(wire)
    assert all(label.attributes == () and dict(label.property) == {} for label in read.labels)
    assert text(unstructure_dataset(read)) == text(wire)


def test_null_where_a_scalar_or_an_id_is_required_is_still_an_error_saying_got_null() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_sample({"sample_id": None, "labels": [None]}, requested_sample_id=None)
    message = str(caught.value)
    assert "expected a string, got null @ $.sample_id" in message
    assert "expected an object, got null @ $.labels[0]" in message
    assert "(null)" not in message


# -- a list answer without its array ------------------------------------------------------------------------------

PAGES: dict[str, tuple[Callable[..., tuple[int | None, list[Any]]], str, str]] = {
    "samples": (structure_sample_page, "sample_count", "samples"),
    "datasets": (structure_dataset_page, "total_number", "datasets"),
    "labels": (structure_dataset_labels, "total_number", "labels"),
}


@pytest.mark.parametrize("kind", list(PAGES))
@pytest.mark.parametrize("items", ["absent", None])
def test_a_list_answer_without_its_array_is_empty_when_its_count_is_0(kind: str, items: object) -> None:
    structure, count_key, items_key = PAGES[kind]
    answer: dict[str, Any] = {count_key: 0} if items == "absent" else {count_key: 0, items_key: None}
    assert structure(answer) == (0, [])


@pytest.mark.parametrize("kind", list(PAGES))
@pytest.mark.parametrize(
    ("count", "items", "got"),
    [(3, "absent", "got nothing"), (3, None, "got null"), (None, "absent", "got nothing"), ("0", "absent", None)],
)
def test_a_list_answer_without_its_array_is_an_error_unless_its_count_is_0(
    kind: str, count: object, items: object, got: str | None
) -> None:
    """A page that vanished is not an empty page: taking it for one would stop a listing early and lose the rest."""
    structure, count_key, items_key = PAGES[kind]
    answer: dict[str, Any] = {} if count is None else {count_key: count}
    if items != "absent":
        answer[items_key] = items
    with pytest.raises(ResponseValidationError) as caught:
        structure(answer, offset=200)
    message = str(caught.value)
    assert "at offset 200" in message
    if got is not None:
        assert f"expected an array, {got} @ $.{items_key}" in message
        assert "(null)" not in message


async def test_listing_an_empty_dataset_whose_answer_has_no_array_yields_nothing() -> None:
    """Through the client: `{"sample_count": 0}` ends the listing with no sample, after one request."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path.endswith("/data-annotations/samples"):
            return httpx.Response(200, json={"sample_count": 0})
        return httpx.Response(200, json={"sample_id": "s1", "labels": None, "metadata": None})

    transport = httpx.MockTransport(answer)
    async with ModelArtsClient("https://modelarts.example.com", project_id="p1", transport=transport) as client:
        assert [s async for s in client.list_samples(dataset_id="WxCREuCkBSAlQr9xrde")] == []
        assert len(requests) == 1
        one = await client.get_sample(dataset_id="WxCREuCkBSAlQr9xrde", sample_id="s1")
    assert one.labels == ()
    assert unstructure_sample(one) == {"sample_id": "s1", "labels": None, "metadata": None}


# -- integral floats where integers are documented -----------------------------------------------------------------


def test_integral_floats_in_the_size_are_integers_and_written_back_as_sent() -> None:
    wire = {"sample_id": "s1", "metadata": {SIZE: [100.0, 200.0, 3.0]}}
    read = sample(wire)
    assert read.size == (100, 200, 3)
    assert all(type(n) is int for n in read.size)
    assert text(unstructure_sample(read)) == text(wire)
    assert read.to_image_info().size == (100, 200, 3)


@pytest.mark.parametrize("bad", [100.5, True, "100", float("inf"), None])
def test_a_size_that_is_not_an_integer_is_still_an_error(bad: object) -> None:
    with pytest.raises(ResponseValidationError, match=re.escape('@ $.metadata["@modelarts:size"][1]')):
        sample({"sample_id": "s1", "metadata": {SIZE: [100, bad]}})


# -- every example answer of API_V2.md ------------------------------------------------------------------------------

#: The service facts the project is built on; a shared file of the project, outside the repository.
API_V2 = Path("/work/shared/API_V2.md")
_JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)


def example_answers() -> list[Any]:
    """Every fenced JSON block of API_V2.md (each is an example answer of the service)."""
    return [json.loads(block) for block in _JSON_BLOCK.findall(API_V2.read_text(encoding="utf-8"))]


def _round_trip(answer: dict[str, Any]) -> Any:
    """Structure `answer` with the function for its kind and write it back."""
    if "samples" in answer or "sample_count" in answer:
        _, items = structure_sample_page(answer)
        return {**answer, "samples": [unstructure_sample(item) for item in items]}
    if "sample_id" in answer:
        return unstructure_sample(structure_sample(answer, requested_sample_id=None))
    if "datasets" in answer:
        _, datasets = structure_dataset_page(answer)
        return {**answer, "datasets": [unstructure_dataset(item) for item in datasets]}
    if "dataset_id" in answer:
        return unstructure_dataset(structure_dataset(answer))
    structure_dataset_labels(answer)
    return answer


@pytest.mark.skipif(not API_V2.exists(), reason=f"{API_V2} is the project's shared reference, not shipped")
def test_every_example_answer_of_the_reference_parses_and_round_trips() -> None:
    answers = example_answers()
    assert answers, "API_V2.md has example answers"
    for answer in answers:
        assert text(_round_trip(answer)) == text(answer)
