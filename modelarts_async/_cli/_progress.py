"""Standard error as the command owns it: whole lines (messages, log records) above one redrawn progress line.

    library logger ──▶ ConsoleHandler ──▶ Console.line()   ─┐
    Progress.add() ──(every interval)──▶ Console.status() ──┴──▶ stderr

On a terminal the progress line is redrawn in place, and a line printed while it shows is written above it, then
the progress line is drawn again; elsewhere (a log file, a pipe) every line is a plain line. The library logs each
retry at INFO: the handler counts those for the progress line and prints them only with `-v`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import IO

from .._bulk._stats import BulkStats

__all__ = ["Console", "ConsoleHandler", "Progress", "capture_logging", "release_logging", "status_line"]

_CLEAR = "\r\x1b[K"
#: The library's logger: its INFO lines are retries (README, "Retries and timeouts").
LIBRARY_LOGGER = "modelarts_async"


class Console:
    """Whole lines and one status line on a stream; the status line is redrawn only when `interactive`."""

    def __init__(self, stream: IO[str], *, interactive: bool) -> None:
        self.stream, self.interactive = stream, interactive
        self._status = ""

    def line(self, text: str) -> None:
        """Print `text` as a whole line, above the status line if one shows."""
        if self._status:
            self.stream.write(f"{_CLEAR}{text}\n{self._status}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def status(self, text: str) -> None:
        """Show `text` as the status line (on a terminal, in place of the previous one; elsewhere as a line)."""
        if self.interactive:
            self._status = text
            self.stream.write(_CLEAR + text)
            self.stream.flush()
        else:
            self.line(text)

    def clear_status(self) -> None:
        if self._status:
            self._status = ""
            self.stream.write(_CLEAR)
            self.stream.flush()


class ConsoleHandler(logging.Handler):
    """Prints log records at or above `show_level` through the console, and counts the library's retries.

    `advice` rewrites the library's lines, whose advice is for Python callers (`version_id=`), in the command's terms.
    """

    def __init__(self, console: Console, show_level: int, advice: Callable[[str], str] = str) -> None:
        super().__init__(logging.DEBUG)
        self.console, self.show_level, self.advice = console, show_level, advice
        self.retries = 0
        self.setFormatter(_Formatter())

    def emit(self, record: logging.LogRecord) -> None:
        library = record.name == LIBRARY_LOGGER
        if library and record.levelno == logging.INFO:
            self.retries += 1
        if record.levelno >= self.show_level:
            try:
                text = self.format(record)
                self.console.line(self.advice(text) if library else text)
            except Exception:
                self.handleError(record)


class _Formatter(logging.Formatter):
    """`warning: message`, as command-line tools print it."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.message}"


def capture_logging(console: Console, show_level: int, advice: Callable[[str], str] = str) -> ConsoleHandler:
    """Route every log record through `console`; the library's from INFO (to count retries), others' as usual."""
    handler = ConsoleHandler(console, show_level, advice)
    library = logging.getLogger(LIBRARY_LOGGER)
    library.addHandler(handler)
    library.setLevel(min(show_level, logging.INFO))
    library.propagate = False
    logging.getLogger().addHandler(handler)  # other libraries' warnings must not break the progress line either
    logging.captureWarnings(True)
    return handler


def release_logging(handler: ConsoleHandler) -> None:
    """Undo `capture_logging` (for callers of `main()` in a longer-lived process, such as tests)."""
    library = logging.getLogger(LIBRARY_LOGGER)
    library.removeHandler(handler)
    library.setLevel(logging.NOTSET)
    library.propagate = True
    logging.getLogger().removeHandler(handler)
    logging.captureWarnings(False)


class Progress:
    """Counts results and shows them: a redrawn status line on a terminal, a plain line every `interval` otherwise."""

    def __init__(
        self,
        console: Console,
        total: int,
        *,
        interval: float,
        show: bool = True,
        retries: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
        noun: str = "ids",
    ) -> None:
        self.console, self.total, self.show, self.noun = console, total, show, noun
        self.interval = 0.1 if console.interactive else interval
        self.retries = retries
        self.clock = clock
        self.started = self._last = clock()
        self.ok = self.failed = 0
        self.errors: dict[str, int] = {}
        #: The bulk run's counters (requests, throttling, current concurrency), once a run has started.
        self.stats: Callable[[], BulkStats] | None = None

    @property
    def done(self) -> int:
        return self.ok + self.failed

    def add(self, error: BaseException | None) -> None:
        if error is None:
            self.ok += 1
        else:
            self.failed += 1
            name = type(error).__name__
            self.errors[name] = self.errors.get(name, 0) + 1
        now = self.clock()
        if self.show and now - self._last >= self.interval:
            self._last = now
            stats = self.stats() if self.stats is not None else None
            line = status_line(self.done, self.total, self.failed, now - self.started, stats, self.retries(), self.noun)
            self.console.status(line)

    def summary(self) -> str:
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        noun = self.noun
        text = f"{self.done:,} {noun} in {elapsed:.1f} s ({rate:,.0f} {noun}/s): {self.ok:,} ok, {self.failed:,} failed"
        if self.errors:
            text += " (" + ", ".join(f"{name} {count}" for name, count in sorted(self.errors.items())) + ")"
        if self.stats is not None:
            stats = self.stats()
            text += f"; {stats.attempts:,} HTTP requests"
            if self.retries():
                text += f", {self.retries():,} retries"
            if stats.throttled:
                text += f", {stats.throttled:,} throttled"
        return text

    def close(self) -> None:
        self.console.clear_status()


def status_line(
    done: int,
    total: int,
    failed: int,
    elapsed: float,
    stats: BulkStats | None = None,
    retries: int = 0,
    noun: str = "ids",
) -> str:
    """`1,200/5,000  24%  [#####...............]  812 ids/s  ETA 4s  failed 3`, then retries and throttling if any.

    After throttling: `throttled 12  in flight 8/16` (the run halves its concurrency on each burst of throttling
    and grows it back; a steady low number says `--rate-limit` would waste fewer requests).
    """
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{done:,}/{total:,}"]
    if total:
        share = done / total
        filled = int(share * 20)
        parts += [f"{share:4.0%}", "[" + "#" * filled + "." * (20 - filled) + "]"]
    parts.append(f"{rate:,.0f} {noun}/s")
    if total and rate > 0:
        parts.append(f"ETA {_duration((total - done) / rate)}")
    parts.append(f"failed {failed:,}")
    if retries:
        parts.append(f"retries {retries:,}")
    if stats is not None and stats.throttled:
        parts += [f"throttled {stats.throttled:,}", f"in flight {stats.in_flight}/{stats.concurrency}"]
    return "  ".join(parts)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
