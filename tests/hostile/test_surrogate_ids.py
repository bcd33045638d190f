"""Issue 11, item 5: an id with a lone surrogate (`os.fsdecode` of a name that is not UTF-8) is one bad id.

A single call raises `InvalidArgumentError` before sending; in a bulk run, in either mode, that id gets a failed
result and every other id its own result.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.servers import JOB, HostileServer

from hostile.senders import make_client
from modelarts_async import InvalidArgumentError

SURROGATE = "\udcff"
IDS = [f"img-{n}" for n in range(21)]
IDS_WITH_SURROGATES = [*IDS[:15], SURROGATE, *IDS[15:], "name-" + SURROGATE + ".jpg"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"image_id": SURROGATE},
        {"image_id": "ok", "data_annotation_id": SURROGATE},
        {"image_id": "ok", "project_id": SURROGATE},
    ],
    ids=["image_id", "data_annotation_id", "project_id"],
)
async def test_a_single_call_with_a_surrogate_raises_invalid_argument_before_sending(
    server: HostileServer, sender: str, arguments: dict[str, str]
) -> None:
    async with make_client(sender, server.url) as client:
        with pytest.raises(InvalidArgumentError, match="lone surrogate"):
            await client.get_image_info_by_id(**{"data_annotation_id": JOB, **arguments})
        with pytest.raises(InvalidArgumentError, match="lone surrogate"):
            await client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=["ok", SURROGATE])
    assert not server.requests


async def _async_ids(ids: list[str]) -> AsyncIterator[str]:
    for image_id in ids:
        yield image_id


@pytest.mark.parametrize("batch_size", [None, 4], ids=["single", "batch"])
@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
@pytest.mark.parametrize("source", ["list", "async"])
async def test_a_bulk_run_fails_only_the_surrogate_ids_and_goes_on(
    server: HostileServer, sender: str, batch_size: int | None, ordered: bool, source: str
) -> None:
    ids = IDS_WITH_SURROGATES
    async with make_client(sender, server.url) as client:
        stream = client.iter_image_infos(
            ids if source == "list" else _async_ids(ids),
            data_annotation_id=JOB,
            batch_size=batch_size,
            ordered=ordered,
            concurrency=4,
        )
        async with stream as results:
            outcomes = {result.image_id: result async for result in results}
    assert len(outcomes) == len(ids)
    for image_id in IDS:
        assert outcomes[image_id].ok, outcomes[image_id]
        assert outcomes[image_id].unwrap().labels == ("cat",)
    for image_id in set(ids) - set(IDS):
        assert isinstance(outcomes[image_id].error, InvalidArgumentError)
    sent = (
        [r.image_id() for r in server.requests]
        if batch_size is None
        else [i for r in server.requests for i in r.json()["image_id"]]
    )
    assert sorted(sent) == sorted(IDS), "the bad ids were never sent"


async def test_get_image_infos_keeps_the_input_order_around_a_surrogate(server: HostileServer, sender: str) -> None:
    async with make_client(sender, server.url) as client:
        for batch_size in (None, 4):
            results = await client.get_image_infos(IDS_WITH_SURROGATES, data_annotation_id=JOB, batch_size=batch_size)
            assert [r.image_id for r in results] == IDS_WITH_SURROGATES
            assert [r.ok for r in results] == [i in IDS for i in IDS_WITH_SURROGATES]
