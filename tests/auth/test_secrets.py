"""No secret (SK, password, token, security token) in any repr, log record, or error text the library produces."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from support.constants import ENDPOINT, IMAGE, JOB, PROJECT
from support.iam import PASSWORD, Clock, FakeIAM

from modelarts_async import ModelArtsClient, ModelArtsError
from modelarts_async.auth import AKSKAuth, IAMPasswordAuth, TokenAuth

SK = "sk-SECRET-0123456789abcdef"
AK = "AK-SECRET-ID-0001"
SECURITY_TOKEN = "stok-SECRET-abcdef"
TOKEN = "tok-SECRET-fixed"
SECRETS = (SK, AK, SECURITY_TOKEN, TOKEN, PASSWORD, "token-1-SECRET", "token-2-SECRET", "SECRET")


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def error_text(error: BaseException) -> str:
    """Everything a user may print: str, repr, and the whole chained traceback."""
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


def test_reprs_hide_secrets(clock: Clock) -> None:
    auths = [
        AKSKAuth(AK, SK, security_token=SECURITY_TOKEN, project_id=PROJECT),
        TokenAuth(TOKEN),
        IAMPasswordAuth(username="alice", password=PASSWORD, domain_name="acme", region="cn-north-4", clock=clock),
    ]
    for auth in auths:
        assert_no_secret(repr(auth))
        assert_no_secret(str(auth))
    client = ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=auths[0], transport=httpx.MockTransport(lambda r: r))
    assert_no_secret(repr(client))


async def test_no_secret_in_logs_or_errors_across_auth_flows(
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
    iam: FakeIAM,
    auth_router: respx.Router,
    modelarts: Callable[..., respx.Route],
) -> None:
    caplog.set_level(logging.DEBUG)
    # The gateway echoes the canonical request, token headers included, when a signature is stale.
    echo = f"canonical request: GET|/v1/|x-auth-token:{TOKEN}|x-security-token:{SECURITY_TOKEN}|"
    modelarts(
        httpx.Response(401, json={"error_code": "APIG.0307", "error_msg": "token expired"}),
        httpx.Response(200, json={"is_success": True, "image_id": IMAGE, "tags": []}),
        httpx.Response(401, json={"error_code": "APIG.0303", "error_msg": echo}),
    )
    errors: list[BaseException] = []
    transport = httpx.MockTransport(auth_router.async_handler)
    iam_auth = IAMPasswordAuth(
        username="alice", password=PASSWORD, domain_name="acme", region="cn-north-4", clock=clock
    )
    auths: list[Any] = [iam_auth, AKSKAuth(AK, SK, security_token=SECURITY_TOKEN), TokenAuth(TOKEN)]
    for auth in auths:
        async with ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=auth, transport=transport) as client:
            for _ in range(2):
                try:
                    await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
                except ModelArtsError as exc:
                    errors.append(exc)
    iam.failure = (401, {"error": {"code": 401, "message": "The username or password is wrong."}})
    bad = IAMPasswordAuth(username="alice", password=PASSWORD, domain_name="acme", region="cn-north-4", clock=clock)
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=bad, transport=transport) as client:
        for _ in range(2):
            try:
                await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
            except ModelArtsError as exc:
                errors.append(exc)
    assert len(errors) >= 4
    for error in errors:
        assert_no_secret(error_text(error))
    assert caplog.records  # the flows did log (httpx's request lines, our token lines)
    assert_no_secret(caplog.text)
    for record in caplog.records:
        assert_no_secret(record.getMessage())
