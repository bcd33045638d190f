"""An output that stops taking lines (a full disk, a file size limit): exit 1 with one clear line, and a file that
`--resume` completes with every id once."""

from __future__ import annotations

import asyncio
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import IDS, PROJECT, Served, export_args, exported_ids, run_cli

from modelarts_async.testing import FakeModelArts, generated_image_ids


def limit_file_size(limit: int) -> None:
    """In the child: files may grow to `limit` bytes; a write past it fails with EFBIG (instead of a SIGXFSZ kill)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


async def test_a_write_that_fails_ends_the_run_with_1_and_resume_completes_it(served: Served, tmp_path: Path) -> None:
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    ids.write_text("\n".join(IDS))
    # 40 lines of ~80 bytes: the limit falls in the middle of a line, which the failed run leaves torn.
    run = await run_cli(
        *export_args(served.url, ids, out, "--concurrency", "4"), preexec_fn=lambda: limit_file_size(1500)
    )
    assert run.code == 1
    assert run.stderr.strip().splitlines() == [
        f"modelarts-async: error: cannot write {out}: File too large; make room, then rerun with --resume (the last "
        "line may be cut; --resume removes it)"
    ]
    assert not out.read_bytes().endswith(b"\n")  # the message is true: the limit cut the last line
    assert out.stat().st_size == 1500
    resumed = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert resumed.code == 0, resumed.stderr
    assert "cut a truncated last line" in resumed.stderr
    assert sorted(exported_ids(out)) == sorted(IDS)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (root only: skipped where mounting is not permitted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    tried = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if tried.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {tried.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


async def test_a_full_disk_ends_the_run_with_one_line_and_resume_completes_it(tmp_path: Path, tiny_disk: Path) -> None:
    image_ids = generated_image_ids(2000, seed=2)  # about 150 KB of lines: more than the disk holds
    fake = FakeModelArts(project_id=PROJECT, record=False)
    fake.add_generated_job("282", "classification", image_ids, seed=2)
    ids, out = tmp_path / "ids.txt", tiny_disk / "out.jsonl"
    ids.write_text("\n".join(image_ids))
    async with fake.serve() as url:
        run = await run_cli(*export_args(url, ids, out))
        assert run.code == 1
        [line] = run.stderr.strip().splitlines()
        assert line.startswith(f"modelarts-async: error: cannot write {out}: No space left on device;")
        assert "rerun with --resume" in line
        assert "Traceback" not in run.stderr

        remount = await asyncio.create_subprocess_exec("mount", "-o", "remount,size=1m", str(tiny_disk))
        assert await remount.wait() == 0  # room made
        resumed = await run_cli(*export_args(url, ids, out, "--resume"))
        assert resumed.code == 0, resumed.stderr
    assert sorted(exported_ids(out)) == sorted(image_ids)
