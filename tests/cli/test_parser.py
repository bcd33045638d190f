"""The command line itself: usage errors exit 1 (2 means "some ids failed"), `--version`, and advice in CLI terms."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_run import run_cli

from modelarts_async import __version__
from modelarts_async._cli._connection import cli_advice


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no command"),
        pytest.param(["frobnicate"], id="unknown command"),
        pytest.param(["export", "--ids", "ids.txt", "--out", "o.jsonl"], id="missing option"),
        pytest.param(["get", "--data-annotation-id", "282"], id="missing argument"),
        pytest.param(["export", "--data-annotation-id", "1", "--ids", "-", "--out", "o", "--concurrency", "0"], id="0"),
        pytest.param(["export", "--data-annotation-id", "1", "--ids", "-", "--out", "o", "--rate-limit", "x"], id="x"),
        pytest.param(["export", "--data-annotation-id", "1", "--ids", "-", "--out", "o", "--resume", "--overwrite"]),
        pytest.param(["get", "--data-annotation-id", "282", "x", "--unknown-flag"], id="unknown option"),
        pytest.param(["demo", "--kind", "segmentation"], id="bad choice"),
    ],
)
async def test_usage_errors_exit_1_with_the_usage_and_a_message(args: list[str]) -> None:
    run = await run_cli(*args)
    assert run.code == 1
    assert run.stderr.startswith("usage: modelarts-async")
    assert "error: " in run.stderr
    assert "Traceback" not in run.stderr


async def test_version() -> None:
    run = await run_cli("--version")
    assert (run.code, run.stdout.strip()) == (0, f"modelarts-async {__version__}")


async def test_help_exits_0() -> None:
    run = await run_cli("export", "--help")
    assert run.code == 0
    assert "--no-retry-failed" in run.stdout
    assert "--quiet" in run.stdout


@pytest.mark.parametrize(
    ("python", "cli"),
    [
        (
            "HUAWEICLOUD_SDK_AK is not set: set it, or use create_client() with a config file",
            "HUAWEICLOUD_SDK_AK is not set: set it, or use --context NAME with a config file",
        ),
        (
            "config file x does not exist: pass config_file=, set MODELARTS_CONFIG, or use ModelArtsClient.from_env()",
            "config file x does not exist: pass --config FILE, set MODELARTS_CONFIG, or leave out --context and "
            "--config to use the HUAWEICLOUD_SDK_* environment variables",
        ),
        (
            "project_id is missing: pass it to the call or to ModelArtsClient()",
            "project_id is missing: pass --project-id",
        ),
    ],
)
def test_python_advice_becomes_command_line_advice(python: str, cli: str) -> None:
    assert cli_advice(python) == cli


def test_importing_the_package_loads_neither_the_cli_nor_the_fake() -> None:
    code = "import sys, modelarts_async; print(*sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert not [name for name in loaded if name.split(".")[:2] == ["modelarts_async", "_cli"]]  # not `_client`
    assert "modelarts_async.testing" not in loaded
    assert "aiohttp.web" not in loaded
