"""`create_sync_client(context=...)` and `SyncModelArtsClient.from_env()` read what their async twins read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelarts_async import ConfigError, SyncModelArtsClient, create_sync_client
from modelarts_async._config import ENV_NAMES

SK = "skSyncConfigSecret0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*ENV_NAMES.values(), "MODELARTS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_create_sync_client_reads_a_context_of_the_config_file(tmp_path: Path) -> None:
    config_file = tmp_path / "config.json"
    contexts = {"lab": {"endpoint": "https://modelarts.example.internal", "project_id": "p1", "ak": "AK1", "sk": SK}}
    config_file.write_text(json.dumps({"contexts": contexts}))
    with create_sync_client("lab", config_file, max_attempts=2) as client:
        config = client.config
    assert (config.endpoint, config.project_id, config.ak, config.sk) == (
        "https://modelarts.example.internal",
        "p1",
        "AK1",
        SK,
    )
    assert config.retry.max_attempts == 2


def test_from_env_reads_the_official_sdks_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AK2")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "p2")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "cn-north-4")
    with SyncModelArtsClient.from_env() as client:
        assert client.endpoint == "https://modelarts.cn-north-4.myhuaweicloud.com"
        assert client.config.sk == SK


def test_a_missing_context_is_a_config_error_and_starts_no_thread(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        create_sync_client(config_file=tmp_path / "missing.json")
