"""The fake every subprocess test talks to: a classification job with 40 images, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cli_run import IDS, JOB, PROJECT, Served

from modelarts_async.testing import FakeModelArts


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    """A classification job with 40 images, served over HTTP to the subprocesses."""
    fake = FakeModelArts(project_id=PROJECT, record=False)
    fake.add_generated_job(JOB, "classification", IDS, seed=1)
    async with fake.serve() as url:
        yield Served(fake, url)
