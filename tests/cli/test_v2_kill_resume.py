"""SIGKILL a whole-dataset export (and its resumes, while they list, spool or write) at random moments, then resume:
every sample of the dataset ends up exactly once, every line whole JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
from pathlib import Path

import pytest
from cli_run import PROJECT, start_cli

from modelarts_async.testing import FakeModelArts, Faults

pytestmark = pytest.mark.slow  # kills and resumes the real command many times

DS = "KillDataset00000001"
SAMPLES = 2000


def size_of(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def grown_past(path: Path, size: int, proc: asyncio.subprocess.Process) -> None:
    """Return once `path` holds at least `size` bytes or the process has ended."""
    # Another process grows the file: there is no event to wait on, so poll.
    while proc.returncode is None and size_of(path) < size:  # noqa: ASYNC110
        await asyncio.sleep(0.005)


@pytest.mark.parametrize("order", [[], ["--order", "asc"]], ids=["desc", "asc"])
async def test_each_sample_exactly_once_after_kills_and_resumes(tmp_path: Path, order: list[str]) -> None:
    rng = random.Random(20240612 + len(order))
    # One page request at a time, 30 ms each: a run takes long enough to be killed in the middle of it.
    fake = FakeModelArts(project_id=PROJECT, record=False, faults=Faults(latency=0.03))
    dataset = fake.add_generated_dataset(DS, SAMPLES, seed=11)
    out = tmp_path / "samples.jsonl"
    async with fake.serve() as url:
        args = ["export", "--endpoint", url, "--project-id", PROJECT, "--dataset-id", DS, "--out", str(out)]
        args += ["--resume", "--concurrency", "1", *order]
        full = SAMPLES * 900  # about the size of the whole export
        kills = 0
        for round_ in range(7):
            proc = await start_cli(args)
            if round_ % 3 == 2:  # at a random moment: while starting, spooling, listing or writing
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), timeout=rng.uniform(0.05, 1.5))
            else:  # once the file has grown past a random size
                await grown_past(out, rng.randrange(1, full), proc)
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            await proc.communicate()
            if round_ == 3:  # a kill in the middle of a write leaves half a line: make sure we saw one
                with out.open("ab") as file:
                    file.write(b'{"sample_id": "' + dataset.sample_ids[-1].encode() + b'", "labels": [{"na')
        assert kills >= 3

        final = await start_cli(args)
        _, err = await final.communicate()
        assert final.returncode == 0, err.decode()

    written = [json.loads(line) for line in out.read_bytes().splitlines()]
    exported = [line["sample_id"] for line in written]
    assert len(exported) == len(set(exported)), "a sample was written twice"
    assert set(exported) == set(dataset.sample_ids)
    assert not any("error" in line for line in written)
    assert not (tmp_path / "samples.jsonl.rewrite").exists()
