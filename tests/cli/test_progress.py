"""Standard error as the command owns it: the progress line, log lines above it, and the retry count."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from modelarts_async import BulkStats
from modelarts_async._cli._progress import (
    Console,
    ConsoleHandler,
    Progress,
    capture_logging,
    release_logging,
    status_line,
)


def test_status_line_shows_done_total_rate_eta_and_failures() -> None:
    line = status_line(1200, 5000, 3, 2.0)
    assert line.startswith("1,200/5,000")
    assert "24%" in line
    assert "600 ids/s" in line
    assert "ETA 6s" in line
    assert line.endswith("failed 3")


def test_status_line_shows_retries_throttling_and_the_current_concurrency() -> None:
    stats = BulkStats(done=10, ok=10, failed=0, in_flight=4, concurrency=8, attempts=22, throttled=12, elapsed=1.0)
    assert status_line(10, 100, 0, 1.0, stats, retries=5).endswith("failed 0  retries 5  throttled 12  in flight 4/8")
    calm = BulkStats(done=10, ok=10, failed=0, in_flight=4, concurrency=8, attempts=10, throttled=0, elapsed=1.0)
    assert status_line(10, 100, 0, 1.0, calm).endswith("failed 0")


def test_plain_progress_prints_a_line_per_interval_and_a_summary() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(Console(stream, interactive=False), 4, interval=10.0, clock=lambda: now[0])
    for error in (None, None, ValueError("x"), None):
        now[0] += 6.0
        progress.add(error)
    progress.close()
    printed = stream.getvalue().splitlines()
    assert len(printed) == 2  # at t=12 and t=24
    assert printed[0].startswith("2/4")
    assert progress.summary() == "4 ids in 24.0 s (0 ids/s): 3 ok, 1 failed (ValueError 1)"


def test_quiet_progress_prints_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(Console(stream, interactive=False), 2, interval=0.000001, show=False)
    progress.add(None)
    progress.add(None)
    assert stream.getvalue() == ""


def test_a_line_printed_under_a_progress_line_goes_above_it_and_the_progress_line_is_redrawn() -> None:
    stream = io.StringIO()
    console = Console(stream, interactive=True)
    console.status("1/4")
    console.line("warning: something")
    console.status("2/4")
    console.clear_status()
    # What a terminal shows: every \r\x1b[K erases the current line, so the warning stands on a line of its own.
    assert stream.getvalue() == "\r\x1b[K1/4\r\x1b[Kwarning: something\n1/4\r\x1b[K2/4\r\x1b[K"


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, ConsoleHandler]]:
    stream = io.StringIO()
    handler = capture_logging(Console(stream, interactive=False), logging.WARNING)
    yield stream, handler
    release_logging(handler)


def test_the_librarys_retries_are_counted_not_printed_by_default(captured: tuple[io.StringIO, ConsoleHandler]) -> None:
    stream, handler = captured
    library = logging.getLogger("modelarts_async")
    library.info("GET /x: HTTP 503 on attempt 1; retrying in 0.10 s")
    library.info("GET /y: HTTP 503 on attempt 1; retrying in 0.10 s")
    library.debug("GET /x -> HTTP 200")
    library.warning("GET /z: giving up after 4 attempt(s): HTTP 503")
    logging.getLogger("some.other.library").warning("careful")
    assert handler.retries == 2
    assert stream.getvalue() == "warning: GET /z: giving up after 4 attempt(s): HTTP 503\nwarning: careful\n"
