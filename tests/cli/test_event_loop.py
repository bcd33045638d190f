"""The command runs on uvloop when it is installed (the `speed` extra), and on asyncio's own loop without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import cli_env, read_lines

# Runs the command as `modelarts-async` would, and reports the module of every event loop it ran coroutines on.
# `hide-uvloop` makes `import uvloop` fail, as on an install without the extra.
_RUN_AND_REPORT_LOOPS = """
import asyncio, sys
if sys.argv[1] == "hide-uvloop":
    sys.modules["uvloop"] = None
loops = []
run = asyncio.Runner.run
def recording_run(self, coro, **kwargs):
    loops.append(type(self.get_loop()).__module__)
    return run(self, coro, **kwargs)
asyncio.Runner.run = recording_run
from modelarts_async._cli import main
code = main(sys.argv[2:])
print("loops:", *loops, file=sys.stderr)
print("policy after:", type(asyncio.get_event_loop_policy()).__module__, file=sys.stderr)
sys.exit(code)
"""


def _demo(tmp_path: Path, mode: str) -> tuple[list[str], str]:
    """Run `demo` (offline, 60 images); return the loops' modules and the policy's module left afterwards."""
    out = tmp_path / "demo.jsonl"
    args = [sys.executable, "-c", _RUN_AND_REPORT_LOOPS, mode, "demo", "--images", "60", "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, env=cli_env(), cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert len(read_lines(out)) == 60
    lines = done.stderr.splitlines()
    loops = next(line for line in lines if line.startswith("loops:")).split()[1:]
    policy = next(line for line in lines if line.startswith("policy after:")).split()[-1]
    return loops, policy


def test_without_uvloop_the_command_runs_on_asyncios_loop(tmp_path: Path) -> None:
    loops, policy = _demo(tmp_path, "hide-uvloop")

    assert loops
    assert all(module.startswith("asyncio") for module in loops), loops
    assert policy.startswith("asyncio")


def test_with_uvloop_installed_the_command_runs_on_it_and_restores_the_policy(tmp_path: Path) -> None:
    pytest.importorskip("uvloop")

    loops, policy = _demo(tmp_path, "as-installed")

    assert loops
    assert all(module == "uvloop" for module in loops), loops
    assert policy.startswith("asyncio")  # a caller of main() in-process keeps its own choice


def test_the_library_leaves_the_loop_to_its_user() -> None:
    code = (
        "import asyncio, sys, modelarts_async; "
        "print(type(asyncio.new_event_loop()).__module__, 'uvloop' in sys.modules)"
    )
    module, uvloop_loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert module.startswith("asyncio")
    assert uvloop_loaded == "False"
