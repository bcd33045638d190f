"""Bulk fetching: a fixed pool of workers turns any stream of ids into one `ImageResult` per id, in bounded memory.

    ids ──(pulled lazily, only while the window has room)──▶ `concurrency` workers ──▶ results ──▶ consumer
                                                               │ every HTTP attempt (retries too) passes the
                                                               │ run's `_Pacing`: Retry-After pause → AIMD slot
                                                               │ → rate limiter

- The workers live in an `asyncio.TaskGroup` inside one supervisor task that the `ImageResultStream` owns, so
  the group never cancels the consumer's own task (the hazard of yielding inside a task group, PEP 789), and
  `aclose()` (or leaving `async with`) cancels and awaits everything.
- The window bounds `pulled - yielded`: memory stays O(window) however long the input is. When ordered, the
  same window is the reorder buffer.
- Per-id cost matters (a run may hold millions of ids): no task, log line or lock per id on the hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Self

from ._converter import BatchItem, structure_images_tags
from ._exceptions import (
    APIError,
    AuthenticationError,
    ClientStateError,
    InvalidArgumentError,
    ModelArtsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    TransportError,
)
from ._models import BulkStats, ImageInfo, ImageResult
from ._paths import batch_tags_path, path_segment

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

    from ._client import ModelArtsClient

__all__ = ["ImageResultStream", "get_image_info_by_ids", "iter_image_infos"]

#: A `Retry-After` longer than this pauses the run only this long (a misconfigured gateway must not stall an ETL).
MAX_PAUSE = 60.0
#: Results a run may hold (in flight + not yet consumed), per worker: unordered, then ordered (the reorder window).
UNORDERED_WINDOW_PER_WORKER = 8  # smaller windows make workers wait on the consumer: ~20% more CPU per id
ORDERED_WINDOW_PER_WORKER = 16
# Errors of a whole batch that splitting it cannot cure, or would make worse (keys lock after 5 auth failures).
_NO_SPLIT = (AuthenticationError, PermissionDeniedError, RateLimitError)
_API_MISSING_CODES = frozenset({"APIG.0101", "APIGW.0101"})


def iter_image_infos(
    client: ModelArtsClient,
    image_ids: Iterable[str] | AsyncIterable[str],
    *,
    data_annotation_id: str,
    project_id: str | None,
    concurrency: int,
    ordered: bool,
    rate_limit: float | None,
    batch_size: int | None,
    fail_fast: bool,
    window: int | None = None,
) -> ImageResultStream:
    """Check the arguments now (so mistakes raise at the call) and return the stream that runs on first use."""
    _check_count("concurrency", concurrency)
    if batch_size is not None:
        _check_count("batch_size", batch_size)
    if rate_limit is not None and (
        isinstance(rate_limit, bool)
        or not isinstance(rate_limit, (int, float))
        or not math.isfinite(rate_limit)
        or rate_limit <= 0
    ):
        raise InvalidArgumentError(f"rate_limit must be a positive number of requests per second, got {rate_limit!r}")
    project = client._project(project_id)
    batch_path = batch_tags_path(project, data_annotation_id)  # validates both ids once for the whole run
    # Batches amortise the consumer's wake-ups over many ids, so a batch run needs less room per worker.
    per_worker = ORDERED_WINDOW_PER_WORKER if ordered else UNORDERED_WINDOW_PER_WORKER if batch_size is None else 2
    run = _Run(
        client,
        _source(image_ids),
        project_id=project,
        data_annotation_id=data_annotation_id,
        batch_path=batch_path,
        concurrency=concurrency,
        ordered=ordered,
        rate_limit=rate_limit,
        batch_size=batch_size,
        fail_fast=fail_fast,
        window=window or per_worker * concurrency * (batch_size or 1),
    )
    return ImageResultStream(run)


async def get_image_info_by_ids(
    client: ModelArtsClient, *, project_id: str | None, data_annotation_id: str, image_ids: Iterable[str]
) -> list[ImageInfo]:
    """One call to the batch endpoint; raise the first error, including a malformed item of the answer."""
    if isinstance(image_ids, (str, bytes)):
        raise InvalidArgumentError("image_ids must be a list of ids, not one string: wrap a single id in a list")
    ids = list(image_ids)
    for image_id in ids:
        path_segment("image_id", image_id)
    project = client._project(project_id)
    path = batch_tags_path(project, data_annotation_id)
    if not ids:
        return []
    answer = await _fetch_batch(client, project, path, ids, pacer=None)
    infos = []
    for _, item in answer.items:
        if isinstance(item, ResponseValidationError):
            raise item
        infos.append(item)
    return infos


class _BatchAnswer(NamedTuple):
    items: list[BatchItem]
    status_code: int
    request_id: str | None


async def _fetch_batch(
    client: ModelArtsClient, project_id: str, path: str, ids: list[str], pacer: _WorkerPacer | None
) -> _BatchAnswer:
    reply = await client._call("POST", path, json={"image_id": ids}, pacer=pacer, project_id=project_id)
    items = structure_images_tags(reply.data, status_code=reply.status_code, request_id=reply.request_id)
    return _BatchAnswer(items, reply.status_code, reply.request_id)


class ImageResultStream:
    """The async iterator of `ImageResult`s that `ModelArtsClient.iter_image_infos()` returns.

    Use it in `async with` so that leaving the block early (``break``, an exception) cancels the requests in
    flight and waits for them before going on; `await stream.aclose()` does the same. A stream dropped without
    either is still cancelled when it is garbage-collected, just not awaited. `stats` is readable at any time.

    Example::

        async with client.iter_image_infos(ids, data_annotation_id="282") as results:
            async for result in results:
                ...
        print(results.stats)
    """

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._task else "not started"
        return f"<ImageResultStream {state} {self.stats}>"

    @property
    def stats(self) -> BulkStats:
        """A snapshot of the run's progress: done, ok, failed, in flight, current concurrency, rate."""
        return self._run.stats()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ImageResult:
        if self._closed:
            raise StopAsyncIteration
        run = self._run
        if self._task is None:
            self._task = run.start()
        while True:
            if run.fatal is not None:
                await self._join()
                raise run.fatal
            result = run.pop()
            if result is not None:
                return result
            if run.finished:
                await self._join()
                raise StopAsyncIteration
            await run.wait_for_results()

    async def _join(self) -> None:
        """The run ended by itself: wait for its last clean-up so that no task outlives the iteration."""
        self._closed = True
        assert self._task is not None
        await asyncio.wait({self._task})

    async def aclose(self) -> None:
        """Stop the run: cancel the requests in flight and wait until every task of the run has ended."""
        self._closed = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # `async for ...: break` without `async with` drops the stream: stop its workers rather than leak them.
        task = self._task
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                task.cancel()


class _FailFast(Exception):
    """Raised by a worker under `fail_fast=True` to make the task group cancel every other worker."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class _Run:
    """The state of one bulk run: input, window, results and pacing; workers and the consumer share it."""

    def __init__(
        self,
        client: ModelArtsClient,
        source: Iterator[Any] | AsyncIterator[Any],
        *,
        project_id: str,
        data_annotation_id: str,
        batch_path: str,
        concurrency: int,
        ordered: bool,
        rate_limit: float | None,
        batch_size: int | None,
        fail_fast: bool,
        window: int,
    ) -> None:
        self._client = client
        is_async = hasattr(source, "__anext__")
        self._async_source: AsyncIterator[Any] | None = source if is_async else None  # type: ignore[assignment]
        self._sync_source: Iterator[Any] | None = None if is_async else source  # type: ignore[assignment]
        self._project_id = project_id
        self._data_annotation_id = data_annotation_id
        self._batch_path = batch_path
        self._concurrency = concurrency
        self._ordered = ordered
        self._batch_size = batch_size
        self._fail_fast = fail_fast
        self._window = window
        self.pacing = _Pacing(concurrency, rate_limit)
        self._pull_lock = asyncio.Lock()
        self._exhausted = False
        self._pulled = 0
        self._yielded = 0
        self._pull_waiters: deque[asyncio.Future[None]] = deque()
        self._ready: deque[ImageResult] = deque()  # unordered: results as completed
        self._pending: dict[int, ImageResult] = {}  # ordered: results by input position
        self._consumer: asyncio.Future[None] | None = None
        self.ok = 0
        self.failed = 0
        self.finished = False
        self.fatal: BaseException | None = None
        self._started_at: float | None = None
        self._ended_at: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        self._client._check_usable()
        self._started_at = time.monotonic()
        return asyncio.create_task(self._supervise(), name="modelarts-bulk")

    async def _supervise(self) -> None:
        worker = self._work if self._batch_size is None else self._work_batches
        try:
            async with asyncio.TaskGroup() as group:
                for number in range(self._concurrency):
                    group.create_task(worker(), name=f"modelarts-bulk-worker-{number}")
        except Exception as exc:
            self.fatal = _first_error(exc)
        finally:
            self.finished = True
            self._ended_at = time.monotonic()
            self._wake_consumer()
            await self._close_source()

    async def _close_source(self) -> None:
        # An async generator we stopped reading early would otherwise be finalised later, in a task of its own.
        aclose = getattr(self._async_source, "aclose", None)
        if aclose is not None:
            await aclose()

    def stats(self) -> BulkStats:
        pacing = self.pacing
        if self._started_at is None:
            elapsed = 0.0
        else:
            end = self._ended_at if self._ended_at is not None else time.monotonic()
            elapsed = end - self._started_at
        return BulkStats(
            done=self.ok + self.failed,
            ok=self.ok,
            failed=self.failed,
            in_flight=pacing.in_flight,
            concurrency=int(pacing.limit),
            attempts=pacing.attempts,
            throttled=pacing.throttled,
            elapsed=elapsed,
        )

    # -- workers -----------------------------------------------------------------------------------------------

    async def _work(self) -> None:
        """Fetch one id at a time through the single-image call until the input runs out."""
        pacer = _WorkerPacer(self.pacing)
        fetch = self._client._get_image_info
        project_id, data_annotation_id = self._project_id, self._data_annotation_id
        while True:
            chunk = await self._pull(1)
            if not chunk:
                return
            seq, image_id = chunk[0]
            try:
                info = await fetch(
                    project_id=project_id, data_annotation_id=data_annotation_id, image_id=image_id, pacer=pacer
                )
            except ClientStateError:
                raise  # the client was closed under us: nothing else can work either
            except Exception as exc:
                result = ImageResult(image_id, None, exc)
            else:
                result = ImageResult(image_id, info, None)
            finally:
                pacer.release()
            self._deliver(seq, result)

    async def _work_batches(self) -> None:
        """Fetch `batch_size` ids per call through the batch endpoint until the input runs out."""
        assert self._batch_size is not None
        pacer = _WorkerPacer(self.pacing)
        while True:
            chunk = await self._pull(self._batch_size)
            if not chunk:
                return
            valid = []
            for seq, image_id in chunk:
                try:
                    path_segment("image_id", image_id)
                except InvalidArgumentError as exc:
                    self._deliver(seq, ImageResult(image_id, None, exc))
                else:
                    valid.append((seq, image_id))
            if valid:
                await self._fetch_chunk(valid, pacer)

    async def _fetch_chunk(self, chunk: list[tuple[int, Any]], pacer: _WorkerPacer) -> None:
        """One batch call; if the whole call fails, halve the chunk so one bad id cannot fail its neighbours."""
        try:
            ids = [image_id for _, image_id in chunk]
            answer = await _fetch_batch(self._client, self._project_id, self._batch_path, ids, pacer)
        except ClientStateError:
            raise
        except Exception as exc:
            error: Exception = exc
        else:
            self._deliver_answer(chunk, answer)
            return
        finally:
            pacer.release()
        if len(chunk) > 1 and _worth_splitting(error):
            half = len(chunk) // 2
            await self._fetch_chunk(chunk[:half], pacer)
            await self._fetch_chunk(chunk[half:], pacer)
            return
        for seq, image_id in chunk:
            self._deliver(seq, ImageResult(image_id, None, error))

    def _deliver_answer(self, chunk: list[tuple[int, Any]], answer: _BatchAnswer) -> None:
        found: dict[str, ImageInfo | ResponseValidationError] = {}
        unattributed: ResponseValidationError | None = None
        for image_id, item in answer.items:
            if image_id is None:
                unattributed = unattributed or item  # type: ignore[assignment]
            else:
                found.setdefault(image_id, item)
        for seq, image_id in chunk:
            outcome: ImageInfo | ModelArtsError = found.get(image_id) or unattributed or _missing(image_id, answer)
            if isinstance(outcome, ImageInfo):
                self._deliver(seq, ImageResult(image_id, outcome, None))
            else:
                self._deliver(seq, ImageResult(image_id, None, outcome))

    # -- input and window --------------------------------------------------------------------------------------

    async def _pull(self, count: int) -> list[tuple[int, Any]]:
        """Up to `count` (position, id) pairs from the input, once the window has room; [] when it is exhausted."""
        while not self._exhausted and self._pulled - self._yielded >= self._window:
            await self._wait_for_window()
        if self._exhausted:
            return []
        if self._sync_source is not None:
            chunk = list(zip(itertools.count(self._pulled), itertools.islice(self._sync_source, count), strict=False))
            self._pulled += len(chunk)
            if len(chunk) < count:
                self._mark_exhausted()
            return chunk
        return await self._pull_async(count)

    async def _pull_async(self, count: int) -> list[tuple[int, Any]]:
        # An async generator cannot be advanced by two tasks at once, so pulls take turns.
        assert self._async_source is not None
        chunk: list[tuple[int, Any]] = []
        async with self._pull_lock:
            while len(chunk) < count and not self._exhausted:
                try:
                    image_id = await anext(self._async_source)
                except StopAsyncIteration:
                    self._mark_exhausted()
                    break
                chunk.append((self._pulled, image_id))
                self._pulled += 1
        return chunk

    def _mark_exhausted(self) -> None:
        self._exhausted = True
        while self._pull_waiters:  # let every waiting worker see the end and return
            waiter = self._pull_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_for_window(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._pull_waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._wake_puller()  # pass on the room we were given but can no longer use
            raise

    def _wake_puller(self) -> None:
        while self._pull_waiters:
            waiter = self._pull_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # -- results -----------------------------------------------------------------------------------------------

    def _deliver(self, seq: int, result: ImageResult) -> None:
        if result.error is None:
            self.ok += 1
        else:
            self.failed += 1
            if self._fail_fast:
                raise _FailFast(result.error)
        if self._ordered:
            self._pending[seq] = result
            if seq != self._yielded:
                return  # the consumer waits for an earlier position
        else:
            self._ready.append(result)
        self._wake_consumer()

    def pop(self) -> ImageResult | None:
        """The next result to yield, or None when it has not arrived yet."""
        if self._ordered:
            result = self._pending.pop(self._yielded, None)
        else:
            result = self._ready.popleft() if self._ready else None
        if result is not None:
            self._yielded += 1
            if self._pull_waiters:
                self._wake_puller()
        return result

    async def wait_for_results(self) -> None:
        self._consumer = waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._consumer = None

    def _wake_consumer(self) -> None:
        waiter = self._consumer
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _Pacing:
    """What all workers of a run share before each attempt: a Retry-After pause, AIMD slots, a rate limiter.

    AIMD: the limit halves on a throttling answer (at most once per round of requests: answers to requests sent
    before the last cut do not cut again) and grows by 1/limit per answer that was not throttled, i.e. by about
    one per round, up to `maximum`.
    """

    def __init__(self, maximum: int, rate_limit: float | None) -> None:
        self.maximum = maximum
        self.limit = float(maximum)
        self.in_flight = 0
        self.attempts = 0
        self.throttled = 0
        self.epoch = 0  # counts the cuts
        self.resume_at = 0.0  # loop time before which no attempt starts (0: no pause)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._limiter = _limiter(rate_limit)

    async def enter(self) -> int:
        """Wait for the pause to end, a slot and a rate token; take the slot; return the epoch it started in."""
        while True:
            if self.resume_at:
                delay = self.resume_at - asyncio.get_running_loop().time()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue
            if self.in_flight >= int(self.limit):
                await self._wait_for_slot()
                continue
            self.in_flight += 1
            if self._limiter is not None:
                try:
                    await self._limiter.acquire()
                except BaseException:
                    self.leave_slot()
                    raise
                if self.resume_at > asyncio.get_running_loop().time():  # a pause began while we waited for a token
                    self.leave_slot()
                    continue
            self.attempts += 1
            return self.epoch

    def leave(self, error: ModelArtsError | None, epoch: int) -> None:
        """Give the slot back and learn from how the attempt ended."""
        self.in_flight -= 1
        if isinstance(error, RateLimitError):
            self._throttled(error, epoch)
        elif (error is None or (isinstance(error, APIError) and error.status_code < 500)) and self.limit < self.maximum:
            self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
        if self._waiters:
            self._wake()

    def leave_slot(self) -> None:
        """Give the slot back without a verdict (the attempt was cancelled, or failed outside the HTTP layer)."""
        self.in_flight -= 1
        if self._waiters:
            self._wake()

    def _throttled(self, error: RateLimitError, epoch: int) -> None:
        self.throttled += 1
        if error.retry_after:
            now = asyncio.get_running_loop().time()
            self.resume_at = max(self.resume_at, now + min(error.retry_after, MAX_PAUSE))
        if epoch == self.epoch:
            self.limit = max(1.0, self.limit / 2)
            self.epoch += 1

    async def _wait_for_slot(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._wake()
            raise

    def _wake(self) -> None:
        room = int(self.limit) - self.in_flight
        while room > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                room -= 1


class _WorkerPacer:
    """One worker's view of the run's `_Pacing`, implementing the `Pacer` protocol `_call` expects.

    It remembers whether its worker holds a slot, so a slot is given back exactly once even when an attempt
    ends without `after_attempt` (cancellation, or an error outside our error tree).
    """

    __slots__ = ("_epoch", "_holding", "_pacing")

    def __init__(self, pacing: _Pacing) -> None:
        self._pacing = pacing
        self._holding = False
        self._epoch = 0

    async def before_attempt(self) -> None:
        self.release()
        self._epoch = await self._pacing.enter()
        self._holding = True

    def after_attempt(self, error: ModelArtsError | None) -> None:
        if self._holding:
            self._holding = False
            self._pacing.leave(error, self._epoch)

    def release(self) -> None:
        if self._holding:
            self._holding = False
            self._pacing.leave_slot()


def _limiter(rate_limit: float | None) -> AsyncLimiter | None:
    if rate_limit is None:
        return None
    from aiolimiter import AsyncLimiter

    # A leaky bucket of one second's worth of requests; below 1/s, one request per 1/rate seconds.
    return AsyncLimiter(rate_limit, 1.0) if rate_limit >= 1 else AsyncLimiter(1, 1.0 / rate_limit)


def _source(image_ids: Iterable[str] | AsyncIterable[str]) -> Iterator[Any] | AsyncIterator[Any]:
    if isinstance(image_ids, (str, bytes)):
        raise InvalidArgumentError("image_ids must be an iterable of ids, not one string: wrap a single id in a list")
    if isinstance(image_ids, AsyncIterable):
        return aiter(image_ids)
    if isinstance(image_ids, Iterable):
        return iter(image_ids)
    raise InvalidArgumentError(
        f"image_ids must be an iterable or async iterable of str, got {type(image_ids).__name__}"
    )


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a positive integer, got {value!r}")


def _worth_splitting(error: Exception) -> bool:
    if isinstance(error, _NO_SPLIT):
        return False
    if isinstance(error, NotFoundError):
        return error.error_code not in _API_MISSING_CODES  # a missing API stays missing for half a batch
    return isinstance(error, (APIError, TransportError, ResponseValidationError))


def _missing(image_id: str, answer: _BatchAnswer) -> NotFoundError:
    return NotFoundError(
        f"not found: HTTP {answer.status_code}: the batch answer has no entry for image {image_id!r} "
        f"[request id {answer.request_id}]",
        status_code=answer.status_code,
        request_id=answer.request_id,
    )


def _first_error(exc: Exception) -> BaseException:
    """The error to raise to the consumer for a task group's failure: fail-fast's error, or the one cause."""
    if isinstance(exc, BaseExceptionGroup):
        fail_fast = [e for e in _leaves(exc) if isinstance(e, _FailFast)]
        if fail_fast:
            return fail_fast[0].error
        leaves = list(_leaves(exc))
        if len(leaves) == 1:
            return leaves[0]
    return exc


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc
