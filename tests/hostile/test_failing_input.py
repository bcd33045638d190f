"""Issue 11, item 7: an input that raises midway loses nothing: the results fetched before it failed are all
delivered, then the input's own error is raised."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from support.servers import JOB, HostileServer, Request, answer, batch_answer, image_answer

from hostile.senders import make_client
from modelarts_async import ImageResult, ImageResultStream

FETCHED = 30


class InputBroke(Exception):
    """What the user's input raises after `FETCHED` ids."""


async def _async_ids(error: InputBroke) -> AsyncIterator[str]:
    for n in range(FETCHED):
        yield f"img-{n}"
        await asyncio.sleep(0)
    raise error


def _sync_ids(error: InputBroke) -> Iterator[str]:
    for n in range(FETCHED):
        yield f"img-{n}"
    raise error


async def _slow_service(request: Request, writer: asyncio.StreamWriter) -> None:
    """Answers after a moment, so that most ids are still in flight when the input fails."""
    if request.path.endswith("/tags/show"):
        body = batch_answer(request.json()["image_id"])
    else:
        body = image_answer(request.image_id())
    await answer(200, body, delay=0.05)(request, writer)


async def _read_into(delivered: list[ImageResult], stream: ImageResultStream) -> None:
    """Append each result as it arrives, so that those before the input's error are kept when it is raised."""
    async with stream as results:
        async for result in results:
            delivered.append(result)


@pytest.mark.parametrize("source", ["async", "sync"])
@pytest.mark.parametrize("batch_size", [None, 4], ids=["single", "batch"])
@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
async def test_every_fetched_result_is_delivered_then_the_input_error(
    server: HostileServer, source: str, batch_size: int | None, ordered: bool
) -> None:
    server.route(lambda _request: _slow_service)
    error = InputBroke("the input broke")
    ids = _async_ids(error) if source == "async" else _sync_ids(error)
    delivered: list[ImageResult] = []
    async with make_client("aiohttp", server.url) as client:
        stream = client.iter_image_infos(
            ids, data_annotation_id=JOB, concurrency=64, batch_size=batch_size, ordered=ordered
        )
        with pytest.raises(InputBroke) as caught:
            await _read_into(delivered, stream)
    assert caught.value is error
    assert sorted(r.image_id for r in delivered) == sorted(f"img-{n}" for n in range(FETCHED))
    assert all(r.ok for r in delivered)
    if ordered:
        assert [r.image_id for r in delivered] == [f"img-{n}" for n in range(FETCHED)]


async def test_an_input_that_fails_at_once_raises_its_error(server: HostileServer) -> None:
    async def nothing() -> AsyncIterator[str]:
        raise InputBroke("no ids at all")
        yield "never"

    async with make_client("aiohttp", server.url) as client:
        with pytest.raises(InputBroke):
            await _read_into([], client.iter_image_infos(nothing(), data_annotation_id=JOB))
    assert not server.requests
