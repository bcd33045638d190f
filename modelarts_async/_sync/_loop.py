"""`LoopThread`: one event loop in one background thread (anyio's blocking portal), and calls into it that block.

anyio's portal starts the thread and its loop, and stops them (cancelling what still runs, joining the thread).
Calls go in as a `_Crossing`: one `call_soon_threadsafe` that starts a task, and a bare lock the task's done
callback releases. anyio's `portal.call` (a task in the portal's task group, a cancel scope, a future callback) and
even `asyncio.run_coroutine_threadsafe` (a concurrent future and its condition) cost more per call (no-op hops on
the loaded 2-core VM: ~130 µs and ~115 µs wall, against ~70 µs; CPU 28 µs against 18 µs), and the sync client's
budget for its whole overhead is 100 µs.

A call waits for its result in the caller's thread; Ctrl-C (any exception) while it waits cancels the task on the
loop. A `ModelArtsError` comes back without its chain or its frames in the loop thread, which may hold the request's
headers; other exceptions (bugs, `TypeError`s) keep theirs, for debugging.
"""

from __future__ import annotations

import _thread
import asyncio
import atexit
import contextlib
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import CancelledError, Future
from contextlib import AbstractContextManager
from functools import partial
from typing import Any, ParamSpec, TypeVar, cast

from anyio.from_thread import BlockingPortal, start_blocking_portal

from .._exceptions import ClientStateError, ModelArtsError

__all__ = ["LoopThread"]

P = ParamSpec("P")
T = TypeVar("T")

#: Loops still running at interpreter exit are stopped then: their daemon thread would otherwise freeze mid-call.
_RUNNING: weakref.WeakSet[LoopThread] = weakref.WeakSet()
#: How often a waiting caller checks that the loop's thread still runs (a loop that died cannot answer).
_ALIVE_CHECK = 1.0
#: Tasks started with no one to await them, kept alive until they end.
_BACKGROUND: set[asyncio.Task[Any]] = set()


class _Crossing:
    """One call into the loop: the caller waits on `done`, a lock that the task's done callback releases."""

    __slots__ = ("cancelled", "coroutine", "done", "failure", "outcome", "task")

    def __init__(self, coroutine: Coroutine[Any, Any, object]) -> None:
        self.coroutine = coroutine
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.outcome: object = None
        self.failure: BaseException | None = None
        self.task: asyncio.Task[object] | None = None
        self.cancelled = False

    def start(self) -> None:
        """On the loop: run the coroutine as a task (unless the caller gave up first)."""
        if self.cancelled:
            self.coroutine.close()
            self.failure = asyncio.CancelledError()
            self.done.release()
            return
        self.task = asyncio.get_running_loop().create_task(self.coroutine)
        self.task.add_done_callback(self._finish)

    def _finish(self, task: asyncio.Task[object]) -> None:
        if task.cancelled():
            self.failure = asyncio.CancelledError()
        elif (error := task.exception()) is not None:
            self.failure = error
        else:
            self.outcome = task.result()
        self.done.release()

    def cancel(self) -> None:
        """On the loop: cancel the task (or, not started yet, never start it)."""
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()


class LoopThread:
    """An event loop running in a daemon thread until `stop()`; `run()` calls into it from any other thread."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._manager: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._manager.__enter__()
        self._stop_lock = threading.Lock()
        self._stopped = False
        self._thread = self.run_sync(_named_thread, f"{owner} event loop")
        self._loop = self.run_sync(asyncio.get_running_loop)
        _RUNNING.add(self)

    def run(self, func: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Await `func(*args, **kwargs)` on the loop and return its result here, in the caller's thread."""
        if threading.current_thread() is self._thread:  # e.g. a SyncStream read by a call running on the loop
            raise ClientStateError(
                f"{self._owner} was called from its own event loop thread, which would wait for itself forever: "
                "pass a plain iterable (a list), or use the async client there"
            )
        awaitable = func(*args, **kwargs)
        crossing = _Crossing(awaitable if asyncio.iscoroutine(awaitable) else _awaited(awaitable))
        with self._stop_lock:  # never submit to a loop that is stopping: nothing would ever answer
            if self._stopped:
                crossing.coroutine.close()
                raise self._closed_error()
            self._loop.call_soon_threadsafe(crossing.start)
        self._wait(crossing)
        if crossing.failure is None:
            return cast(T, crossing.outcome)
        raise self._raised(crossing.failure)

    def _wait(self, crossing: _Crossing) -> None:
        try:
            while not crossing.done.acquire(timeout=_ALIVE_CHECK):
                if not self._thread.is_alive():
                    crossing.failure = self._closed_error()
                    return
        except BaseException:
            # Ctrl-C while waiting: cancel the task on the loop, then go on.
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing runs any more
                self._loop.call_soon_threadsafe(crossing.cancel)
            raise

    def run_sync(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call the plain function `func` on the loop's thread (to make objects that belong to the loop)."""
        with self._stop_lock:
            if self._stopped:
                raise self._closed_error()
            future: Future[T] = self._portal.start_task_soon(partial(func, *args, **kwargs))
        try:
            return future.result()
        except BaseException as exc:
            failure = exc
        raise self._raised(failure)  # outside the handler: no exception of this thread becomes its context

    def _raised(self, failure: BaseException) -> BaseException:
        """What the caller gets for `failure`: a `ModelArtsError` detached from the loop thread, as is."""
        if isinstance(failure, (asyncio.CancelledError, CancelledError)):  # `stop()` cancelled the call
            return self._closed_error()
        if isinstance(failure, ModelArtsError):
            return _detached(failure)
        return failure

    def _closed_error(self) -> ClientStateError:
        return ClientStateError(f"this {self._owner} is closed: create a new one (or use `with`)")

    def run_soon(self, func: Callable[[], Awaitable[None]]) -> None:
        """Start `func` on the loop without waiting for it (from `__del__`, which must never block)."""
        with self._stop_lock:
            if self._stopped:
                return
            if threading.current_thread() is self._thread:  # the portal refuses its own thread; the loop does not
                task = self._loop.create_task(_awaited(func()))
                _BACKGROUND.add(task)  # the loop keeps only weak references to its tasks
                task.add_done_callback(_BACKGROUND.discard)
            else:
                self._portal.start_task_soon(func)

    def abandon(self, last: Callable[[], Awaitable[None]]) -> None:
        """Run `last` on the loop, then stop it, all without waiting (from `__del__`, which must never block)."""
        portal = self._portal

        async def last_then_stop() -> None:
            try:
                await last()
            finally:
                await portal.stop()

        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
            portal.start_task_soon(last_then_stop)
        _RUNNING.discard(self)

    @property
    def in_loop_thread(self) -> bool:
        """True when called from the loop's own thread, where a blocking call would wait for itself."""
        return self._thread is threading.current_thread()

    def stop(self) -> None:
        """Cancel what still runs on the loop, stop it and wait for its thread to end. Idempotent."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        _RUNNING.discard(self)
        try:
            self._portal.call(self._portal.stop, True)  # cancel calls still waited for in other threads
        finally:
            self._manager.__exit__(None, None, None)  # finds the portal stopped; waits for the thread


def _named_thread(name: str) -> threading.Thread:
    """The loop's thread, named after its owner (for thread dumps and debuggers)."""
    thread = threading.current_thread()
    thread.name = name
    return thread


async def _awaited(awaitable: Awaitable[T]) -> T:
    """A coroutine of any awaitable: a task runs coroutines only."""
    return await awaitable


def _detached(error: ModelArtsError) -> ModelArtsError:
    """`error` without its chain and its traceback: both lead into the loop thread's frames and their locals."""
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = False
    return error.with_traceback(None)


@atexit.register
def _stop_all() -> None:
    for loop in list(_RUNNING):
        loop.stop()
