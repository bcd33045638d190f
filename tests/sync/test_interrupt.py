"""Ctrl-C during a sync call interrupts it within a second and cancels the request it had in flight.

A subprocess makes the call against a loopback server that reads the request and never answers; the test sends
it SIGINT once the server has the request. The server then sees the connection closed while the process still
runs (so it is the cancellation that closed it, not the process's exit).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from support.threaded import serving

CALLER = """
import sys, time
from modelarts_async import SyncModelArtsClient

with SyncModelArtsClient(sys.argv[1], project_id="p") as client:
    try:
        client.get_dataset(dataset_id="WxCREuCkBSAlQr9xrde")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        if sys.argv[2] == "survive":  # like a notebook: the process goes on after Ctrl-C
            time.sleep(30)
        raise
"""


class StallingServer:
    """Reads one request per connection, never answers, and notes when the client closes the connection."""

    def __init__(self) -> None:
        self.got_request = threading.Event()
        self.closed = threading.Event()
        self.url = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.got_request.set()
        while await reader.read(1024):
            pass
        self.closed.set()
        writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StallingServer]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        async with server:
            yield self


@pytest.fixture
def stalling() -> Iterator[StallingServer]:
    with serving(StallingServer().running) as server:
        yield server


def _start_caller(url: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CALLER, url, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt_when_sent(process: subprocess.Popen[str], server: StallingServer) -> float:
    assert server.got_request.wait(timeout=60), "the call never reached the server"
    time.sleep(0.2)  # the call is now waiting for its answer
    process.send_signal(signal.SIGINT)
    return time.monotonic()


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery as Ctrl-C sends it")
def test_ctrl_c_cancels_the_request_in_flight_while_the_process_goes_on(stalling: StallingServer) -> None:
    process = _start_caller(stalling.url, "survive")
    try:
        sent = _interrupt_when_sent(process, stalling)
        assert process.stdout is not None
        assert process.stdout.readline() == "interrupted\n"
        assert stalling.closed.wait(timeout=1.0), "the connection was not closed within 1 s of Ctrl-C"
        assert time.monotonic() - sent < 1.0
        assert process.poll() is None, "the process must still run: the cancellation closed the connection"
    finally:
        process.kill()
        process.communicate()


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery as Ctrl-C sends it")
def test_ctrl_c_ends_a_script_within_a_second(stalling: StallingServer) -> None:
    process = _start_caller(stalling.url, "exit")
    try:
        sent = _interrupt_when_sent(process, stalling)
        process.wait(timeout=5)
        elapsed = time.monotonic() - sent
    finally:
        process.kill()
        _out, err = process.communicate()
    assert elapsed < 1.0, f"the script took {elapsed:.2f} s to end after Ctrl-C"
    assert "KeyboardInterrupt" in err
    assert stalling.closed.is_set()
