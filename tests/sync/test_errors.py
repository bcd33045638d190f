"""Errors of the sync client: the same typed errors, raised in the caller's thread, with nothing of the loop
thread attached (no chain, no frames) and no secret reachable, whatever a hostile server echoes."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import respx
from hostile.leaks import assert_no_secret
from hostile.senders import AIOHTTP, ALL_SENDERS, HTTPX, HTTPX_OVER_AIOHTTP, PassThroughAuth, iam_auth, user_auth
from hostile.test_secrets_never_reachable import AK as HOSTILE_AK
from hostile.test_secrets_never_reachable import (
    ECHOES,
    FAILURES,
    HEADER_TOKEN,
    PASSWORD,
    SECRETS,
    SECURITY_TOKEN,
    TOKEN,
    _iam_ok,
)
from hostile.test_secrets_never_reachable import SK as HOSTILE_SK
from support.servers import HostileServer, running
from support.threaded import serving

from modelarts_async import ModelArtsError, NotFoundError, RetryPolicy, SyncModelArtsClient
from modelarts_async.auth import AKSKAuth, TokenAuth

JOB = "282"
CREDENTIALS = ("aksk", "token", "iam", "header")
SENDER_CREDENTIALS = [
    pytest.param(sender, credential, id=f"{sender}-{credential}")
    for sender in ALL_SENDERS
    for credential in CREDENTIALS
    if (sender, credential) != (AIOHTTP, "iam")
]
#: Frames from these files run on the loop thread: none may hang off an error the caller gets.
LOOP_SIDE = ("/asyncio/", "/_pipeline.py", "/_transport/", "/_v1/", "/_v2/", "/_bulk/", "/aiohttp/", "/httpx/")


async def _no_sleep(_seconds: float) -> None:
    pass


def sync_client_with(credential: str, sender: str, url: str, **options: Any) -> SyncModelArtsClient:
    """A sync client holding `credential` whose async client sends with `sender` (as `hostile.senders`)."""
    options.setdefault("project_id", "hostile-project")
    options.setdefault("retry", RetryPolicy(max_attempts=2, sleep=_no_sleep))
    if sender == HTTPX:
        options["transport"] = httpx.AsyncHTTPTransport()
    if credential == "aksk":
        options["auth"] = user_auth(sender, AKSKAuth, HOSTILE_AK, HOSTILE_SK, security_token=SECURITY_TOKEN)
    elif credential == "token":
        options["auth"] = user_auth(sender, TokenAuth, TOKEN)
    elif credential == "iam":
        options["auth"] = iam_auth(url, PASSWORD)
    else:
        options["headers"] = {"X-Auth-Token": HEADER_TOKEN}
    if sender == HTTPX_OVER_AIOHTTP and "auth" not in options:
        options["auth"] = PassThroughAuth()
    return SyncModelArtsClient(url, **options)


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    @asynccontextmanager
    async def server() -> Any:
        async with running() as served:
            yield served

    with serving(server) as served:
        yield served


def _kept_from_failing_calls(client: SyncModelArtsClient, caplog: pytest.LogCaptureFixture) -> list[object]:
    kept: list[object] = []
    with client:
        with pytest.raises(ModelArtsError) as caught:
            client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
        kept.append(caught.value)
        kept.append(caught.value.__traceback__)
        with client.iter_image_infos(["img-2", "img-3"], data_annotation_id=JOB) as results:
            bulk = list(results)
        assert not any(result.ok for result in bulk)
        kept.extend(bulk)
    kept.extend(record for record in caplog.records if not record.name.startswith("httpcore"))
    return kept


def assert_detached(error: BaseException) -> None:
    """No chain, and only frames of the caller's thread, none of whose locals shows a secret in its repr."""
    assert error.__cause__ is None
    assert error.__context__ is None
    for frame, _line in traceback.walk_tb(error.__traceback__):
        assert not any(part in frame.f_code.co_filename for part in LOOP_SIDE), frame.f_code.co_filename
        assert_no_secret([repr(value) for value in frame.f_locals.values()], SECRETS)


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize(("sender", "credential"), SENDER_CREDENTIALS)
def test_no_secret_reachable_from_a_sync_clients_errors(
    hostile: HostileServer, sender: str, credential: str, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fail = FAILURES[failure]
    hostile.route(lambda request: _iam_ok(request) if request.path == "/v3/auth/tokens" else fail())
    kept = _kept_from_failing_calls(sync_client_with(credential, sender, hostile.url), caplog)
    assert_no_secret(kept, SECRETS)
    assert isinstance(kept[0], ModelArtsError)
    assert_detached(kept[0])


def test_an_error_has_no_chain_and_no_frame_of_the_loop_thread(hostile: HostileServer) -> None:
    hostile.route(lambda _request: ECHOES["json-object-error-msg"]())
    with sync_client_with("aksk", AIOHTTP, hostile.url) as client, pytest.raises(ModelArtsError) as caught:
        client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert_detached(caught.value)
    frames = [frame.f_code.co_name for frame, _ in traceback.walk_tb(caught.value.__traceback__)]
    assert frames[0] == "test_an_error_has_no_chain_and_no_frame_of_the_loop_thread"


def test_respx_mock_sees_the_sync_clients_requests() -> None:
    # Users wrap code that uses the default client in respx.mock: the loop thread's requests are mocked too.
    url = "https://modelarts.cn-north-4.myhuaweicloud.com"
    with respx.mock(base_url=url) as router:
        route = router.get(path__regex=r"/v2/p/datasets/missing$").respond(
            400, json={"error_code": "ModelArts.4352", "error_msg": "Dataset [missing] does not exist."}
        )
        with SyncModelArtsClient(url, project_id="p") as client, pytest.raises(NotFoundError) as caught:
            client.get_dataset(dataset_id="missing")
    assert route.called
    assert caught.value.error_code == "ModelArts.4352"
    assert_detached(caught.value)
