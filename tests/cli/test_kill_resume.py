"""SIGKILL an export, or a resume while it rewrites its file, at random points and resume it: every id ends up
exactly once, every line whole JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
from pathlib import Path

import pytest
from cli_run import PROJECT, start_cli

from modelarts_async.testing import FakeModelArts, Faults, generated_image_ids

pytestmark = pytest.mark.slow  # kills and resumes the real command many times

JOB = "kill"


def size_of(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def grown_past(path: Path, size: int, proc: asyncio.subprocess.Process) -> None:
    """Return once `path` holds at least `size` bytes or the process has ended."""
    # Another process grows the file: there is no event to wait on, so poll.
    while proc.returncode is None and size_of(path) < size:  # noqa: ASYNC110
        await asyncio.sleep(0.005)


@pytest.mark.parametrize(
    ("mode", "latency"),
    # A batch call answers many ids at once: a slower fake keeps the run long enough to be killed mid-way.
    [([], 0.002), (["--batch-size", "7"], 0.05)],
    ids=["single", "batch"],
)
async def test_each_id_exactly_once_after_kills_and_resumes(tmp_path: Path, mode: list[str], latency: float) -> None:
    rng = random.Random(20240611)
    good = generated_image_ids(2000, seed=5)
    fake = FakeModelArts(project_id=PROJECT, record=False, faults=Faults(latency=latency))
    fake.add_generated_job(JOB, "detection", good, seed=5)
    bad = ["missing-1", "missing-2", "bad/id", ".."]
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*good, *bad, "", "   ", *good[:50]]) + "\n")  # blank lines and repeats too
    out = tmp_path / "out.jsonl"
    expected = set(good) | set(bad)

    async with fake.serve() as url:
        args = ["export", "--endpoint", url, "--project-id", PROJECT, "--data-annotation-id", JOB]
        args += ["--ids", str(ids), "--out", str(out), "--resume", "--concurrency", "8", *mode]
        kills = 0
        for round_ in range(6):
            proc = await start_cli(args)
            # Kill once the file has grown past a random size (or the run ended first).
            threshold = rng.randrange(1, 2000 * 150)
            await grown_past(out, threshold, proc)
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            await proc.communicate()
            if round_ == 2:  # a kill in the middle of a write leaves half a line: make sure we saw one
                with out.open("ab") as file:
                    file.write(b'{"image_id": "' + good[-1].encode() + b'", "tags": [{"ta')
        assert kills >= 3

        final = await start_cli(args)
        _, err = await final.communicate()
        assert final.returncode == 2, err.decode()

    written = [json.loads(line) for line in out.read_bytes().splitlines()]
    exported = [line["image_id"] for line in written]
    assert len(exported) == len(set(exported)), "an id was written twice"
    assert set(exported) == expected
    assert sum("error" in line for line in written) == len(bad)


def write_big_export(tmp_path: Path, retried: list[str]) -> tuple[Path, Path, set[str]]:
    """An ids file and an export of it with 100,000 lines with labels and one error line per id in `retried`:
    large enough that a resume's rewrite takes a while, so a kill can land in the middle of it."""
    done = [f"done-{n:06d}" for n in range(100_000)]
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*done, *retried]) + "\n")
    out = tmp_path / "out.jsonl"
    lines = [json.dumps({"image_id": image_id, "tags": ["cat", "dog"]}) for image_id in done]
    step = len(done) // len(retried)
    for n, image_id in enumerate(retried):  # spread through the file
        lines.insert(n * (step + 1), json.dumps({"image_id": image_id, "error": {"type": "ServerError"}}))
    out.write_text("\n".join(lines) + "\n")
    return ids, out, {*done, *retried}


def check_export(out: Path, expected: set[str]) -> None:
    written = [json.loads(line) for line in out.read_bytes().splitlines()]
    exported = [line["image_id"] for line in written]
    assert len(exported) == len(set(exported)), "an id was written twice"
    assert set(exported) == expected
    assert not any("error" in line for line in written)


async def test_a_kill_during_the_rewrite_of_a_resume_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    retried = generated_image_ids(100, seed=9)
    fake = FakeModelArts(project_id=PROJECT, record=False)
    fake.add_generated_job(JOB, "classification", retried, seed=9)
    ids, out, expected = write_big_export(tmp_path, retried)
    before = out.read_bytes()
    rewrite = tmp_path / "out.jsonl.rewrite"
    async with fake.serve() as url:
        args = ["export", "--endpoint", url, "--project-id", PROJECT, "--data-annotation-id", JOB]
        args += ["--ids", str(ids), "--out", str(out), "--resume"]
        proc = await start_cli(args)
        await grown_past(rewrite, 1, proc)
        assert proc.returncode is None, "the rewrite ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        await proc.communicate()
        assert out.read_bytes() == before  # the rename had not happened: the old file, whole

        final = await start_cli(args)
        _, err = await final.communicate()
        assert final.returncode == 0, err.decode()
    check_export(out, expected)
    assert not rewrite.exists()


async def test_kills_at_random_moments_of_resumes_that_rewrite_never_duplicate_an_id(tmp_path: Path) -> None:
    rng = random.Random(7)
    retried = generated_image_ids(400, seed=4)
    fake = FakeModelArts(project_id=PROJECT, record=False, faults=Faults(latency=0.002))
    fake.add_generated_job(JOB, "classification", retried[:200], seed=4)  # the others fail again: rewritten again
    ids, out, expected = write_big_export(tmp_path, retried)
    async with fake.serve() as url:
        args = ["export", "--endpoint", url, "--project-id", PROJECT, "--data-annotation-id", JOB]
        args += ["--ids", str(ids), "--out", str(out), "--resume", "--concurrency", "4"]
        for _ in range(6):
            proc = await start_cli(args)
            try:
                await asyncio.wait_for(proc.wait(), timeout=rng.uniform(0.2, 2.5))
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):  # it may end by itself as the timeout fires
                    proc.send_signal(signal.SIGKILL)
            await proc.communicate()
        fake.add_generated_job(JOB, "classification", retried, seed=4)
        final = await start_cli(args)
        _, err = await final.communicate()
        assert final.returncode == 0, err.decode()
    check_export(out, expected)
