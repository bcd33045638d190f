"""The fake's AK/SK check accepts what Huawei's own SDK signs and rejects everything else like the gateway."""

from __future__ import annotations

import time
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from modelarts_async import AuthenticationError, ModelArtsClient
from modelarts_async.auth import AKSKAuth
from modelarts_async.testing import FakeModelArts

signer_module = pytest.importorskip("huaweicloudsdkcore.signer.signer")
sdk_request = pytest.importorskip("huaweicloudsdkcore.sdk_request")

AK, SK = "AKFAKE1234567890", "secret-key-never-shown"


class SdkSigned(httpx.Auth):
    """Signs with huaweicloudsdkcore's Signer: the oracle, not our code."""

    def __init__(self, ak: str, sk: str, *, when: datetime | None = None) -> None:
        self.signer = signer_module.Signer(SimpleNamespace(ak=ak, sk=sk))
        self.when = when

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = {"Host": request.url.netloc.decode()}
        if self.when is not None:
            headers["X-Sdk-Date"] = self.when.strftime("%Y%m%dT%H%M%SZ")
        signed = self.signer.sign(
            sdk_request.SdkRequest(
                method=request.method,
                schema=request.url.scheme,
                host=request.url.netloc.decode(),
                resource_path=request.url.path,
                query_params=list(request.url.params.multi_items()),
                header_params=headers,
                body=request.content,
            )
        )
        request.headers.update(signed.header_params)
        yield request


@pytest.fixture
def signed_fake(fake_modelarts: FakeModelArts) -> FakeModelArts:
    fake_modelarts.aksk = (AK, SK)
    fake_modelarts.add_job("282").add_image("img 1", ["cat"])
    return fake_modelarts


async def test_a_correct_signature_is_accepted(signed_fake: FakeModelArts) -> None:
    async with signed_fake.client(auth=SdkSigned(AK, SK)) as client:
        info = await client.get_image_info_by_id(data_annotation_id="282", image_id="img 1")
    assert info.labels == ("cat",)


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (None, "APIG.0301"),
        (SdkSigned(AK, "wrong-secret"), "APIG.0301"),
        (SdkSigned("OTHERAK", SK), "APIG.0301"),
        (SdkSigned(AK, SK, when=datetime.now(UTC) - timedelta(minutes=20)), "APIG.0303"),
    ],
)
async def test_bad_signatures_are_rejected_like_the_gateway(
    signed_fake: FakeModelArts, auth: httpx.Auth | None, code: str
) -> None:
    async with signed_fake.client(auth=auth) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_image_info_by_id(data_annotation_id="282", image_id="img 1")
    assert caught.value.error_code == code
    assert caught.value.status_code == 401
    assert SK not in str(caught.value)
    assert SK not in repr(signed_fake)


async def test_a_signed_batch_call_with_a_body_and_query_is_accepted_and_a_changed_body_is_not(
    signed_fake: FakeModelArts,
) -> None:
    url = "https://modelarts.fake.invalid/v1/p/data-annotations/282/tags/show?b=2&a=x%20y"
    async with httpx.AsyncClient(transport=signed_fake.transport(), auth=SdkSigned(AK, SK)) as http:
        reply = await http.post(url, json={"image_id": ["img 1"]})
    signature = {name: reply.request.headers[name] for name in ("Authorization", "X-Sdk-Date")}
    async with httpx.AsyncClient(transport=signed_fake.transport()) as http:
        replayed = await http.post(url, json={"image_id": ["img 1"]}, headers=signature)
        tampered = await http.post(url, json={"image_id": ["img 2"]}, headers=signature)
    assert reply.json()["images_tags"] == [{"image_id": "img 1", "tags": ["cat"]}]
    assert replayed.status_code == 200  # the same request again (the gateway has no replay check either)
    assert tampered.status_code == 401
    assert tampered.json()["error_code"] == "APIG.0301"
    assert SK not in tampered.text


@pytest.mark.parametrize(
    ("auth", "code", "reason"),
    [
        (AKSKAuth(AK, "wrong-secret"), "APIG.0301", "signature does not match"),
        (AKSKAuth("OTHERAK", SK), "APIG.0301", "unknown access key"),
        (AKSKAuth(AK, SK, clock=lambda: time.time() + 16 * 60), "APIG.0303", "15 minutes"),
    ],
)
async def test_the_fake_checks_our_own_signer_over_http_too(
    signed_fake: FakeModelArts, auth: AKSKAuth, code: str, reason: str
) -> None:
    async with signed_fake.serve() as url:
        async with ModelArtsClient(url, project_id="p", auth=AKSKAuth(AK, SK)) as client:
            info = await client.get_image_info_by_id(data_annotation_id="282", image_id="img 1")
        assert info.labels == ("cat",)
        async with ModelArtsClient(url, project_id="p", auth=auth, max_attempts=1) as client:
            with pytest.raises(AuthenticationError) as caught:
                await client.get_image_info_by_id(data_annotation_id="282", image_id="img 1")
    assert (caught.value.status_code, caught.value.error_code) == (401, code)
    assert reason in str(caught.value)
    assert SK not in str(caught.value)
