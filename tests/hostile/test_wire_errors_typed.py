"""Issue 11, item 2: whatever the wire does, every sender raises the same typed `ModelArtsError`, retried when
transient, never a raw aiohttp or httpx exception (whose request info carries the headers)."""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest
from support.servers import JOB, Handler, HostileServer, Request, close_mid_body, head, raw, service

from hostile.senders import Waits, make_client
from modelarts_async import ModelArtsError, RequestTimeoutError, RetryPolicy, TransportError


def reset() -> Handler:
    """Hang up with a TCP reset (SO_LINGER 0) instead of a clean close."""

    async def handler(_request: Request, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()

    return handler


WIRE_FAULTS: dict[str, Handler] = {
    "malformed-status-line": raw(b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}"),
    "not-http-at-all": raw(b"SSH-2.0-OpenSSH_9.6\r\n"),
    # Longer than any stack's limit (aiohttp: 8 KiB a line; httpcore: 100 KiB a head).
    "over-long-header": raw(head(200, [("X-Long", "a" * 300_000)])),
    "over-long-status-line": raw(b"HTTP/1.1 200 " + b"O" * 300_000 + b"\r\n\r\n"),
    "closed-before-answering": raw(b""),
    "closed-mid-answer": close_mid_body(),
    "reset-by-peer": reset(),
    "bad-chunk-size": raw(head(200, [("Transfer-Encoding", "chunked")]) + b"zz\r\nabc\r\n0\r\n\r\n"),
    "chunked-cut-off": raw(head(200, [("Transfer-Encoding", "chunked")]) + b'10\r\n{"is_success"'),
}


@pytest.mark.parametrize("fault", list(WIRE_FAULTS))
async def test_a_wire_fault_is_a_typed_transport_error_after_every_attempt(
    server: HostileServer, sender: str, fault: str, waits: Waits
) -> None:
    server.script(WIRE_FAULTS[fault])
    async with make_client(sender, server.url, retry=RetryPolicy(max_attempts=3, sleep=waits)) as client:
        with pytest.raises(ModelArtsError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    error = caught.value
    assert type(error) is TransportError, repr(error)
    assert error.attempts == 3, "transient: retried until max_attempts"
    assert len(server.requests) >= 3  # aiohttp itself may resend an idempotent request once on a hang-up
    assert error.__cause__ is None
    assert error.__context__ is None


@pytest.mark.parametrize("fault", list(WIRE_FAULTS))
async def test_wire_faults_then_an_answer_succeed(server: HostileServer, sender: str, fault: str, waits: Waits) -> None:
    # Twice: aiohttp resends an idempotent request once by itself when the server hangs up on it.
    server.script(WIRE_FAULTS[fault], WIRE_FAULTS[fault], service)
    async with make_client(sender, server.url, retry=RetryPolicy(sleep=waits)) as client:
        info = await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert info.labels == ("cat",)
    assert waits.seconds, "our retry made another attempt"


@pytest.mark.parametrize("fault", ["malformed-status-line", "over-long-header", "reset-by-peer"])
async def test_a_wire_fault_in_a_bulk_run_is_a_failed_result_of_our_type(
    server: HostileServer, sender: str, fault: str, waits: Waits
) -> None:
    server.script(WIRE_FAULTS[fault])
    async with make_client(sender, server.url, retry=RetryPolicy(max_attempts=2, sleep=waits)) as client:
        for batch_size in (None, 2):
            results = await client.get_image_infos(["a", "b", "c"], data_annotation_id=JOB, batch_size=batch_size)
            assert [type(result.error) for result in results] == [TransportError] * 3


async def test_a_server_that_accepts_and_never_answers_is_a_read_timeout(
    server: HostileServer, sender: str, waits: Waits
) -> None:
    async def silent(_request: Request, _writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server.script(silent)
    retry = RetryPolicy(max_attempts=2, sleep=waits)
    async with make_client(sender, server.url, retry=retry, timeout=0.2) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert caught.value.phase == "read"
    assert caught.value.attempts == 2
