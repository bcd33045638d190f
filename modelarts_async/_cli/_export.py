"""The export engine: a file of ids in, one JSON line per distinct id out, resumable, in bounded memory.

    ids file ──IdIndex (count, dedupe)──┐
    existing output ──prepare_resume────┴─▶ ids still to fetch ──▶ RecordSource ──▶ one line each ──▶ output
                                                                   (a bulk run)      (_jsonl)

It knows one API family only through a `RecordSource`: the key field of its lines, the settings its output is
bound to, and a stream of `Outcome`s for a stream of ids. `ImageLabels` is the v1 family (annotation jobs);
`_samples.SamplesById` the v2 one (dataset samples). An export of a whole list, with no ids file, is planned
by `_listing` and writes its lines through the same `write_outcome`.

Planning (reading the ids, checking and repairing the output) is synchronous and runs before the event loop
starts; only the fetching runs on it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Generic, NamedTuple, Protocol, Self

from .._bulk._stats import BulkStats
from .._bulk._stream import R, ResultStream
from .._client import ModelArtsClient
from .._exceptions import APIError, AuthenticationError, InvalidArgumentError, NotFoundError, PermissionDeniedError
from .._service import is_api_missing, is_dataset_missing
from .._v1._converter import unstructure_image_info
from .._v1._models import ImageInfo, ImageResult
from ._errors import EXIT_OK, EXIT_SOME_FAILED, StopExport, UsageError
from ._ids_file import FAILED, NEW, IdIndex, IdsFile
from ._jsonl_file import (
    FileLines,
    Identity,
    LineWriter,
    ResumeState,
    StdoutLines,
    check_identity,
    encode_line,
    error_record,
    meta_path,
    prepare_resume,
    write_identity,
)
from ._progress import Console, Progress

__all__ = [
    "STDOUT",
    "ExportSettings",
    "ImageLabels",
    "Outcome",
    "OutcomeStream",
    "RecordSource",
    "ResultOutcomes",
    "check_output",
    "export_ids",
    "image_record",
    "new_output",
    "notes_for",
    "open_lines",
    "report",
    "run_export",
    "stops_export",
    "write_outcome",
]

STDOUT = "-"
#: The v2 API's "dataset does not exist" (HTTP 400).


class Outcome(NamedTuple):
    """One id's result: the line's content when it worked (key field first), else the error."""

    key: str
    record: dict[str, Any] | None
    error: Exception | None


class OutcomeStream(Protocol):
    """A bulk run as the engine uses it: `async with`, then `async for` outcomes; `stats` at any time."""

    @property
    def stats(self) -> BulkStats: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def __aiter__(self) -> AsyncIterator[Outcome]: ...


class RecordSource(Protocol):
    """An API family the engine can export: ids in, one record or error per id out."""

    #: The field that holds the input id in every line ("image_id").
    key_field: str

    @property
    def identity(self) -> Sequence[Identity]:
        """The settings an output file is bound to (a resume with others is refused)."""

    def outcomes(self, ids: Iterator[str]) -> OutcomeStream:
        """A bulk run over `ids`; `UsageError` for options the service cannot take."""

    def failure_hint(self, error: BaseException) -> str | None:
        """A line of advice when `error` stops the export (e.g. no credentials were sent)."""

    async def aclose(self) -> None: ...


# ---------------------------------------------------------------------------------------------------------------------
# The v1 family: labels of the images of an annotation job.


class ImageLabels:
    """Labels of the images of one annotation job, through `ModelArtsClient.iter_image_infos()`."""

    key_field = "image_id"

    def __init__(
        self,
        client: ModelArtsClient,
        data_annotation_id: str,
        *,
        concurrency: int,
        rate_limit: float | None = None,
        batch_size: int | None = None,
        failure_hint: Callable[[BaseException], str | None] = lambda error: None,
    ) -> None:
        self.client, self.data_annotation_id = client, data_annotation_id
        self.concurrency, self.rate_limit, self.batch_size = concurrency, rate_limit, batch_size
        self.failure_hint = failure_hint

    @property
    def identity(self) -> Sequence[Identity]:
        return [
            Identity("endpoint", "--endpoint", "endpoint", self.client.endpoint),
            Identity("project_id", "--project-id", "project", self.client.project_id or ""),
            Identity("data_annotation_id", "--data-annotation-id", "annotation job", self.data_annotation_id),
        ]

    def outcomes(self, ids: Iterator[str]) -> ResultOutcomes[ImageResult]:
        try:
            stream = self.client.iter_image_infos(
                ids,
                data_annotation_id=self.data_annotation_id,
                concurrency=self.concurrency,
                rate_limit=self.rate_limit,
                batch_size=self.batch_size,
            )
        except InvalidArgumentError as exc:
            raise UsageError(str(exc)) from None
        return ResultOutcomes(stream, _image_outcome)

    async def aclose(self) -> None:
        await self.client.aclose()


def _image_outcome(result: ImageResult) -> Outcome:
    if result.error is not None or result.info is None:
        return Outcome(result.image_id, None, result.error or ValueError("no labels and no error"))
    return Outcome(result.image_id, image_record(result.image_id, result.info), None)


class ResultOutcomes(Generic[R]):
    """A bulk run of the library (`iter_image_infos`, `iter_samples`) as an `OutcomeStream`."""

    def __init__(self, stream: ResultStream[R], outcome: Callable[[R], Outcome]) -> None:
        self._stream, self._outcome = stream, outcome

    @property
    def stats(self) -> BulkStats:
        return self._stream.stats

    async def __aenter__(self) -> Self:
        await self._stream.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stream.__aexit__(exc_type, exc, tb)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Outcome:
        return self._outcome(await self._stream.__anext__())


def image_record(image_id: str, info: ImageInfo) -> dict[str, Any]:
    """The line for `info`, keyed by the id that was asked for: a resume finds the line by that id. When the
    service answered with another id, the line keeps it as `server_image_id`."""
    record = unstructure_image_info(info)
    server_id = record.pop("image_id")
    if server_id == image_id:
        return {"image_id": image_id, **record}
    return {"image_id": image_id, "server_image_id": server_id, **record}


# ---------------------------------------------------------------------------------------------------------------------
# Planning and running an export.


class ExportSettings(NamedTuple):
    """The command line of one export."""

    out: str
    #: The ids file ('-': standard input); "" for an export of a whole list.
    ids: str = ""
    resume: bool = False
    overwrite: bool = False
    retry_failed: bool = True
    progress_interval: float = 10.0
    quiet: bool = False
    #: Record the source's settings beside the output (`--resume` checks them); the demo does not.
    keep_identity: bool = True


def export_ids(
    source: RecordSource,
    settings: ExportSettings,
    console: Console,
    *,
    retries: Callable[[], int] = lambda: 0,
) -> int:
    """Plan the export (synchronously), run it on a new event loop, and return the exit code."""
    existing = check_output(settings)
    note = notes_for(settings, console)
    with IdsFile.open(settings.ids) as ids:
        index, state, writer = _prepare(source, settings, ids, note, existing=existing)
        try:
            if index.repeats:
                note(f"{ids.name}: {index.repeats:,} repeated ids are exported once")
            pending = 1 << NEW | (1 << FAILED if settings.retry_failed else 0)
            total = index.distinct - state.done - state.failed_kept
            progress = Progress(
                console, total, interval=settings.progress_interval, show=not settings.quiet, retries=retries
            )
            try:
                asyncio.run(run_export(source, _pending_ids(ids, index, pending), writer, progress))
            finally:
                progress.close()  # before any message about how the run ended
        finally:
            writer.close()
    return report(settings, state, progress, console)


def check_output(settings: ExportSettings) -> bool:
    """Whether the output exists with lines in it; `UsageError` when the settings do not say what to do with it."""
    out = settings.out
    if out == STDOUT and settings.resume:
        raise UsageError("--resume needs a file: --out - writes to standard output, which cannot be resumed")
    existing = out != STDOUT and _has_data(out)
    if existing and not settings.resume and not settings.overwrite:
        raise UsageError(f"{out} exists: pass --resume to continue that export, or --overwrite to replace it")
    return existing


def _prepare(
    source: RecordSource, settings: ExportSettings, ids: IdsFile, note: Callable[[str], None], *, existing: bool
) -> tuple[IdIndex, ResumeState, LineWriter]:
    """Index the ids and leave the output ready for appending: for `--resume`, checked against the source's settings
    and repaired or rewritten; else new (made first, so a problem with it shows before the ids are read)."""
    out = settings.out
    if settings.resume and existing:
        checked = settings.keep_identity and check_identity(out, source.identity)
        index = IdIndex(ids)
        if settings.keep_identity and not checked:
            note(f"resume: {meta_path(out)} is missing, so {out}'s settings cannot be checked; recording these")
        state = prepare_resume(out, source.key_field, index, retry_failed=settings.retry_failed)
        _note_resume(note, out, index, state)
        if settings.keep_identity and not checked:
            write_identity(out, source.identity)
        return index, state, open_lines(out)
    writer = StdoutLines() if out == STDOUT else new_output(out, source.identity, settings, existing=existing)
    try:
        return IdIndex(ids), ResumeState(), writer
    except BaseException:
        writer.close()
        raise


def notes_for(settings: ExportSettings, console: Console) -> Callable[[str], None]:
    """Where an export's informational lines go: the console, or nowhere under `--quiet`."""
    return _silent if settings.quiet else console.line


def _silent(text: str) -> None:
    pass


def _has_data(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def open_lines(path: str) -> FileLines:
    """The output opened for appending; `UsageError` when it cannot be."""
    try:
        return FileLines(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def new_output(path: str, identity: Sequence[Identity], settings: ExportSettings, *, existing: bool) -> FileLines:
    """An empty output with the source's settings recorded beside it (`--overwrite` empties an existing one first,
    so the settings never describe old lines)."""
    if existing:
        _truncate(path)
    if settings.keep_identity:
        write_identity(path, identity)
    return open_lines(path)


def _truncate(path: str) -> None:
    try:
        os.truncate(path, 0)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _note_resume(note: Callable[[str], None], out: str, index: IdIndex, state: ResumeState) -> None:
    if state.cut_bytes:
        note(f"resume: cut a truncated last line ({state.cut_bytes} bytes) off {out}")
    if state.repeats_dropped:
        note(f"resume: dropped {state.repeats_dropped:,} repeated lines from {out}")
    to_go = index.distinct - state.done - state.failed_kept
    text = f"resume: {state.done:,} of {index.distinct:,} ids already in {out}"
    if state.retrying:
        text += f", {state.retrying:,} failed ones to retry"
    if state.failed_kept:
        text += f", {state.failed_kept:,} failed ones kept (--no-retry-failed)"
    note(f"{text}; {to_go:,} to go")


def _pending_ids(ids: IdsFile, index: IdIndex, states: int) -> Iterator[str]:
    """The ids the run still has to fetch, in file order, each once: read lazily from the ids file.

    The bulk run pulls these on the event loop: a buffered read of a local file and an index lookup cost a few
    microseconds per id.
    """
    for offset, key in ids.scan():
        if index.claim(offset, key, states):
            yield key.decode()


async def run_export(source: RecordSource, ids: Iterator[str], writer: LineWriter, progress: Progress) -> None:
    """Fetch `ids` through `source` and write one line per id as its outcome arrives.

    A failure every id would share raises `StopExport` before its id is written, as does an output that cannot be
    written; leaving the stream cancels the requests in flight.
    """
    try:
        outcomes = source.outcomes(ids)
        progress.stats = lambda: outcomes.stats
        async with outcomes:
            async for outcome in outcomes:
                error = outcome.error
                if error is not None and stops_export(error):
                    hint = source.failure_hint(error)
                    raise StopExport(
                        f"stopped after {progress.done:,} ids: {error}",
                        *([hint] if hint else []),
                        "(ids not yet written are exported by a rerun with --resume)",
                    )
                write_outcome(source.key_field, outcome, writer, progress)
    finally:
        await source.aclose()


def write_outcome(key_field: str, outcome: Outcome, writer: LineWriter, progress: Progress) -> None:
    """Write the outcome's line and count it; `StopExport` when the output cannot take it."""
    line, error = _line(key_field, outcome)
    try:
        writer.write(line)
    except OSError as exc:
        raise StopExport(_write_failure(writer.name, exc)) from None
    progress.add(error)


def _line(key_field: str, outcome: Outcome) -> tuple[bytes, Exception | None]:
    """The line for an outcome, and its error; a record JSON cannot hold (NaN, infinity) becomes an error line."""
    if outcome.record is not None:
        try:
            return encode_line(outcome.record), None
        except (ValueError, RecursionError) as exc:
            error: Exception = ValueError(f"the answer cannot be written as JSON: {exc}")
    else:
        assert outcome.error is not None
        error = outcome.error
    return encode_line(error_record(key_field, outcome.key, error)), error


def _write_failure(name: str, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if isinstance(exc, BrokenPipeError):
        return f"{name} was closed by its reader; stopped"
    return f"cannot write {name}: {reason}; the lines written are whole: make room, then rerun with --resume"


def stops_export(error: BaseException) -> bool:
    """Failures that every other id would hit too: continuing would only repeat them (and may lock the key)."""
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return True
    if isinstance(error, NotFoundError) and is_dataset_missing(error.error_code):
        return True  # every sample of a dataset that does not exist
    return isinstance(error, APIError) and is_api_missing(error.error_code)


def _ids(count: int) -> str:
    return f"{count:,} id" if count == 1 else f"{count:,} ids"


def report(settings: ExportSettings, state: ResumeState, progress: Progress, console: Console) -> int:
    """The summary, and the exit code of what the output now holds: 2 when any line in it is an error."""
    progress.close()
    out = "standard output" if settings.out == STDOUT else settings.out
    failed = state.failed_kept + state.other_failed + progress.failed
    if not settings.quiet:
        console.line(f"exported {progress.summary()} -> {out}")
        earlier = state.failed_kept + state.other_failed
        if earlier:
            console.line(f"{out} also holds {_ids(earlier)} that failed in earlier runs")
        if failed and settings.out != STDOUT:
            retry = " (without --no-retry-failed)" if state.failed_kept else ""
            console.line(f"{_ids(failed)} failed: rerun with --resume{retry} to retry them")
    return EXIT_SOME_FAILED if failed else EXIT_OK
