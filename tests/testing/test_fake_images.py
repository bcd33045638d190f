"""The fake's OBS side: signed `source` URLs that expire, real PNG bytes, and a record of who asked."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import imagesize  # type: ignore[import-untyped]
import pytest

from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, box_label
from modelarts_async.testing._images import png_image

DATASET = "WxCREuCkBSAlQr9xrde"
CAR = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SAMPLE = f"/v2/{FAKE_PROJECT_ID}/datasets/{DATASET}/data-annotations/samples/{CAR}"


@pytest.fixture
def fake() -> FakeModelArts:
    fake = FakeModelArts()
    fake.add_dataset(DATASET, dataset_type=1).add_sample(
        CAR, [box_label("car", (1, 2, 3, 4))], metadata={"@modelarts:size": [300, 200, 3]}
    )
    return fake


def source_of(fake: FakeModelArts) -> str:
    reply = fake.handle("GET", SAMPLE, {}, b"")
    assert reply.status == 200
    source: str = json.loads(reply.body)["source"]
    return source


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk of a PNG, checking the signature and each CRC as a PNG decoder does."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
    return chunks


@pytest.mark.parametrize(("width", "height", "padding"), [(1, 1, 0), (300, 200, 0), (1920, 1080, 50_000)])
def test_images_are_valid_pngs_of_the_size_asked(width: int, height: int, padding: int) -> None:
    data = png_image(width, height, padding)
    assert imagesize.get(io.BytesIO(data)) == (width, height)
    chunks = dict(png_chunks(data))
    assert list(dict(png_chunks(data))) == [b"IHDR", *([b"fpAd"] if padding else []), b"IDAT", b"IEND"]
    assert struct.unpack(">II", chunks[b"IHDR"][:8]) == (width, height)
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (width + 1)  # one filter byte and width pixels a row
    assert len(data) >= padding


async def test_served_sources_point_at_the_server_and_serve_the_sample_image(fake: FakeModelArts) -> None:
    assert source_of(fake).startswith(f"https://obs.fake.invalid/obs/fake-bucket/{DATASET}/{CAR}.png?")
    async with fake.serve() as url, httpx.AsyncClient() as http:
        source = source_of(fake)
        assert source.startswith(f"{url}/obs/fake-bucket/{DATASET}/{CAR}.png?AccessKeyId=")
        reply = await http.get(source, headers={"X-Probe": "1"})
    assert source_of(fake).startswith("https://obs.fake.invalid/")  # back once the server stopped
    assert (reply.status_code, reply.headers["content-type"]) == (200, "image/png")
    assert imagesize.get(io.BytesIO(reply.content)) == (300, 200)
    [request] = fake.image_requests
    assert request.headers["x-probe"] == "1"  # names lower-cased: a test asserts what reached the image host
    # Image requests are kept apart: the three sample answers above are all the API saw.
    assert (fake.request_count, [r.path for r in fake.requests]) == (3, [SAMPLE] * 3)


def test_urls_expire_after_the_ttl_and_a_tampered_signature_is_refused(fake: FakeModelArts) -> None:
    path_and_query = source_of(fake).removeprefix("https://obs.fake.invalid")
    assert fake.handle("GET", path_and_query, {}, b"").status == 200
    query = dict(parse_qsl(urlsplit(path_and_query).query))
    assert 1800 <= int(query["Expires"]) - time.time() <= 3601
    assert source_of(fake) == source_of(fake)  # answers are equal within half the lifetime
    fake.image_url_ttl = 0
    expired = fake.handle("GET", source_of(fake).removeprefix("https://obs.fake.invalid"), {}, b"")
    assert (expired.status, b"Request has expired" in expired.body) == (403, True)
    tampered = path_and_query.replace(f"/{CAR}.png", "/other.png")
    assert fake.handle("GET", tampered, {}, b"").status == 403
    unsigned = path_and_query.partition("?")[0]
    assert fake.handle("GET", unsigned, {}, b"").status == 403


def test_an_image_whose_sample_is_gone_is_no_such_key(fake: FakeModelArts) -> None:
    path_and_query = source_of(fake).removeprefix("https://obs.fake.invalid")
    fake.datasets[DATASET].remove_sample(CAR)
    reply = fake.handle("GET", path_and_query, {}, b"")
    assert (reply.status, b"NoSuchKey" in reply.body) == (404, True)


def test_image_requests_need_no_credential_even_when_the_api_does(fake: FakeModelArts) -> None:
    fake.token = "tok"
    assert fake.handle("GET", SAMPLE, {}, b"").status == 401
    assert fake.handle("GET", SAMPLE, {"x-auth-token": "tok"}, b"").status == 200
    signed = source_of_with_token(fake)
    assert fake.handle("GET", signed, {}, b"").status == 200


def source_of_with_token(fake: FakeModelArts) -> str:
    reply = fake.handle("GET", SAMPLE, {"x-auth-token": "tok"}, b"")
    source: str = json.loads(reply.body)["source"]
    return source.removeprefix("https://obs.fake.invalid")


def test_versions_list_pages_and_refuses_a_limit_over_1000(fake: FakeModelArts) -> None:
    dataset = fake.datasets[DATASET]
    for n in range(3):
        dataset.publish_version(f"v{n}")
    base = f"/v2/{FAKE_PROJECT_ID}/datasets/{DATASET}/versions"

    def get(target: str) -> tuple[int, Any]:
        reply = fake.handle("GET", target, {}, b"")
        return reply.status, json.loads(reply.body)

    status, page = get(f"{base}?offset=1&limit=1")
    assert (status, page["total_number"], [v["version_id"] for v in page["versions"]]) == (200, 3, ["v1"])
    assert get(f"{base}?limit=1001")[0] == 400
    assert get(f"{base}/nope")[1]["error_code"] == "ModelArts.4353"
