"""Issue 11, item 12: the response cap counts decompressed bytes as they stream, so a compression bomb costs at most
about concurrency x cap of memory; and NaN/Infinity, which are not JSON, are refused.

Before the fix, 32 concurrent gzip bombs peaked at 617 MiB (aiohttp) and 1,095 MiB (httpx) with an 8 MiB cap.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import tracemalloc

import pytest
from support.servers import JOB, HostileServer, answer, compressed, gzipped

from hostile.senders import make_client
from modelarts_async import ResponseValidationError

CONCURRENT = 32
INFLATED = 100 * 1024 * 1024
CAP = 1024 * 1024
#: Generous (32 x 1 MiB would do), yet far below the 600-1,100 MiB the bombs cost before the fix.
PEAK_LIMIT = 200 * 1024 * 1024


@functools.cache
def bomb(encoding: str) -> bytes:
    """~100 KB that inflate to 100 MB."""
    return compressed(encoding, INFLATED)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_concurrent_compression_bombs_are_refused_in_bounded_memory(
    server: HostileServer, sender: str, encoding: str
) -> None:
    body = bomb(encoding)
    server.script(answer(200, body, {"Content-Encoding": encoding}))
    async with make_client(sender, server.url, max_response_bytes=CAP, max_attempts=1) as client:
        # Warm up (connection pool, lazy imports) outside the measurement; the warm-up gets a bomb too.
        with pytest.raises(ResponseValidationError):
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="warm-up")
        gc.collect()
        tracemalloc.start()
        try:
            outcomes = await asyncio.gather(
                *(client.get_image_info_by_id(data_annotation_id=JOB, image_id=f"img-{n}") for n in range(CONCURRENT)),
                return_exceptions=True,
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    for outcome in outcomes:
        assert isinstance(outcome, ResponseValidationError), repr(outcome)
        assert "larger than max_response_bytes" in str(outcome)
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    "body",
    [
        b'{"is_success": true, "image_id": "i", "tags": [{"tag": "car", "pos": [NaN, 0, 1, 1]}], "size": [2, 2]}',
        b'{"is_success": true, "image_id": "i", "tags": [{"tag": "car", "pos": [Infinity, 0, 1, 1]}]}',
        b'{"is_success": true, "image_id": "i", "tags": [{"tag": "car", "pos": [-Infinity, 0, 1, 1]}]}',
        b'{"is_success": true, "image_id": "i", "tags": [{"tag": "car", "pos": [1e400, 0, 1, 1]}]}',
        b'{"is_success": true, "image_id": "i", "tags": ["cat"], "size": [NaN, 1]}',
        b'{"is_success": true, "image_id": "i", "tags": ["cat"], "extra": NaN}',
    ],
    ids=["NaN", "Infinity", "-Infinity", "1e400", "size-NaN", "unknown-key-NaN"],
)
async def test_non_finite_numbers_are_refused(server: HostileServer, sender: str, body: bytes) -> None:
    batch = body.replace(b'"is_success": true, ', b"").join([b'{"images_tags": [', b"]}"])
    for answered, encoding in ((body, None), (batch, None), (gzipped(body), "gzip")):
        headers = {"Content-Encoding": encoding} if encoding else {}
        server.script(answer(200, answered, headers))
        async with make_client(sender, server.url, max_attempts=1) as client:
            if answered is batch:
                call = client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=["i"])
            else:
                call = client.get_image_info_by_id(data_annotation_id=JOB, image_id="i")
            with pytest.raises(ResponseValidationError):
                await call


CORRUPT = {
    "gzip-garbage": (b"\x1f\x8b\x08\x00garbage that is not deflate", "gzip"),
    "gzip-cut-off": (gzipped(b'{"is_success": true, "image_id": "i", "tags": []}')[:20], "gzip"),
    "deflate-garbage": (b"\xff\xfe not a zlib stream", "deflate"),
    "plain-json-said-gzip": (b'{"is_success": true, "image_id": "i", "tags": []}', "gzip"),
    "brotli-never-asked-for": (b"\x1b\x03\x00\xf8", "br"),
}


@pytest.mark.parametrize("case", list(CORRUPT))
async def test_a_body_that_does_not_decompress_is_a_validation_error(
    server: HostileServer, sender: str, case: str
) -> None:
    body, encoding = CORRUPT[case]
    server.script(answer(200, body, {"Content-Encoding": encoding}))
    async with make_client(sender, server.url, max_attempts=1) as client:
        with pytest.raises(ResponseValidationError, match="Content-Encoding"):
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="i")
