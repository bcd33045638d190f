"""Exporting a whole list (every sample of a dataset): no ids file, each record once, resumable after any kill.

    listing (the library's pager: every record once per run) ──▶ skip what the output holds ──▶ one line each

A run writes a line per record as it arrives (through `_export.write_outcome`, as an export of ids does). A
resume cannot ask the service for "the records after the last line": the list's order is not documented to be
stable. So it lists everything again and skips the records whose key already has a line:

1. the keys of the output's whole lines are spooled to a temporary file (in `$TMPDIR`), one JSON string per line,
   so any key (a space, a newline) is one exact line;
2. `_ids_file.IdIndex` indexes that file (8 bytes per key in memory; a key is confirmed by reading it back), and
   `ExportOutput.resume` repairs the output against it exactly as for an export of ids (a torn last line cut, error
   lines to retry dropped by an atomic rewrite, repeats dropped);
3. the listing runs; a record whose key the index holds as written is skipped, any other is written (and marked,
   so it is never written twice even if the list repeated it).

Memory: 8 bytes per line of the output, on top of the pager's own set of the keys it has seen in this run (32 to
64 bytes per 32-hex sample id); the spool file takes about the length of a key plus 3 bytes per line on disk.
1,000,000 samples: about 8 MB for the index, 32-64 MB for the pager, 35 MB of spool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Protocol

from .._exceptions import ModelArtsError, NotFoundError
from ._errors import StopExport
from ._export import OutcomeStream, write_outcome
from ._ids_file import DONE, FAILED, SENT, IdIndex
from ._jsonl_file import Identity, ResumeState
from ._output import ExportOutput, spooled_key
from ._progress import Console, Progress
from ._reach import FailureAdvice, is_reach_failure
from ._settings import ExportSettings

__all__ = ["ListingSource", "RecordListing", "export_listing", "run_listing"]


class RecordListing(OutcomeStream, Protocol):
    """A listing as the export reads it: an `OutcomeStream` that also knows how many records the list holds."""

    @property
    def expected(self) -> int | None:
        """How many records the service said the list holds; None until it said."""


class ListingSource(Protocol):
    """A list the engine can export whole (`_samples.DatasetSamples`)."""

    #: The field that holds the record's key in every line ("sample_id").
    key_field: str
    #: What the records are, for messages ("samples").
    noun: str

    @property
    def identity(self) -> Sequence[Identity]:
        """The settings an output file is bound to (a resume with others is refused)."""

    def listing(self) -> RecordListing:
        """A run over the whole list; `UsageError` for options the service cannot take."""

    @property
    def advice(self) -> FailureAdvice:
        """How a failure that stops the export is worded."""

    async def aclose(self) -> None: ...


def export_listing(
    source: ListingSource,
    settings: ExportSettings,
    console: Console,
    *,
    retries: Callable[[], int] = lambda: 0,
) -> int:
    """Plan the export (synchronously), run it on a new event loop, and return the exit code."""
    with ExportOutput(settings, source.identity, source.key_field, console) as output:
        resuming = output.indexed_keys() if output.resuming else contextlib.nullcontext()
        with resuming as index:
            skip = None
            if index is not None:
                _note_resume(source, output, output.resume(index, encode_key=spooled_key))
                skip = _Skip(index, retry_failed=settings.retry_failed)
            progress = Progress(
                console,
                0,
                interval=settings.progress_interval,
                show=not settings.quiet,
                retries=retries,
                noun=source.noun,
            )
            try:
                already = output.state.done + output.state.failed_kept
                asyncio.run(run_listing(source, skip, output, progress, already=already))
            finally:
                progress.close()  # before any message about how the run ended
        output.finish()
        return output.report(progress)


def _note_resume(source: ListingSource, output: ExportOutput, state: ResumeState) -> None:
    text = f"resume: {state.done:,} {source.noun} already in {output.name}"
    if state.retrying:
        text += f", {state.retrying:,} failed ones to retry"
    if state.failed_kept:
        text += f", {state.failed_kept:,} failed ones kept (--no-retry-failed)"
    output.note(f"{text}; listing them all again to export the rest (those are skipped)")


class _Skip:
    """Whether a listed record already has its line: its key is in the index as written (or kept as failed)."""

    def __init__(self, index: IdIndex, *, retry_failed: bool) -> None:
        self._index = index
        self._written = 1 << DONE | 1 << SENT | (0 if retry_failed else 1 << FAILED)

    def __call__(self, key: str) -> bool:
        # One `pread` of the spool to confirm a key the index holds: a few microseconds, on the loop.
        handle = self._index.find(spooled_key(key))
        if handle is None:
            return False
        if self._written >> self._index.state(handle) & 1:
            return True
        self._index.set_state(handle, SENT)
        return False


async def run_listing(
    source: ListingSource,
    skip: Callable[[str], bool] | None,
    output: ExportOutput,
    progress: Progress,
    *,
    already: int = 0,
) -> None:
    """List every record through `source` and write a line for each one `skip` does not claim, as it arrives.

    A failure of the listing (a page that failed after its retries, a missing dataset) raises `StopExport` after
    the lines before it; so does an output that cannot be written. `already` (the lines the output holds) is taken
    off the count the service gives, for the progress line.
    """
    try:
        records = source.listing()
        progress.stats = lambda: records.stats
        async with records:
            async for outcome in records:
                if not progress.total and records.expected:
                    progress.total = max(records.expected - already, 0)
                if skip is not None and skip(outcome.key):
                    continue
                write_outcome(source.key_field, outcome, output, progress)
    except ModelArtsError as error:
        raise _stopped(source, error, progress.done) from None
    finally:
        await source.aclose()


def _stopped(source: ListingSource, error: ModelArtsError, written: int) -> StopExport:
    hints = [hint] if (hint := source.advice.failure_hint(error)) else []
    if not isinstance(error, NotFoundError) and not (is_reach_failure(error) and not written):
        hints.append(f"(a rerun with --resume lists again and exports the {source.noun} not yet written)")
    message = source.advice.describe(error)
    if not written:
        return StopExport(message, *hints)
    return StopExport(f"stopped after {written:,} {source.noun}: {message}", *hints)
