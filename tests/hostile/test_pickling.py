"""Every error can cross a process boundary: pickled and unpickled, it keeps its type, message and attributes.

The errors are the ones the client raises for real answers of a loopback server, not hand-made instances.
"""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path
from typing import Any

import pytest
from support.servers import JOB, HostileServer, Request, answer, close_mid_body, json_answer

import modelarts_async
from hostile.senders import make_client
from modelarts_async import (
    APIError,
    AuthenticationError,
    ClientStateError,
    ConfigError,
    ImageDownloadError,
    ImageResult,
    InvalidArgumentError,
    ModelArtsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    RetryPolicy,
    Sample,
    ServerError,
    TransportError,
    create_client,
)

FIELDS = ("status_code", "error_code", "error_msg", "request_id", "retry_after", "attempts", "phase", "body_excerpt")


def _error_body(code: str, message: str) -> dict[str, Any]:
    return {"is_success": False, "error_code": code, "error_msg": message}


ANSWERS = {
    APIError: json_answer(400, _error_body("ModelArts.0001", "bad request"), {"X-Request-Id": "req-400"}),
    AuthenticationError: json_answer(401, _error_body("APIG.0301", "incorrect token"), {"X-Request-Id": "req-401"}),
    PermissionDeniedError: json_answer(403, _error_body("ModelArts.0204", "no permission"), {"X-Request-Id": "r3"}),
    NotFoundError: json_answer(404, _error_body("ModelArts.0102", "no such image"), {"X-Request-Id": "req-404"}),
    RateLimitError: json_answer(429, _error_body("APIG.0308", "throttled"), {"Retry-After": "7", "X-Request-Id": "r"}),
    ServerError: json_answer(503, _error_body("ModelArts.0001", "busy"), {"X-Request-Id": "req-503"}),
    TransportError: close_mid_body(),
    ResponseValidationError: answer(200, b"<html>maintenance</html>", {"X-Request-Id": "req-html"}),
}


async def _silent(_request: Request, _writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(10)


async def realistic_errors(server: HostileServer, tmp_path: Path) -> list[ModelArtsError]:
    """One error of every class, each raised by the client for what a server (or its caller) did."""
    errors: list[ModelArtsError] = []
    retry = RetryPolicy(max_attempts=2, sleep=lambda _seconds: asyncio.sleep(0), max_retry_after=10)
    for cls, handler in ANSWERS.items():
        server.script(handler)
        async with make_client("aiohttp", server.url, retry=retry) as client:
            with pytest.raises(cls) as caught:
                await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
            errors.append(caught.value)
    server.script(answer(200, b"<html>not an image</html>", {"Content-Type": "image/png"}))
    async with make_client("aiohttp", server.url, retry=retry) as client:
        sample = Sample("a" * 32, source=f"{server.url}/a.png?Signature=sig")
        async with client.download_images([sample], tmp_path / "images", dataset_id="ds") as downloads:
            [download] = [download async for download in downloads]
        assert isinstance(download.error, ImageDownloadError)
        errors.append(download.error)
    server.script(_silent)
    async with make_client("aiohttp", server.url, retry=retry, timeout=0.05) as client:
        with pytest.raises(RequestTimeoutError) as timeout:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
        with pytest.raises(InvalidArgumentError) as invalid:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="../etc")
    with pytest.raises(ClientStateError) as closed:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    config = tmp_path / "config.json"
    config.write_text("{not json")
    with pytest.raises(ConfigError) as bad_config:
        create_client(config_file=config)
    errors += [timeout.value, invalid.value, closed.value, bad_config.value, ModelArtsError("the base class")]
    return errors


def _same(before: BaseException, after: BaseException) -> None:
    assert type(after) is type(before)
    assert str(after) == str(before)
    assert after.args == before.args
    for name in FIELDS:
        assert getattr(after, name, None) == getattr(before, name, None), name


async def test_every_error_class_pickles_with_its_attributes(server: HostileServer, tmp_path: Path) -> None:
    errors = await realistic_errors(server, tmp_path)
    assert {type(error) for error in errors} == {
        getattr(modelarts_async, name)
        for name in modelarts_async.__all__
        if isinstance(getattr(modelarts_async, name), type) and issubclass(getattr(modelarts_async, name), Exception)
    }, "one realistic error per public error class"
    rate_limited = next(e for e in errors if isinstance(e, RateLimitError))
    assert (rate_limited.retry_after, rate_limited.attempts, rate_limited.request_id) == (7.0, 2, "r")
    for error in errors:
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            _same(error, pickle.loads(pickle.dumps(error, protocol)))


async def test_a_bulk_result_with_an_error_pickles(server: HostileServer) -> None:
    def route(request: Request) -> Any:
        if request.image_id() == "gone":
            return ANSWERS[NotFoundError]
        if request.image_id() == "busy":
            return ANSWERS[RateLimitError]
        return answer(200, b'{"is_success": true, "image_id": "ok", "tags": ["cat"]}')

    server.route(route)
    retry = RetryPolicy(max_attempts=1)
    async with make_client("aiohttp", server.url, retry=retry) as client:
        results = await client.get_image_infos(["ok", "gone", "busy", "../x"], data_annotation_id=JOB)
    for result in results:
        copy = pickle.loads(pickle.dumps(result))
        assert isinstance(copy, ImageResult)
        assert (copy.image_id, copy.info, copy.ok) == (result.image_id, result.info, result.ok)
        if result.error is not None:
            assert copy.error is not None
            _same(result.error, copy.error)
    assert [type(result.error) for result in results] == [
        type(None),
        NotFoundError,
        RateLimitError,
        InvalidArgumentError,
    ]
