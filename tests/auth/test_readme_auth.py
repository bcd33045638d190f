"""The README's "Authentication" section runs as written: its examples, its config file, its create_client code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.constants import IMAGE, PROJECT
from support.servers import HostileServer, json_answer

from modelarts_async import ModelArtsClient, create_client
from modelarts_async._config import ENV_NAMES
from modelarts_async._signer import verify_request
from modelarts_async.auth import AKSKAuth, IAMPasswordAuth, TokenAuth

README = Path(__file__).parents[2] / "README.md"


def section_blocks(language: str) -> list[str]:
    text = README.read_text()
    section = text[text.index("\n## Authentication\n") :]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


@pytest.fixture(autouse=True)
def readme_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*ENV_NAMES.values(), "MODELARTS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    values = {
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
        "HUAWEICLOUD_SDK_AK": "AKREADME",
        "HUAWEICLOUD_SDK_SK": "sk-readme",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": "stok-readme",
        "HUAWEICLOUD_SDK_REGION": "cn-north-4",
        "MODELARTS_TOKEN": "tok-readme",
        "MODELARTS_PASSWORD": "pw-readme",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)


async def test_one_example_per_method_builds_the_right_clients() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(section_blocks("python")[0], "README.md", "exec"), namespace)
    clients = {name: value for name, value in namespace.items() if isinstance(value, ModelArtsClient)}
    try:
        kinds = {name: type(client._auth) for name, client in clients.items()}
        assert kinds == {
            "signed": AKSKAuth,
            "temporary": AKSKAuth,
            "with_token": TokenAuth,
            "with_password": IAMPasswordAuth,
            "from_env": AKSKAuth,
        }
        assert "security_token=***" in repr(clients["temporary"]._auth)
    finally:
        for client in clients.values():
            await client.aclose()


async def test_the_config_file_example_gives_each_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES.values():
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.json"
    path.write_text(section_blocks("json")[0])
    kinds = {}
    for context in json.loads(path.read_text())["contexts"]:
        client = create_client(context, path)
        kinds[context] = type(client._auth)
        await client.aclose()
    assert kinds == {
        "default": AKSKAuth,
        "temporary": AKSKAuth,
        "private-cloud": TokenAuth,
        "password": IAMPasswordAuth,
    }


async def test_the_create_client_example_runs_against_a_real_server(
    server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SECURITY_TOKEN")
    path = tmp_path / ".modelarts" / "config.json"
    path.parent.mkdir()
    path.write_text(section_blocks("json")[0])
    monkeypatch.setenv("MODELARTS_ENDPOINT", server.url)  # the environment overrides the file's region
    server.script(json_answer(200, {"is_success": True, "image_id": IMAGE, "tags": ["cat"]}))
    namespace: dict[str, Any] = {}
    exec(compile(section_blocks("python")[1], "README.md", "exec"), namespace)
    await namespace["main"]()
    assert capsys.readouterr().out == "('cat',)\n"
    received = server.requests[0]
    reason = verify_request(
        received.method,
        received.target,
        list(received.headers.items()),
        b"",
        secret_key_for={"YOUR_ACCESS_KEY": "YOUR_SECRET_KEY"}.get,
    )
    assert reason is None
    assert httpx.Headers(dict(received.headers))["X-Project-Id"] == PROJECT
