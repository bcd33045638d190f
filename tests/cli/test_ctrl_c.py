"""Ctrl-C (SIGINT) ends any command with exit 130 and one line saying what is left and how to go on: only an export
to a file or folder offers --resume, which the other commands do not have."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from cli.cli_run import JOB, connection, start_cli
from support.servers import hang, running

EXIT_INTERRUPTED = 130

CASES = {
    "export-to-file": (["export", "--data-annotation-id", JOB, "--ids", "ids.txt", "--out", "out.jsonl"], "--resume"),
    "export-to-stdout": (["export", "--data-annotation-id", JOB, "--ids", "ids.txt", "--out", "-"], "printed so far"),
    "get": (["get", "--data-annotation-id", JOB, "img-1"], None),
    "datasets": (["datasets"], None),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_ctrl_c_says_how_to_go_on_for_this_command(tmp_path: Path, case: str) -> None:
    command, advice = CASES[case]
    (tmp_path / "ids.txt").write_text("img-1\nimg-2\n")
    async with running() as server:
        server.script(hang())  # every request waits: the command is mid-call when interrupted
        proc = await start_cli([command[0], *connection(server.url), *command[1:]], cwd=tmp_path)
        await asyncio.wait_for(server.wait_for_requests(1), 20)
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    lines = err.decode().splitlines()
    assert proc.returncode == EXIT_INTERRUPTED, lines
    assert lines[-1].startswith("interrupted"), lines
    if advice is None:
        assert lines[-1] == "interrupted"  # nothing to resume: get and datasets have no --resume
    else:
        assert advice in lines[-1]
