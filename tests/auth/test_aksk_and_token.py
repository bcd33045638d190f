"""`AKSKAuth` and `TokenAuth` on the wire, and `verify_request` (what a server checks) on what `AKSKAuth` sends."""

from __future__ import annotations

import httpx
import pytest
import respx
from support.constants import CLASSIFICATION, ENDPOINT, IMAGE, JOB, PROJECT, TAGS_URL

from modelarts_async import InvalidArgumentError, ModelArtsClient
from modelarts_async._signer import sign_request, verify_request
from modelarts_async.auth import AKSKAuth, TokenAuth

AK = "HPUABCDEFGHIJKLMNOPQ"
SK = "sk-SECRET-0123456789abcdefghijklmnopqrstuv"
SECURITY_TOKEN = "stok-SECRET-abcdef"
NOW = 1_700_000_000.4


def secret_for(ak: str) -> str | None:
    return SK if ak == AK else None


def verify(request: httpx.Request) -> str | None:
    return verify_request(
        request.method, str(request.url), request.headers.multi_items(), request.content, secret_key_for=secret_for
    )


async def test_signed_calls_verify_and_carry_project_and_security_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reason = verify(request)
        if reason is not None:
            return httpx.Response(401, json={"error_code": "APIG.0301", "error_msg": reason})
        return httpx.Response(200, json=CLASSIFICATION)

    router = respx.Router()
    router.get(TAGS_URL).mock(side_effect=answer)
    auth = AKSKAuth(AK, SK, security_token=SECURITY_TOKEN, project_id=PROJECT, clock=lambda: NOW)
    transport = httpx.MockTransport(router.async_handler)
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=auth, transport=transport) as client:
        info = await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert info.labels == ("animal", "fish")
    headers = seen[0].headers
    assert headers["X-Sdk-Date"] == "20231114T221320Z"
    assert headers["X-Project-Id"] == PROJECT
    assert headers["X-Security-Token"] == SECURITY_TOKEN
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-sdk-date", "x-project-id", "x-security-token"} <= set(signed)
    assert not {"connection", "accept-encoding", "content-length"} & set(signed)


def test_the_query_is_sent_in_the_order_and_encoding_that_was_signed() -> None:
    request = httpx.Request("GET", "https://h.example/v1/x", params=[("b", "a b"), ("a", "2"), ("a", "1+1")])
    AKSKAuth(AK, SK, clock=lambda: NOW).sign(request)
    assert request.url.query == b"a=1%2B1&a=2&b=a%20b"


def test_a_request_without_project_sends_no_project_header() -> None:
    request = httpx.Request("GET", "https://h.example/v1/x")
    AKSKAuth(AK, SK, clock=lambda: NOW).sign(request)
    assert "X-Project-Id" not in request.headers
    assert "X-Security-Token" not in request.headers


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda r: r.headers.__setitem__("X-Project-Id", "other"), "signature does not match"),
        (lambda r: setattr(r, "url", r.url.copy_with(path="/v1/y")), "signature does not match"),
        (lambda r: r.headers.__setitem__("X-Sdk-Date", "20231114T221321Z"), "signature does not match"),
        (lambda r: r.headers.pop("X-Project-Id"), "signed header is missing"),
        (lambda r: r.headers.pop("Authorization"), "does not start with SDK-HMAC-SHA256"),
        (
            lambda r: r.headers.__setitem__("Authorization", r.headers["Authorization"].replace(AK, "OTHER")),
            "unknown access key",
        ),
    ],
)
def test_verify_request_rejects_tampered_requests(tamper, reason: str) -> None:  # type: ignore[no-untyped-def]
    request = httpx.Request("POST", "https://h.example/v1/x?q=1", json={"a": 1}, headers={"X-Project-Id": "p"})
    AKSKAuth(AK, SK, clock=lambda: NOW).sign(request)
    assert verify(request) is None
    tamper(request)
    got = verify(request)
    assert got is not None
    assert reason in got
    assert SK not in got


def test_verify_request_rejects_a_changed_body() -> None:
    request = httpx.Request("POST", "https://h.example/v1/x", json={"a": 1})
    AKSKAuth(AK, SK, clock=lambda: NOW).sign(request)
    got = verify_request("POST", "/v1/x", request.headers.multi_items(), b'{"a":2}', secret_key_for=secret_for)
    assert got == "the signature does not match"


def test_sign_request_is_usable_standalone_and_agrees_with_aksk_auth() -> None:
    request = httpx.Request("GET", "https://h.example/v1/p/a%20b?x=1&x=0", headers={"X-Project-Id": "p"})
    AKSKAuth(AK, SK, clock=lambda: NOW).sign(request)
    added = sign_request(
        "GET",
        "/v1/p/a%20b?x=0&x=1",
        [("Host", "h.example"), ("X-Project-Id", "p")],
        b"",
        access_key=AK,
        secret_key=SK,
        sdk_date="20231114T221320Z",
    )
    assert added == {"X-Sdk-Date": "20231114T221320Z", "Authorization": request.headers["Authorization"]}


async def test_token_auth_sends_x_auth_token() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("x-auth-token"))
        return httpx.Response(200, json=CLASSIFICATION)

    router = respx.Router()
    router.get(TAGS_URL).mock(side_effect=answer)
    transport = httpx.MockTransport(router.async_handler)
    async with ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=TokenAuth("tok-SECRET"), transport=transport) as c:
        await c.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert seen == ["tok-SECRET"]


def test_token_auth_works_with_a_sync_client_too() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, text=r.headers["x-auth-token"]))
    with httpx.Client(transport=transport, auth=TokenAuth("tok")) as http:
        assert http.get("https://h.example/").text == "tok"


@pytest.mark.parametrize(
    "build",
    [
        lambda: AKSKAuth("", SK),
        lambda: AKSKAuth(AK, ""),
        lambda: AKSKAuth(AK, SK, security_token=""),
        lambda: TokenAuth(""),
    ],
)
def test_empty_credentials_are_refused(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError):
        build()


def test_the_auth_module_exports_exactly_its_documented_classes() -> None:
    import modelarts_async.auth as auth_module

    assert sorted(auth_module.__all__) == ["AKSKAuth", "IAMPasswordAuth", "TokenAuth"]
    for name in auth_module.__all__:
        cls = getattr(auth_module, name)
        assert issubclass(cls, httpx.Auth)
        assert cls.__doc__
