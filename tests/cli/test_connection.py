"""Where the command gets its endpoint, project and credentials: a config context, the environment, or flags."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cli_run import IDS, JOB, PROJECT, Run, Served, run_cli

from modelarts_async.testing import FakeModelArts

AK, SK = "AKCLI0123456789", "sk-CLI-SECRET-never-printed"


@pytest.fixture
async def signed() -> AsyncIterator[Served]:
    """The fake on 127.0.0.1, accepting only requests signed with (AK, SK)."""
    fake = FakeModelArts(project_id=PROJECT, aksk=(AK, SK), record=False)
    fake.add_generated_job(JOB, "classification", IDS, seed=1)
    async with fake.serve() as url:
        yield Served(fake, url)


def config_file(tmp_path: Path, contexts: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"contexts": contexts}, indent=2))
    return path


async def get(*connection: str, env: dict[str, str] | None = None) -> Run:
    return await run_cli("get", *connection, "--data-annotation-id", JOB, IDS[0], env=env)


#: Advice a Python caller could follow but a shell user cannot: `create_client()`, `config_file=`.
PYTHON_ADVICE = re.compile(r"\w\(\)|\b[a-z_]+=(?![\w-])")


def assert_clean_failure(run: Run) -> None:
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert SK not in run.stderr + run.stdout
    assert not PYTHON_ADVICE.search(run.stderr), run.stderr


async def test_a_config_context_with_ak_sk_signs_the_export(signed: Served, tmp_path: Path) -> None:
    config = config_file(
        tmp_path,
        {
            "default": {"endpoint": "http://127.0.0.1:9", "project_id": "other", "token": "unused"},
            "fake": {"endpoint": signed.url, "project_id": PROJECT, "ak": AK, "sk": SK},
        },
    )
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS))
    out = tmp_path / "out.jsonl"
    args = ["--context", "fake", "--config", str(config), "--data-annotation-id", JOB]
    run = await run_cli("export", *args, "--ids", str(ids), "--out", str(out), "--concurrency", "4")
    assert run.code == 0, run.stderr
    assert len(out.read_text().splitlines()) == len(IDS)
    # MODELARTS_CONFIG names the file too.
    assert (await get("--context", "fake", env={"MODELARTS_CONFIG": str(config)})).code == 0


async def test_config_alone_uses_its_default_context_and_flags_override_it(signed: Served, tmp_path: Path) -> None:
    config = config_file(
        tmp_path, {"default": {"endpoint": "http://127.0.0.1:9", "project_id": "x", "ak": AK, "sk": SK}}
    )
    run = await get("--config", str(config), "--endpoint", signed.url, "--project-id", PROJECT)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["image_id"] == IDS[0]


async def test_environment_credentials_sign_requests(signed: Served) -> None:
    env = {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK, "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT}
    run = await get(env={**env, "MODELARTS_ENDPOINT": signed.url})
    assert run.code == 0, run.stderr
    # A region alone would mean the public cloud; an explicit --endpoint wins over it.
    run = await get("--endpoint", signed.url, env={**env, "HUAWEICLOUD_SDK_REGION": "cn-north-4"})
    assert run.code == 0, run.stderr


async def test_wrong_credentials_stop_with_1_without_printing_the_secret(signed: Served, tmp_path: Path) -> None:
    config = config_file(tmp_path, {"bad": {"endpoint": signed.url, "project_id": PROJECT, "ak": AK, "sk": SK + "x"}})
    run = await get("--context", "bad", "--config", str(config))
    assert_clean_failure(run)
    assert "APIG.0301" in run.stderr


async def test_an_endpoint_without_credentials_sends_unsigned_requests_and_hints_on_401(
    signed: Served, tmp_path: Path
) -> None:
    unsigned = FakeModelArts(project_id=PROJECT, record=False)
    unsigned.add_generated_job(JOB, "classification", IDS, seed=1)
    async with unsigned.serve() as url:
        assert (await get("--endpoint", url, "--project-id", PROJECT)).code == 0
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS))
    out = tmp_path / "out.jsonl"
    args = ["--endpoint", signed.url, "--project-id", PROJECT, "--data-annotation-id", JOB]
    run = await run_cli("export", *args, "--ids", str(ids), "--out", str(out))
    assert_clean_failure(run)
    assert "no credentials were sent" in run.stderr
    assert not out.exists()  # a failed start leaves no output


async def test_a_region_without_credentials_is_refused_before_any_request() -> None:
    run = await get("--project-id", PROJECT, env={"HUAWEICLOUD_SDK_REGION": "cn-north-4"})
    assert_clean_failure(run)
    assert "no credentials" in run.stderr


@pytest.mark.parametrize(
    ("text", "args", "env", "message"),
    [
        ('{"contexts": {"x": {"sk": "' + SK + '", }}}', ["--context", "x"], {}, "not valid JSON"),
        ('{"contexts": {"a": {}, "b": {}}}', ["--context", "c"], {}, "known contexts: 'a', 'b'"),
        (
            json.dumps({"contexts": {"x": {"endpoint": "http://127.0.0.1:9", "project_id": "p", "ak": AK}}}),
            ["--context", "x"],
            {},
            "missing 'sk'",
        ),
        (
            json.dumps({"contexts": {"x": {"endpoint": "http://127.0.0.1:9", "project_id": "p", "ak": AK, "sk": SK}}}),
            ["--context", "x"],
            {"HUAWEICLOUD_SDK_AK": "AKENV"},
            "HUAWEICLOUD_SDK_SK must be set together",
        ),
        (None, ["--context", "x"], {}, "does not exist"),
        ("[" * 100_000 + "]" * 100_000, ["--context", "x"], {}, "nested too deeply"),
        (
            '{"contexts": {"x": {"endpoint": "http://h/v1", "project_id": "p", "token": "t"}}}',
            ["--context", "x"],
            {},
            "/v1",
        ),
        (None, [], {"HUAWEICLOUD_SDK_SECURITY_TOKEN": SK, "MODELARTS_ENDPOINT": "http://127.0.0.1:9"}, "all three"),
    ],
)
async def test_bad_configuration_fails_with_1_and_a_clear_message(
    tmp_path: Path, text: str | None, args: list[str], env: dict[str, str], message: str
) -> None:
    config = tmp_path / "config.json"
    if text is not None:
        config.write_text(text)
    connection = [*args, "--config", str(config)] if args else []
    run = await get(*connection, "--project-id", "p", env=env)
    assert_clean_failure(run)
    assert message in run.stderr
