"""The batch endpoint: get_image_info_by_ids, and bulk runs with batch_size (chunks, missing ids, splitting)."""

from __future__ import annotations

from typing import Any

import pytest
from support.bulk import bulk_tasks, labels_of, stock
from support.constants import JOB
from support.probe import Probe, json_reply

from modelarts_async import (
    AuthenticationError,
    ImageInfo,
    InvalidArgumentError,
    ModelArtsClient,
    NotFoundError,
    ResponseValidationError,
    ServerError,
)
from modelarts_async.testing import FakeJob, FakeReply


async def test_get_image_info_by_ids_calls_the_batch_endpoint(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    stock(job, ["a", "b"])
    infos = await client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=["a", "b"])
    assert infos == [ImageInfo("a", tuple(labels_of("a"))), ImageInfo("b", tuple(labels_of("b")))]
    assert probe.batches == [["a", "b"]]


async def test_get_image_info_by_ids_names_a_malformed_item(probe: Probe, client: ModelArtsClient) -> None:
    async def bad_fourth(ids: list[str]) -> FakeReply:
        items: list[dict[str, Any]] = [{"image_id": i, "tags": labels_of(i)} for i in ids]
        items[3]["tags"] = "oops"
        return json_reply(200, {"is_success": True, "images_tags": items})

    probe.on_batch = bad_fourth
    with pytest.raises(ResponseValidationError, match=r"\$\.images_tags\[3\]\.tags"):
        await client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=list("abcde"))


async def test_get_image_info_by_ids_checks_its_arguments(probe: Probe, client: ModelArtsClient) -> None:
    with pytest.raises(InvalidArgumentError, match="not one string"):
        await client.get_image_info_by_ids(data_annotation_id=JOB, image_ids="abc")
    with pytest.raises(InvalidArgumentError, match="image_id"):
        await client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=["ok", "a/b"])
    assert await client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=[]) == []
    assert probe.batches == []
    assert probe.arrivals == []


async def test_batch_size_sends_chunks_and_every_id_gets_its_labels(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    ids = [f"b{n}" for n in range(250)]
    stock(job, ids)
    results = await client.get_image_infos(ids, data_annotation_id=JOB, concurrency=3, batch_size=100)
    assert [r.image_id for r in results] == ids
    assert all(r.unwrap().labels == tuple(labels_of(r.image_id)) for r in results)
    assert sorted(len(b) for b in probe.batches) == [50, 100, 100]
    assert sorted(i for b in probe.batches for i in b) == sorted(ids)


async def test_ids_missing_from_a_batch_answer_are_not_found(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    # The fake leaves ids it does not know out of a batch answer, as the service does.
    stock(job, ["x1", "x2", "x3"])
    ids = ["x1", "gone1", "x2", "gone2", "x3", "a/b"]
    results = await client.get_image_infos(ids, data_annotation_id=JOB, batch_size=10)
    outcome = {r.image_id: r.error for r in results}
    assert isinstance(outcome["gone1"], NotFoundError)
    assert isinstance(outcome["gone2"], NotFoundError)
    assert isinstance(outcome["a/b"], InvalidArgumentError)  # never sent
    assert outcome["x1"] is outcome["x2"] is outcome["x3"] is None
    assert probe.batches == [["x1", "gone1", "x2", "gone2", "x3"]]


async def test_a_failed_batch_is_split_so_one_bad_id_does_not_fail_its_neighbours(
    probe: Probe, job: FakeJob, client: ModelArtsClient
) -> None:
    async def poisoned(ids: list[str]) -> FakeReply | None:
        if "poison" in ids:
            return json_reply(500, {"error_code": "ModelArts.0001", "error_msg": "internal"})
        return None

    probe.on_batch = poisoned
    ids = [f"n{n}" for n in range(31)]
    ids.insert(17, "poison")
    stock(job, ids)
    results = await client.get_image_infos(ids, data_annotation_id=JOB, concurrency=2, batch_size=32)
    assert [r.image_id for r in results] == ids
    for result in results:
        if result.image_id == "poison":
            assert isinstance(result.error, ServerError)
        else:
            assert result.ok, result
    # Halving isolates the bad id in about 2 x log2(32) distinct calls (each retried if `_call` retries).
    assert len({tuple(b) for b in probe.batches}) <= 2 * 5 + 1


async def test_a_malformed_item_fails_only_its_own_id(probe: Probe, client: ModelArtsClient) -> None:
    async def bad_item(ids: list[str]) -> FakeReply:
        items: list[Any] = [{"image_id": i, "tags": labels_of(i) if i != "bad" else [1]} for i in ids]
        return json_reply(200, {"is_success": True, "images_tags": items})

    probe.on_batch = bad_item
    results = await client.get_image_infos(["a", "bad", "c"], data_annotation_id=JOB, batch_size=3)
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, ResponseValidationError)
    assert "$.images_tags[1].tags" in str(results[1].error)
    assert len(probe.batches) == 1


async def test_authentication_failures_are_never_multiplied_by_splitting(probe: Probe, client: ModelArtsClient) -> None:
    async def reject(ids: list[str]) -> FakeReply:
        return json_reply(401, {"error_code": "APIG.0301", "error_msg": "bad signature"})

    probe.on_batch = reject
    results = await client.get_image_infos([f"a{n}" for n in range(20)], data_annotation_id=JOB, batch_size=20)
    assert all(isinstance(r.error, AuthenticationError) for r in results)
    assert len(probe.batches) == 1  # retries never repeat an authentication failure either
    assert not bulk_tasks()
