"""get_sample, get_dataset, get_dataset_labels and list_datasets: typed answers, errors that name what was asked."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from support.v2 import PageLog

from modelarts_async import (
    APIError,
    Dataset,
    DatasetLabel,
    DatasetListing,
    InvalidArgumentError,
    ModelArtsClient,
    NotFoundError,
    ResponseValidationError,
    Sample,
)
from modelarts_async._v2._converter import unstructure_sample
from modelarts_async.testing import (
    FAKE_PROJECT_ID,
    FakeModelArts,
    FakeReply,
    RecordedRequest,
    box_label,
    classification_label,
    shape_label,
)

DATASET = "WxCREuCkBSAlQr9xrde"
CAR = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
MISSING = "ffffffffffffffffffffffffffffffff"
EPOCH = 1_700_000_000_000


def json_reply(status: int, body: Any) -> FakeReply:
    return FakeReply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def cars(fake: FakeModelArts) -> None:
    dataset = fake.add_dataset(DATASET, name="cars", dataset_type=1, description="one car")
    dataset.add_sample(
        CAR,
        [
            box_label("car", (10, 20, 110, 220)),
            shape_label("wheel", "circle", [[50, 60], [7]]),
            classification_label("x"),
        ],
        metadata={"@modelarts:size": [1920, 1080, 3]},
        sample_time=1589190552106,
        labelers=[{"email": "a@example.com", "role": 0}],
    )


# --- get_sample -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("cars")
async def test_get_sample_gives_a_typed_sample_that_round_trips(client: ModelArtsClient, fake: FakeModelArts) -> None:
    sample = await client.get_sample(dataset_id=DATASET, sample_id=CAR)

    assert isinstance(sample, Sample)
    assert sample.sample_id == CAR
    assert sample.label_names == ("car", "wheel", "x")
    assert sample.labels[0].box == (10, 20, 110, 220)
    assert sample.labels[1].circle == (50, 60, 7)
    assert sample.size == (1920, 1080, 3)
    assert sample.extra["labelers"] == ({"email": "a@example.com", "role": 0},)
    assert sample.to_image_info().labels == ("car", "wheel")
    wire = json.loads(fake.handle("GET", fake.requests[-1].path, {}, b"").body)
    assert unstructure_sample(sample) == wire


@pytest.mark.usefixtures("cars")
async def test_a_missing_sample_or_dataset_is_a_not_found_error_naming_it(client: ModelArtsClient) -> None:
    with pytest.raises(NotFoundError) as sample:
        await client.get_sample(dataset_id=DATASET, sample_id=MISSING)
    error = sample.value
    assert str(error).startswith(f"sample {MISSING!r} of dataset {DATASET!r} not found: HTTP 400 ModelArts.4420")
    assert (error.status_code, error.error_code, error.attempts) == (400, "ModelArts.4420", 1)
    assert error.error_msg is not None
    assert MISSING in error.error_msg
    assert error.request_id is not None
    assert error.request_id in str(error)

    with pytest.raises(NotFoundError) as dataset:
        await client.get_sample(dataset_id="NoSuchDataset", sample_id=CAR)
    assert str(dataset.value).startswith("dataset 'NoSuchDataset' not found: HTTP 400 ModelArts.4352")


@pytest.mark.usefixtures("cars")
@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (404, "ModelArts.4338", NotFoundError),  # a plain 404 is not found too
        (400, "ModelArts.0104", APIError),  # a bad parameter is not "not found"
    ],
)
async def test_other_answers_keep_their_type(
    client: ModelArtsClient, page_log: PageLog, status: int, code: str, expected: type[APIError]
) -> None:
    async def answer(request: RecordedRequest) -> FakeReply:
        return json_reply(status, {"error_code": code, "error_msg": "nope"})

    page_log.script = answer
    with pytest.raises(APIError) as error:
        await client.get_sample(dataset_id=DATASET, sample_id=CAR)
    assert type(error.value) is expected
    assert error.value.error_code == code
    if expected is NotFoundError:
        assert str(error.value).startswith(f"sample {CAR!r} of dataset {DATASET!r} not found")


async def test_a_gateway_without_the_v2_api_is_not_blamed_on_the_sample(
    client: ModelArtsClient, page_log: PageLog
) -> None:
    async def no_api(request: RecordedRequest) -> FakeReply:
        return json_reply(404, {"error_code": "APIG.0101", "error_msg": "The API does not exist"})

    page_log.script = no_api
    with pytest.raises(NotFoundError) as error:
        await client.get_sample(dataset_id=DATASET, sample_id=CAR)
    assert str(error.value).startswith("not found: HTTP 404 APIG.0101")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sample_id": "a/b"}, "sample_id"),
        ({"sample_id": ".."}, "sample_id"),
        ({"sample_id": 7}, "sample_id"),
        ({"dataset_id": "x?y"}, "dataset_id"),
        ({"project_id": "p#q"}, "project_id"),
    ],
)
async def test_ids_that_are_not_one_path_segment_are_refused_before_sending(
    client: ModelArtsClient, page_log: PageLog, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        await client.get_sample(**{"dataset_id": DATASET, "sample_id": CAR, **kwargs})
    assert page_log.requests == []


async def test_a_malformed_sample_names_the_field(client: ModelArtsClient, page_log: PageLog) -> None:
    async def bad_feature(request: RecordedRequest) -> FakeReply:
        label = {"name": "car", "type": 1, "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[1, 2]]}}
        return json_reply(200, {"sample_id": CAR, "labels": [label]})

    page_log.script = bad_feature
    with pytest.raises(ResponseValidationError) as error:
        await client.get_sample(dataset_id=DATASET, sample_id=CAR)
    assert f"answer for sample {CAR!r}" in str(error.value)
    assert '$.labels[0].property["@modelarts:feature"]' in str(error.value)


# --- datasets ---------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("cars")
async def test_get_dataset(client: ModelArtsClient, fake: FakeModelArts) -> None:
    fake.datasets[DATASET].publish_version("v1")
    dataset = await client.get_dataset(dataset_id=DATASET)
    assert isinstance(dataset, Dataset)
    assert (dataset.dataset_id, dataset.dataset_name, dataset.dataset_type) == (DATASET, "cars", 1)
    assert (dataset.total_sample_count, dataset.annotated_sample_count, dataset.current_version_id) == (1, 1, "v1")
    assert [label.name for label in dataset.labels] == ["car", "wheel", "x"]
    with pytest.raises(NotFoundError, match=r"^dataset 'nope' not found: HTTP 400 ModelArts\.4352"):
        await client.get_dataset(dataset_id="nope")


@pytest.mark.usefixtures("cars")
async def test_get_dataset_labels_reads_every_label(client: ModelArtsClient, fake: FakeModelArts) -> None:
    labels = await client.get_dataset_labels(dataset_id=DATASET)
    assert isinstance(labels, tuple)
    assert all(isinstance(label, DatasetLabel) for label in labels)
    assert [(label.name, label.type) for label in labels] == [("car", 1), ("wheel", 1), ("x", 0)]
    assert labels[0].property["@modelarts:color"] == "#3399ff"

    fake.datasets[DATASET].publish_version("v1")
    fake.datasets[DATASET].add_sample("later", [classification_label("late")])
    assert len(await client.get_dataset_labels(dataset_id=DATASET)) == 4
    assert len(await client.get_dataset_labels(dataset_id=DATASET, version_id="v1")) == 3
    with pytest.raises(NotFoundError, match=rf"^version 'v2' of dataset {DATASET!r} not found"):
        await client.get_dataset_labels(dataset_id=DATASET, version_id="v2")
    with pytest.raises(NotFoundError, match=r"^dataset 'nope' not found"):
        await client.get_dataset_labels(dataset_id="nope")


@pytest.mark.parametrize("fake_mode", ["page", "record"])
async def test_get_dataset_labels_pages_when_the_answer_says_there_are_more(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog, fake_mode: str
) -> None:
    fake.offset_mode = fake_mode  # type: ignore[assignment]
    names = [f"label-{n:03d}" for n in range(230)]
    fake.add_dataset(DATASET, labels=names)

    async def first_ten_unless_paged(request: RecordedRequest) -> FakeReply | None:
        if "offset" in request.query:
            return None
        # A service that pages labels by default: ten of them, and the total.
        return json_reply(200, {"total_number": 230, "labels": fake.datasets[DATASET].labels[:10]})

    page_log.script = first_ten_unless_paged
    labels = await client.get_dataset_labels(dataset_id=DATASET)
    assert [label.name for label in labels] == names
    assert page_log.lists[0] == {}


# --- list_datasets ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fake_mode", ["page", "record"])
async def test_list_datasets_works_with_and_without_async_with(
    client: ModelArtsClient, fake: FakeModelArts, fake_mode: str
) -> None:
    fake.offset_mode = fake_mode  # type: ignore[assignment]
    for n in range(250):
        fake.add_dataset(f"ds-{n:03d}", dataset_type=n % 2, create_time=EPOCH + n)
    newest_first = [f"ds-{n:03d}" for n in range(249, -1, -1)]

    assert [d.dataset_id async for d in client.list_datasets()] == newest_first

    listing = client.list_datasets(dataset_type=1, order="asc")
    assert isinstance(listing, DatasetListing)
    async with listing:
        odd = [d.dataset_id async for d in listing]
    assert odd == [f"ds-{n:03d}" for n in range(1, 250, 2)]
    assert (listing.stats.yielded, listing.stats.expected, listing.stats.changed) == (125, 125, False)
    assert listing.stats.offset_mode == fake_mode


async def test_list_datasets_passes_its_filters(
    client: ModelArtsClient, fake: FakeModelArts, page_log: PageLog
) -> None:
    fake.add_dataset("b", name="beta", labels=["x"])
    fake.add_dataset("a", name="alpha", create_time=EPOCH + 5)
    datasets = [d async for d in client.list_datasets(with_labels=True, sort_by="dataset_name", order="asc")]
    assert [(d.dataset_name, [label.name for label in d.labels]) for d in datasets] == [("alpha", []), ("beta", ["x"])]
    assert page_log.requests[0].query == "limit=100&offset=0&order=asc&sort_by=dataset_name&with_labels=true"
    assert Counter([d.dataset_id async for d in client.list_datasets(search_content="al")]) == Counter("ab")
    assert page_log.lists[-1]["search_content"] == "al"  # passed through (the fake does not search)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"with_labels": "yes"}, "with_labels"),
        ({"sort_by": "size"}, "sort_by"),
        ({"order": "up"}, "order"),
        ({"dataset_type": 1.0}, "dataset_type"),
        ({"pages_in_flight": -1}, "pages_in_flight"),
        ({"project_id": "a/b"}, "project_id"),
    ],
)
async def test_list_datasets_refuses_bad_arguments_at_the_call(
    client: ModelArtsClient, page_log: PageLog, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        client.list_datasets(**kwargs)
    assert page_log.requests == []


async def test_missing_project_raises_at_the_call(fake: FakeModelArts) -> None:
    async with ModelArtsClient("http://fake.invalid", transport=fake.transport()) as client:
        with pytest.raises(InvalidArgumentError, match="project_id"):
            client.list_datasets()
        with pytest.raises(InvalidArgumentError, match="project_id"):
            client.list_samples(dataset_id=DATASET)
        with pytest.raises(InvalidArgumentError, match="project_id"):
            await client.get_sample(dataset_id=DATASET, sample_id=CAR)
        assert [d async for d in client.list_datasets(project_id=FAKE_PROJECT_ID)] == []


async def test_a_closed_client_refuses_to_list(fake: FakeModelArts) -> None:
    client = fake.client()
    listing = client.list_datasets()
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await anext(listing)
