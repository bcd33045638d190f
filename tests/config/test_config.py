"""`create_client` (config file contexts, environment on top) and `ModelArtsClient.from_env`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from support.constants import ENDPOINT, PROJECT

from modelarts_async import ConfigError, ModelArtsClient, create_client
from modelarts_async._config import ENV_NAMES
from modelarts_async._signer import verify_request
from modelarts_async.auth import AKSKAuth, IAMPasswordAuth, TokenAuth

SK = "sk-SECRET-0123456789"
SECRETS = (SK, "tok-SECRET", "pw-SECRET", "stok-SECRET")
CONTEXTS: dict[str, Any] = {
    "default": {"region": "cn-north-4", "project_id": PROJECT, "ak": "AKDEFAULT", "sk": SK},
    "private": {"endpoint": "https://modelarts.example.internal:8443", "project_id": "p2", "token": "tok-SECRET"},
    "iam": {
        "region": "ap-southeast-1",
        "project_id": "p3",
        "username": "alice",
        "password": "pw-SECRET",
        "domain_name": "acme",
        "iam_endpoint": "https://iam.example.internal",
    },
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ModelArts settings from the developer's machine: no variables, and a HOME without a config file."""
    for name in (*ENV_NAMES.values(), "MODELARTS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def write(path: Path, contexts: Any = None, *, text: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else json.dumps({"contexts": contexts or CONTEXTS}, indent=2))
    return path


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def describe(client: ModelArtsClient) -> tuple[str, str | None, Any]:
    return client.endpoint, client.project_id, client._auth


async def test_the_default_context_signs_calls_with_its_project(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = request.headers.multi_items()
        reason = verify_request(
            request.method, str(request.url), headers, request.content, secret_key_for={"AKDEFAULT": SK}.get
        )
        assert reason is None
        return httpx.Response(200, json={"is_success": True, "image_id": "i1", "tags": ["cat"]})

    router = respx.Router()
    router.route(host="modelarts.cn-north-4.myhuaweicloud.com").mock(side_effect=answer)
    path = write(tmp_path / "config.json")
    transport = httpx.MockTransport(router.async_handler)
    async with create_client(config_file=path, transport=transport) as client:
        info = await client.get_image_info_by_id(data_annotation_id="282", image_id="i1")
    assert info.labels == ("cat",)
    assert seen[0].headers["X-Project-Id"] == PROJECT
    assert client.endpoint == ENDPOINT


async def test_token_and_password_contexts(tmp_path: Path) -> None:
    path = write(tmp_path / "config.json")
    endpoint, project, auth = describe(create_client("private", path))
    assert (endpoint, project, type(auth)) == ("https://modelarts.example.internal:8443", "p2", TokenAuth)
    endpoint, project, auth = describe(create_client("iam", path))
    assert endpoint == "https://modelarts.ap-southeast-1.myhuaweicloud.com"
    assert isinstance(auth, IAMPasswordAuth)
    assert (auth.username, auth.project_id, auth.iam_endpoint) == ("alice", "p3", "https://iam.example.internal")


async def test_the_file_is_found_at_config_file_then_modelarts_config_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "home" / ".modelarts" / "config.json", {"default": {**CONTEXTS["default"], "project_id": "home"}})
    assert create_client().project_id == "home"
    monkeypatch.setenv("MODELARTS_CONFIG", str(write(tmp_path / "env.json", {"default": {**CONTEXTS["private"]}})))
    assert create_client().project_id == "p2"
    explicit = write(tmp_path / "explicit.json", {"default": {**CONTEXTS["iam"]}})
    assert create_client(config_file=str(explicit)).project_id == "p3"


async def test_environment_variables_override_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "config.json")
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "from-env")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "cn-east-3")
    endpoint, project, auth = describe(create_client("private", path))
    assert (endpoint, project) == ("https://modelarts.cn-east-3.myhuaweicloud.com", "from-env")
    assert isinstance(auth, TokenAuth)
    monkeypatch.setenv("MODELARTS_ENDPOINT", "http://127.0.0.1:9000")
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AKENV")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "sk-SECRET-env")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "stok-SECRET")
    endpoint, project, auth = describe(create_client("private", path))  # env AK/SK replace the file's token
    assert endpoint == "http://127.0.0.1:9000"
    assert isinstance(auth, AKSKAuth)
    assert auth.project_id == "from-env"
    assert "security_token=***" in repr(auth)


async def test_a_security_token_from_the_environment_joins_the_files_ak_sk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "stok-SECRET")
    auth = describe(create_client(config_file=write(tmp_path / "c.json")))[2]
    request = httpx.Request("GET", "https://h.example/")
    auth.sign(request)
    assert request.headers["X-Security-Token"] == "stok-SECRET"


async def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AKENV")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "cn-north-4")
    async with ModelArtsClient.from_env(timeout=5.0) as client:
        endpoint, project, auth = describe(client)
    assert (endpoint, project) == (ENDPOINT, PROJECT)
    assert isinstance(auth, AKSKAuth)
    assert auth.project_id == PROJECT


async def test_explicit_endpoint_and_project_override_the_environment_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "config.json")
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "from-env")
    monkeypatch.setenv("MODELARTS_ENDPOINT", "http://127.0.0.1:9000")
    client = create_client(config_file=path, endpoint="http://127.0.0.1:9999", project_id="explicit")
    endpoint, project, auth = describe(client)
    assert (endpoint, project, auth.project_id) == ("http://127.0.0.1:9999", "explicit", "explicit")
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AKENV")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.delenv("MODELARTS_ENDPOINT")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "cn-east-3")  # a region alone picks the public endpoint...
    assert ModelArtsClient.from_env().endpoint == "https://modelarts.cn-east-3.myhuaweicloud.com"
    endpoint, project, auth = describe(ModelArtsClient.from_env(endpoint="http://127.0.0.1:9999", project_id="x"))
    assert (endpoint, project, auth.project_id) == ("http://127.0.0.1:9999", "x", "x")  # ...an explicit one wins


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK are not set"),
        ({"HUAWEICLOUD_SDK_AK": "AK"}, "must be set together"),
        (
            {"HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": SK},
            "missing MODELARTS_ENDPOINT or HUAWEICLOUD_SDK_REGION",
        ),
        (
            {"HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": SK, "HUAWEICLOUD_SDK_REGION": "cn-north-4"},
            "missing HUAWEICLOUD_SDK_PROJECT_ID",
        ),
        ({"HUAWEICLOUD_SDK_SECURITY_TOKEN": "stok-SECRET"}, "temporary credentials need all three"),
        (
            {"HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": SK, "HUAWEICLOUD_SDK_REGION": "x.evil/"},
            "REGION must look like",
        ),
    ],
)
def test_from_env_errors_name_the_variable(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as caught:
        ModelArtsClient.from_env()
    assert_no_secret(str(caught.value))


def test_a_missing_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist.*MODELARTS_CONFIG.*from_env"):
        create_client(config_file=tmp_path / "nope.json")
    with pytest.raises(ConfigError, match=r"\.modelarts/config\.json does not exist"):
        create_client()


def test_invalid_json_gives_the_line_and_no_content(tmp_path: Path) -> None:
    text = '{"contexts": {\n  "default": {\n    "sk": "sk-SECRET-0123456789"\n    "ak": "x"\n  }\n}}\n'
    with pytest.raises(ConfigError, match=r"not valid JSON: Expecting ',' delimiter at line 4, column 5") as caught:
        create_client(config_file=write(tmp_path / "c.json", text=text))
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert_no_secret(str(caught.value))


def test_an_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no context 'prod'; known contexts: 'default', 'iam', 'private'"):
        create_client("prod", write(tmp_path / "c.json"))


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"region": "cn-north-4", "ak": "a", "sk": SK}, "missing 'project_id'"),
        ({"project_id": "p", "ak": "a", "sk": SK}, "missing 'endpoint' or 'region'"),
        ({"region": "cn-north-4", "project_id": "p", "ak": "a"}, r"missing 'sk' \(needed for ak/sk authentication\)"),
        ({"region": "cn-north-4", "project_id": "p"}, "has no authentication"),
        (
            {"region": "cn-north-4", "project_id": "p", "ak": "a", "sk": SK, "token": "tok-SECRET"},
            r"two authentication methods \(ak/sk and token\): keep one",
        ),
        (
            {
                "endpoint": "https://x.example",
                "project_id": "p",
                "username": "u",
                "password": "pw-SECRET",
                "domain_name": "d",
            },
            "missing 'region' or 'iam_endpoint'",
        ),
        (
            {"region": "cn-north-4", "project_id": "p", "ak": "a", "sk": SK, "projectid": "p"},
            r"unknown keys \['projectid'\]",
        ),
        ({"region": "cn-north-4", "project_id": "p", "ak": "a", "sk": 5}, "'sk' must be a non-empty string"),
        ({"endpoint": "ftp://x", "project_id": "p", "token": "tok-SECRET"}, "endpoint must be an http"),
        ("not an object", "must be a JSON object"),
    ],
)
def test_context_errors_name_the_context_and_key(tmp_path: Path, context: Any, message: str) -> None:
    path = write(tmp_path / "c.json", {"ctx": context})
    with pytest.raises(ConfigError, match=message) as caught:
        create_client("ctx", path)
    assert "context 'ctx'" in str(caught.value)
    assert str(path) in str(caught.value)
    assert_no_secret(str(caught.value))


@pytest.mark.parametrize("text", ["[]", '{"default": {}}', '{"contexts": []}'])
def test_a_file_without_a_contexts_object_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match='"contexts" object'):
        create_client(config_file=write(tmp_path / "c.json", text=text))
