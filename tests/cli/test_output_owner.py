"""The export's output, as one owner keeps it: locked for the whole run (two exports never share a file), created
only with its first line (a failed start leaves nothing), and split by --shard into files that hold every id once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest
from cli_run import IDS, JOB, PROJECT, Served, export_args, exported_ids, names_in, read_lines, run_cli, start_cli

from modelarts_async._cli._errors import StopExport
from modelarts_async._cli._lock import OutputLock
from modelarts_async.testing import FakeModelArts, Faults, RecordedRequest, generated_image_ids


async def grown_past(path: Path, size: int, proc: asyncio.subprocess.Process) -> None:
    # Another process grows the file: there is no event to wait on, so poll.
    while proc.returncode is None and (path.stat().st_size if path.exists() else 0) < size:  # noqa: ASYNC110, ASYNC240
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------------------------------------------------------------
# Item 9: one export per output at a time.


async def test_a_second_export_into_a_file_in_use_exits_1_naming_the_holder_and_adds_no_line(tmp_path: Path) -> None:
    image_ids = generated_image_ids(300, seed=9)
    fake = FakeModelArts(project_id=PROJECT, record=False)
    fake.add_generated_job(JOB, "classification", image_ids, seed=9)
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    ids.write_text("\n".join(image_ids))
    answered, go_on = 0, asyncio.Event()

    async def pause_after_ten(_request: RecordedRequest) -> None:
        nonlocal answered
        answered += 1
        if answered > 10:
            await go_on.wait()  # the first export stays in the middle of its run while the others try

    fake.on_request = pause_after_ten
    async with fake.serve() as url:
        first = await start_cli(export_args(url, ids, out, "--concurrency", "2"))
        await grown_past(out, 1, first)
        for extra in (["--resume"], ["--overwrite"], []):
            second = await run_cli(*export_args(url, ids, out, *extra))
            assert second.code == 1, second.stderr
            assert second.stderr.strip().splitlines() == [
                f"modelarts-async: error: another export (pid {first.pid}) holds {out}: wait for it to end, or "
                "choose another --out"
            ]
        assert first.returncode is None
        go_on.set()
        _, err = await first.communicate()
        assert first.returncode == 0, err.decode()
    assert sorted(exported_ids(out)) == sorted(image_ids)  # every id once: the refused runs wrote nothing
    assert names_in(tmp_path) == ["ids.txt", "out.jsonl", "out.jsonl.meta.json"]  # the lock file is gone


async def test_the_lock_of_a_killed_export_does_not_block_its_resume(tmp_path: Path) -> None:
    image_ids = generated_image_ids(300, seed=10)
    fake = FakeModelArts(project_id=PROJECT, record=False, faults=Faults(latency=0.02))
    fake.add_generated_job(JOB, "classification", image_ids, seed=10)
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    ids.write_text("\n".join(image_ids))
    async with fake.serve() as url:
        first = await start_cli(export_args(url, ids, out, "--concurrency", "2"))
        await grown_past(out, 1, first)
        first.send_signal(signal.SIGKILL)
        await first.communicate()
        assert (tmp_path / "out.jsonl.lock").exists()  # left behind, but the OS released its lock
        resumed = await run_cli(*export_args(url, ids, out, "--resume"))
    assert resumed.code == 0, resumed.stderr
    assert sorted(exported_ids(out)) == sorted(image_ids)
    assert not (tmp_path / "out.jsonl.lock").exists()


# ---------------------------------------------------------------------------------------------------------------------
# Item 11: nothing is created before the first line.


async def test_a_failed_start_leaves_no_file(tmp_path: Path) -> None:
    fake = FakeModelArts(project_id=PROJECT, record=False)
    async with fake.serve() as url:
        connection = ["--endpoint", url, "--project-id", PROJECT]
        run = await run_cli("export", *connection, "--dataset-id", "nods", "--out", str(tmp_path / "nods.jsonl"))
    assert run.code == 1, run.stderr
    assert names_in(tmp_path) == []


async def test_a_failed_overwrite_keeps_the_old_file(served: Served, tmp_path: Path) -> None:
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    ids.write_text("\n".join(IDS))
    assert (await run_cli(*export_args(served.url, ids, out))).code == 0
    before = out.read_bytes(), (tmp_path / "out.jsonl.meta.json").read_bytes()
    served.fake.token = "required"  # every request is now refused: the run stops before its first line
    run = await run_cli(*export_args(served.url, ids, out, "--overwrite"))
    assert run.code == 1
    assert (out.read_bytes(), (tmp_path / "out.jsonl.meta.json").read_bytes()) == before


async def test_an_export_with_nothing_to_write_still_leaves_its_file(served: Served, tmp_path: Path) -> None:
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    ids.write_text("\n\n")
    run = await run_cli(*export_args(served.url, ids, out))
    assert run.code == 0, run.stderr
    assert out.read_bytes() == b""
    assert json.loads((tmp_path / "out.jsonl.meta.json").read_text())["data_annotation_id"] == JOB


# ---------------------------------------------------------------------------------------------------------------------
# Issue 19: --shard I/N.


async def test_shards_together_hold_every_id_once(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*IDS, *IDS[:5]]))  # repeats land in the shard of their first line
    outs = [tmp_path / f"part{n}.jsonl" for n in (1, 2, 3)]
    runs = await asyncio.gather(
        *(run_cli(*export_args(served.url, ids, out, "--shard", f"{n}/3")) for n, out in enumerate(outs, start=1))
    )
    assert [run.code for run in runs] == [0, 0, 0], [run.stderr for run in runs]
    parts = [exported_ids(out) for out in outs]
    assert all(parts), "each shard holds some of the 40 ids"
    assert sorted(key for part in parts for key in part) == sorted(IDS)
    assert json.loads((tmp_path / "part2.jsonl.meta.json").read_text())["shard"] == "2/3"
    again = await run_cli(*export_args(served.url, ids, tmp_path / "again.jsonl", "--shard", "2/3"))
    assert again.code == 0
    assert sorted(exported_ids(tmp_path / "again.jsonl")) == sorted(parts[1])  # the same ids every run: a stable hash


async def test_resume_with_another_shard_is_refused(served: Served, tmp_path: Path) -> None:
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    ids.write_text("\n".join(IDS))
    assert (await run_cli(*export_args(served.url, ids, out, "--shard", "1/2"))).code == 0
    lines = read_lines(out)
    for other in (["--shard", "2/2"], []):
        run = await run_cli(*export_args(served.url, ids, out, "--resume", *other))
        assert run.code == 1
        assert "another shard (--shard)" in run.stderr
    assert read_lines(out) == lines


@pytest.mark.parametrize("shard", ["0/4", "5/4", "x/y", "4", "1/0", "-1/4"])
async def test_a_bad_shard_is_a_usage_error_naming_it(tmp_path: Path, shard: str) -> None:
    run = await run_cli(
        *export_args("http://127.0.0.1:9", tmp_path / "ids.txt", tmp_path / "o.jsonl"), f"--shard={shard}"
    )
    assert run.code == 1
    assert "argument --shard: must be I/N" in run.stderr
    assert repr(shard) in run.stderr
    assert names_in(tmp_path) == []


def test_the_lock_names_its_holder_and_is_free_again_once_released(tmp_path: Path) -> None:
    path = str(tmp_path / "out.jsonl.lock")
    busy = rf"^another export \(pid {os.getpid()}\) holds out.jsonl: wait"
    with OutputLock(path, guarded="out.jsonl"), pytest.raises(StopExport, match=busy):
        OutputLock(path, guarded="out.jsonl").acquire()
    assert names_in(tmp_path) == []
    with OutputLock(path, guarded="out.jsonl"):
        assert Path(path).read_text() == f"{os.getpid()}\n"


class RemovedAfterOpen(OutputLock):
    """A lock whose file another run removes (as a run does when it ends) between our open and our flock."""

    removed = False

    def _open(self) -> int:
        fd = super()._open()
        if not self.removed:
            self.removed = True
            os.remove(self.path)
        return fd


def test_a_lock_file_removed_before_it_was_locked_is_not_trusted(tmp_path: Path) -> None:
    """Locking a file no longer at the path would guard nothing: the lock is taken again on the file at the path."""
    path = str(tmp_path / "out.jsonl.lock")
    with RemovedAfterOpen(path, guarded="out.jsonl"), pytest.raises(StopExport, match="another export"):
        OutputLock(path, guarded="out.jsonl").acquire()


async def test_shard_is_for_an_ids_file_only(tmp_path: Path) -> None:
    connection = ["--endpoint", "http://127.0.0.1:9", "--project-id", PROJECT]
    run = await run_cli(
        "export", *connection, "--dataset-id", "DS", "--out", str(tmp_path / "o.jsonl"), "--shard", "1/2"
    )
    assert run.code == 1
    assert "--shard splits an ids file: use it with --ids" in run.stderr
