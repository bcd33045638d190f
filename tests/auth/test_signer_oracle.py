"""`AKSKAuth` signs byte-for-byte like huaweicloudsdkcore's `Signer` (the official SDK core, a test-only dependency)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelarts_async._signer import format_sdk_date
from modelarts_async.auth import AKSKAuth

signer_module = pytest.importorskip("huaweicloudsdkcore.signer.signer")
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402

# Any character but lone surrogates (not encodable) and NUL-like controls httpx refuses in URLs.
_TEXT = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_RESERVED = st.sampled_from(list(" !\"#$%&'()*+,/:;<=>?@[\\]^`{|}~-._é中🙂"))
_SEGMENT = st.text(st.one_of(_TEXT, _RESERVED), min_size=1, max_size=10).filter(lambda s: s not in (".", ".."))
_QUERY_TEXT = st.text(st.one_of(_TEXT, _RESERVED), max_size=10)
_QUERY_KEY = st.one_of(st.sampled_from(["id", "tag_name", "page", "a b", "é"]), _QUERY_TEXT)
_HEADER_NAME = st.from_regex(r"\AX-[A-Za-z0-9][A-Za-z0-9_-]{0,12}\Z").filter(
    lambda n: n.lower() not in {"x-sdk-date", "x-project-id", "x-security-token", "x-sdk-content-sha256"}
)
_HEADER_VALUE = st.from_regex(r"\A[!-~]([ -~]{0,20}[!-~])?\Z")
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(_TEXT, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(_TEXT, max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    segments = draw(st.lists(_SEGMENT, min_size=1, max_size=5))
    path = "/" + "/".join(quote(s, safe="") for s in segments) + draw(st.sampled_from(["", "/"]))
    query = draw(st.lists(st.tuples(_QUERY_KEY, _QUERY_TEXT), max_size=6))
    names = draw(st.lists(_HEADER_NAME, max_size=4, unique_by=str.lower))
    extra = {name: draw(_HEADER_VALUE) for name in names}
    body_kind = "none" if method == "GET" else draw(st.sampled_from(["json", "json", "text", "none"]))
    return {
        "method": method,
        "host": draw(st.sampled_from(["modelarts.cn-north-4.myhuaweicloud.com", "127.0.0.1:8443", "h.example"])),
        "path": path,
        "query": query,
        "headers": extra,
        "body_kind": body_kind,
        "json": draw(st.dictionaries(st.text(_TEXT, max_size=5), _JSON, max_size=4)) if body_kind == "json" else None,
        "text": draw(st.text(_TEXT, max_size=30)) if body_kind == "text" else None,
        "timestamp": draw(st.integers(0, 4_102_444_799)),
        "project_id": draw(st.none() | st.from_regex(r"\A[0-9a-f]{32}\Z")),
        "security_token": draw(st.none() | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)),
        "ak": draw(st.from_regex(r"\A[A-Z0-9]{20}\Z")),
        "sk": draw(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)),
    }


def _ours(case: dict[str, Any]) -> httpx.Request:
    request = _unsigned(case)
    _auth(case, clock=lambda: case["timestamp"] + 0.25).sign(request)
    return request


def _auth(case: dict[str, Any], *, clock: Callable[[], float]) -> AKSKAuth:
    return AKSKAuth(
        case["ak"], case["sk"], security_token=case["security_token"], project_id=case["project_id"], clock=clock
    )


def _unsigned(case: dict[str, Any]) -> httpx.Request:
    headers = dict(case["headers"])
    kwargs: dict[str, Any] = {}
    if case["body_kind"] == "json":
        kwargs["json"] = case["json"]
    elif case["body_kind"] == "text":
        kwargs["content"] = case["text"].encode()
        headers["Content-Type"] = "text/plain; charset=utf-8"
    url = f"https://{case['host']}{case['path']}"
    return httpx.Request(case["method"], url, params=case["query"], headers=headers, **kwargs)


def _official(case: dict[str, Any], body: bytes) -> SdkRequest:
    headers = {"Host": case["host"], **case["headers"], "X-Sdk-Date": format_sdk_date(case["timestamp"])}
    if case["body_kind"] == "json":
        headers["Content-Type"] = "application/json"
    elif case["body_kind"] == "text":
        headers["Content-Type"] = "text/plain; charset=utf-8"
    if case["project_id"] is not None:
        headers["X-Project-Id"] = case["project_id"]
    if case["security_token"] is not None:
        headers["X-Security-Token"] = case["security_token"]
    request = SdkRequest(
        method=case["method"],
        schema="https",
        host=case["host"],
        resource_path=case["path"],
        query_params=list(case["query"]),
        header_params=headers,
        body=body,
    )
    credentials = SimpleNamespace(ak=case["ak"], sk=case["sk"])
    return signer_module.Signer(credentials).sign(request)


@settings(max_examples=350, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_signature_equals_the_official_signer(case: dict[str, Any]) -> None:
    ours = _ours(case)
    official = _official(case, ours.content)
    assert ours.headers["Authorization"] == official.header_params["Authorization"]
    assert ours.headers["X-Sdk-Date"] == official.header_params["X-Sdk-Date"]
    assert ours.headers.get("X-Sdk-Content-Sha256") == official.header_params.get("X-Sdk-Content-Sha256")
    # The query goes on the wire in the official SDK's canonical form, so the gateway decodes what was signed.
    assert ours.url.raw_path.decode() == official.uri


def test_json_body_matches_what_the_official_sdk_would_sign() -> None:
    # Guard for the oracle: httpx's compact JSON is the body both sides hash.
    request = httpx.Request("POST", "https://h.example/v1/p/tags/show", json={"image_id": ["a", "b"]})
    assert json.loads(request.content) == {"image_id": ["a", "b"]}


_CREDENTIALS = ("host", "headers", "ak", "sk", "security_token", "project_id")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), requests())
def test_one_auth_signs_request_after_request_like_the_official_signer(
    first: dict[str, Any], other: dict[str, Any]
) -> None:
    # An auth prepares each header set's canonical block once (issue 20): later requests with the same headers but
    # another method, path, query, body and second must still sign exactly as the official signer does.
    second = {**other, **{key: first[key] for key in _CREDENTIALS}}
    now = [0.0]
    auth = _auth(first, clock=lambda: now[0])
    for case in (first, second, first, second):
        now[0] = case["timestamp"] + 0.25
        ours = _unsigned(case)
        auth.sign(ours)
        official = _official(case, ours.content)
        assert ours.headers["Authorization"] == official.header_params["Authorization"]
        assert ours.headers.get("X-Sdk-Content-Sha256") == official.header_params.get("X-Sdk-Content-Sha256")
