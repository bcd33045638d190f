"""The fake's v2 dataset endpoints answer with the documented wire shapes, page under both offset readings,
filter, fail with the v2 error codes, keep published versions stable, and inject faults like v1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from types import ModuleType
from typing import Any

import httpx
import pytest

import modelarts_async.testing as testing_module
from modelarts_async.testing import (
    DEMO_DATASET_ID,
    FAKE_ENDPOINT,
    FAKE_PROJECT_ID,
    FakeDataset,
    FakeModelArts,
    Faults,
    box_label,
    classification_label,
    generated_sample_ids,
    shape_label,
)

PROJECT = FAKE_PROJECT_ID
DATASET = "WxCREuCkBSAlQr9xrde"
BASE = f"/v2/{PROJECT}/datasets/{DATASET}"
SAMPLES = f"{BASE}/data-annotations/samples"
CAR = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
EMPTY = "ffeeddccbbaa99887766554433221100"
EPOCH = 1_700_000_000_000


def get(fake: FakeModelArts, target: str) -> tuple[int, Any]:
    reply = fake.handle("GET", target, {}, b"")
    return reply.status, json.loads(reply.body)


def ids_of(data: Any) -> list[str]:
    return [sample["sample_id"] for sample in data["samples"]]


@pytest.fixture
def fake() -> FakeModelArts:
    """A detection dataset with a labelled and an unlabelled sample."""
    fake = FakeModelArts()
    dataset = fake.add_dataset(DATASET, name="cars", dataset_type=1, description="two samples")
    dataset.add_sample(
        CAR,
        [box_label("car", (10, 20, 110, 220)), classification_label("outdoor")],
        metadata={"@modelarts:size": [1920, 1080, 3]},
        sample_time=1589190552106,
        labelers=[{"email": "a@example.com", "role": 0}],
    )
    dataset.add_sample(EMPTY, sample_time=1589190552107)
    return fake


def many(count: int, *, offset_mode: str = "page", same_time: bool = False) -> FakeModelArts:
    """A dataset of `count` samples `s000`, `s001`, ...; with `same_time`, only the sample ids order them."""
    fake = FakeModelArts(offset_mode=offset_mode)  # type: ignore[arg-type]
    dataset = fake.add_dataset(DATASET)
    for i in range(count):
        dataset.add_sample(f"s{i:03d}", [classification_label("tag")], sample_time=EPOCH if same_time else EPOCH + i)
    return fake


# --- wire shapes ------------------------------------------------------------------------------------------------------


def test_one_sample_has_the_documented_shape(fake: FakeModelArts) -> None:
    status, answer = get(fake, f"{SAMPLES}/{CAR}")
    source = answer.pop("source")
    # Signed when answered (see tests/testing/test_fake_images.py), on a host that never resolves unless served.
    assert re.fullmatch(
        rf"https://obs\.fake\.invalid/obs/fake-bucket/{DATASET}/{CAR}\.png"
        r"\?AccessKeyId=FAKEACCESSKEY&Expires=[0-9]+&Signature=[A-Za-z0-9%]+",
        source,
    )
    assert (status, answer) == (
        200,
        {
            "sample_id": CAR,
            "sample_type": 0,
            "labels": [
                {
                    "name": "car",
                    "type": 1,
                    "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[10, 20], [110, 220]]},
                },
                {"name": "outdoor", "type": 0, "property": {}},
            ],
            "metadata": {"@modelarts:size": [1920, 1080, 3]},
            "sample_status": "MANUAL_ANNOTATION",
            "sample_time": 1589190552106,
            "sample_name": f"{CAR}.png",
            "sample_dir": f"/fake-bucket/{DATASET}/",
            "annotated_by": "human/fake-user/fake-user",
            "labelers": [{"email": "a@example.com", "role": 0}],
        },
    )
    status, empty = get(fake, f"{SAMPLES}/{EMPTY}")
    assert (status, empty["labels"], empty["sample_status"]) == (200, [], "UN_ANNOTATION")
    assert "annotated_by" not in empty


def test_sample_list_counts_every_match_and_sorts_newest_first(fake: FakeModelArts) -> None:
    status, data = get(fake, SAMPLES)
    assert status == 200
    assert list(data) == ["sample_count", "samples"]
    assert data["sample_count"] == 2
    assert ids_of(data) == [EMPTY, CAR]
    assert data["samples"][1] == get(fake, f"{SAMPLES}/{CAR}")[1]
    assert ids_of(get(fake, f"{SAMPLES}?order=asc")[1]) == [CAR, EMPTY]
    page = get(fake, f"{SAMPLES}?limit=1&offset=1")[1]
    assert (page["sample_count"], ids_of(page)) == (2, [CAR])


def test_default_limit_is_10_and_ties_sort_by_sample_id() -> None:
    fake = many(15, same_time=True)
    data = get(fake, SAMPLES)[1]
    assert data["sample_count"] == 15
    assert ids_of(data) == [f"s{i:03d}" for i in range(14, 4, -1)]
    assert ids_of(get(fake, f"{SAMPLES}?order=asc&limit=3")[1]) == ["s000", "s001", "s002"]


def test_default_sample_time_follows_the_latest_sample() -> None:
    fake = FakeModelArts()
    dataset = fake.add_dataset(DATASET)
    dataset.add_sample("first")
    dataset.add_sample("late", sample_time=EPOCH + 50_000)
    dataset.add_sample("next")
    times = {s["sample_id"]: s["sample_time"] for s in get(fake, SAMPLES)[1]["samples"]}
    assert times == {"first": EPOCH + 1000, "late": EPOCH + 50_000, "next": EPOCH + 51_000}


def test_dataset_list_and_one_dataset(fake: FakeModelArts) -> None:
    fake.add_dataset("second", name="another", create_time=EPOCH + 1).publish_version("v1")
    status, one = get(fake, BASE)
    assert status == 200
    assert one == {
        "dataset_id": DATASET,
        "dataset_name": "cars",
        "dataset_type": 1,
        "description": "two samples",
        "status": 1,
        "create_time": EPOCH,
        "update_time": EPOCH,
        "total_sample_count": 2,
        "annotated_sample_count": 1,
        "labels": [
            {"name": "car", "type": 1, "property": {"@modelarts:color": "#3399ff"}},
            {"name": "outdoor", "type": 0, "property": {"@modelarts:color": "#ffcc33"}},
        ],
    }
    status, listed = get(fake, f"/v2/{PROJECT}/datasets")
    assert status == 200
    assert listed["total_number"] == 2
    assert [d["dataset_id"] for d in listed["datasets"]] == ["second", DATASET]  # newest first
    assert "labels" not in listed["datasets"][1]
    assert listed["datasets"][0]["current_version_id"] == "v1"
    with_labels = get(fake, f"/v2/{PROJECT}/datasets?with_labels=true&order=asc")[1]
    assert with_labels["datasets"][0] == one
    by_name = get(fake, f"/v2/{PROJECT}/datasets?sort_by=dataset_name&order=asc&limit=1&offset=1")[1]
    assert (by_name["total_number"], [d["dataset_name"] for d in by_name["datasets"]]) == (2, ["cars"])
    detection = get(fake, f"/v2/{PROJECT}/datasets?dataset_type=1")[1]
    assert (detection["total_number"], [d["dataset_id"] for d in detection["datasets"]]) == (1, [DATASET])


def test_labels_come_from_the_samples_unless_given(fake: FakeModelArts) -> None:
    status, data = get(fake, f"{BASE}/data-annotations/labels")
    assert status == 200
    assert data == {"total_number": 2, "labels": get(fake, BASE)[1]["labels"]}
    fake.datasets[DATASET].remove_sample(CAR)  # labels belong to the dataset: removing a sample keeps them
    assert get(fake, f"{BASE}/data-annotations/labels")[1] == data
    given = fake.add_dataset("given", dataset_type=1, labels=["car", {"name": "bus", "type": 1, "property": {}}])
    given.add_sample(CAR, [box_label("truck", (0, 0, 1, 1))])
    assert get(fake, f"/v2/{PROJECT}/datasets/given/data-annotations/labels")[1] == {
        "total_number": 2,
        "labels": [
            {"name": "car", "type": 1, "property": {"@modelarts:color": "#3399ff"}},
            {"name": "bus", "type": 1, "property": {}},
        ],
    }
    paged = get(fake, f"/v2/{PROJECT}/datasets/given/data-annotations/labels?limit=1&offset=1")[1]
    assert (paged["total_number"], [label["name"] for label in paged["labels"]]) == (2, ["bus"])


# --- label helpers --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "feature"),
    [
        ("bndbox", [[0, 0], [5, 5]]),
        ("polygon", [[0, 0], [10, 0], [10, 10]]),
        ("polyline", [[0, 0], [10, 0]]),
        ("line", [[0, 0], [10, 10]]),
        ("dashed", [[0, 0], [10, 10]]),
        ("point", [[3, 4]]),
        ("circle", [[50, 60], [7]]),
    ],
)
def test_shape_label_writes_each_documented_shape(shape: str, feature: list[list[int]]) -> None:
    label = shape_label("x", shape, [tuple(point) for point in feature], score=0.5, properties={"@modelarts:hard": "0"})
    assert label == {
        "name": "x",
        "type": 1,
        "score": 0.5,
        "property": {"@modelarts:shape": shape, "@modelarts:feature": feature, "@modelarts:hard": "0"},
    }


@pytest.mark.parametrize(
    ("shape", "feature"),
    [
        ("polygon", [[0, 0], [1, 1]]),
        ("circle", [[50, 60, 7]]),
        ("point", [[1, 2, 3]]),
        ("bndbox", [[0, 0], [1, 1], [2, 2]]),
        ("ellipse", [[0, 0]]),
    ],
)
def test_shape_label_refuses_undocumented_features(shape: str, feature: list[list[int]]) -> None:
    with pytest.raises(ValueError, match=r"feature is|shape must be"):
        shape_label("x", shape, feature)


def test_box_label_takes_four_numbers() -> None:
    assert box_label("car", (1, 2, 3, 4), annotated_by="auto")["property"]["@modelarts:feature"] == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="xmin"):
        box_label("car", (1, 2, 3))


def test_wire_dicts_are_served_as_given(fake: FakeModelArts) -> None:
    manifest_circle = {  # the manifest's circle form, which the API pages do not document
        "name": "ball",
        "type": 1,
        "property": {"@modelarts:shape": "circle", "@modelarts:feature": [1, 2, 3]},
    }
    fake.datasets[DATASET].add_sample("odd", [manifest_circle], sample_status="AUTO_ANNOTATION", source=None)
    sample = get(fake, f"{SAMPLES}/odd")[1]
    assert (sample["labels"], sample["sample_status"], sample["source"]) == ([manifest_circle], "AUTO_ANNOTATION", None)


# --- paging ---------------------------------------------------------------------------------------------------------


def page_through(fake: FakeModelArts, *, step_by_page: bool, order: str) -> list[str]:
    """What a pager sees when it advances `offset` by one page (1) or by one page's records (100)."""
    seen: list[str] = []
    offset = 0
    while True:
        status, data = get(fake, f"{SAMPLES}?offset={offset}&limit=100&order={order}")
        assert (status, data["sample_count"]) == (200, 250)
        seen += ids_of(data)
        if len(data["samples"]) < 100:
            return seen
        offset += 1 if step_by_page else 100


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("offset_mode", ["page", "record"])
def test_paging_with_the_matching_arithmetic_yields_each_sample_once(offset_mode: str, order: str) -> None:
    fake = many(250, offset_mode=offset_mode)
    seen = page_through(fake, step_by_page=offset_mode == "page", order=order)
    expected = [f"s{i:03d}" for i in range(250)]
    assert seen == (expected if order == "asc" else expected[::-1])


def test_paging_with_the_other_arithmetic_goes_wrong() -> None:
    """Why the knob exists: a pager stepping by records against a page-index service skips records."""
    seen = page_through(many(250, offset_mode="page"), step_by_page=False, order="asc")
    assert len(seen) == 100
    fake = many(250, offset_mode="record")
    assert ids_of(get(fake, f"{SAMPLES}?offset=1&limit=100&order=asc")[1])[:2] == ["s001", "s002"]


def test_offset_mode_can_change_and_is_checked() -> None:
    fake = many(30)
    assert ids_of(get(fake, f"{SAMPLES}?offset=2&limit=5&order=asc")[1])[0] == "s010"
    fake.offset_mode = "record"
    assert ids_of(get(fake, f"{SAMPLES}?offset=2&limit=5&order=asc")[1])[0] == "s002"
    assert get(fake, f"{SAMPLES}?offset=29&limit=5&order=asc")[1]["samples"][0]["sample_id"] == "s029"
    assert get(fake, f"{SAMPLES}?offset=30&limit=5")[1] == {"sample_count": 30, "samples": []}
    with pytest.raises(ValueError, match="offset_mode"):
        FakeModelArts(offset_mode="pages")  # type: ignore[arg-type]


# --- filters --------------------------------------------------------------------------------------------------------


@pytest.fixture
def mixed() -> FakeModelArts:
    fake = FakeModelArts()
    dataset = fake.add_dataset(DATASET, dataset_type=1)
    dataset.add_sample("car-box", [box_label("car", (0, 0, 5, 5))])
    dataset.add_sample("car-tag", [classification_label("car")])
    dataset.add_sample("person", [shape_label("person", "polygon", [[0, 0], [10, 0], [10, 10]])])
    dataset.add_sample("auto", [box_label("car", (0, 0, 5, 5), score=0.7)], sample_status="AUTO_ANNOTATION")
    dataset.add_sample("none")
    dataset.add_sample("text", [classification_label("car", label_type=100)], sample_type=1)
    return fake


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("label_name=car", {"car-box", "car-tag", "auto", "text"}),
        ("label_type=1", {"car-box", "person", "auto"}),
        ("label_name=car&label_type=0", {"car-tag"}),
        ("label_name=person&label_type=0", set()),
        ("sample_state=__ALL__", {"car-box", "car-tag", "person", "text"}),
        ("sample_state=__NONE__", {"none"}),
        ("sample_state=__AUTO_ANNOTATION__", {"auto"}),
        ("sample_state=AUTO_ANNOTATION", {"auto"}),
        ("sample_type=1", {"text"}),
        ("sample_type=0&label_name=car&sample_state=__ALL__", {"car-box", "car-tag"}),
        ("label_name=nobody", set()),
        ("locale=zh-cn&search_conditions=%5B%5D", {"car-box", "car-tag", "person", "auto", "none", "text"}),
    ],
)
def test_filters_select_samples_and_count_them(mixed: FakeModelArts, query: str, expected: set[str]) -> None:
    status, data = get(mixed, f"{SAMPLES}?limit=100&{query}")
    assert status == 200
    assert set(ids_of(data)) == expected
    assert data["sample_count"] == len(expected)


def test_annotated_count_leaves_out_unlabelled_and_unconfirmed(mixed: FakeModelArts) -> None:
    info = get(mixed, BASE)[1]
    assert (info["total_sample_count"], info["annotated_sample_count"]) == (6, 4)


# --- versions -------------------------------------------------------------------------------------------------------


def test_published_version_stays_as_it_was(fake: FakeModelArts) -> None:
    dataset = fake.datasets[DATASET]
    dataset.publish_version("v1")
    frozen = get(fake, f"{SAMPLES}?version_id=v1")
    labels = get(fake, f"{BASE}/data-annotations/labels?version_id=v1")
    dataset.remove_sample(CAR)
    dataset.add_sample(EMPTY, [classification_label("now-labelled")])
    dataset.add_sample("new", [classification_label("new")])
    assert get(fake, f"{SAMPLES}?version_id=v1") == frozen
    assert get(fake, f"{BASE}/data-annotations/labels?version_id=v1") == labels
    live = get(fake, SAMPLES)[1]
    assert set(ids_of(live)) == {EMPTY, "new"}
    assert len(get(fake, f"{BASE}/data-annotations/labels")[1]["labels"]) == 4
    assert set(ids_of(get(fake, f"{SAMPLES}?version_id=v1&label_name=car")[1])) == {CAR}
    assert dataset.version_ids == ["v1"]
    with pytest.raises(ValueError, match="already published"):
        dataset.publish_version("v1")


# --- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "code"),
    [
        (f"/v2/{PROJECT}/datasets/nope", "ModelArts.4352"),
        (f"/v2/{PROJECT}/datasets/nope/data-annotations/samples", "ModelArts.4352"),
        (f"/v2/{PROJECT}/datasets/nope/data-annotations/samples/{CAR}", "ModelArts.4352"),
        (f"/v2/{PROJECT}/datasets/nope/data-annotations/labels", "ModelArts.4352"),
        (f"{SAMPLES}/unknown", "ModelArts.4420"),
        (f"{SAMPLES}?version_id=v9", "ModelArts.4353"),
        (f"{BASE}/data-annotations/labels?version_id=v9", "ModelArts.4353"),
        (f"{SAMPLES}?limit=0", "ModelArts.0104"),
        (f"{SAMPLES}?limit=101", "ModelArts.0104"),
        (f"{SAMPLES}?limit=ten", "ModelArts.0104"),
        (f"{SAMPLES}?offset=-1", "ModelArts.0104"),
        (f"{SAMPLES}?offset=1.5", "ModelArts.0104"),
        (f"{SAMPLES}?offset=%201", "ModelArts.0104"),
        (f"{SAMPLES}?order=up", "ModelArts.0104"),
        (f"{SAMPLES}?label_type=box", "ModelArts.0104"),
        (f"{SAMPLES}?sample_type=image", "ModelArts.0104"),
        (f"{BASE}/data-annotations/labels?limit=500", "ModelArts.0104"),
        (f"/v2/{PROJECT}/datasets?limit=101", "ModelArts.0104"),
        (f"/v2/{PROJECT}/datasets?order=DESC", "ModelArts.0104"),
        (f"/v2/{PROJECT}/datasets?sort_by=size", "ModelArts.0104"),
        (f"/v2/{PROJECT}/datasets?with_labels=yes", "ModelArts.0104"),
    ],
)
def test_v2_errors_are_http_400_without_is_success(fake: FakeModelArts, target: str, code: str) -> None:
    reply = fake.handle("GET", target, {}, b"")
    assert reply.status == 400
    body = json.loads(reply.body)
    assert set(body) == {"error_code", "error_msg"}
    assert body["error_code"] == code
    assert reply.headers["X-Request-Id"] == f"fake-{fake.request_count}"


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("POST", SAMPLES),
        ("DELETE", f"{SAMPLES}/{CAR}"),
        ("GET", f"{BASE}/versions/V1/extra"),
        ("GET", f"{BASE}/data-annotations"),
        ("GET", f"{SAMPLES}/{CAR}/extra"),
        ("GET", f"{BASE}/"),
        ("GET", f"/v2/{PROJECT}/jobs"),
        ("GET", "/v2/"),
    ],
)
def test_unknown_v2_apis_get_the_gateway_404(fake: FakeModelArts, method: str, target: str) -> None:
    reply = fake.handle(method, target, {}, b"")
    assert reply.status == 404
    assert json.loads(reply.body)["error_code"] == "APIG.0101"


def test_project_is_checked_when_given() -> None:
    fake = FakeModelArts(project_id="mine")
    fake.add_dataset(DATASET)
    assert get(fake, f"/v2/mine/datasets/{DATASET}")[0] == 200
    status, body = get(fake, f"/v2/other/datasets/{DATASET}")
    assert (status, body["error_code"], "is_success" in body) == (404, "ModelArts.0102", False)
    assert get(fake, "/v2/other/datasets")[0] == 404


def test_removed_sample_is_not_found(fake: FakeModelArts) -> None:
    fake.datasets[DATASET].remove_sample(CAR)
    assert get(fake, f"{SAMPLES}/{CAR}")[1]["error_code"] == "ModelArts.4420"
    assert fake.datasets[DATASET].sample_ids == [EMPTY]


# --- faults and recording -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "status"), [(Faults(p_503=1.0), 503), (Faults(p_429=1.0), 429), (Faults(p_malformed=1.0), 200)]
)
def test_faults_apply_to_v2_as_to_v1(fake: FakeModelArts, faults: Faults, status: int) -> None:
    fake.faults = faults
    reply = fake.handle("GET", SAMPLES, {}, b"")
    assert reply.status == status
    assert not reply.body.startswith(b'{"sample_count"')
    fake.faults = Faults(p_drop=1.0, latency=0.5)
    dropped = fake.handle("GET", f"{SAMPLES}/{CAR}", {}, b"")
    assert (dropped.drop, dropped.delay) == (True, 0.5)


def test_seeded_faults_hit_v1_and_v2_requests_alike(fake: FakeModelArts) -> None:
    def statuses(target: str) -> list[int]:
        fake.faults = Faults(p_503=0.3, p_drop=0.2, seed=5)
        return [-1 if r.drop else r.status for r in (fake.handle("GET", target, {}, b"") for _ in range(100))]

    v2 = statuses(SAMPLES)
    v1 = statuses("/v1/p/data-annotations/unknown/images/x/tags")
    assert [s for s in v2 if s != 200] == [s for s in v1 if s != 404]
    assert set(v2) == {-1, 200, 503}


def test_requests_are_recorded(fake: FakeModelArts) -> None:
    fake.handle("GET", f"{SAMPLES}?limit=5&offset=1", {}, b"")
    fake.handle("GET", f"{SAMPLES}/{CAR}", {}, b"")
    assert [(r.method, r.path) for r in fake.requests] == [("GET", SAMPLES), ("GET", f"{SAMPLES}/{CAR}")]


# --- over httpx: the in-process transport and a real server ---------------------------------------------------------


async def test_in_process_transport_passes_the_query_and_encoded_ids(fake: FakeModelArts) -> None:
    fake.datasets[DATASET].add_sample("ä sample+1", [classification_label("car")])
    async with httpx.AsyncClient(transport=fake.transport(), base_url=FAKE_ENDPOINT) as http:
        page = await http.get(SAMPLES, params={"limit": 1, "order": "asc", "label_name": "car"})
        odd = await http.get(f"{SAMPLES}/ä sample+1")
        bad = await http.get(SAMPLES, params={"limit": 1000})
    assert page.status_code == 200
    assert page.json()["sample_count"] == 2
    assert ids_of(page.json()) == [CAR]
    assert odd.json()["sample_id"] == "ä sample+1"
    assert (bad.status_code, bad.json()["error_code"]) == (400, "ModelArts.0104")


async def test_real_server_pages_a_generated_dataset(fake: FakeModelArts) -> None:
    fake.add_generated_dataset("gen", 120, seed=4)
    seen: list[str] = []
    async with fake.serve() as url, httpx.AsyncClient(base_url=url) as http:
        for offset in range(2):
            reply = await http.get(f"/v2/{PROJECT}/datasets/gen/data-annotations/samples?offset={offset}&limit=100")
            seen += ids_of(reply.json())
    assert sorted(seen) == sorted(generated_sample_ids(120, seed=4))


# --- generated datasets ---------------------------------------------------------------------------------------------


def every_body(fake: FakeModelArts, dataset: FakeDataset) -> list[bytes]:
    target = f"/v2/p/datasets/{dataset.dataset_id}/data-annotations/samples"
    return [fake.handle("GET", f"{target}/{sample_id}", {}, b"").body for sample_id in dataset.sample_ids]


def test_generated_datasets_are_deterministic_and_plausible() -> None:
    ids = generated_sample_ids(300, seed=3)
    assert len(set(ids)) == 300
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert ids == generated_sample_ids(300, seed=3) != generated_sample_ids(300, seed=4)
    fakes = FakeModelArts(), FakeModelArts()
    first, again = (fake.add_generated_dataset("d", 300, seed=3) for fake in fakes)
    assert first.sample_ids == ids
    assert every_body(fakes[0], first) == every_body(fakes[1], again)
    samples = [json.loads(body) for body in every_body(fakes[0], first)]
    shapes = {label["property"]["@modelarts:shape"] for s in samples for label in s["labels"]}
    assert shapes == {"bndbox", "polygon", "circle", "point", "line", "dashed", "polyline"}
    assert all(len(s["metadata"]["@modelarts:size"]) == 3 for s in samples)
    assert {s["sample_status"] for s in samples} == {"MANUAL_ANNOTATION", "UN_ANNOTATION", "AUTO_ANNOTATION"}
    assert len({s["sample_time"] for s in samples}) < 300  # ties exist, so the sample id must order them


def test_generated_classification_dataset() -> None:
    fake = FakeModelArts()
    fake.add_generated_dataset("c", 50, seed=1, kind="classification")
    info = get(fake, "/v2/p/datasets/c")[1]
    assert (info["dataset_type"], info["total_sample_count"], len(info["labels"])) == (0, 50, 10)
    samples = get(fake, "/v2/p/datasets/c/data-annotations/samples?limit=50")[1]["samples"]
    labels = [label for sample in samples for label in sample["labels"]]
    assert labels
    assert all(label["type"] == 0 and "@modelarts:shape" not in label["property"] for label in labels)
    with pytest.raises(ValueError, match="kind"):
        fake.add_generated_dataset("x", 1, kind="segmentation")  # type: ignore[arg-type]


def test_all_lists_the_public_names_of_the_testing_package() -> None:
    public = {
        name
        for name, value in vars(testing_module).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(testing_module.__all__) == public
    assert {"DEMO_DATASET_ID", "FakeDataset", "box_label", "classification_label", "shape_label"} <= public


@pytest.mark.parametrize("offset_mode", ["page", "record"])
def test_serve_command_serves_the_demo_dataset(offset_mode: str) -> None:
    command = [sys.executable, "-m", "modelarts_async.testing", "serve", "--port", "0", "--images", "7"]
    expected = FakeModelArts(offset_mode=offset_mode)  # type: ignore[arg-type]
    expected.add_generated_dataset(DEMO_DATASET_ID, 7)
    target = f"/v2/any/datasets/{DEMO_DATASET_ID}/data-annotations/samples?offset=1&limit=3"
    with subprocess.Popen([*command, "--offset-mode", offset_mode], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            served = httpx.get(f"{url}{target}").json()
            sources = [sample.pop("source") for sample in served["samples"]]
            wanted = get(expected, target)[1]
            for sample in wanted["samples"]:
                del sample["source"]  # signed when answered, on the host that answers
            assert served == wanted
            assert served["sample_count"] == 7
            assert all(source.startswith(f"{url}/obs/fake-bucket/{DEMO_DATASET_ID}/") for source in sources)
            image = httpx.get(sources[0])
            assert (image.status_code, image.content[:8]) == (200, b"\x89PNG\r\n\x1a\n")
        finally:
            proc.terminate()
            assert proc.wait(timeout=30) == 0
