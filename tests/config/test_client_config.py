"""`ClientConfig`: a client's settings as one frozen value that pickles, hides its credentials, rebuilds a client."""

from __future__ import annotations

import pickle
import ssl
from typing import Any

import attrs
import httpx
import pytest
from hostile.leaks import assert_no_secret
from hostile.senders import UserAKSKAuth

from modelarts_async import ClientConfig, ConfigError, ModelArtsClient, RetryPolicy, SyncModelArtsClient
from modelarts_async.auth import AKSKAuth, IAMPasswordAuth, TokenAuth
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts

ENDPOINT = "https://modelarts.cn-north-4.myhuaweicloud.com"
AK = "AKCONFIG0123456789QW"
SK = "skConfigSecretKey0123456789abcdefghijklm"
SECURITY_TOKEN = "stConfigSecurityToken0123456789"
TOKEN = "tkConfigFixedToken0123456789"
PASSWORD = "pwConfigPassword0123456789"
HEADER_TOKEN = "hdConfigHeaderToken0123456789"
PROXY_PASSWORD = "ppConfigProxyPassword0123"
SECRETS = (AK, SK, SECURITY_TOKEN, TOKEN, PASSWORD, HEADER_TOKEN, PROXY_PASSWORD)

CONFIGS = {
    "aksk": ClientConfig(ENDPOINT, project_id="p", ak=AK, sk=SK, security_token=SECURITY_TOKEN),
    "token": ClientConfig(ENDPOINT, project_id="p", token=TOKEN, headers={"X-Auth-Token": HEADER_TOKEN}),
    "iam": ClientConfig(
        ENDPOINT, project_id="p", username="alice", password=PASSWORD, domain_name="acme", region="cn-north-4"
    ),
    "proxy": ClientConfig(ENDPOINT, proxy=f"http://bob:{PROXY_PASSWORD}@proxy.example.com:3128", verify="/ca.pem"),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_repr_hides_every_credential(name: str) -> None:
    config = CONFIGS[name]
    assert_no_secret([repr(config), str(config)], SECRETS)
    assert repr(config).startswith(f"ClientConfig(endpoint={ENDPOINT!r}")


def test_the_repr_still_says_which_credentials_are_set() -> None:
    shown = repr(CONFIGS["aksk"])
    assert "ak='***'" in shown
    assert "token=None" in shown
    assert "proxy='http://proxy.example.com:3128'" in repr(CONFIGS["proxy"])


@pytest.mark.parametrize("name", list(CONFIGS))
def test_pickling_carries_every_setting_credentials_included(name: str) -> None:
    config = CONFIGS[name]
    copy = pickle.loads(pickle.dumps(config))
    assert copy == config
    assert attrs.asdict(copy, recurse=False) == attrs.asdict(config, recurse=False)


def test_it_is_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        CONFIGS["aksk"].sk = "other"  # type: ignore[misc]


def _clients() -> dict[str, ModelArtsClient]:
    return {
        "no-auth": ModelArtsClient(ENDPOINT, project_id="p", timeout=5.0, max_connections=7, headers={"X-A": "1"}),
        "aksk": ModelArtsClient(ENDPOINT, project_id="p", auth=AKSKAuth(AK, SK, security_token=SECURITY_TOKEN)),
        "token": ModelArtsClient(ENDPOINT, project_id="p", auth=TokenAuth(TOKEN), max_attempts=2, deadline=9.0),
        "iam": ModelArtsClient(
            ENDPOINT,
            project_id="p",
            auth=IAMPasswordAuth(
                username="alice", password=PASSWORD, domain_name="acme", project_id="p", region="cn-north-4"
            ),
        ),
        "network": ModelArtsClient(ENDPOINT, proxy="http://proxy.example.com:3128", verify=False, trust_env=False),
    }


@pytest.mark.parametrize("name", list(_clients()))
async def test_a_clients_config_rebuilds_a_client_with_the_same_config(name: str) -> None:
    client = _clients()[name]
    config = client.config
    async with ModelArtsClient.from_config(config) as rebuilt:
        assert rebuilt.config == config
    sync_client = SyncModelArtsClient.from_config(pickle.loads(pickle.dumps(config)))
    with sync_client:
        assert sync_client.config == config


def test_a_default_client_has_the_default_config() -> None:
    assert ModelArtsClient(ENDPOINT).config == ClientConfig(ENDPOINT)


def test_the_config_holds_the_clients_settings() -> None:
    config = ModelArtsClient(ENDPOINT, project_id="p", auth=TokenAuth(TOKEN), timeout=5.0, max_attempts=2).config
    assert (config.endpoint, config.project_id, config.token) == (ENDPOINT, "p", TOKEN)
    assert config.timeout == httpx.Timeout(5.0)
    assert config.retry == RetryPolicy(max_attempts=2)


def test_with_options_copies_report_their_own_retry_and_timeout() -> None:
    client = ModelArtsClient(ENDPOINT)
    config = client.with_options(max_attempts=1, timeout=2.0).config
    assert config.retry.max_attempts == 1
    assert config.timeout == httpx.Timeout(2.0)
    assert client.config.retry.max_attempts == RetryPolicy().max_attempts


async def test_a_client_built_from_a_config_signs_with_its_keys() -> None:
    fake = FakeModelArts(aksk=(AK, SK))
    fake.add_job("282").add_image("img-1", ["cat"])
    async with fake.serve() as url:
        config = ClientConfig(url, project_id=FAKE_PROJECT_ID, ak=AK, sk=SK)
        async with ModelArtsClient.from_config(pickle.loads(pickle.dumps(config))) as client:
            info = await client.get_image_info_by_id(data_annotation_id="282", image_id="img-1")
    assert info.labels == ("cat",)


def _no_config_clients() -> dict[str, tuple[dict[str, Any], str]]:
    return {
        "transport": ({"transport": httpx.MockTransport(lambda _: httpx.Response(200))}, "transport= or http_client="),
        "http_client": ({"http_client": httpx.AsyncClient()}, "transport= or http_client="),
        "user-auth": ({"auth": UserAKSKAuth(AK, SK)}, "auth is a UserAKSKAuth"),
        "ssl-context": ({"verify": ssl.create_default_context()}, "ssl.SSLContext"),
        "other-project": ({"project_id": "p", "auth": AKSKAuth(AK, SK, project_id="q")}, "project_id='q'"),
    }


@pytest.mark.parametrize("name", list(_no_config_clients()))
def test_a_client_a_config_cannot_rebuild_says_why(name: str) -> None:
    options, why = _no_config_clients()[name]
    client = ModelArtsClient(ENDPOINT, **options)
    with pytest.raises(ConfigError, match="ClientConfig") as caught:
        _ = client.config
    assert why in str(caught.value)
    assert_no_secret(caught.value, SECRETS)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"ak": AK}, "'sk'"),
        ({"ak": AK, "sk": SK, "token": TOKEN}, "two authentication methods"),
        ({"username": "alice", "password": PASSWORD, "domain_name": "acme"}, "'region' or 'iam_endpoint'"),
        ({"token": " \n"}, "token must not be empty"),
        ({"ak": AK, "sk": "s\x00k" + SK}, "sk must be printable ASCII"),
    ],
)
def test_credentials_that_make_no_way_to_authenticate_fail_at_once(fields: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ClientConfig(ENDPOINT, project_id="p", **fields)
    assert named in str(caught.value)
    assert_no_secret(caught.value, SECRETS)


async def test_a_client_rebuilt_from_its_config_names_each_calls_project_as_the_original_does(server: Any) -> None:
    original = ModelArtsClient(server.url, project_id="P", auth=AKSKAuth("AKROUNDTRIP0000001", "SKroundtrip"))
    rebuilt = ModelArtsClient.from_config(original.config)
    async with original, rebuilt:
        for client in (original, rebuilt):
            await client.get_image_info_by_id(data_annotation_id="282", image_id="img-1", project_id="Q")
            await client.get_image_info_by_id(data_annotation_id="282", image_id="img-1")
    sent = [(request.path.split("/")[2], request.headers["x-project-id"]) for request in server.requests]
    assert sent == [("Q", "Q"), ("P", "P")] * 2


def test_a_timeout_of_none_is_the_default_as_for_the_client() -> None:
    config = ClientConfig(endpoint="https://example.invalid", project_id="P", timeout=None)
    assert config.timeout == ModelArtsClient("https://example.invalid").config.timeout
