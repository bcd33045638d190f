"""Fixtures of the sync client's tests: the fake, served over real HTTP from another thread, and a client for it.

The fake runs on a loop of its own: the sync client blocks the test's thread (and its loop, in async tests).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.threaded import serving_fake

from modelarts_async import SyncModelArtsClient
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts

JOB = "282"
DATASET = "WxCREuCkBSAlQr9xrde"
IMAGES = [f"img-{n}" for n in range(40)]
SAMPLE_COUNT = 250


@pytest.fixture
def fake() -> FakeModelArts:
    """A fake with one classification job of 40 images and one dataset of 250 samples."""
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    job = fake.add_job(JOB, "classification")
    for n, image_id in enumerate(IMAGES):
        job.add_image(image_id, ["cat" if n % 2 else "dog"])
    fake.add_generated_dataset(DATASET, SAMPLE_COUNT, seed=1)
    return fake


@pytest.fixture
def url(fake: FakeModelArts) -> Iterator[str]:
    with serving_fake(fake) as served:
        yield served


@pytest.fixture
def client(url: str) -> Iterator[SyncModelArtsClient]:
    with SyncModelArtsClient(url, project_id=FAKE_PROJECT_ID) as sync_client:
        yield sync_client
