"""get_dataset_stats, list_versions and get_version: the service's own counts, to check an export against.

Through the fake (in-process and served, by the `client` fixture), and respx for answers the fake never gives.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from modelarts_async import (
    DatasetStats,
    DatasetVersion,
    InvalidArgumentError,
    LabelStats,
    ModelArtsClient,
    NotFoundError,
    ResponseValidationError,
    VersionListing,
)
from modelarts_async._v2._stats_converter import (
    structure_dataset_stats,
    structure_version,
    unstructure_dataset_stats,
    unstructure_version,
)
from modelarts_async.testing import FakeModelArts, box_label, classification_label

DATASET = "WxCREuCkBSAlQr9xrde"
ENDPOINT = "https://modelarts.example.com"
PROJECT = "p1"
STATS_URL = f"{ENDPOINT}/v2/{PROJECT}/datasets/{DATASET}/data-annotations/stats"
VERSIONS_URL = f"{ENDPOINT}/v2/{PROJECT}/datasets/{DATASET}/versions"


@pytest.fixture
def cars(fake: FakeModelArts) -> None:
    dataset = fake.add_dataset(DATASET, dataset_type=1)
    dataset.add_sample("a" * 32, [box_label("car", (1, 2, 3, 4)), box_label("car", (5, 6, 7, 8))])
    dataset.add_sample("b" * 32, [box_label("car", (1, 2, 3, 4)), classification_label("day")])
    dataset.add_sample("c" * 32, [classification_label("day", score=0.5)], sample_status="AUTO_ANNOTATION")
    dataset.add_sample("d" * 32, [])
    dataset.publish_version("V1", version_name="first")
    dataset.add_sample("e" * 32, [classification_label("night")])
    dataset.publish_version("V2")


# --- through the fake -----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("cars")
async def test_stats_count_samples_by_state_and_labels_by_name(client: ModelArtsClient) -> None:
    stats = await client.get_dataset_stats(dataset_id=DATASET)
    assert isinstance(stats, DatasetStats)
    counts = (stats.total, stats.manual_annotation, stats.auto_annotation, stats.un_annotation, stats.deleted)
    assert counts == (5, 3, 1, 1, 0)
    by_name = {(label.name, label.type): (label.count, label.sample_count) for label in stats.labels}
    assert by_name == {("car", 1): (3, 2), ("day", 0): (2, 2), ("night", 0): (1, 1)}
    assert stats.extra["data_path"] == f"/fake-bucket/{DATASET}/"


@pytest.mark.usefixtures("cars")
async def test_stats_take_the_sample_state_filter(client: ModelArtsClient) -> None:
    stats = await client.get_dataset_stats(dataset_id=DATASET, sample_state="__NONE__")
    assert (stats.total, stats.un_annotation, stats.labels) == (1, 1, ())


@pytest.mark.usefixtures("cars")
async def test_versions_are_listed_newest_first_and_each_can_be_read(client: ModelArtsClient) -> None:
    listing = client.list_versions(dataset_id=DATASET)
    assert isinstance(listing, VersionListing)
    versions = [version async for version in listing]
    assert [v.version_id for v in versions] == ["V2", "V1"]
    newest, first = versions
    assert (newest.is_current, newest.total_sample_count, newest.annotated_sample_count) == (True, 5, 3)
    assert (newest.previous_version_id, newest.version_name) == ("V1", "V002")
    assert (first.is_current, first.total_sample_count, first.previous_version_id, first.version_name) == (
        False,
        4,
        None,
        "first",
    )
    assert isinstance(first.create_time, int)
    assert await client.get_version(dataset_id=DATASET, version_id="V1") == first
    # The version's counts agree with listing it.
    async with client.list_samples(dataset_id=DATASET, version_id="V1") as samples:
        assert len([sample async for sample in samples]) == first.total_sample_count


@pytest.mark.usefixtures("cars")
async def test_missing_version_and_dataset_are_not_found_errors_naming_them(client: ModelArtsClient) -> None:
    with pytest.raises(NotFoundError, match=r"version 'V9' of dataset 'WxCREuCkBSAlQr9xrde' not found"):
        await client.get_version(dataset_id=DATASET, version_id="V9")
    with pytest.raises(NotFoundError, match="dataset 'nope' not found"):
        await client.get_dataset_stats(dataset_id="nope")
    with pytest.raises(NotFoundError, match="dataset 'nope' not found"):
        [v async for v in client.list_versions(dataset_id="nope")]


async def test_bad_ids_are_refused_before_sending(client: ModelArtsClient) -> None:
    with pytest.raises(InvalidArgumentError, match="version_id"):
        await client.get_version(dataset_id=DATASET, version_id="../x")
    with pytest.raises(InvalidArgumentError, match="dataset_id"):
        client.list_versions(dataset_id="a/b")
    with pytest.raises(InvalidArgumentError, match="sample_state"):
        await client.get_dataset_stats(dataset_id=DATASET, sample_state="")


# --- the wire, with respx -----------------------------------------------------------------------------------------

STATS_ANSWER: dict[str, Any] = {
    "sample_stats": {
        "total": 10,
        "un_annotation": 2,
        "manual_annotation": 7,
        "auto_annotation": 1,
        "deleted": 0,
        "uncheck": 3,
    },
    "label_stats": [
        {
            "name": "car",
            "type": 1,
            "count": 12,
            "sample_count": 6,
            "property": {"@modelarts:color": "#3399ff"},
            "attributes": [],
        },
    ],
    "grouped_label_stats": {"1": [{"name": "car"}]},
    "metadata_stats": {},
    "data_path": "/bucket/cars/",
}
VERSION_ANSWER: dict[str, Any] = {
    "version_id": "Bn1GYXgrz9bEu1wVjFa",
    "version_name": "V003",
    "status": 1,
    "create_time": 1589190552106,
    "update_time": 1589190552106,
    "is_current": True,
    "previous_version_id": "a8pmvuLSPCiiSkQoqGI",
    "total_sample_count": 1000,
    "annotated_sample_count": 998,
    "label_stats": [{"name": "car", "type": 1, "count": 12, "sample_count": 6}],
    "train_evaluate_sample_ratio": "0.80",
    "manifest_path": "obs://bucket/out/V003.manifest",
}


@respx.mock
async def test_stats_answer_round_trips_exactly_and_the_filter_is_sent() -> None:
    route = respx.get(STATS_URL, params={"sample_state": "__ALL__"}).mock(httpx.Response(200, json=STATS_ANSWER))
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT) as client:
        stats = await client.get_dataset_stats(dataset_id=DATASET, sample_state="__ALL__")
    assert route.called
    assert stats.labels == (
        LabelStats("car", 1, 12, 6, extra={"property": {"@modelarts:color": "#3399ff"}, "attributes": []}),
    )
    assert stats.sample_stats_extra == {"uncheck": 3}
    assert json.dumps(unstructure_dataset_stats(stats)) == json.dumps(STATS_ANSWER)


@respx.mock
async def test_versions_answers_round_trip_exactly() -> None:
    respx.get(f"{VERSIONS_URL}/Bn1GYXgrz9bEu1wVjFa").mock(httpx.Response(200, json=VERSION_ANSWER))
    respx.get(VERSIONS_URL).mock(httpx.Response(200, json={"total_number": 1, "versions": [VERSION_ANSWER]}))
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT) as client:
        version = await client.get_version(dataset_id=DATASET, version_id="Bn1GYXgrz9bEu1wVjFa")
        listed = [v async for v in client.list_versions(dataset_id=DATASET)]
    assert listed == [version]
    assert version.extra["train_evaluate_sample_ratio"] == "0.80"
    assert json.dumps(unstructure_version(version)) == json.dumps(VERSION_ANSWER)


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        ({"sample_stats": {"total": -1}}, "$.sample_stats.total"),
        ({"sample_stats": {"total": 2**53}}, "$.sample_stats.total"),
        ({"sample_stats": {"deleted": True}}, "$.sample_stats.deleted"),
        ({"sample_stats": {"manual_annotation": "3"}}, "$.sample_stats.manual_annotation"),
        ({"sample_stats": {"total": 1.5}}, "$.sample_stats.total"),
        (
            {"label_stats": [{"name": "a", "count": 1}, {"name": "b", "sample_count": -3}]},
            "$.label_stats[1].sample_count",
        ),
        ({"label_stats": [{"name": 7}]}, "$.label_stats[0].name"),
        ({"label_stats": {"name": "a"}}, "$.label_stats"),
        ({"sample_stats": [1]}, "$.sample_stats"),
        ([], "$"),
    ],
)
def test_bad_counts_are_validation_errors_naming_the_path(answer: Any, path: str) -> None:
    with pytest.raises(ResponseValidationError, match="statistics of dataset") as caught:
        structure_dataset_stats(answer, dataset_id=DATASET)
    assert f"@ {path}" in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        ({"version_id": "v", "total_sample_count": -1}, "$.total_sample_count"),
        ({"version_id": "v", "annotated_sample_count": 2**60}, "$.annotated_sample_count"),
        ({"version_id": "v", "is_current": "true"}, "$.is_current"),
        ({"version_id": 5}, "$.version_id"),
        ({"version_id": None}, "$.version_id"),
        ({"version_id": "v", "create_time": "2020"}, "$.create_time"),
    ],
)
def test_bad_version_fields_are_validation_errors_naming_the_path(answer: Any, path: str) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_version(answer, requested_version_id="v")
    assert f"@ {path}" in str(caught.value)


def test_a_version_without_its_id_takes_the_requested_one() -> None:
    version = structure_version({"version_name": "V1"}, requested_version_id="abc")
    assert version == DatasetVersion("abc", "V1")
    assert unstructure_version(version) == {"version_name": "V1"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
counts = st.none() | st.integers(0, 2**53 - 1)


@settings(max_examples=150, deadline=None)
@given(
    extra=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    sample_stats=st.none() | st.fixed_dictionaries({}, optional={"total": counts, "deleted": counts, "x": json_values}),
    labels=st.none()
    | st.lists(st.fixed_dictionaries({}, optional={"name": st.text(max_size=4), "count": counts}), max_size=3),
)
def test_any_stats_answer_round_trips_exactly(extra: dict[str, Any], sample_stats: Any, labels: Any) -> None:
    answer = dict(extra)
    if sample_stats is not None or "sample_stats" in extra:
        answer["sample_stats"] = sample_stats
    if labels is not None or "label_stats" in extra:
        answer["label_stats"] = labels
    stats = structure_dataset_stats(answer, dataset_id=DATASET)
    assert json.dumps(unstructure_dataset_stats(stats)) == json.dumps(answer)
