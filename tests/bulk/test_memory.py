"""Memory of a bulk run stays flat however many ids flow through it (tracemalloc peaks at two input sizes)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from modelarts_async import ModelArtsClient

pytestmark = pytest.mark.slow  # streams large inputs to show the peak does not grow


def _answer(request: httpx.Request) -> httpx.Response:
    if request.method == "POST":
        ids = json.loads(request.content)["image_id"]
        return httpx.Response(
            200, json={"is_success": True, "images_tags": [{"image_id": i, "tags": ["x"]} for i in ids]}
        )
    return httpx.Response(200, json={"is_success": True, "tags": ["x"]})


def _ids(count: int) -> Iterator[str]:
    return (f"{n:032x}" for n in range(count))


async def _peak(count: int, batch_size: int | None) -> int:
    async with ModelArtsClient("http://fake", project_id="p", transport=httpx.MockTransport(_answer)) as client:
        await client.get_image_infos(["warm-up"], data_annotation_id="1")
        tracemalloc.start()
        try:
            done = 0
            async with client.iter_image_infos(
                _ids(count), data_annotation_id="1", concurrency=16, batch_size=batch_size
            ) as results:
                async for result in results:
                    done += result.ok
            assert done == count
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


@pytest.mark.parametrize(("small", "large", "batch_size"), [(500, 5_000, None), (5_000, 50_000, 100)])
async def test_memory_peak_does_not_grow_with_the_input(small: int, large: int, batch_size: int | None) -> None:
    small_peak = await _peak(small, batch_size)
    large_peak = await _peak(large, batch_size)
    # Ten times the ids must not cost noticeably more: anything proportional to the input would add megabytes.
    assert large_peak < small_peak * 1.25 + 64 * 1024, (small_peak, large_peak)
