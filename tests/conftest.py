"""Shared fixtures: a respx router at the HTTP boundary, and a real scripted loopback HTTP server on 127.0.0.1.

Helpers that tests import live in `support/` (on `sys.path` through pyproject's `pythonpath`), never here.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from hypothesis import settings
from support.servers import HostileServer, running

# Hypothesis' example database is a folder in the working directory (the repository), which parallel workers would
# share; a failing example is printed with the failure anyway.
settings.register_profile("isolated", database=None)
settings.load_profile("isolated")


@pytest.fixture
def router() -> respx.Router:
    """A respx router to pass as `transport=httpx.MockTransport(router.async_handler)`."""
    return respx.Router(assert_all_called=False)


@pytest.fixture
def mock_transport(router: respx.Router) -> httpx.MockTransport:
    return httpx.MockTransport(router.async_handler)


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    """A loopback server on a free port that answers like the service until the test scripts it otherwise."""
    async with running() as loopback:
        yield loopback


def pytest_configure(config: pytest.Config) -> None:
    """Under `.ci/run`, coverage measures the processes that run tests, never the commands the tests start.

    `.ci/run` sets COVERAGE_PROCESS_START, so every Python process would start measuring: a measured command runs
    slower and writes a data file at exit, which a test limiting its file size (RLIMIT_FSIZE) sees fail. Only the
    xdist controller keeps the variable, for the workers it starts.
    """
    starts_workers = config.getoption("dist", default="no") != "no" and not hasattr(config, "workerinput")
    if not starts_workers:
        os.environ.pop("COVERAGE_PROCESS_START", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests marked `slow` first (stably): under xdist they then overlap the many quick tests."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
