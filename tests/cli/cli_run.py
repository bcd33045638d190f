"""Running the command in a subprocess, with an environment free of the developer's ModelArts settings."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from modelarts_async.testing import FakeModelArts, generated_image_ids

PROJECT = "cli-project"
JOB = "282"
IDS = generated_image_ids(40, seed=1)


class Served(NamedTuple):
    fake: FakeModelArts
    url: str


class Run(NamedTuple):
    code: int
    stdout: str
    stderr: str


def cli_env() -> dict[str, str]:
    """The environment without any ModelArts settings the developer may have, so tests see only their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_", "MODELARTS_"))}
    env["HOME"] = os.environ.get("PYTEST_CLI_HOME", "/nonexistent")  # no ~/.modelarts/config.json either
    return env


async def start_cli(
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> asyncio.subprocess.Process:
    """Start `python -m modelarts_async ARGS` with `cli_env()` plus `env`."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "modelarts_async",
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**cli_env(), **(env or {})},
        cwd=cwd,
        preexec_fn=preexec_fn,
    )


async def run_cli(
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> Run:
    """Run `python -m modelarts_async ARGS` to the end."""
    proc = await start_cli(args, stdin=stdin, env=env, cwd=cwd, preexec_fn=preexec_fn)
    out, err = await proc.communicate(stdin)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


def connection(url: str) -> list[str]:
    return ["--endpoint", url, "--project-id", PROJECT]


def export_args(url: str, ids: Path | str, out: Path | str, *extra: str) -> list[str]:
    return ["export", *connection(url), "--data-annotation-id", JOB, "--ids", str(ids), "--out", str(out), *extra]


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of an export, one per line (every line must be one)."""
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def exported_ids(path: Path) -> list[str]:
    return [line["image_id"] for line in read_lines(path)]


def names_in(directory: Path) -> list[str]:
    """The names of the files in `directory`, sorted."""
    return sorted(path.name for path in directory.iterdir())
