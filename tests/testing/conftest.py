"""Fixtures for the fake's tests: a fake with one classification and one detection job."""

from __future__ import annotations

import pytest
from fake_jobs import BOXES, CAT, CLS_JOB, DET_JOB

from modelarts_async import DetectionTag
from modelarts_async.testing import FakeModelArts


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
