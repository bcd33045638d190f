"""`get_image_info_by_id` at the HTTP boundary: what is sent, what comes back, and every way it fails."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from support.constants import CLASSIFICATION, ENDPOINT, IMAGE, JOB, PROJECT, TAGS_URL

from modelarts_async import (
    APIError,
    AuthenticationError,
    ClientStateError,
    DetectionTag,
    ImageInfo,
    InvalidArgumentError,
    ModelArtsClient,
    ModelArtsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    TransportError,
    __version__,
)

DETECTION = {"is_success": True, "tags": [{"tag": "flower", "pos": [10, 0, 100, 100]}], "size": [1920, 1080]}


def make_client(transport: httpx.AsyncBaseTransport, **kwargs: object) -> ModelArtsClient:
    """One attempt per call: these tests are about decoding each answer, retries are tested in tests/resilience."""
    return ModelArtsClient(ENDPOINT, transport=transport, max_attempts=1, **kwargs)  # type: ignore[arg-type]


async def test_seed_call_works_verbatim_and_sends_documented_request(router, mock_transport):
    route = router.get(TAGS_URL).respond(json=CLASSIFICATION)
    async with make_client(mock_transport) as client:
        info = await client.get_image_info_by_id(project_id=PROJECT, data_annotation_id=JOB, image_id=IMAGE)
    assert info == ImageInfo(image_id=IMAGE, tags=("animal", "fish"))
    assert info.labels == ("animal", "fish")
    assert not info.is_detection
    sent = route.calls.last.request
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["user-agent"].startswith(f"modelarts-async/{__version__}")


async def test_detection_answer_without_image_id_takes_the_requested_one(router, mock_transport):
    router.get(TAGS_URL).respond(json=DETECTION)
    async with make_client(mock_transport, project_id=PROJECT) as client:
        info = await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert info.image_id == IMAGE
    assert info.is_detection
    assert info.tags == (DetectionTag(tag="flower", pos=(10, 0, 100, 100)),)
    assert info.size == (1920, 1080)
    assert info.labels == ("flower",)


async def test_call_project_overrides_client_default(router, mock_transport):
    other = "aaaa"
    router.get(TAGS_URL.replace(PROJECT, other)).respond(json=CLASSIFICATION)
    async with make_client(mock_transport, project_id=PROJECT) as client:
        info = await client.get_image_info_by_id(project_id=other, data_annotation_id=JOB, image_id=IMAGE)
    assert info.image_id == IMAGE


async def test_user_headers_are_sent(router, mock_transport):
    route = router.get(TAGS_URL).respond(json=CLASSIFICATION)
    async with make_client(mock_transport, project_id=PROJECT, headers={"X-Trace": "t1"}) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert route.calls.last.request.headers["x-trace"] == "t1"


async def test_missing_project_is_rejected_before_sending(router, mock_transport):
    async with make_client(mock_transport) as client:
        with pytest.raises(InvalidArgumentError, match="project_id"):
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert not router.calls


BAD_SEGMENTS = ["", ".", "..", "a/b", "a\\b", "a?b", "a#b", "a%2Fb", "a\nb", "a\x00b", "a\x7fb", " a", 5]


@pytest.mark.parametrize("argument", ["project_id", "data_annotation_id", "image_id"])
@pytest.mark.parametrize("value", BAD_SEGMENTS, ids=repr)
async def test_ids_that_are_not_one_path_segment_are_rejected_before_sending(router, mock_transport, argument, value):
    kwargs = {"project_id": PROJECT, "data_annotation_id": JOB, "image_id": IMAGE, argument: value}
    async with make_client(mock_transport) as client:
        with pytest.raises(InvalidArgumentError, match=argument) as caught:
            await client.get_image_info_by_id(**kwargs)
    assert isinstance(caught.value, ValueError)
    assert not router.calls


async def test_unusual_but_safe_characters_stay_inside_their_segment(router, mock_transport):
    route = router.route().respond(json=CLASSIFICATION)
    async with make_client(mock_transport, project_id=PROJECT) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id="名 字+&=;")
    path = route.calls.last.request.url.raw_path.decode()
    assert path == f"/v1/{PROJECT}/data-annotations/{JOB}/images/%E5%90%8D%20%E5%AD%97%2B%26%3D%3B/tags"


HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    ("status", "body", "headers", "error_type", "error_code", "message_part"),
    [
        (
            401,
            {"error_code": "APIG.0301", "error_msg": "Incorrect IAM authentication information"},
            {},
            AuthenticationError,
            "APIG.0301",
            "credentials were rejected",
        ),
        (
            401,
            {"error_code": "APIG.0303", "error_msg": "signature expired"},
            {},
            AuthenticationError,
            "APIG.0303",
            "clock",
        ),
        (
            403,
            {"code": "ModelArts.0210", "message": "project mismatch"},
            {},
            PermissionDeniedError,
            "ModelArts.0210",
            "another project",
        ),
        (
            404,
            {"error_code": "APIG.0101", "error_msg": "The API does not exist"},
            {},
            NotFoundError,
            "APIG.0101",
            "does not offer the v1 data-annotation API",
        ),
        (
            404,
            {"errorCode": "ModelArts.0102", "errorMsg": "image not found"},
            {},
            NotFoundError,
            "ModelArts.0102",
            "image not found",
        ),
        (
            429,
            {"error_code": "APIG.0308", "error_msg": "limit:10,time:1 minute"},
            {"Retry-After": "3"},
            RateLimitError,
            "APIG.0308",
            "retry after 3 s",
        ),
        (
            500,
            {"error_code": "ModelArts.0114", "error_msg": "too frequent"},
            {},
            RateLimitError,
            "ModelArts.0114",
            "throttled",
        ),
        (503, {"error_code": "ModelArts.9999", "error_msg": "busy"}, {}, ServerError, "ModelArts.9999", "busy"),
        (502, HTML_502, {"Content-Type": "text/html"}, ServerError, None, "502 Bad Gateway"),
        (400, {"error_code": "ModelArts.0104", "error_msg": "bad parameter"}, {}, APIError, "ModelArts.0104", "bad"),
        (
            200,
            {"is_success": False, "error_code": "ModelArts.0102", "error_msg": "no such job"},
            {},
            NotFoundError,
            "ModelArts.0102",
            "no such job",
        ),
    ],
)
async def test_service_failures_become_typed_errors(
    router, mock_transport, status, body, headers, error_type, error_code, message_part
):
    content = body if isinstance(body, bytes) else None
    json_body = None if content is not None else body
    router.get(TAGS_URL).respond(status, json=json_body, content=content, headers={"X-Request-Id": "rid-1", **headers})
    async with make_client(mock_transport, project_id=PROJECT) as client:
        with pytest.raises(error_type) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    error = caught.value
    assert type(error) is error_type
    assert error.status_code == status
    assert error.error_code == error_code
    assert error.request_id == "rid-1"
    assert message_part in str(error)
    assert "rid-1" in str(error)


async def test_rate_limit_error_carries_retry_after(router, mock_transport):
    router.get(TAGS_URL).respond(429, json={"error_code": "APIG.0308"}, headers={"Retry-After": "2"})
    async with make_client(mock_transport, project_id=PROJECT) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert caught.value.retry_after == 2.0


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        (b"", "not JSON"),
        (b'{"is_success": true, "tags": ["a"', "not JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"is_success": true, "image_id": "x"}', "$.tags"),
        (b'{"is_success": true, "tags": ["a", {"tag": "b", "pos": []}]}', "$.tags"),
        (b'{"is_success": true, "tags": [{"tag": "b", "pos": ["1", 2]}]}', "$.tags[0].pos[0]"),
        (b'{"is_success": true, "tags": [{"tag": "b", "pos": [{"x": 1}]}]}', "$.tags[0].pos[0]"),
    ],
)
async def test_answers_not_in_the_documented_shape_are_validation_errors(router, mock_transport, body, message_part):
    router.get(TAGS_URL).respond(200, content=body, headers={"X-Request-Id": "rid-2"})
    async with make_client(mock_transport, project_id=PROJECT) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert message_part in str(caught.value)
    assert caught.value.request_id == "rid-2"
    assert caught.value.status_code == 200
    if message_part.startswith("$"):
        assert IMAGE in str(caught.value)


async def test_long_non_json_bodies_are_cut_to_200_characters(router, mock_transport):
    router.get(TAGS_URL).respond(200, content=b"x" * 5000)
    async with make_client(mock_transport, project_id=PROJECT) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert caught.value.body_excerpt == "x" * 200
    assert "x" * 201 not in str(caught.value)


@pytest.mark.parametrize(
    ("raised", "error_type", "message_part"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), TransportError, "ConnectError"),
        (httpx.RemoteProtocolError("Server disconnected"), TransportError, "closed the connection"),
        (httpx.ReadTimeout("timed out"), RequestTimeoutError, "read timeout"),
        (httpx.PoolTimeout("no connection"), RequestTimeoutError, "pool timeout"),
    ],
)
async def test_transport_failures_become_typed_errors_without_the_transports_exception(
    router, mock_transport, raised, error_type, message_part
):
    router.get(TAGS_URL).mock(side_effect=raised)
    async with make_client(mock_transport, project_id=PROJECT) as client:
        with pytest.raises(error_type, match=message_part) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    # The transport's exception carries the request (and so its credential headers): it is not chained.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert isinstance(caught.value, ModelArtsError)


async def test_owned_http_client_is_closed_and_later_calls_fail_clearly(router, mock_transport):
    router.get(TAGS_URL).respond(json=CLASSIFICATION)
    client = make_client(mock_transport, project_id=PROJECT)
    async with client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    with pytest.raises(ClientStateError, match="closed"):
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    await client.aclose()  # closing twice is harmless


async def test_user_supplied_http_client_is_used_and_never_closed(router, mock_transport):
    route = router.get(TAGS_URL).respond(json=CLASSIFICATION)
    async with httpx.AsyncClient(transport=mock_transport, headers={"X-Mine": "1"}) as http:
        async with ModelArtsClient(ENDPOINT, project_id=PROJECT, http_client=http) as client:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
        assert not http.is_closed
        assert route.calls.last.request.headers["x-mine"] == "1"


def test_transport_and_http_client_together_are_rejected(mock_transport):
    with pytest.raises(InvalidArgumentError, match="either"):
        ModelArtsClient(ENDPOINT, transport=mock_transport, http_client=httpx.AsyncClient())


def test_using_the_client_from_a_second_event_loop_fails_with_advice(router, mock_transport):
    router.get(TAGS_URL).respond(json=CLASSIFICATION)
    client = make_client(mock_transport, project_id=PROJECT)

    async def call() -> ImageInfo:
        return await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)

    assert asyncio.run(call()).image_id == IMAGE
    with pytest.raises(ClientStateError, match="one client per event loop"):
        asyncio.run(call())


def test_repr_shows_endpoint_and_project_only(mock_transport):
    client = ModelArtsClient(ENDPOINT, project_id=PROJECT, transport=mock_transport, headers={"X-Auth-Token": "s3"})
    assert repr(client) == f"ModelArtsClient(endpoint={ENDPOINT!r}, project_id={PROJECT!r})"


@pytest.mark.parametrize(
    ("endpoint", "message_part"),
    [
        ("modelarts.example.com", "must be an http"),
        ("ftp://x", "must be an http"),
        ("https://u:secret@h", "user name"),
        ("https://h?x=1", "query"),
    ],
)
def test_bad_endpoints_are_rejected_without_echoing_them(endpoint, message_part):
    with pytest.raises(InvalidArgumentError, match=message_part) as caught:
        ModelArtsClient(endpoint)
    assert "secret" not in str(caught.value)
