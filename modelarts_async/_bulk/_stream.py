"""The bulk engine: a fixed pool of workers turns any stream of keys into exactly one result per key, in bounded memory.

    keys ──(pulled lazily, only while the window has room)──▶ `concurrency` workers ──▶ results ──▶ consumer
                                                                │ every HTTP attempt (retries too) passes the
                                                                │ run's `RunPacing`: Retry-After pause → AIMD slot
                                                                │ → rate limiter

It knows nothing of any API: a family supplies a `Fetchers` (fetch one key; optionally fetch a batch of keys) and
gets streaming, ordering, fail-fast, cancellation, pacing and stats.

- The workers live in an `asyncio.TaskGroup` inside one supervisor task that the `ResultStream` owns, so the group
  never cancels the consumer's own task (the hazard of yielding inside a task group, PEP 789), and `aclose()` (or
  leaving `async with`) cancels and awaits everything.
- The window bounds `pulled - yielded`: memory stays O(window) however long the input is. When ordered, the same
  window is the reorder buffer.
- Per-key cost matters (a run may hold millions of keys): no task, log line or lock per key on the hot path.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from .._exceptions import APIError, ClientStateError, InvalidArgumentError, NotFoundError
from ._background import BackgroundIterator
from ._batching import fetch_splitting
from ._options import BulkOptions
from ._pacing import Pacer, RunPacing, WorkerPacer
from ._stats import BulkStats

__all__ = ["Fetchers", "ResultStream", "stream_results"]

V = TypeVar("V")


class _Result(Protocol):
    @property
    def error(self) -> Exception | None: ...


R = TypeVar("R", bound=_Result)


class Fetchers(NamedTuple, Generic[V, R]):
    """What an API family gives the engine: how to fetch one key (and a batch), and how to wrap an outcome."""

    #: `(key, pacer) -> value`; raises the key's error (an invalid key raises `InvalidArgumentError`).
    one: Callable[[Any, Pacer], Awaitable[V]]
    #: `(key, value, error) -> result`, e.g. `ImageResult`.
    result: Callable[[Any, V | None, Exception | None], R]
    #: `(keys, pacer) -> {key: value or error}` for every key; None when the family has no batch endpoint.
    batch: Callable[[list[Any], Pacer], Awaitable[Mapping[Any, V | Exception]]] | None = None
    #: Raises `InvalidArgumentError` for a key that cannot be sent (checked before it joins a batch).
    check_key: Callable[[Any], object] | None = None


def stream_results(
    keys: Iterable[Any] | AsyncIterable[Any],
    fetchers: Fetchers[V, R],
    options: BulkOptions,
    *,
    on_start: Callable[[], None],
    on_end: Callable[[], Awaitable[None]] | None = None,
    stream_class: type[ResultStream[R]] | None = None,
) -> ResultStream[R]:
    """A stream of one result per key, started on first use; `on_start` may refuse (e.g. a closed client), and
    `on_end` releases what the fetchers hold once the run ends, however it ends (cancelled at GC too)."""
    if options.batch_size is not None and fetchers.batch is None:
        raise InvalidArgumentError("batch_size is not supported by this call: it has no batch endpoint")
    run = _Run(_source(keys), fetchers, options, on_start, on_end)
    return (stream_class or ResultStream)(run)


class ResultStream(BackgroundIterator, Generic[R]):
    """An async iterator of one result per input key, as a bulk method returns it.

    Use it in `async with` so that leaving the block early (``break``, an exception) cancels the requests in
    flight and waits for them before going on; `await stream.aclose()` does the same. A stream dropped without
    either is still cancelled when it is garbage-collected, just not awaited. `stats` is readable at any time.
    """

    def __init__(self, run: _Run[Any, R]) -> None:
        super().__init__()
        self._run = run

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state()} {self.stats}>"

    @property
    def stats(self) -> BulkStats:
        """A snapshot of the run's progress: done, ok, failed, in flight, current concurrency, rate."""
        return self._run.stats()

    async def __anext__(self) -> R:
        self._check_loop()
        if self._closed:
            raise StopAsyncIteration
        run = self._run
        if self._task is None:
            self._start(run.start())
        while True:
            if run.fatal is not None:
                await self._join()
                raise run.fatal
            result = run.pop()
            if result is not None:
                return result
            if run.finished:
                await self._join()
                if run.input_error is not None:
                    raise run.input_error  # after every result fetched before the input failed
                raise StopAsyncIteration
            await run.wait_for_results()


class _FailFast(Exception):
    """Raised by a worker under `fail_fast=True` to make the task group cancel every other worker."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class _Run(Generic[V, R]):
    """The state of one bulk run: input, window, results and pacing; workers and the consumer share it."""

    def __init__(
        self,
        source: Iterator[Any] | AsyncIterator[Any],
        fetchers: Fetchers[V, R],
        options: BulkOptions,
        on_start: Callable[[], None],
        on_end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        is_async = hasattr(source, "__anext__")
        self._async_source: AsyncIterator[Any] | None = source if is_async else None  # type: ignore[assignment]
        self._sync_source: Iterator[Any] | None = None if is_async else source  # type: ignore[assignment]
        self._fetchers = fetchers
        self._options = options
        self._on_start = on_start
        self._on_end = on_end
        self._window = options.window_size()
        self._ordered = options.ordered
        self._fail_fast = options.fail_fast
        #: Results still to check against `stop_after_not_found` while all so far were "not found"; None: stopped
        #: checking (an option not given, or a result that was not "not found").
        self._not_found_to_go = options.stop_after_not_found
        self.pacing = RunPacing(options.concurrency, options.rate_limit)
        self._pull_lock = asyncio.Lock()
        self._exhausted = False
        self._pulled = 0
        self._yielded = 0
        self._pull_waiters: deque[asyncio.Future[None]] = deque()
        self._ready: deque[R] = deque()  # unordered: results as completed
        self._pending: dict[int, R] = {}  # ordered: results by input position
        self._consumer: asyncio.Future[None] | None = None
        self.ok = 0
        self.failed = 0
        self.finished = False
        self.fatal: BaseException | None = None
        #: What the input raised, if it did: the run delivers what it had fetched, then raises this.
        self.input_error: Exception | None = None
        self._started_at: float | None = None
        self._ended_at: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        self._on_start()
        self._started_at = time.monotonic()
        return asyncio.create_task(self._supervise(), name="modelarts-bulk")

    async def _supervise(self) -> None:
        worker = self._work if self._options.batch_size is None else self._work_batches
        try:
            async with asyncio.TaskGroup() as group:
                for number in range(self._options.concurrency):
                    group.create_task(worker(), name=f"modelarts-bulk-worker-{number}")
        except Exception as exc:
            self.fatal = _first_error(exc)
        finally:
            self.finished = True
            self._ended_at = time.monotonic()
            self._wake_consumer()
            try:
                await self._close_source()
            finally:
                if self._on_end is not None:
                    await self._on_end()

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
        """Fetch one key at a time until the input runs out."""
        pacer = WorkerPacer(self.pacing)
        fetch, make = self._fetchers.one, self._fetchers.result
        while True:
            item = self._pull_one_now()
            if item is None:
                chunk = await self._pull(1)
                if not chunk:
                    return
                item = chunk[0]
            seq, key = item
            try:
                value = await fetch(key, pacer)
            except ClientStateError:
                raise  # the client was closed under us: nothing else can work either
            except Exception as exc:
                result = make(key, None, exc)
            else:
                result = make(key, value, None)
            finally:
                pacer.release()
            self._deliver(seq, result)

    async def _work_batches(self) -> None:
        """Fetch `batch_size` keys per call until the input runs out; invalid keys fail alone, unsent."""
        fetchers = self._fetchers
        assert fetchers.batch is not None
        assert self._options.batch_size is not None
        check, make = fetchers.check_key, fetchers.result
        pacer = WorkerPacer(self.pacing)
        while True:
            chunk = await self._pull(self._options.batch_size)
            if not chunk:
                return
            valid = []
            for seq, key in chunk:
                try:
                    if check is not None:
                        check(key)
                except InvalidArgumentError as exc:
                    self._deliver(seq, make(key, None, exc))
                else:
                    valid.append((seq, key))
            if valid:
                await fetch_splitting(valid, fetchers.batch, pacer, self._deliver_outcome)

    # -- input and window --------------------------------------------------------------------------------------

    async def _pull(self, count: int) -> list[tuple[int, Any]]:
        """Up to `count` (position, key) pairs from the input, once the window has room; [] when it is exhausted."""
        while not self._exhausted and self._pulled - self._yielded >= self._window:
            await self._wait_for_window()
        if self._exhausted:
            return []
        if self._sync_source is not None:
            return self._pull_sync(count)
        return await self._pull_async(count)

    def _pull_one_now(self) -> tuple[int, Any] | None:
        """The next (position, key) of a plain iterable when the window has room, a worker's usual case, without
        a coroutine or a list; None: ask `_pull`, which waits for room and reports the end."""
        source = self._sync_source
        if source is None or self._exhausted or self._pulled - self._yielded >= self._window:
            return None
        try:
            key = next(source)
        except StopIteration:
            self._mark_exhausted()
            return None
        except Exception as exc:
            self._input_failed(exc)
            return None
        seq = self._pulled
        self._pulled = seq + 1
        return seq, key

    def _pull_sync(self, count: int) -> list[tuple[int, Any]]:
        chunk: list[tuple[int, Any]] = []
        try:
            chunk.extend(zip(itertools.count(self._pulled), itertools.islice(self._sync_source, count), strict=False))  # type: ignore[arg-type]
        except Exception as exc:
            self._input_failed(exc)
        self._pulled += len(chunk)
        if len(chunk) < count:
            self._mark_exhausted()
        return chunk

    async def _pull_async(self, count: int) -> list[tuple[int, Any]]:
        # An async generator cannot be advanced by two tasks at once, so pulls take turns.
        assert self._async_source is not None
        chunk: list[tuple[int, Any]] = []
        async with self._pull_lock:
            while len(chunk) < count and not self._exhausted:
                try:
                    key = await anext(self._async_source)
                except StopAsyncIteration:
                    self._mark_exhausted()
                    break
                except Exception as exc:
                    self._input_failed(exc)
                    break
                chunk.append((self._pulled, key))
                self._pulled += 1
        return chunk

    def _input_failed(self, error: Exception) -> None:
        """The input raised: stop pulling, let the keys already pulled finish, and raise `error` after them."""
        self.input_error = error
        self._mark_exhausted()

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

    def _deliver(self, seq: int, result: R) -> None:
        error = result.error
        if self._not_found_to_go is not None:
            self._check_not_found(error)
        if error is None:
            self.ok += 1
        else:
            self.failed += 1
            if self._fail_fast:
                raise _FailFast(error)
        if self._ordered:
            self._pending[seq] = result
            if seq != self._yielded:
                return  # the consumer waits for an earlier position
        else:
            self._ready.append(result)
        self._wake_consumer()

    def _check_not_found(self, error: Exception | None) -> None:
        """Stop the run (as fail-fast does) at the N-th result when the first N were all "not found"."""
        assert self._not_found_to_go is not None
        if not isinstance(error, NotFoundError):
            self._not_found_to_go = None
            return
        self._not_found_to_go -= 1
        if self._not_found_to_go == 0:
            raise _FailFast(_all_not_found(self._options.stop_after_not_found or 0, error))

    def _deliver_outcome(self, seq: int, key: Any, value: V | None, error: Exception | None) -> None:
        self._deliver(seq, self._fetchers.result(key, value, error))

    def pop(self) -> R | None:
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


def _source(keys: Iterable[Any] | AsyncIterable[Any]) -> Iterator[Any] | AsyncIterator[Any]:
    if isinstance(keys, (str, bytes)):
        raise InvalidArgumentError("the ids must be an iterable of ids, not one string: wrap a single id in a list")
    if isinstance(keys, AsyncIterable):
        return aiter(keys)
    if isinstance(keys, Iterable):
        return iter(keys)
    raise InvalidArgumentError(f"the ids must be an iterable or async iterable of str, got {type(keys).__name__}")


def _all_not_found(count: int, last: APIError) -> NotFoundError:
    """The error that ends a run whose first `count` results were all "not found" (`stop_after_not_found`)."""
    code = f" ({last.error_code})" if last.error_code else ""
    return NotFoundError(
        f"the first {count} results were all not found{code} and none succeeded: the job or dataset id is most "
        f"likely wrong; stopped the run (stop_after_not_found={count})",
        status_code=last.status_code,
        error_code=last.error_code,
        error_msg=last.error_msg,
        request_id=last.request_id,
    )


def _first_error(exc: Exception) -> BaseException:
    """The error to raise to the consumer for a task group's failure: fail-fast's error, or the one cause.

    Workers that saw the client closed at the same moment each raise a `ClientStateError`: one of them says it.
    """
    if isinstance(exc, BaseExceptionGroup):
        fail_fast = [e for e in _leaves(exc) if isinstance(e, _FailFast)]
        if fail_fast:
            return fail_fast[0].error
        leaves = list(_leaves(exc))
        if len(leaves) == 1 or all(isinstance(leaf, ClientStateError) for leaf in leaves):
            return leaves[0]
    return exc


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc
