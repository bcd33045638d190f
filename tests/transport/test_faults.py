"""Retries, deadlines, timeouts and the size cap against a real loopback server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.clock import FakeClock
from support.constants import CLASSIFICATION, IMAGE, JOB, PROJECT
from support.servers import (
    Flood,
    Handler,
    HostileServer,
    answer,
    answer_when,
    close_mid_body,
    hang,
    json_answer,
)

from modelarts_async import (
    APIError,
    AuthenticationError,
    ClientStateError,
    InvalidArgumentError,
    ModelArtsClient,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from modelarts_async._v1._calls import get_image_info

MakeClient = Callable[..., ModelArtsClient]
MIB = 1024 * 1024


def ok() -> Handler:
    """The documented classification answer (of `support.constants.IMAGE`)."""
    return json_answer(200, CLASSIFICATION, {"X-Request-Id": "req-ok"})


async def get(client: ModelArtsClient) -> object:
    return await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)


async def test_503_then_200_succeeds_on_the_second_attempt(
    server: HostileServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    server.script(json_answer(503, {"error_code": "ModelArts.0001", "error_msg": "busy"}), ok())
    async with make_client() as client:
        info = await get(client)
    assert info.labels == ("animal", "fish")  # type: ignore[attr-defined]
    assert len(server.requests) == 2
    assert len(fake_clock.waits) == 1
    assert 0 <= fake_clock.waits[0] <= 0.5  # full jitter under the first backoff step


async def test_429_retry_after_is_waited_exactly(
    server: HostileServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    server.script(
        json_answer(429, {"error_code": "APIG.0308", "error_msg": "limit:10,time:1 minute"}, {"Retry-After": "1"}), ok()
    )
    async with make_client() as client:
        await get(client)
    assert fake_clock.waits == [1.0]


async def test_503_retry_after_is_waited_too(
    server: HostileServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    server.script(
        json_answer(503, {"error_code": "ModelArts.9999", "error_msg": "maintenance"}, {"Retry-After": "7"}), ok()
    )
    async with make_client() as client:
        await get(client)
    assert fake_clock.waits == [7.0]


async def test_throttling_without_retry_after_waits_seconds(
    server: HostileServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    server.script(
        json_answer(200, {"is_success": False, "error_code": "ModelArts.0114", "error_msg": "too frequent"}), ok()
    )
    async with make_client() as client:
        await get(client)
    assert len(fake_clock.waits) == 1
    assert 2.0 <= fake_clock.waits[0] <= 5.0


async def test_retry_after_beyond_the_deadline_fails_at_once(server: HostileServer, make_client: MakeClient) -> None:
    server.script(json_answer(429, {"error_code": "APIG.0308"}, {"Retry-After": "120"}))
    async with make_client(deadline=60) as client:
        with pytest.raises(RateLimitError) as caught:
            await get(client)
    assert caught.value.retry_after == 120
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


async def test_persistent_503_gives_the_last_error_with_the_attempt_count(
    server: HostileServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    server.script(json_answer(503, {"error_code": "ModelArts.0001"}, {"X-Request-Id": "req-503"}))
    async with make_client(max_attempts=3) as client:
        with pytest.raises(ServerError) as caught:
            await get(client)
    assert caught.value.attempts == 3
    assert caught.value.request_id == "req-503"
    assert len(server.requests) == 3
    assert len(fake_clock.waits) == 2


async def test_html_502_page_is_retried(server: HostileServer, make_client: MakeClient) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    server.script(answer(502, page, {"Content-Type": "text/html"}), ok())
    async with make_client() as client:
        await get(client)
    assert len(server.requests) == 2


async def test_connection_closed_mid_response_is_retried(server: HostileServer, make_client: MakeClient) -> None:
    server.script(close_mid_body(), ok())
    async with make_client() as client:
        await get(client)
    assert len(server.requests) == 2


async def test_connection_closed_every_time_is_a_transport_error(
    server: HostileServer, make_client: MakeClient
) -> None:
    server.script(close_mid_body())
    async with make_client(max_attempts=2) as client:
        with pytest.raises(TransportError) as caught:
            await get(client)
    assert caught.value.attempts == 2


async def test_read_timeout_is_retried_then_surfaces(server: HostileServer, make_client: MakeClient) -> None:
    server.script(hang())
    async with make_client(timeout=httpx.Timeout(5.0, read=0.2), max_attempts=2) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await get(client)
    assert caught.value.phase == "read"
    assert caught.value.attempts == 2
    assert len(server.requests) == 2


async def test_slow_answer_after_a_read_timeout_succeeds_on_retry(
    server: HostileServer, make_client: MakeClient
) -> None:
    server.script(hang(), ok())
    async with make_client(timeout=httpx.Timeout(5.0, read=0.2)) as client:
        await get(client)
    assert len(server.requests) == 2


async def test_server_that_never_answers_is_ended_by_the_deadline(server: HostileServer) -> None:
    # Real clock, default 30 s read timeout: only the 0.3 s deadline can end this call.
    server.script(hang())
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(deadline=0.3, sleep=record)
    async with ModelArtsClient(server.url, project_id=PROJECT, retry=policy) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await get(client)
    assert caught.value.attempts == 1
    assert waits == []


async def test_truncated_json_is_a_validation_error_and_not_retried(
    server: HostileServer, make_client: MakeClient
) -> None:
    server.script(answer(200, b'{"is_success": true, "tags": ["ani'))
    async with make_client() as client:
        with pytest.raises(ResponseValidationError) as caught:
            await get(client)
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_20_mib_body_is_cut_at_the_cap_without_being_read_whole(
    server: HostileServer, make_client: MakeClient, chunked: bool
) -> None:
    flood = Flood(20 * MIB, chunked=chunked)
    server.script(flood)
    tracemalloc.start()
    try:
        async with make_client(max_response_bytes=1 * MIB) as client:
            with pytest.raises(ResponseValidationError, match="max_response_bytes") as caught:
                await get(client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.attempts == 1
    assert len(server.requests) == 1
    assert peak < 8 * MIB
    # The client hung up: the server could not deliver all 20 MiB (socket buffers hold a few MiB at most).
    await asyncio.wait_for(flood.hung_up_early.wait(), 10)
    assert flood.bytes_written < 20 * MIB


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, {"error_code": "APIG.0101", "error_msg": "The API does not exist"}, NotFoundError),
        (401, {"error_code": "APIG.0301", "error_msg": "bad credentials"}, AuthenticationError),
        # An auth code is never retried, whatever the status says.
        (503, {"error_code": "APIG.0301", "error_msg": "bad credentials"}, AuthenticationError),
        (400, {"error_code": "ModelArts.0104", "error_msg": "bad parameter"}, APIError),
        (200, {"is_success": False, "error_code": "ModelArts.4302", "error_msg": "failed"}, APIError),
        (501, {"error_code": "X", "error_msg": "not implemented"}, ServerError),
    ],
    ids=["404", "401-APIG.0301", "503-APIG.0301", "400", "200-is_success-false", "501"],
)
async def test_errors_that_are_not_transient_are_not_retried(
    server: HostileServer,
    make_client: MakeClient,
    fake_clock: FakeClock,
    status: int,
    body: dict[str, object],
    error: type[Exception],
) -> None:
    server.script(json_answer(status, body))
    async with make_client() as client:
        with pytest.raises(error) as caught:
            await get(client)
    assert caught.value.attempts == 1  # type: ignore[attr-defined]
    assert len(server.requests) == 1
    assert fake_clock.waits == []


async def test_pool_timeout_surfaces_as_request_timeout_not_a_hang(
    server: HostileServer, make_client: MakeClient
) -> None:
    release = asyncio.Event()
    server.script(answer_when(release, ok()), ok())
    async with make_client(max_connections=1) as client:
        first = asyncio.create_task(get(client))
        await server.wait_for_requests(1)
        quick = client.with_options(timeout=httpx.Timeout(5.0, pool=0.2))
        with pytest.raises(RequestTimeoutError) as caught:
            await get(quick)
        release.set()
        await first
    assert caught.value.phase == "pool"
    assert caught.value.attempts == 1  # waiting again for a full pool would not help


async def test_attempts_stop_at_max_attempts(server: HostileServer, make_client: MakeClient) -> None:
    server.script(json_answer(500, {"error_code": "X"}))
    async with make_client(max_attempts=1) as client:
        with pytest.raises(ServerError) as caught:
            await get(client)
        with pytest.raises(ServerError) as caught_default:
            await get(client.with_options(max_attempts=4))
    assert caught.value.attempts == 1
    assert caught_default.value.attempts == 4
    assert len(server.requests) == 5


async def test_logs_one_line_per_attempt_and_never_a_header_value(
    server: HostileServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = ["tok-SECRET-1", "cookie-SECRET-2", "server-SECRET-3", "body-SECRET-4"]
    server.script(
        json_answer(
            503, {"error_code": "X", "error_msg": secrets[3]}, {"Set-Cookie": secrets[1], "X-Debug": secrets[2]}
        ),
        ok(),
    )
    caplog.set_level(logging.DEBUG, logger="modelarts_async")
    async with make_client(headers={"X-Auth-Token": secrets[0], "Cookie": secrets[1]}) as client:
        await get(client)
    assert server.requests[0].headers["x-auth-token"] == secrets[0]  # the header was really sent
    ours = [r for r in caplog.records if r.name == "modelarts_async"]
    assert [r.levelname for r in ours] == ["DEBUG", "INFO", "DEBUG"]  # a retry is routine: INFO
    text = "\n".join(r.getMessage() for r in ours)
    assert "HTTP 503" in text
    assert "HTTP 200" in text
    assert "req-ok" in text  # the request id support asks for
    for secret in secrets:
        assert secret not in text


async def test_pacer_sees_every_attempt(server: HostileServer, make_client: MakeClient) -> None:
    events: list[object] = []

    class RecordingPacer:
        async def before_attempt(self, within: float) -> bool:
            events.append("before")
            return True

        def after_attempt(self, error: object) -> None:
            events.append(type(error).__name__ if error else None)

    server.script(json_answer(429, {"error_code": "APIG.0308"}, {"Retry-After": "2"}), answer(503, b""), ok())
    async with make_client() as client:
        await get_image_info(client._pipeline, PROJECT, JOB, IMAGE, RecordingPacer())
    assert events == ["before", "RateLimitError", "before", "ServerError", "before", None]


async def test_connect_timeout_is_told_from_a_pool_timeout_and_retried(fake_clock: FakeClock) -> None:
    # A listener whose accept queue is full and never drained: the kernel drops further SYNs, so connecting hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            policy = RetryPolicy(max_attempts=2, sleep=fake_clock.sleep, clock=fake_clock.clock)
            timeout = httpx.Timeout(5.0, connect=0.2)
            async with ModelArtsClient(
                f"http://127.0.0.1:{port}", project_id=PROJECT, timeout=timeout, retry=policy
            ) as client:
                with pytest.raises(RequestTimeoutError) as caught:
                    await get(client)
        finally:
            for filler in fillers:
                filler.close()
    assert caught.value.phase == "connect"
    assert caught.value.attempts == 2


async def test_with_options_shares_the_pool_and_closes_nothing(server: HostileServer, make_client: MakeClient) -> None:
    client = make_client()
    async with client:
        async with client.with_options(max_attempts=1, deadline=5, timeout=3.0) as narrow:
            await get(narrow)
        await get(client)  # closing the copy left the pool open
        assert len(server.requests) == 2
        assert server.connections == 1  # one kept-alive connection served both
        unclosed_copy = client.with_options(max_attempts=2)
    with pytest.raises(ClientStateError):
        await get(unclosed_copy)  # the original closed the pool it shares


def test_bad_retry_settings_are_rejected_before_anything_is_sent() -> None:
    with pytest.raises(InvalidArgumentError, match="max_attempts"):
        ModelArtsClient("http://127.0.0.1:1", max_attempts=0)
    with pytest.raises(InvalidArgumentError, match="deadline"):
        RetryPolicy(deadline=0)


async def test_readme_example_runs(server: HostileServer) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Retries and timeouts", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    await namespace["main"](server.url)
    assert isinstance(namespace["test_policy"], RetryPolicy)
    assert len(server.requests) == 1
