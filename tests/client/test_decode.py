"""The pure decoder: status, headers and body in; a JSON object or a typed error out."""

from __future__ import annotations

import email.utils
import json

import pytest

from modelarts_async import APIError, AuthenticationError, RateLimitError, ResponseValidationError, ServerError
from modelarts_async._decode import decode_response, parse_retry_after


def test_success_returns_the_object():
    assert decode_response(200, {}, b'{"is_success": true, "tags": []}') == {"is_success": True, "tags": []}


@pytest.mark.parametrize(
    "body",
    [
        b'{"error_code": "E.1", "error_msg": "m"}',
        b'{"code": "E.1", "message": "m"}',
        b'{"errorCode": "E.1", "errorMsg": "m"}',
    ],
)
def test_every_error_spelling_is_read(body):
    with pytest.raises(APIError) as caught:
        decode_response(400, {}, body)
    assert (caught.value.error_code, caught.value.error_msg) == ("E.1", "m")


def test_request_id_falls_back_to_the_body():
    with pytest.raises(ServerError) as caught:
        decode_response(500, {}, b'{"error_code": "X", "request_id": "r-9"}')
    assert caught.value.request_id == "r-9"


def test_throttling_code_wins_over_status():
    with pytest.raises(RateLimitError):
        decode_response(200, {}, b'{"is_success": false, "error_code": "APIG.0308", "error_msg": "limit:10"}')


def test_echoed_token_headers_are_redacted():
    msg = "canonical: GET|/v1/x/|x-auth-token:tok-SECRET|x-security-token:sec-SECRET|x-sdk-date:20260101T000000Z"
    body = json.dumps({"error_code": "APIG.0303", "error_msg": msg}).encode()
    with pytest.raises(AuthenticationError) as caught:
        decode_response(401, {}, body)
    for text in (str(caught.value), repr(caught.value), caught.value.error_msg or ""):
        assert "SECRET" not in text
    assert "x-sdk-date:20260101T000000Z" in str(caught.value)


def test_non_json_success_is_a_validation_error_with_an_excerpt():
    with pytest.raises(ResponseValidationError, match="not JSON") as caught:
        decode_response(200, {"x-request-id": "r"}, b"<html>maintenance</html>")
    assert caught.value.body_excerpt == "<html>maintenance</html>"


@pytest.mark.parametrize(("value", "seconds"), [("3", 3.0), (" 2.5 ", 2.5), ("-4", 0.0), ("soon", None), (None, None)])
def test_retry_after_in_seconds(value, seconds):
    assert parse_retry_after(value) == seconds


def test_retry_after_as_http_date():
    now = 1_800_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
