"""The README's "Speed" example runs as written on uvloop, against the fake over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelarts_async.testing import FakeModelArts, generated_image_ids

README = Path(__file__).parents[2] / "README.md"
PROJECT = "speed-project"


def _example() -> str:
    section = README.read_text().split("\n## Speed\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    return code.group(1)


@pytest.fixture
def served() -> Iterator[tuple[FakeModelArts, str]]:
    """The fake serving on 127.0.0.1 from a thread with its own loop, so the test's thread may start another."""
    fake = FakeModelArts(project_id=PROJECT)
    url: list[str] = []
    ready = threading.Event()
    stopping: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def serve() -> None:
        stop = asyncio.Event()
        stopping.append((asyncio.get_running_loop(), stop))
        async with fake.serve() as served_url:
            url.append(served_url)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    try:
        assert ready.wait(10), "the fake did not start"
        yield fake, url[0]
    finally:
        loop, stop = stopping[0]
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def test_speed_example_runs_on_uvloop(served: tuple[FakeModelArts, str], capsys: Any) -> None:
    pytest.importorskip("uvloop")
    fake, url = served
    ids = generated_image_ids(300, seed=3)
    job = fake.add_generated_job("282", "classification", ids[:250])  # 50 ids it does not know: failed results
    namespace: dict[str, Any] = {"ENDPOINT": url, "PROJECT_ID": PROJECT, "image_ids": ids}

    exec(compile(_example(), str(README), "exec"), namespace)

    labelled = int(capsys.readouterr().out.strip())
    assert labelled == len(job.image_ids) == 250
    # The same coroutine on asyncio's default loop gives the same answer: only the loop differs.
    assert asyncio.run(namespace["count_labelled"](url, PROJECT, ids)) == labelled
