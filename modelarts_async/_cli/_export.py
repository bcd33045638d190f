"""The export engine: a file of ids in, one JSON line per distinct id out, resumable, in bounded memory.

    ids file (--shard: its share) ──▶ IdIndex (count, dedupe) ──▶ ids still to fetch ──▶ RecordSource (a bulk run)
                                         ▲                                                      │ an Outcome per id
    ExportOutput: check, lock, resume ───┘ (the output repaired against the index)              ▼
    ExportOutput.write ◀──────────────────────────────────────────────── one line each (write_outcome)

It knows one API family only through a `RecordSource`: the key field of its lines, the settings its output is
bound to, and a stream of `Outcome`s for a stream of ids. `ImageLabels` is the v1 family (annotation jobs);
`_samples.SamplesById` the v2 one (dataset samples). An export of a whole list, with no ids file, is planned
by `_listing` and writes its lines through the same `write_outcome`. The output file, its sidecar and its lock
belong to `_output.ExportOutput` alone.

Planning (reading the ids, checking and repairing the output) is synchronous and runs before the event loop
starts; only the fetching runs on it.
"""

from __future__ import annotations

import asyncio
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
from ._errors import StopExport, UsageError
from ._ids_file import FAILED, NEW, IdIndex, IdsFile
from ._jsonl_file import Identity, ResumeState, encode_line, error_record
from ._output import ExportOutput
from ._progress import Console, Progress
from ._reach import FailureAdvice, PlainAdvice, is_reach_failure
from ._settings import ExportSettings
from ._shard import Shard

__all__ = [
    "NOT_FOUND_LIMIT",
    "ImageLabels",
    "Outcome",
    "OutcomeStream",
    "RecordSource",
    "ResultOutcomes",
    "export_ids",
    "image_record",
    "run_export",
    "shard_identity",
    "stops_export",
    "write_outcome",
]

#: A v1 export stops when its first this many outcomes are all "not found" (unless --keep-going).
NOT_FOUND_LIMIT = 100


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

    @property
    def advice(self) -> FailureAdvice:
        """How a failure that stops the export is worded."""

    @property
    def stop_after_not_found(self) -> int | None:
        """Stop when this many first outcomes are all "not found" (a wrong job id); None: never."""

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
        advice: FailureAdvice | None = None,
        stop_after_not_found: int | None = NOT_FOUND_LIMIT,
    ) -> None:
        self.client, self.data_annotation_id = client, data_annotation_id
        self.concurrency, self.rate_limit, self.batch_size = concurrency, rate_limit, batch_size
        self.advice: FailureAdvice = advice or PlainAdvice()
        self.stop_after_not_found = stop_after_not_found

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
                stop_after_not_found=self.stop_after_not_found,
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


def export_ids(
    source: RecordSource,
    settings: ExportSettings,
    console: Console,
    *,
    retries: Callable[[], int] = lambda: 0,
) -> int:
    """Plan the export (synchronously), run it on a new event loop, and return the exit code."""
    identity = [*source.identity, shard_identity(settings.shard)]
    with (
        ExportOutput(settings, identity, source.key_field, console) as output,
        IdsFile.open(settings.ids, shard=settings.shard) as ids,
    ):
        index = IdIndex(ids)
        if output.resuming:
            _note_resume(output, index, output.resume(index))
        if index.repeats:
            output.note(f"{ids.name}: {index.repeats:,} repeated ids are exported once")
        state = output.state
        pending = 1 << NEW | (1 << FAILED if settings.retry_failed else 0)
        total = index.distinct - state.done - state.failed_kept
        progress = Progress(
            console, total, interval=settings.progress_interval, show=not settings.quiet, retries=retries
        )
        try:
            asyncio.run(run_export(source, _pending_ids(ids, index, pending), output, progress, fresh=not state.done))
        finally:
            progress.close()  # before any message about how the run ended
        output.finish()
        return output.report(progress)


def shard_identity(shard: Shard | None) -> Identity:
    """The shard an output of ids holds, for its sidecar: a resume with another shard is refused."""
    return Identity("shard", "--shard", "shard", None if shard is None else str(shard))


def _note_resume(output: ExportOutput, index: IdIndex, state: ResumeState) -> None:
    to_go = index.distinct - state.done - state.failed_kept
    text = f"resume: {state.done:,} of {index.distinct:,} ids already in {output.name}"
    if state.retrying:
        text += f", {state.retrying:,} failed ones to retry"
    if state.failed_kept:
        text += f", {state.failed_kept:,} failed ones kept (--no-retry-failed)"
    output.note(f"{text}; {to_go:,} to go")


def _pending_ids(ids: IdsFile, index: IdIndex, states: int) -> Iterator[str]:
    """The ids the run still has to fetch, in file order, each once: read lazily from the ids file.

    The bulk run pulls these on the event loop: a buffered read of a local file and an index lookup cost a few
    microseconds per id.
    """
    for offset, key in ids.scan():
        if index.claim(offset, key, states):
            yield key.decode()


async def run_export(
    source: RecordSource, ids: Iterator[str], output: ExportOutput, progress: Progress, *, fresh: bool = True
) -> None:
    """Fetch `ids` through `source` and write one line per id as its outcome arrives.

    A failure every id would share raises `StopExport` before its id is written, as does an output that cannot be
    written; leaving the stream cancels the requests in flight. `fresh`: the output holds no labels yet, so a run
    whose first outcomes all say "not found" (`source.stop_after_not_found`) is a wrong job id, not missing images:
    those outcomes are held back and, when the stream stops on them, never written.
    """
    held = _HeldNotFound(source.stop_after_not_found if fresh else None)
    try:
        outcomes = source.outcomes(ids)
        progress.stats = lambda: outcomes.stats
        async with outcomes:
            async for outcome in outcomes:
                if outcome.error is not None:
                    _check_shared_failure(source, outcome.error, progress)
                if held.holding:
                    for ready in held.pass_on(outcome):
                        write_outcome(source.key_field, ready, output, progress)
                else:
                    write_outcome(source.key_field, outcome, output, progress)
        for ready in held.release():
            write_outcome(source.key_field, ready, output, progress)
    except NotFoundError as error:  # the stream's own stop: its first outcomes were all "not found"
        raise StopExport(_not_found_message(held.limit, error)) from None
    finally:
        await source.aclose()


def _check_shared_failure(source: RecordSource, error: Exception, progress: Progress) -> None:
    """`StopExport` for a failure every other id would hit too (before any success, an unreachable endpoint)."""
    if not (stops_export(error) or (not progress.ok and is_reach_failure(error))):
        return
    hint = source.advice.failure_hint(error)
    message = source.advice.describe(error)
    if not progress.done:  # nothing written in this run: lead with what to do, no resume to advise
        raise StopExport(message, *([hint] if hint else []))
    raise StopExport(
        f"stopped after {progress.done:,} ids: {message}",
        *([hint] if hint else []),
        "(ids not yet written are exported by a rerun with --resume)",
    )


def _not_found_message(limit: int | None, error: NotFoundError) -> str:
    if limit is None:
        return str(error)
    return f"the first {limit} ids were all not found: is --data-annotation-id right? --keep-going exports anyway"


class _HeldNotFound:
    """The first outcomes of a run while they are all "not found", up to `limit`: written only once something else
    arrives (or the run ends), so a run that stops on them leaves nothing behind."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._held: list[Outcome] | None = [] if limit is not None else None

    @property
    def holding(self) -> bool:
        """Whether outcomes are still held (else each is written as it comes)."""
        return self._held is not None

    def pass_on(self, outcome: Outcome) -> list[Outcome]:
        """The outcomes to write now: none while holding, else `outcome` after whatever was held."""
        if self._held is None:
            return [outcome]
        if isinstance(outcome.error, NotFoundError):
            self._held.append(outcome)  # at most `limit`: the stream stops at the limit-th
            return []
        return [*self.release(), outcome]

    def release(self) -> list[Outcome]:
        held, self._held = self._held or [], None
        return held


def write_outcome(key_field: str, outcome: Outcome, output: ExportOutput, progress: Progress) -> None:
    """Write the outcome's line and count it; `StopExport` when the output cannot take it."""
    line, error = _line(key_field, outcome)
    output.write(line)
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


def stops_export(error: BaseException) -> bool:
    """Failures that every other id would hit too: continuing would only repeat them (and may lock the key)."""
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return True
    if isinstance(error, NotFoundError) and is_dataset_missing(error.error_code):
        return True  # every sample of a dataset that does not exist
    return isinstance(error, APIError) and is_api_missing(error.error_code)
