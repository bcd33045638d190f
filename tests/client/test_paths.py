"""The lean path (aiohttp directly) and the httpx path must behave alike; a user's own httpx.Auth is always run."""

from __future__ import annotations

from collections.abc import Generator

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport
from support.constants import CLASSIFICATION, IMAGE, JOB, PROJECT
from support.servers import HostileServer, json_answer

from modelarts_async import AuthenticationError, ModelArtsClient
from modelarts_async.auth import AKSKAuth, TokenAuth
from modelarts_async.testing import FakeModelArts

AK, SK = "AKEXAMPLE0000000000", "sk-example-secret"
# Lean path: the client's own transport. httpx path: the same aiohttp transport passed in, which httpx drives.
PATHS = pytest.mark.parametrize("path", ["lean", "httpx"])


def client_for(url: str, path: str, **kwargs: object) -> ModelArtsClient:
    transport = AiohttpTransport() if path == "httpx" else None
    return ModelArtsClient(url, project_id=PROJECT, transport=transport, max_attempts=1, **kwargs)  # type: ignore[arg-type]


def fake_with_signatures() -> FakeModelArts:
    fake = FakeModelArts(aksk=(AK, SK))
    fake.add_job(JOB).add_image(IMAGE, ["animal", "fish"])
    return fake


@PATHS
@pytest.mark.parametrize("project_header", [None, PROJECT])
async def test_signed_calls_verify_on_the_server(path, project_header):
    fake = fake_with_signatures()
    async with fake.serve() as url, client_for(url, path, auth=AKSKAuth(AK, SK, project_id=project_header)) as client:
        info = await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
        infos = await client.get_image_info_by_ids(data_annotation_id=JOB, image_ids=[IMAGE])
    assert info.labels == infos[0].labels == ("animal", "fish")


@PATHS
async def test_a_wrong_secret_is_rejected_on_both_paths(path):
    fake = fake_with_signatures()
    async with fake.serve() as url, client_for(url, path, auth=AKSKAuth(AK, "wrong")) as client:
        with pytest.raises(AuthenticationError, match=r"APIG\.0301"):
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)


async def test_both_paths_send_the_same_headers(server: HostileServer):
    server.script(json_answer(200, CLASSIFICATION))
    sent = {}
    for path in ("lean", "httpx"):
        async with client_for(server.url, path, auth=TokenAuth("tok"), headers={"X-Trace": "t"}) as client:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
        request = server.requests[-1]
        sent[path] = {k.lower(): v for k, v in request.headers.items() if k.lower() not in ("connection",)}
    assert sent["lean"] == sent["httpx"]
    assert sent["lean"]["x-auth-token"] == "tok"


class CountingAuth(httpx.Auth):
    """A user's own auth: the client must run its flow, whatever transport it uses."""

    def __init__(self) -> None:
        self.flows = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.flows += 1
        request.headers["X-Custom-Auth"] = "yes"
        yield request


class CountingAKSK(AKSKAuth):
    """A subclass that changes the flow: it must not be skipped by the lean path."""

    flows = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        CountingAKSK.flows += 1
        yield from super().auth_flow(request)


async def test_a_users_own_auth_runs_on_the_default_transport(server: HostileServer):
    server.script(json_answer(200, CLASSIFICATION))
    auth = CountingAuth()
    async with ModelArtsClient(server.url, project_id=PROJECT, auth=auth) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert auth.flows == 1
    assert server.requests[-1].headers["x-custom-auth"] == "yes"


async def test_a_subclass_overriding_the_flow_is_run():
    fake = fake_with_signatures()
    async with fake.serve() as url, ModelArtsClient(url, project_id=PROJECT, auth=CountingAKSK(AK, SK)) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert CountingAKSK.flows == 1


async def test_the_httpx_path_on_the_default_transport_reuses_one_connection(server: HostileServer):
    server.script(json_answer(200, CLASSIFICATION))
    async with ModelArtsClient(server.url, project_id=PROJECT, auth=CountingAuth()) as client:
        for _ in range(20):
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert len(server.requests) == 20
    assert server.connections == 1


@PATHS
@pytest.mark.parametrize(
    ("auth_project", "call_project", "sent"),
    [(None, None, PROJECT), (None, "other", "other"), ("fixed", "other", "fixed")],
)
async def test_aksk_requests_name_their_project(server: HostileServer, path, auth_project, call_project, sent):
    """AK/SK requests carry X-Project-Id: the AKSKAuth's own project, else the project of the call."""
    # One body that answers both calls (each ignores the other's fields).
    server.script(json_answer(200, {**CLASSIFICATION, "images_tags": [CLASSIFICATION]}))
    auth = AKSKAuth(AK, SK, project_id=auth_project)
    async with client_for(server.url, path, auth=auth) as client:
        await client.get_image_info_by_id(project_id=call_project, data_annotation_id=JOB, image_id=IMAGE)
        await client.get_image_info_by_ids(project_id=call_project, data_annotation_id=JOB, image_ids=[IMAGE])
    assert [request.headers["x-project-id"] for request in server.requests] == [sent, sent]
    assert all("x-project-id" in request.headers["authorization"] for request in server.requests)


async def test_token_requests_send_no_project_header(server: HostileServer):
    server.script(json_answer(200, CLASSIFICATION))
    async with ModelArtsClient(server.url, project_id=PROJECT, auth=TokenAuth("tok")) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert "x-project-id" not in server.requests[0].headers
