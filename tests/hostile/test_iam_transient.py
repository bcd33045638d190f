"""Issue 11, item 6: IAM throttling, server errors and unreadable answers are transient, retried with the client's
policy (Retry-After honoured); only IAM judging the credentials (a 4xx other than 429) is final, and then the
password is never sent again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from support.servers import JOB, Handler, HostileServer, Request, answer, close_mid_body, json_answer, raw, service

from hostile.senders import Waits, iam_auth, make_client
from modelarts_async import AuthenticationError, ModelArtsError, RateLimitError, RetryPolicy, ServerError
from modelarts_async.auth import IAMPasswordAuth

PASSWORD = "pwIamTransient-0123456789"
ISSUED = "isIamTransientToken-0123456789"
TOKEN_PATH = "/v3/auth/tokens"


def issued() -> Handler:
    body = json.dumps({"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}}).encode()
    return answer(201, body, {"X-Subject-Token": ISSUED})


class IAM:
    """IAM on the hostile server: answers token requests with the scripted handlers in turn, then `issued()`."""

    def __init__(self, server: HostileServer, *handlers: Handler) -> None:
        self._script = list(handlers)
        server.route(self._route)

    def _route(self, request: Request) -> Handler:
        if request.path != TOKEN_PATH:
            assert request.headers["x-auth-token"] == ISSUED
            return service
        return self._script.pop(0) if self._script else issued()


def iam_requests(server: HostileServer) -> list[Request]:
    return [r for r in server.requests if r.path == TOKEN_PATH]


def _auth(server: HostileServer) -> IAMPasswordAuth:
    return iam_auth(server.url, PASSWORD)


async def test_one_iam_429_is_waited_out_then_the_call_succeeds(
    server: HostileServer, httpx_sender: str, waits: Waits
) -> None:
    throttled = {"error": {"code": "IAM.0429", "message": "too many requests"}}
    IAM(server, json_answer(429, throttled, {"Retry-After": "3"}))
    async with make_client(httpx_sender, server.url, auth=_auth(server), retry=RetryPolicy(sleep=waits)) as client:
        info = await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
        assert info.labels == ("cat",)
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-2")  # not sticky
    assert waits.seconds == [3.0]
    assert len(iam_requests(server)) == 2


TRANSIENT: dict[str, Callable[[], Handler]] = {
    "503": lambda: json_answer(503, {"error": {"code": "IAM.0503", "message": "busy"}}),
    "500-html": lambda: answer(500, b"<html>oops</html>", {"Content-Type": "text/html"}),
    "garbage-200": lambda: answer(200, b"\x00\xffnot json"),
    "201-without-token": lambda: json_answer(201, {"token": {}}),
    "closed-mid-answer": close_mid_body,
    "malformed-status-line": lambda: raw(b"HTTP/1.1 2x0 OK\r\n\r\n"),
}


@pytest.mark.parametrize("failure", list(TRANSIENT))
async def test_a_transient_iam_failure_is_retried_and_never_sticky(
    server: HostileServer, httpx_sender: str, failure: str, waits: Waits
) -> None:
    # Twice, so that a call given one attempt fails, and the next call, given more, still succeeds.
    IAM(server, TRANSIENT[failure](), TRANSIENT[failure](), TRANSIENT[failure]())
    auth = _auth(server)
    async with make_client(httpx_sender, server.url, auth=auth, retry=RetryPolicy(sleep=waits)) as client:
        with pytest.raises(ModelArtsError) as caught:
            await client.with_options(max_attempts=1).get_image_info_by_id(data_annotation_id=JOB, image_id="i")
        assert not isinstance(caught.value, AuthenticationError), repr(caught.value)
        info = await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert info.labels == ("cat",)
    assert len(iam_requests(server)) >= 3


async def test_callers_waiting_on_a_failed_iam_request_are_retried_too(
    server: HostileServer, httpx_sender: str, waits: Waits
) -> None:
    IAM(server, json_answer(503, {"error": {"code": "IAM.0503", "message": "busy"}}))
    async with make_client(httpx_sender, server.url, auth=_auth(server), retry=RetryPolicy(sleep=waits)) as client:
        infos = await asyncio.gather(
            *(client.get_image_info_by_id(data_annotation_id=JOB, image_id=f"img-{n}") for n in range(10))
        )
    assert [info.image_id for info in infos] == [f"img-{n}" for n in range(10)]
    assert len(iam_requests(server)) == 2, "single flight: one failed token request, one that worked"


async def test_iam_throttling_in_a_bulk_run_is_retried(server: HostileServer, httpx_sender: str, waits: Waits) -> None:
    IAM(server, json_answer(429, {"error": {"code": "IAM.0429", "message": "slow down"}}, {"Retry-After": "0.2"}))
    async with make_client(httpx_sender, server.url, auth=_auth(server), retry=RetryPolicy(sleep=waits)) as client:
        results = await client.get_image_infos([f"img-{n}" for n in range(8)], data_annotation_id=JOB)
    assert all(result.ok for result in results), [result.error for result in results]


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_iam_refusing_the_password_is_final_and_it_is_never_sent_again(
    server: HostileServer, httpx_sender: str, status: int, waits: Waits
) -> None:
    refusal = {"error": {"code": "1101", "message": "The username or password is wrong."}}
    IAM(server, json_answer(status, refusal))
    auth = _auth(server)
    async with make_client(httpx_sender, server.url, auth=auth, retry=RetryPolicy(sleep=waits)) as client:
        for _ in range(2):
            with pytest.raises(AuthenticationError) as caught:
                await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
            assert caught.value.attempts == 1
            assert caught.value.status_code == status
        results = await client.get_image_infos(["a", "b", "c"], data_annotation_id=JOB)
        assert all(isinstance(result.error, AuthenticationError) for result in results)
        concurrent = await asyncio.gather(
            *(client.get_image_info_by_id(data_annotation_id=JOB, image_id="x") for _ in range(5)),
            return_exceptions=True,
        )
        assert all(isinstance(error, AuthenticationError) for error in concurrent)
    assert len(iam_requests(server)) == 1, "the refused password was sent once"
    assert not waits.seconds
    assert not [r for r in server.requests if r.path != TOKEN_PATH], "ModelArts never saw a call"


async def test_iam_throttling_is_a_rate_limit_error_with_its_retry_after(
    server: HostileServer, httpx_sender: str, waits: Waits
) -> None:
    IAM(server, *[json_answer(429, {"error": {"code": "IAM.0429"}}, {"Retry-After": "2"})] * 5)
    retry = RetryPolicy(max_attempts=2, sleep=waits)
    async with make_client(httpx_sender, server.url, auth=_auth(server), retry=retry) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert caught.value.retry_after == 2.0
    assert caught.value.attempts == 2
    assert waits.seconds == [2.0]


async def test_an_iam_503_is_a_server_error(server: HostileServer, httpx_sender: str, waits: Waits) -> None:
    IAM(server, *[json_answer(503, {"error": {"code": "IAM.0503"}})] * 5)
    retry = RetryPolicy(max_attempts=3, sleep=waits)
    async with make_client(httpx_sender, server.url, auth=_auth(server), retry=retry) as client:
        with pytest.raises(ServerError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert caught.value.attempts == 3
    assert len(iam_requests(server)) == 3
