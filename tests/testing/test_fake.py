"""The fake answers like the documented service, in-process and over real HTTP, and injects reproducible faults."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from support.constants import IMAGE, JOB

from modelarts_async import (
    AuthenticationError,
    DetectionTag,
    ImageInfo,
    ModelArtsClient,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    TransportError,
)
from modelarts_async.testing import (
    FAKE_ENDPOINT,
    FAKE_PROJECT_ID,
    FakeModelArts,
    FakeReply,
    Faults,
    RecordedRequest,
    generated_image_ids,
)

PROJECT = FAKE_PROJECT_ID
#: The fixture's jobs: a classification job holding CAT, and a detection job holding BOXES.
CLS_JOB, CAT = JOB, IMAGE
DET_JOB, BOXES = "283", "1a2b3c"


@pytest.fixture
def fake(fake_modelarts: FakeModelArts) -> FakeModelArts:
    """The plugin's fixture with two jobs (it also proves the pytest11 entry point is registered)."""
    fake_modelarts.add_job(CLS_JOB, "classification").add_image(CAT, ["animal", "fish"])
    fake_modelarts.add_job(DET_JOB, "detection").add_image(
        BOXES,
        [DetectionTag("flower", (10, 0, 100, 100)), {"tag": "leaf", "pos": [[0, 10], [50, 95]]}],
        size=(1920, 1080),
    )
    return fake_modelarts


@asynccontextmanager
async def client_for(fake: FakeModelArts, mode: str) -> AsyncIterator[ModelArtsClient]:
    """A client making one attempt per call, so each fault reaches the test as it was sent."""
    if mode == "in-process":
        async with fake.client(max_attempts=1) as client:
            yield client
    else:
        async with fake.serve() as url, ModelArtsClient(url, project_id=PROJECT, max_attempts=1) as client:
            yield client


MODES = pytest.mark.parametrize("mode", ["in-process", "http"])


@MODES
async def test_answers_classification_and_detection(fake: FakeModelArts, mode: str) -> None:
    async with client_for(fake, mode) as client:
        cat = await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)
        boxes = await client.get_image_info_by_id(data_annotation_id=DET_JOB, image_id=BOXES)
    assert cat == ImageInfo(CAT, ("animal", "fish"))
    assert boxes == ImageInfo(
        BOXES, (DetectionTag("flower", (10, 0, 100, 100)), DetectionTag("leaf", ((0, 10), (50, 95)))), (1920, 1080)
    )


@MODES
@pytest.mark.parametrize(("job", "image"), [(CLS_JOB, "nope"), ("999", CAT)])
async def test_unknown_job_or_image_is_not_found(fake: FakeModelArts, mode: str, job: str, image: str) -> None:
    async with client_for(fake, mode) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.get_image_info_by_id(data_annotation_id=job, image_id=image)
    assert caught.value.error_code == "ModelArts.0102"
    assert caught.value.request_id is not None


def wire(fake: FakeModelArts, method: str, path: str, body: bytes = b"") -> tuple[int, object]:
    reply = fake.handle(method, path, {}, body)
    return reply.status, json.loads(reply.body)


def test_wire_shapes_are_the_documented_ones(fake: FakeModelArts) -> None:
    base = f"/v1/{PROJECT}/data-annotations"
    assert wire(fake, "GET", f"{base}/{CLS_JOB}/images/{CAT}/tags") == (
        200,
        {"is_success": True, "image_id": CAT, "tags": ["animal", "fish"]},
    )
    assert wire(fake, "GET", f"{base}/{DET_JOB}/images/{BOXES}/tags") == (
        200,
        {
            "is_success": True,
            "tags": [{"tag": "flower", "pos": [10, 0, 100, 100]}, {"tag": "leaf", "pos": [[0, 10], [50, 95]]}],
            "size": [1920, 1080],
        },
    )
    body = json.dumps({"image_id": [CAT, "unknown"]}).encode()
    assert wire(fake, "POST", f"{base}/{CLS_JOB}/tags/show", body) == (
        200,
        {"is_success": True, "images_tags": [{"image_id": CAT, "tags": ["animal", "fish"]}]},
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", f"/v1/{PROJECT}/data-annotations/{CLS_JOB}/tags/show", b'{"image_id": "x"}', 400, "ModelArts.0104"),
        ("POST", f"/v1/{PROJECT}/data-annotations/{CLS_JOB}/tags/show", b"not json", 400, "ModelArts.0104"),
        ("POST", f"/v1/{PROJECT}/data-annotations/999/tags/show", b'{"image_id": []}', 404, "ModelArts.0102"),
        ("DELETE", f"/v1/{PROJECT}/data-annotations/{CLS_JOB}/images/{CAT}/tags", b"", 404, "APIG.0101"),
        ("GET", "/v2/x/nowhere", b"", 404, "APIG.0101"),
    ],
)
def test_bad_requests_get_is_success_false(
    fake: FakeModelArts, method: str, path: str, body: bytes, status: int, code: str
) -> None:
    got_status, data = wire(fake, method, path, body)
    assert got_status == status
    assert isinstance(data, dict)
    assert data["is_success"] is False
    assert data["error_code"] == code


def test_project_is_checked_when_given() -> None:
    fake = FakeModelArts(project_id="mine")
    fake.add_job("1").add_image("a", ["x"])
    assert wire(fake, "GET", "/v1/mine/data-annotations/1/images/a/tags")[0] == 200
    assert wire(fake, "GET", "/v1/other/data-annotations/1/images/a/tags")[0] == 404


async def test_percent_encoded_ids_round_trip(fake_modelarts: FakeModelArts) -> None:
    fake_modelarts.add_job("job 1").add_image("ä image+1", ["x"])
    async with fake_modelarts.client() as client:
        info = await client.get_image_info_by_id(data_annotation_id="job 1", image_id="ä image+1")
    assert info.labels == ("x",)


async def test_token_is_required_when_set(fake: FakeModelArts) -> None:
    fake.token = "secret-token"
    async with fake.client() as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)
        assert caught.value.error_code == "APIG.0301"
    async with fake.client(headers={"X-Auth-Token": "secret-token"}) as client:
        assert (await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)).labels
    assert "secret-token" not in repr(fake)


def outcomes(fake: FakeModelArts, n: int) -> list[int]:
    path = f"/v1/{PROJECT}/data-annotations/{CLS_JOB}/images/{CAT}/tags"
    return [-1 if r.drop else r.status for r in (fake.handle("GET", path, {}, b"") for _ in range(n))]


def test_faults_are_reproducible_for_a_seed(fake: FakeModelArts) -> None:
    faults = Faults(p_drop=0.1, p_503=0.2, p_429=0.2, p_malformed=0.1, seed=7)
    fake.faults = faults
    first = outcomes(fake, 200)
    fake.faults = faults
    assert outcomes(fake, 200) == first
    assert set(first) == {-1, 200, 429, 503}
    fake.faults = Faults(seed=7)
    assert set(outcomes(fake, 50)) == {200}


@pytest.mark.parametrize("bad", [{"p_503": 1.5}, {"p_503": 0.6, "p_429": 0.6}, {"latency": -1.0}])
def test_fault_settings_are_checked(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        Faults(**bad)


@MODES
@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(p_503=1.0), ServerError),
        (Faults(p_429=1.0, retry_after=2.5), RateLimitError),
        (Faults(p_malformed=1.0), ResponseValidationError),
        (Faults(p_drop=1.0), TransportError),
    ],
)
async def test_each_fault_reaches_the_client_as_its_typed_error(
    fake: FakeModelArts, mode: str, faults: Faults, error: type[Exception]
) -> None:
    fake.faults = faults
    async with client_for(fake, mode) as client:
        with pytest.raises(error) as caught:
            await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)
    if isinstance(caught.value, RateLimitError):
        assert caught.value.retry_after == 2.5


def test_latency_is_applied_to_every_answer(fake: FakeModelArts) -> None:
    fake.faults = Faults(latency=0.25)
    assert fake.handle("GET", "/nowhere", {}, b"").delay == 0.25


async def test_requests_are_recorded(fake: FakeModelArts) -> None:
    async with fake.client() as client:
        await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", f"/v1/{PROJECT}/data-annotations/{CLS_JOB}/images/{CAT}/tags")
    ]
    assert fake.request_count == 1


def test_recorded_requests_keep_the_query(fake: FakeModelArts) -> None:
    fake.handle("GET", f"/v2/{PROJECT}/datasets?limit=1&offset=2", {}, b"")
    assert fake.requests == [RecordedRequest("GET", f"/v2/{PROJECT}/datasets", b"", "limit=1&offset=2")]
    assert RecordedRequest("GET", "/", b"").query == ""  # built positionally as before `query` existed


# --- the on_request hook ----------------------------------------------------------------------------------------------


@MODES
async def test_the_hook_sees_every_request_and_none_lets_the_fake_answer(fake: FakeModelArts, mode: str) -> None:
    seen: list[RecordedRequest] = []

    async def note(request: RecordedRequest) -> None:
        seen.append(request)

    fake.on_request = note
    async with client_for(fake, mode) as client:
        info = await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)
    assert info.labels == ("animal", "fish")
    expected = RecordedRequest("GET", f"/v1/{PROJECT}/data-annotations/{CLS_JOB}/images/{CAT}/tags", b"", "")
    assert seen == fake.requests == [expected]
    assert fake.request_count == 1


@MODES
async def test_a_reply_from_the_hook_is_sent_as_is_and_recorded(fake: FakeModelArts, mode: str) -> None:
    throttled = b'{"error_code":"APIG.0308","error_msg":"slow down"}'

    async def throttle_the_first(request: RecordedRequest) -> FakeReply | None:
        if fake.request_count == 0:
            return FakeReply(429, throttled, {"Content-Type": "application/json", "Retry-After": "2"})
        return None

    fake.on_request = throttle_the_first
    fake.faults = Faults(p_503=1.0)  # what the fake answers itself; the hook's answer skips faults
    async with client_for(fake, mode) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)
        assert caught.value.retry_after == 2
        with pytest.raises(ServerError):
            await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)
    assert fake.request_count == len(fake.requests) == 2


async def test_a_hook_reply_is_counted_but_not_recorded_without_record() -> None:
    fake = FakeModelArts(record=False)

    async def answer(request: RecordedRequest) -> FakeReply:
        return FakeReply(204, b"", {})

    fake.on_request = answer
    assert (await fake.handle_async("GET", "/anything?x=1", {}, b"")).status == 204
    assert (fake.request_count, fake.requests) == (1, [])


@MODES
async def test_a_cancelled_call_cancels_the_hook(fake: FakeModelArts, mode: str) -> None:
    entered, cancelled = asyncio.Event(), asyncio.Event()

    async def hang(request: RecordedRequest) -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    fake.on_request = hang
    async with client_for(fake, mode) as client:
        call = asyncio.create_task(client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT))
        await asyncio.wait_for(entered.wait(), 10)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        # Over HTTP the client hangs up and the server cancels the handler; in-process it is the same task.
        await asyncio.wait_for(cancelled.wait(), 10)
    assert fake.requests == []


async def test_the_transport_passes_the_raw_target(fake: FakeModelArts) -> None:
    seen: list[RecordedRequest] = []

    async def note(request: RecordedRequest) -> None:
        seen.append(request)

    fake.on_request = note
    async with httpx.AsyncClient(transport=fake.transport(), base_url=FAKE_ENDPOINT) as http:
        await http.get(f"/v2/{PROJECT}/datasets", params={"limit": 1, "offset": 2})
    assert [(r.path, r.query) for r in seen] == [(f"/v2/{PROJECT}/datasets", "limit=1&offset=2")]


def test_generated_jobs_are_deterministic() -> None:
    ids = generated_image_ids(50, seed=3)
    assert len(set(ids)) == 50
    assert ids == generated_image_ids(50, seed=3)
    first, second = FakeModelArts(), FakeModelArts()
    for f in (first, second):
        f.add_generated_job("d", "detection", ids, seed=3)
    assert outcomes_bodies(first, ids) == outcomes_bodies(second, ids)


def outcomes_bodies(fake: FakeModelArts, ids: list[str]) -> list[bytes]:
    return [fake.handle("GET", f"/v1/p/data-annotations/d/images/{i}/tags", {}, b"").body for i in ids]


def test_tags_must_fit_the_job_kind(fake_modelarts: FakeModelArts) -> None:
    with pytest.raises(TypeError, match="label names"):
        fake_modelarts.add_job("c", "classification").add_image("a", [DetectionTag("x", (1, 2, 3, 4))])
    with pytest.raises(TypeError, match="DetectionTag"):
        fake_modelarts.add_job("d", "detection").add_image("a", ["x"])


async def test_removed_image_is_not_found(fake: FakeModelArts) -> None:
    fake.jobs[CLS_JOB].remove_image(CAT)
    async with fake.client() as client:
        with pytest.raises(NotFoundError):
            await client.get_image_info_by_id(data_annotation_id=CLS_JOB, image_id=CAT)


def test_serve_command_prints_its_url_and_answers() -> None:
    command = [sys.executable, "-m", "modelarts_async.testing", "serve", "--port", "0", "--images", "5"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            image = generated_image_ids(5)[0]
            reply = httpx.get(f"{url}/v1/any/data-annotations/demo-classification/images/{image}/tags")
            assert reply.json()["image_id"] == image
        finally:
            proc.terminate()
            assert proc.wait(timeout=30) == 0
