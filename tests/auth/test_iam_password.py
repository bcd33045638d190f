"""`IAMPasswordAuth`: one token request for many calls, refresh before expiry, one replay on expiry, no retry loops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from support.constants import CLASSIFICATION, ENDPOINT, IMAGE, JOB, PROJECT, TAGS_URL
from support.iam import IAM_URL, PASSWORD, Clock, FakeIAM

from modelarts_async import (
    AuthenticationError,
    ClientStateError,
    InvalidArgumentError,
    ModelArtsClient,
    RetryPolicy,
    ServerError,
    TransportError,
)
from modelarts_async.auth import IAMPasswordAuth


def make_auth(clock: Clock, **overrides: Any) -> IAMPasswordAuth:
    options: dict[str, Any] = {
        "username": "alice",
        "password": PASSWORD,
        "domain_name": "acme",
        "region": "cn-north-4",
        "clock": clock,
        **overrides,
    }
    return IAMPasswordAuth(**options)


def make_client(router: respx.Router, auth: httpx.Auth) -> ModelArtsClient:
    return ModelArtsClient(ENDPOINT, project_id=PROJECT, auth=auth, transport=httpx.MockTransport(router.async_handler))


async def get(client: ModelArtsClient) -> Any:
    return await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)


def expired(code: str, status: int = 401, message: str = "The token expires.") -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "error_msg": message})


async def test_first_call_gets_a_project_scoped_token_and_later_calls_reuse_it(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    modelarts()
    async with make_client(auth_router, make_auth(clock)) as client:
        info = await get(client)
        await get(client)
    assert info.labels == ("animal", "fish")
    assert len(iam.requests) == 1
    assert iam.requests[0].url.params["nocatalog"] == "true"
    assert iam.body() == {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": "alice", "password": PASSWORD, "domain": {"name": "acme"}}},
            },
            "scope": {"project": {"name": "cn-north-4"}},
        }
    }
    assert tokens_seen == ["token-1-SECRET", "token-1-SECRET"]


async def test_project_id_scopes_the_token_and_iam_endpoint_is_overridable(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    auth_router.post("https://iam.example.internal/v3/auth/tokens").mock(side_effect=iam)
    modelarts()
    auth = make_auth(clock, region=None, project_id=PROJECT, iam_endpoint="https://iam.example.internal/")
    async with make_client(auth_router, auth) as client:
        await get(client)
    assert str(iam.requests[0].url).startswith("https://iam.example.internal/v3/auth/tokens")
    assert iam.body()["auth"]["scope"] == {"project": {"id": PROJECT}}


async def test_200_concurrent_first_calls_make_exactly_one_token_request(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    modelarts()

    async def counted(client: ModelArtsClient) -> Any:
        iam.started += 1
        return await get(client)

    async with make_client(auth_router, make_auth(clock)) as client, asyncio.TaskGroup() as group:
        tasks = [group.create_task(counted(client)) for _ in range(200)]
    assert len(iam.requests) == 1
    assert iam.answered_at_started == [200]  # all 200 calls were waiting when the one token came back
    assert all(task.result().labels == ("animal", "fish") for task in tasks)
    assert set(tokens_seen) == {"token-1-SECRET"}


async def test_the_token_is_refreshed_ahead_of_expiry(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    modelarts()
    iam.lifetime = 3600.0
    async with make_client(auth_router, make_auth(clock, refresh_margin=600.0)) as client:
        await get(client)
        clock.now += 2999  # still more than 10 minutes left
        await get(client)
        clock.now += 2  # 599 s left: inside the margin
        await get(client)
    assert tokens_seen == ["token-1-SECRET", "token-1-SECRET", "token-2-SECRET"]


async def test_a_short_lived_token_is_not_refreshed_on_every_call(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    modelarts()
    iam.lifetime = 300.0  # shorter than the 600 s margin
    async with make_client(auth_router, make_auth(clock)) as client:
        for _ in range(5):
            await get(client)
    assert len(iam.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        expired("APIG.0307"),
        expired("APIGW.0307"),
        expired("ModelArts.0202", status=400, message="Token expired."),
        expired("APIG.0301", message="Incorrect token or token resolution failed: the token has expired"),
    ],
    ids=["APIG.0307", "APIGW.0307", "ModelArts.0202", "APIG.0301-expired"],
)
async def test_a_token_expired_answer_refreshes_once_and_replays_once(
    answer: httpx.Response,
    clock: Clock,
    iam: FakeIAM,
    auth_router: respx.Router,
    modelarts: Callable[..., respx.Route],
    tokens_seen: list,
) -> None:
    modelarts(answer, httpx.Response(200, json=CLASSIFICATION))
    async with make_client(auth_router, make_auth(clock)) as client:
        info = await get(client)
    assert info.labels == ("animal", "fish")
    assert len(iam.requests) == 2
    assert tokens_seen == ["token-1-SECRET", "token-2-SECRET"]


async def test_a_second_token_expired_answer_raises_instead_of_looping(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    modelarts(expired("APIG.0307"))
    async with make_client(auth_router, make_auth(clock)) as client:
        with pytest.raises(AuthenticationError) as caught:
            await get(client)
    assert caught.value.error_code == "APIG.0307"
    assert len(iam.requests) == 2
    assert len(tokens_seen) == 2


async def test_other_authentication_failures_are_not_refreshed(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    modelarts(expired("APIG.0301", message="Incorrect token or token resolution failed"))
    async with make_client(auth_router, make_auth(clock)) as client:
        with pytest.raises(AuthenticationError):
            await get(client)
    assert len(iam.requests) == 1
    assert len(tokens_seen) == 1


async def test_concurrent_token_expired_answers_share_one_refresh(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        tokens_seen.append(request.headers["x-auth-token"])
        for _ in range(5):
            await asyncio.sleep(0)  # let all calls send with the first token before any answer arrives
        if request.headers["x-auth-token"] == "token-1-SECRET":
            return expired("APIG.0307")
        return httpx.Response(200, json=CLASSIFICATION)

    auth_router.get(TAGS_URL).mock(side_effect=answer)
    async with make_client(auth_router, make_auth(clock)) as client:
        await get(client)  # token-1 fetched, rejected, token-2 fetched, replay succeeds
        assert len(iam.requests) == 2
    # A fresh auth whose 50 first calls all come back expired at once: still one refresh.
    iam.requests.clear()
    tokens_seen.clear()
    async with make_client(auth_router, make_auth(clock)) as client, asyncio.TaskGroup() as group:
        for _ in range(50):
            group.create_task(get(client))
    assert len(iam.requests) == 2
    assert tokens_seen.count("token-1-SECRET") == 50  # every call was told its token expired...
    assert tokens_seen.count("token-2-SECRET") == 50  # ...and each replayed once with the one refreshed token


async def test_a_refused_password_raises_iams_error_and_is_never_sent_again(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    modelarts()
    iam.failure = (
        401,
        {"error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}},
    )
    async with make_client(auth_router, make_auth(clock)) as client:
        with pytest.raises(AuthenticationError) as caught:
            await get(client)
        assert caught.value.status_code == 401
        assert caught.value.error_code == "401"
        assert caught.value.error_msg == "The username or password is wrong."
        assert caught.value.request_id == "iam-req-1"
        assert "The username or password is wrong." in str(caught.value)
        with pytest.raises(AuthenticationError, match="password is wrong"):
            await get(client)
    assert len(iam.requests) == 1
    assert tokens_seen == []


async def test_iam_error_codes_in_the_flat_format_are_reported(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    modelarts()
    iam.failure = (400, {"error_code": "IAM.0005", "error_msg": "Request body is invalid."})
    async with make_client(auth_router, make_auth(clock)) as client:
        with pytest.raises(AuthenticationError, match=r"IAM\.0005: Request body is invalid\.") as caught:
            await get(client)
    assert caught.value.error_code == "IAM.0005"


async def test_200_concurrent_calls_with_a_wrong_password_make_one_token_request(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    modelarts()
    iam.failure = (401, {"error": {"code": 401, "message": "The username or password is wrong."}})

    async def counted(client: ModelArtsClient) -> Any:
        iam.started += 1
        return await get(client)

    async with make_client(auth_router, make_auth(clock)) as client:
        results = await asyncio.gather(*(counted(client) for _ in range(200)), return_exceptions=True)
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert len(iam.requests) == 1
    assert iam.answered_at_started == [200]


async def no_sleep(seconds: float) -> None:
    pass


async def test_an_iam_server_error_is_transient_retried_and_never_sticks(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    modelarts()
    iam.failure = (503, {"error_code": "IAM.0001", "error_msg": "Service unavailable"})
    transport = httpx.MockTransport(auth_router.async_handler)
    auth = make_auth(clock)
    async with ModelArtsClient(
        ENDPOINT, project_id=PROJECT, auth=auth, transport=transport, retry=RetryPolicy(sleep=no_sleep)
    ) as client:
        with pytest.raises(ServerError, match=r"IAM\.0001") as caught:
            await get(client)
        assert caught.value.attempts == 4  # retried like any 503: IAM never judged the password
        assert len(iam.requests) == 4
        iam.failure = None
        assert (await get(client)).labels == ("animal", "fish")
    assert len(iam.requests) == 5


async def test_a_token_answer_without_x_subject_token_is_transient_and_retried(
    clock: Clock, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    modelarts()
    route = auth_router.post(IAM_URL).mock(return_value=httpx.Response(201, json={"token": {}}))
    transport = httpx.MockTransport(auth_router.async_handler)
    async with ModelArtsClient(
        ENDPOINT, project_id=PROJECT, auth=make_auth(clock), transport=transport, retry=RetryPolicy(sleep=no_sleep)
    ) as client:
        with pytest.raises(TransportError, match="X-Subject-Token"):
            await get(client)
    assert route.call_count == 4


async def test_works_with_a_plain_httpx_async_client(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route], tokens_seen: list
) -> None:
    modelarts(expired("APIG.0307"), httpx.Response(200, json=CLASSIFICATION))
    async with httpx.AsyncClient(transport=httpx.MockTransport(auth_router.async_handler)) as http:
        response = await http.get(TAGS_URL, auth=make_auth(clock))
    assert response.status_code == 200
    assert tokens_seen == ["token-1-SECRET", "token-2-SECRET"]


def test_a_sync_client_gets_a_clear_error(clock: Clock) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    with httpx.Client(transport=transport) as http, pytest.raises(ClientStateError, match="AsyncClient"):
        http.get(TAGS_URL, auth=make_auth(clock))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": ""}, "password"),
        ({"region": "cn-north-4.evil.com/x"}, "region"),
        ({"region": None}, "region"),
        ({"region": None, "iam_endpoint": "https://iam.example"}, "project_id"),
    ],
)
def test_bad_arguments_are_refused_without_echoing_the_password(
    clock: Clock, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message) as caught:
        make_auth(clock, **overrides)
    assert PASSWORD not in str(caught.value)


async def test_a_cancelled_token_request_lets_a_waiting_call_fetch_the_token(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    modelarts()
    first_call_waiting = asyncio.Event()

    async def hanging_then_normal(request: httpx.Request) -> httpx.Response:
        if not iam.requests:
            iam.requests.append(request)
            first_call_waiting.set()
            await asyncio.Event().wait()  # never answers: the caller gets cancelled
        return await iam(request)

    auth_router.post(IAM_URL).mock(side_effect=hanging_then_normal)
    async with make_client(auth_router, make_auth(clock)) as client:
        first = asyncio.create_task(get(client))
        await first_call_waiting.wait()
        second = asyncio.create_task(get(client))
        await asyncio.sleep(0)  # the second call now waits for the first one's token
        first.cancel()
        assert (await second).labels == ("animal", "fish")
        with pytest.raises(asyncio.CancelledError):
            await first
    assert len(iam.requests) == 2


async def test_a_token_request_without_an_answer_fails_its_waiters_once_and_later_calls_try_again(
    clock: Clock, iam: FakeIAM, auth_router: respx.Router, modelarts: Callable[..., respx.Route]
) -> None:
    modelarts()
    refusals = [httpx.ConnectError("refused")]

    async def refuse_once(request: httpx.Request) -> httpx.Response:
        if refusals:
            iam.requests.append(request)
            for _ in range(5):
                await asyncio.sleep(0)  # let the other calls queue behind this token request
            raise refusals.pop()
        return await iam(request)

    auth_router.post(IAM_URL).mock(side_effect=refuse_once)
    auth = make_auth(clock)
    # A plain httpx client, so no retry layer hides what the auth flow itself raises.
    async with httpx.AsyncClient(transport=httpx.MockTransport(auth_router.async_handler)) as http:
        results = await asyncio.gather(*(http.get(TAGS_URL, auth=auth) for _ in range(10)), return_exceptions=True)
        assert isinstance(results[0], httpx.ConnectError)
        # The waiters fail at once with a retryable error instead of each asking IAM again.
        assert [type(r).__name__ for r in results[1:]] == ["TransportError"] * 9, results
        assert len(iam.requests) == 1
        assert (await http.get(TAGS_URL, auth=auth)).status_code == 200
    assert len(iam.requests) == 2
