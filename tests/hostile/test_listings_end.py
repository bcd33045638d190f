"""Issue 17, items 3-6: a listing ends, within a stated number of requests, whatever the service says.

A scripted `FakeModelArts` served on 127.0.0.1 answers list requests the way a misbehaving service would: a full
page it already sent (offset ignored, or clamped to the last page), an inflated or absurd count, a labels endpoint
that ignores `offset`/`limit`, a sample added during the offset probe. Every test bounds its wall time, so that a
listing that would run forever fails instead of hanging, and counts the requests it took.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import Counter
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import pytest

from hostile.senders import make_client
from modelarts_async import ResponseValidationError, SampleListing
from modelarts_async._v2._pager import EXTRA_PAGES, PAGE_SIZE
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, FakeReply, RecordedRequest, classification_label

DATASET = "WxCREuCkBSAlQr9xrde"
SAMPLES = f"/v2/{FAKE_PROJECT_ID}/datasets/{DATASET}/data-annotations/samples"
LABELS = f"/v2/{FAKE_PROJECT_ID}/datasets/{DATASET}/data-annotations/labels"
#: Seconds a listing may take here before the test calls it endless (each ends in well under a second).
PATIENCE = 5.0

Script = Callable[[FakeModelArts, RecordedRequest], FakeReply | None]


def bound(observed: int) -> int:
    """The most list requests a listing of `observed` distinct records may make (the promise of `_pager`)."""
    return 2 * math.ceil(observed / PAGE_SIZE) + EXTRA_PAGES


class Counted:
    """An `on_request` hook counting list requests; `script` may answer one itself."""

    def __init__(self, fake: FakeModelArts, script: Script | None = None) -> None:
        self.fake = fake
        self.script = script
        self.lists = 0

    async def __call__(self, request: RecordedRequest) -> FakeReply | None:
        if request.path in (SAMPLES, LABELS):
            self.lists += 1
        return None if self.script is None else self.script(self.fake, request)


def answer(fake: FakeModelArts, request: RecordedRequest, **query: str | int) -> FakeReply:
    """What the fake answers to `request` with some of its query replaced."""
    params = {**dict(parse_qsl(request.query)), **{k: str(v) for k, v in query.items()}}
    return fake.handle(request.method, f"{request.path}?{urlencode(params)}", {}, request.body)


def first_page_ids(fake: FakeModelArts) -> list[str]:
    reply = fake.handle("GET", f"{SAMPLES}?offset=0&limit={PAGE_SIZE}", {}, b"")
    return [sample["sample_id"] for sample in json.loads(reply.body)["samples"]]


def rewrite(reply: FakeReply, change: Callable[[dict[str, object]], None]) -> FakeReply:
    data = json.loads(reply.body)
    change(data)
    return reply._replace(body=json.dumps(data).encode())


async def run_listing(listing: SampleListing, hook: Counted) -> list[str]:
    """Every sample id the listing yields; fails (saying the requests made) when it has not ended after PATIENCE."""
    ids: list[str] = []
    try:
        async with asyncio.timeout(PATIENCE), listing as samples:
            async for sample in samples:
                ids.append(sample.sample_id)
    except TimeoutError:
        pytest.fail(f"the listing did not end in {PATIENCE} s: {hook.lists} requests, {len(ids)} yielded")
    return ids


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "modelarts_async" and r.levelno == logging.WARNING]


# --- item 3: a repeated full page --------------------------------------------------------------------------------


def offset_ignored(fake: FakeModelArts, request: RecordedRequest) -> FakeReply | None:
    """Every list request gets the first page, whatever its offset."""
    return answer(fake, request, offset=0) if request.path == SAMPLES else None


def clamped_to_the_last_page(fake: FakeModelArts, request: RecordedRequest) -> FakeReply | None:
    """An offset past the end gets the last (full) page again, in either reading of offset."""
    if request.path != SAMPLES:
        return None
    query = dict(parse_qsl(request.query))
    offset, limit = int(query["offset"]), int(query["limit"])
    count = len(fake.datasets[DATASET].sample_ids)
    last = (count - 1) // limit
    if fake.offset_mode == "page":
        return answer(fake, request, offset=min(offset, last))
    return answer(fake, request, offset=min(offset, last * limit))


@pytest.mark.parametrize("offset_mode", ["auto", "page", "record"])
@pytest.mark.parametrize("script", [offset_ignored, clamped_to_the_last_page], ids=["ignored", "clamped"])
async def test_a_repeated_full_page_ends_the_listing(
    sender: str, caplog: pytest.LogCaptureFixture, offset_mode: str, script: Script
) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID, offset_mode="record" if offset_mode == "record" else "page")
    dataset = fake.add_generated_dataset(DATASET, 300, seed=3)
    hook = fake.on_request = Counted(fake, script)
    async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
        listing = client.list_samples(dataset_id=DATASET, offset_mode=offset_mode)  # type: ignore[arg-type]
        ids = await run_listing(listing, hook)

    assert len(ids) == len(set(ids))
    expected = first_page_ids(fake) if script is offset_ignored else dataset.sample_ids
    assert set(ids) == set(expected)
    assert hook.lists <= bound(len(ids))
    assert listing.stats.changed
    [warning] = warnings_of(caplog)
    assert "brought no new" in warning


# --- item 4: a count that lies -----------------------------------------------------------------------------------


def count_of(value: object) -> Script:
    def lie(fake: FakeModelArts, request: RecordedRequest) -> FakeReply | None:
        if request.path != SAMPLES:
            return None
        return rewrite(answer(fake, request), lambda data: data.__setitem__("sample_count", value))

    return lie


@pytest.mark.parametrize("offset_mode", ["auto", "page", "record"])
async def test_an_inflated_sample_count_is_not_believed(sender: str, offset_mode: str) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID, offset_mode="record" if offset_mode == "record" else "page")
    dataset = fake.add_generated_dataset(DATASET, 250, seed=4)
    hook = fake.on_request = Counted(fake, count_of(2**53 - 1))
    async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
        listing = client.list_samples(dataset_id=DATASET, offset_mode=offset_mode)  # type: ignore[arg-type]
        ids = await run_listing(listing, hook)
    assert Counter(ids) == Counter(dataset.sample_ids)
    assert hook.lists <= bound(250)


@pytest.mark.parametrize(
    "count",
    [10**20, 10**400, 2**53, -1, 1.5, "300", True],
    ids=["1e20", "400-digits", "2^53", "-1", "1.5", "str", "bool"],
)
async def test_a_count_that_is_not_a_small_non_negative_integer_fails_the_listing(sender: str, count: object) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.add_generated_dataset(DATASET, 250, seed=4)
    hook = fake.on_request = Counted(fake, count_of(count))
    async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
        with pytest.raises(ResponseValidationError, match=r"\$\.sample_count") as raised:
            await run_listing(client.list_samples(dataset_id=DATASET), hook)
    assert "offset 0" in str(raised.value)
    assert hook.lists == 1


# --- item 5: labels that ignore offset and limit ----------------------------------------------------------------


def labels_ignoring_paging(fake: FakeModelArts, request: RecordedRequest) -> FakeReply | None:
    """Every label at once, whatever `offset` and `limit` say, with a total one larger than what is sent."""
    if request.path != LABELS:
        return None
    labels = [{"name": f"label-{n:03d}", "type": 0, "property": {}} for n in range(150)]
    return FakeReply(200, json.dumps({"total_number": 151, "labels": labels}).encode(), {})


async def test_get_dataset_labels_ends_when_the_endpoint_ignores_offset_and_limit(sender: str) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.add_generated_dataset(DATASET, 10, seed=5)
    hook = fake.on_request = Counted(fake, labels_ignoring_paging)
    async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
        try:
            async with asyncio.timeout(PATIENCE):
                labels = await client.get_dataset_labels(dataset_id=DATASET)
        except TimeoutError:
            pytest.fail(f"get_dataset_labels did not return in {PATIENCE} s: {hook.lists} requests")
    assert [label.name for label in labels] == [f"label-{n:03d}" for n in range(150)]
    assert hook.lists <= 1 + bound(150)  # the unpaged call, then the listing


async def test_a_labels_total_of_400_digits_is_a_validation_error(sender: str) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    fake.add_generated_dataset(DATASET, 10, seed=5)

    def huge_total(fake: FakeModelArts, request: RecordedRequest) -> FakeReply | None:
        reply = labels_ignoring_paging(fake, request)
        return None if reply is None else rewrite(reply, lambda data: data.__setitem__("total_number", 10**400))

    fake.on_request = Counted(fake, huge_total)
    async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
        with pytest.raises(ResponseValidationError, match=r"\$\.total_number"):
            await client.get_dataset_labels(dataset_id=DATASET)


# --- item 6: the read-both-ways fallback -----------------------------------------------------------------------


def insert_during_the_probe(hook_of: Callable[[], Counted], inserted: int) -> Script:
    """Adds `inserted` samples, the newest (so the first listed), when the second list request (the probe) arrives."""

    def insert(fake: FakeModelArts, request: RecordedRequest) -> FakeReply | None:
        if request.path == SAMPLES and hook_of().lists == 2:
            for n in range(inserted):
                sample_id = f"inserted-{n:03d}"
                fake.datasets[DATASET].add_sample(sample_id, [classification_label("late")], sample_time=2**41 + n)
        return None

    return insert


@pytest.mark.parametrize("inserted", [1, 60])
@pytest.mark.parametrize("fake_mode", ["page", "record"])
async def test_reading_both_ways_costs_about_the_pages_not_a_request_per_record(
    sender: str, fake_mode: str, inserted: int
) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID, offset_mode=fake_mode)  # type: ignore[arg-type]
    before = fake.add_generated_dataset(DATASET, 2000, seed=6).sample_ids
    hook = Counted(fake)
    hook.script = insert_during_the_probe(lambda: hook, inserted)
    fake.on_request = hook
    async with fake.serve() as url, make_client(sender, url, project_id=FAKE_PROJECT_ID) as client:
        listing = client.list_samples(dataset_id=DATASET)
        ids = await run_listing(listing, hook)
    assert listing.stats.offset_mode == "both"
    assert len(ids) == len(set(ids))
    assert set(before) <= set(ids)  # a page index shifted by 60 is still read to the end
    assert hook.lists <= bound(2000 + inserted)
