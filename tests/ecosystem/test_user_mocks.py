"""Users test their own code with respx and pytest-httpx: both see the default client's requests, with no transport=.

Each test builds the client exactly as application code would (the default transport, a real endpoint name) and
mocks it exactly as the mock libraries' own docs show. Nothing may reach the network: the endpoint does not resolve.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from pytest_httpx import HTTPXMock

from modelarts_async import ModelArtsClient, NotFoundError
from modelarts_async._transport._mocking import httpx_is_mocked
from modelarts_async.auth import AKSKAuth, IAMPasswordAuth, TokenAuth
from modelarts_async.testing import FakeModelArts

ENDPOINT = "https://modelarts.cn-north-4.myhuaweicloud.com"
PROJECT = "cc0f0990a56f4f9b8b3e7b0e2c7e1f00"
IMAGE = "076e3caed758a1c18c91a0e9cae3368f"
TAGS_URL = f"{ENDPOINT}/v1/{PROJECT}/data-annotations/282/images/{IMAGE}/tags"
IAM_URL = "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens"
ANSWER = {"is_success": True, "image_id": IMAGE, "tags": ["cat"]}


def auths() -> dict[str, Any]:
    iam = IAMPasswordAuth(username="u", password="p4ssw0rd-x", domain_name="d", region="cn-north-4")
    return {"none": None, "aksk": AKSKAuth("AK" * 10, "SK" * 20), "token": TokenAuth("t0ken-abc"), "iam": iam}


AUTHS = list(auths())


def mock_iam(router: Any) -> None:
    router.post(IAM_URL).respond(201, json={"token": {}}, headers={"X-Subject-Token": "iam-token"})


async def get(client: ModelArtsClient) -> Any:
    return await client.get_image_info_by_id(data_annotation_id="282", image_id=IMAGE)


@pytest.mark.parametrize("auth", AUTHS)
@respx.mock
async def test_respx_decorator_sees_single_and_bulk_calls(auth: str) -> None:
    route = respx.get(TAGS_URL).respond(json=ANSWER)
    if auth == "iam":
        mock_iam(respx)
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=auths()[auth]) as client:
        assert (await get(client)).labels == ("cat",)
        results = await client.get_image_infos([IMAGE] * 3, data_annotation_id="282")
    assert [r.info.labels for r in results if r.info] == [("cat",)] * 3
    assert route.call_count == 4
    request = route.calls.last.request
    if auth == "aksk":
        assert request.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=")
    if auth in ("token", "iam"):
        assert request.headers["X-Auth-Token"] in ("t0ken-abc", "iam-token")


@pytest.mark.parametrize("using", ["httpcore", "httpx"])
@pytest.mark.parametrize("auth", AUTHS)
async def test_respx_context_manager_with_either_mocker(auth: str, using: str) -> None:
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=auths()[auth]) as client:
        with respx.mock(using=using, assert_all_called=False) as router:
            route = router.get(TAGS_URL).respond(404, json={"error_code": "ModelArts.0102", "error_msg": "no image"})
            mock_iam(router)
            with pytest.raises(NotFoundError, match="no image"):
                await get(client)
    assert route.called


async def test_the_respx_mock_fixture(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(TAGS_URL).respond(json=ANSWER)
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT) as client:
        assert (await get(client)).labels == ("cat",)


@pytest.mark.parametrize("auth", AUTHS)
async def test_pytest_httpx_sees_single_and_bulk_calls(httpx_mock: HTTPXMock, auth: str) -> None:
    httpx_mock.add_response(url=TAGS_URL, json=ANSWER, is_reusable=True)
    if auth == "iam":
        httpx_mock.add_response(
            url=httpx.URL(IAM_URL, params={"nocatalog": "true"}),
            status_code=201,
            json={},
            headers={"X-Subject-Token": "iam-token"},
        )
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=auths()[auth]) as client:
        assert (await get(client)).labels == ("cat",)
        async with client.iter_image_infos([IMAGE, IMAGE], data_annotation_id="282") as results:
            assert [r.ok async for r in results] == [True, True]
    assert len([r for r in httpx_mock.get_requests() if r.url == TAGS_URL]) == 3


async def test_without_a_mock_the_default_client_sends_over_its_own_pool() -> None:
    assert not httpx_is_mocked()
    fake = FakeModelArts()
    fake.add_job("282").add_image(IMAGE, ["cat"])
    async with fake.serve() as url, ModelArtsClient(url, project_id=PROJECT) as client:
        assert (await get(client)).labels == ("cat",)
        with respx.mock(assert_all_called=False) as router:
            router.get(url__startswith=url).respond(json={**ANSWER, "tags": ["mocked"]})
            assert (await get(client)).labels == ("mocked",)
        assert (await get(client)).labels == ("cat",)  # the mock ended: the real server answers again
    assert len(fake.requests) == 2
