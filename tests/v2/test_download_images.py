"""`client.download_images`: images from pre-signed `source` URLs into a folder, one result per sample.

Against the fake over real HTTP (its image URLs point at the served fake) and a scripted hostile server on
127.0.0.1 for bodies the fake never sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import attrs
import httpx
import imagesize  # type: ignore[import-untyped]
import pytest
from support.bulk import NO_BACKOFF
from support.servers import Request, answer, head, raw, refused_url, running

from modelarts_async import (
    ImageDownload,
    ImageDownloadError,
    InvalidArgumentError,
    ModelArtsClient,
    NotFoundError,
    RetryPolicy,
    Sample,
    TransportError,
)
from modelarts_async.auth import AKSKAuth, IAMPasswordAuth, TokenAuth
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, FakeReply, RecordedRequest, box_label
from modelarts_async.testing._images import png_image

DATASET = "WxCREuCkBSAlQr9xrde"
IDS = [f"{n:032x}" for n in range(1, 6)]
SIZES = [(64, 48), (32, 20), (100, 7), (5, 5), (640, 480)]

AK = "AKIDIMAGETESTKEY0001"
SK = "sk-IMAGE-test-SECRET-0123456789abcdef"
TOKEN = "token-IMAGE-test-SECRET-abcdef012345"
PASSWORD = "Pa55-IMAGE-w0rd-SECRET"
IAM_TOKEN = "iam-token-IMAGE-SECRET-fedcba9876"
HEADER_SECRET = "tenant-IMAGE-SECRET-42"
SECRETS = (AK, SK, TOKEN, PASSWORD, IAM_TOKEN, HEADER_SECRET)
#: All an image request may carry: none of them can hold a credential.
PLAIN_HEADERS = {"host", "accept", "accept-encoding", "user-agent"}

FLAVOURS = ["aksk", "token", "iam-password", "headers", "http-client"]


def add_dataset(fake: FakeModelArts, ids: Iterable[str] = IDS, sizes: Iterable[tuple[int, int]] = SIZES) -> None:
    dataset = fake.add_dataset(DATASET, dataset_type=1)
    for sample_id, (width, height) in zip(ids, sizes, strict=True):
        box = box_label("car", (1, 1, 3, 3))
        dataset.add_sample(sample_id, [box], metadata={"@modelarts:size": [width, height, 1]})


def iam_answers(url: str) -> Any:
    """An `on_request` hook that answers IAM's token request, so the fake stands in for IAM too."""

    async def hook(request: RecordedRequest) -> FakeReply | None:
        if request.path == "/v3/auth/tokens":
            return FakeReply(
                201, b'{"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}}', {"X-Subject-Token": IAM_TOKEN}
            )
        return None

    return hook


def flavoured(flavour: str, fake: FakeModelArts, url: str) -> ModelArtsClient:
    """A client of one auth flavour, always with a secret user header, and the fake checking its credential."""
    options: dict[str, Any] = {
        "project_id": FAKE_PROJECT_ID,
        "retry": NO_BACKOFF,
        "headers": {"X-Tenant": HEADER_SECRET},
    }
    if flavour == "aksk":
        fake.aksk = (AK, SK)
        return ModelArtsClient(url, auth=AKSKAuth(AK, SK), **options)
    if flavour == "token":
        fake.token = TOKEN
        return ModelArtsClient(url, auth=TokenAuth(TOKEN), **options)
    if flavour == "iam-password":
        fake.token = IAM_TOKEN
        fake.on_request = iam_answers(url)
        auth = IAMPasswordAuth(
            username="alice",
            password=PASSWORD,
            domain_name="acme",
            project_id=FAKE_PROJECT_ID,
            iam_endpoint=url,
        )
        return ModelArtsClient(url, auth=auth, **options)
    if flavour == "headers":
        fake.token = TOKEN
        options["headers"] = {**options["headers"], "X-Auth-Token": TOKEN}
        return ModelArtsClient(url, **options)
    assert flavour == "http-client"
    fake.token = TOKEN
    http = httpx.AsyncClient(headers={"X-Auth-Token": TOKEN, "Authorization": f"Bearer {SK}"}, cookies={"s": SK})
    return ModelArtsClient(url, http_client=http, **options)


async def collect(client: ModelArtsClient, samples: Any, out_dir: Path, **options: Any) -> list[ImageDownload]:
    async with client.download_images(samples, out_dir, dataset_id=DATASET, **options) as downloads:
        return [download async for download in downloads]


async def listed(client: ModelArtsClient) -> list[Sample]:
    async with client.list_samples(dataset_id=DATASET) as samples:
        return [sample async for sample in samples]


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def read(path: Path) -> bytes:
    return path.read_bytes()


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.rglob("*.part"))


@pytest.fixture
def fake() -> FakeModelArts:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    add_dataset(fake)
    return fake


@pytest.fixture
async def served(fake: FakeModelArts) -> AsyncIterator[str]:
    async with fake.serve() as url:
        yield url


# --- credentials never reach the image host --------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_image_requests_carry_no_credential_header_or_cookie(
    flavour: str, fake: FakeModelArts, served: str, tmp_path: Path
) -> None:
    client = flavoured(flavour, fake, served)
    try:
        results = await collect(client, client.list_samples(dataset_id=DATASET), tmp_path)
    finally:
        await client.aclose()
        if flavour == "http-client":
            await client._pipeline.sender._http.aclose()  # type: ignore[attr-defined]  # the user's to close
    assert [result.error for result in results] == [None] * len(IDS)
    assert len(fake.image_requests) == len(IDS)
    assert any(request.path.startswith("/v2/") for request in fake.requests)  # the calls did carry them (checked)
    for request in fake.image_requests:
        assert set(request.headers) <= PLAIN_HEADERS, request
        for value in request.headers.values():
            assert not any(secret in value for secret in SECRETS)


# --- what is written ----------------------------------------------------------------------------------------------


async def test_each_sample_gets_its_image_named_by_id_with_its_size(served: str, tmp_path: Path) -> None:
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID) as client:
        results = await collect(client, client.list_samples(dataset_id=DATASET), tmp_path / "images")
    by_id = {result.sample.sample_id: result for result in results}
    assert sorted(by_id) == sorted(IDS)
    for sample_id, size in zip(IDS, SIZES, strict=True):
        result = by_id[sample_id]
        assert result.ok
        assert result.path == (tmp_path / "images" / f"{sample_id}.png").absolute()
        assert result.path.is_absolute()
        assert (result.width, result.height) == size
        assert imagesize.get(result.path) == size  # the file is the image the header reader sees
    assert names(tmp_path / "images") == sorted(f"{i}.png" for i in IDS)


async def test_size_comes_from_the_file_header_when_the_sample_has_none(
    fake: FakeModelArts, served: str, tmp_path: Path
) -> None:
    fake.datasets[DATASET].add_sample("f" * 32, [], metadata={})
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID) as client:
        sample = await client.get_sample(dataset_id=DATASET, sample_id="f" * 32)
        [result] = await collect(client, [sample], tmp_path)
    assert sample.size is None
    assert (result.ok, result.width, result.height) == (True, 64, 48)  # the fake's default image


async def test_a_file_already_there_is_not_fetched_again(fake: FakeModelArts, served: str, tmp_path: Path) -> None:
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID) as client:
        samples = await listed(client)
        first = await collect(client, samples, tmp_path)
        (tmp_path / f"{IDS[0]}.png").write_bytes(png_image(9, 9))  # someone's own copy: kept as it is
        fake.image_requests.clear()
        second = await collect(client, samples, tmp_path)
    assert fake.image_requests == []
    assert sorted(r.path for r in first if r.path) == sorted(r.path for r in second if r.path)
    assert all(result.ok for result in second)
    assert (tmp_path / f"{IDS[0]}.png").read_bytes() == png_image(9, 9)


async def test_a_listing_is_read_lazily_and_an_async_generator_works(served: str, tmp_path: Path) -> None:
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID) as client:
        samples = await listed(client)

        async def generate() -> AsyncIterator[Sample]:
            for sample in samples:
                yield sample

        results = await collect(client, generate(), tmp_path, concurrency=2)
    assert sorted(result.sample.sample_id for result in results if result.ok) == sorted(IDS)


# --- expired URLs ---------------------------------------------------------------------------------------------------


async def test_an_expired_url_is_refreshed_once_by_fetching_the_sample_again(
    fake: FakeModelArts, served: str, tmp_path: Path
) -> None:
    fake.image_url_ttl = -60  # the listing hands out URLs that have already expired
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID, retry=NO_BACKOFF) as client:
        samples = await listed(client)
        fake.image_url_ttl = 3600  # fetching a sample again gives a fresh URL
        fake.requests.clear()
        results = await collect(client, samples, tmp_path)
    assert all(result.ok for result in results)
    refetched = sorted(request.path.rpartition("/")[2] for request in fake.requests)
    assert refetched == sorted(IDS)  # one get_sample per sample, no more
    assert len(fake.image_requests) == 2 * len(IDS)


async def test_a_url_that_expires_again_is_an_error_result(fake: FakeModelArts, served: str, tmp_path: Path) -> None:
    fake.image_url_ttl = -60
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID, retry=NO_BACKOFF) as client:
        results = await collect(client, await listed(client), tmp_path)
    assert len(results) == len(IDS)
    for result in results:
        assert isinstance(result.error, ImageDownloadError)
        assert result.error.status_code == 403
        assert "twice" in str(result.error)
        assert result.path is None
    assert len(fake.image_requests) == 2 * len(IDS)  # the first URL and the fresh one, each once
    assert names(tmp_path) == []


async def test_a_sample_gone_when_refreshed_is_its_not_found_error(
    fake: FakeModelArts, served: str, tmp_path: Path
) -> None:
    fake.image_url_ttl = -60
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID, retry=NO_BACKOFF) as client:
        samples = await listed(client)
        fake.datasets[DATASET].remove_sample(samples[0].sample_id)
        results = await collect(client, samples[:1], tmp_path)
    error = results[0].error
    assert isinstance(error, NotFoundError)
    assert not isinstance(error.__context__, Exception) or error.__suppress_context__  # no chain to the 403


# --- bad input: each an error result, and the run goes on -------------------------------------------------------------

GB2 = 2 * 1024**3


def hostile_route(request: Request) -> Any:
    path = request.path
    if path.startswith("/html"):
        return answer(200, b"<html><body>AccessDenied</body></html>", {"Content-Type": "image/png"})
    if path.startswith("/huge"):
        return raw(head(200, [("Content-Type", "image/png"), ("Content-Length", str(GB2))]) + png_image(8, 8))
    if path.startswith("/chunked"):  # no Content-Length: the cap stops the reading
        chunk = png_image(8, 8, 40_000)
        body = b"".join(b"%x\r\n%b\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
        return raw(head(200, [("Content-Type", "image/png"), ("Transfer-Encoding", "chunked")]) + body)
    if path.startswith("/noext"):
        return answer(200, png_image(3, 4), {"Content-Type": "image/png"})
    return answer(404, b"<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"})


SIGNED = "?AccessKeyId=AKSECRETVALUE&Expires=9999999999&Signature=SIGSECRETVALUE&x-obs-security-token=TOKSECRET"


async def test_bad_samples_are_error_results_and_the_good_ones_still_download(served: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    refused = await refused_url()
    async with running() as hostile, ModelArtsClient(served, project_id=FAKE_PROJECT_ID, retry=NO_BACKOFF) as client:
        hostile.route(hostile_route)
        good = await listed(client)
        bad = {
            "file": Sample("1" * 32, source="file:///etc/passwd"),
            "ftp": Sample("2" * 32, source=f"ftp://127.0.0.1/x.png{SIGNED}"),
            "no-source": Sample("3" * 32),
            "not-image": Sample("4" * 32, source=f"{hostile.url}/html/x.png{SIGNED}"),
            "2GB": Sample("5" * 32, source=f"{hostile.url}/huge/x.png{SIGNED}"),
            "over-cap": Sample("6" * 32, source=f"{hostile.url}/chunked/x.png{SIGNED}"),
            "missing": Sample("7" * 32, source=f"{hostile.url}/gone/x.png{SIGNED}"),
            "refused": Sample("8" * 32, source=f"{refused}/x.png{SIGNED}"),
            "dot-dot": Sample("..", source=f"{hostile.url}/noext{SIGNED}"),
            "escape": Sample("../escape", source=f"{hostile.url}/noext{SIGNED}"),
            "slash": Sample("a/b", source=f"{hostile.url}/noext{SIGNED}"),
            "hidden": Sample(".bashrc", source=f"{hostile.url}/noext{SIGNED}"),
            "absolute": Sample("/tmp/x", source=f"{hostile.url}/noext{SIGNED}"),
            "device": Sample("CON", source=f"{hostile.url}/noext{SIGNED}"),
            "not-a-sample": "0" * 32,
        }
        inputs = [good[0], *bad.values(), *good[1:]]
        results = await collect(client, inputs, out, max_image_bytes=100_000, concurrency=4)
    assert len(results) == len(inputs)
    by_input = {id(result.sample): result for result in results}
    assert all(by_input[id(sample)].ok for sample in good)
    for name, sample in bad.items():
        error = by_input[id(sample)].error
        expected = TransportError if name == "refused" else ImageDownloadError
        assert isinstance(error, expected), (name, error)
        for secret in ("AKSECRETVALUE", "SIGSECRETVALUE", "TOKSECRET"):
            assert secret not in str(error), (name, error)
            assert secret not in repr(error.args), (name, error)
        assert error.__cause__ is None
        assert error.__context__ is None  # kept even under `from None`: aiohttp's request_info has the signed URL
    assert "2147483648 bytes" in str(by_input[id(bad["2GB"])].error)
    assert "not an image" in str(by_input[id(bad["not-image"])].error)
    assert names(tmp_path) == ["out"]  # nothing written outside out_dir
    assert names(out) == sorted(f"{s.sample_id}.png" for s in good)


def failing_then_image(failures: dict[str, list[int]]) -> Any:
    """An image host answering each path's listed statuses in turn (0: drop the connection), then its PNG."""

    def route(request: Request) -> Any:
        left = failures.setdefault(request.path, [])
        if not left:
            return answer(200, png_image(3, 4), {"Content-Type": "image/png"})
        status = left.pop(0)
        if status == 0:
            return raw(b"")  # the connection closes without an answer
        return answer(status, b"<Error><Code>SlowDown</Code></Error>", {"Content-Type": "application/xml"})

    return route


async def test_a_busy_or_failing_image_host_is_tried_again_with_the_clients_backoff(tmp_path: Path) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    failures = {"/busy.png": [503, 429, 502], "/down.png": [500] * 9, "/gone.png": [404], "/bad.png": [400]}
    failures["/drop.png"] = [0] * 9  # the connection closes without an answer, every time
    retry = RetryPolicy(max_attempts=4, initial_backoff=0.5, max_backoff=1.0, sleep=sleep)
    names = ("busy", "down", "gone", "bad", "drop")
    async with running() as hostile, ModelArtsClient(hostile.url, project_id="p", retry=retry) as client:
        hostile.route(failing_then_image(failures))
        samples = [Sample(f"{name:0>32}", source=f"{hostile.url}/{name}.png{SIGNED}") for name in names]
        busy, down, gone, bad, drop = await collect(client, samples, tmp_path, concurrency=1)
        gets = {name: [request.path for request in hostile.requests].count(f"/{name}.png") for name in names}
    assert busy.ok  # after a 503, a 429 and a 502
    assert busy.path == tmp_path / f"{'busy':0>32}.png"
    statuses = [getattr(result.error, "status_code", None) for result in (down, gone, bad)]
    assert all(isinstance(result.error, ImageDownloadError) for result in (down, gone, bad))
    assert statuses == [500, 404, 400]
    assert isinstance(drop.error, TransportError)
    assert (gets["busy"], gets["down"], gets["gone"], gets["bad"]) == (4, 4, 1, 1)  # max_attempts, or 1: final
    assert 4 <= gets["drop"] <= 8  # aiohttp itself may send a GET again once when a reused connection drops
    assert len(waits) == 9  # 3 each for busy, down and drop
    assert all(0 <= wait <= 1.0 for wait in waits)  # the policy's backoff
    assert leftovers(tmp_path) == []


async def test_the_extension_comes_from_the_content_type_when_the_path_has_none(tmp_path: Path) -> None:
    async with running() as hostile, ModelArtsClient(hostile.url, project_id="p") as client:
        hostile.route(hostile_route)
        [result] = await collect(client, [Sample("a" * 32, source=f"{hostile.url}/noext{SIGNED}")], tmp_path)
    assert result.path == tmp_path / f"{'a' * 32}.png"
    assert (result.width, result.height) == (3, 4)


async def test_leaving_early_cancels_downloads_and_leaves_no_part_file(tmp_path: Path) -> None:
    async def trickle(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(
            head(200, [("Content-Type", "image/png"), ("Content-Length", "10000000")]) + png_image(8, 8, 2_000_000)
        )
        await writer.drain()
        await asyncio.sleep(30)

    samples = [Sample(f"{n:032x}", source=f"URL/slow/{n}.png") for n in range(4)]
    async with running() as hostile, ModelArtsClient(hostile.url, project_id="p") as client:
        hostile.route(lambda request: trickle)
        samples = [attrs.evolve(sample, source=f"{hostile.url}/slow/{n}.png") for n, sample in enumerate(samples)]
        async with client.download_images(samples, tmp_path, dataset_id=DATASET) as downloads:
            first = asyncio.ensure_future(anext(downloads))  # the run starts when the first result is asked for
            await hostile.wait_for_requests(len(samples))
            for _ in range(50):  # until the first megabyte went to a .part file
                if leftovers(tmp_path):
                    break
                await asyncio.sleep(0.02)
            assert leftovers(tmp_path)
            first.cancel()  # leave without a result
            with contextlib.suppress(asyncio.CancelledError):
                await first
    assert leftovers(tmp_path) == []
    assert names(tmp_path) == []


async def test_bad_arguments_raise_at_the_call(served: str, tmp_path: Path) -> None:
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID) as client:
        with pytest.raises(InvalidArgumentError, match="max_image_bytes"):
            client.download_images([], tmp_path, dataset_id=DATASET, max_image_bytes=0)
        with pytest.raises(InvalidArgumentError, match="concurrency"):
            client.download_images([], tmp_path, dataset_id=DATASET, concurrency=0)
        with pytest.raises(InvalidArgumentError, match="dataset_id"):
            client.download_images([], tmp_path, dataset_id="a/b")
        with pytest.raises(InvalidArgumentError, match="out_dir"):
            client.download_images([], 42, dataset_id=DATASET)  # type: ignore[arg-type]


async def test_an_in_process_fake_gives_unreachable_urls_until_it_is_served(
    fake: FakeModelArts, tmp_path: Path
) -> None:
    async with fake.client() as client:
        [offline] = await collect(client, (await listed(client))[:1], tmp_path)
        assert isinstance(offline.error, TransportError)
        async with fake.serve():
            [online] = await collect(client, (await listed(client))[:1], tmp_path)
    assert online.ok
    assert online.path is not None
    assert imagesize.get(io.BytesIO(read(online.path))) == SIZES[IDS.index(online.sample.sample_id)]


async def test_a_stream_dropped_without_aclose_still_closes_its_image_connections(served: str, tmp_path: Path) -> None:
    async with ModelArtsClient(served, project_id=FAKE_PROJECT_ID) as client:
        samples = await listed(client)
        downloads = client.download_images(samples, tmp_path, dataset_id=DATASET, concurrency=2)
        await anext(downloads)
        task = downloads._task
        assert task is not None
        del downloads  # no aclose(), no `async with`: garbage collection cancels the run
        gc.collect()
        await asyncio.wait({task}, timeout=5)
    assert task.done()
    gc.collect()  # an unclosed aiohttp session or connector would warn here, and warnings are errors in this suite
