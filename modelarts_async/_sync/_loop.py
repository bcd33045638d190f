"""`LoopThread`: one event loop in one background thread (anyio's blocking portal), and calls into it that block.

anyio's portal starts the thread and its loop, and stops them (cancelling what still runs, joining the thread).
Calls go in with `asyncio.run_coroutine_threadsafe`, not `portal.call`: anyio's own hop (a task in the portal's
task group, a cancel scope, a future callback) costs about twice as much per call (~130 µs against ~70 µs here),
and the sync client's budget for its whole overhead is 100 µs.

A call waits for its result in the caller's thread; Ctrl-C (any exception) while it waits cancels the work on the
loop. A `ModelArtsError` comes back without its chain or its frames in the loop thread, which may hold the
request's headers; other exceptions (bugs, `TypeError`s) keep theirs, for debugging.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import CancelledError, Future
from contextlib import AbstractContextManager
from functools import partial
from typing import ParamSpec, TypeVar, cast

from anyio.from_thread import BlockingPortal, start_blocking_portal

from .._exceptions import ClientStateError, ModelArtsError

__all__ = ["LoopThread"]

P = ParamSpec("P")
T = TypeVar("T")

#: Loops still running at interpreter exit are stopped then: their daemon thread would otherwise freeze mid-call.
_RUNNING: weakref.WeakSet[LoopThread] = weakref.WeakSet()


class LoopThread:
    """An event loop running in a daemon thread until `stop()`; `run()` calls into it from any other thread."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._manager: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._manager.__enter__()
        self._stop_lock = threading.Lock()
        self._stopped = False
        self._thread_id = self.run_sync(_name_thread, f"{owner} event loop")
        self._loop = self.run_sync(asyncio.get_running_loop)
        _RUNNING.add(self)

    def run(self, func: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Await `func(*args, **kwargs)` on the loop and return its result here, in the caller's thread."""
        with self._stop_lock:  # never submit to a loop that is stopping: nothing would ever answer
            if self._stopped:
                raise self._closed_error()
            awaitable = func(*args, **kwargs)
            coroutine = awaitable if asyncio.iscoroutine(awaitable) else _awaited(awaitable)
            future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return cast(T, self._result(future))

    def run_sync(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call the plain function `func` on the loop's thread (to make objects that belong to the loop)."""
        return cast(T, self._submitted(partial(func, *args, **kwargs)))

    def _submitted(self, call: Callable[[], object]) -> object:
        with self._stop_lock:
            if self._stopped:
                raise self._closed_error()
            future: Future[object] = self._portal.start_task_soon(call)
        return self._result(future)

    def _result(self, future: Future[object]) -> object:
        try:
            return future.result()
        except ModelArtsError as exc:
            error = exc
        except CancelledError:  # `stop()` cancelled the call while it ran
            error = self._closed_error()
        except BaseException:
            # Ctrl-C while waiting: cancel the task on the loop (the future passes the cancellation on), then go on.
            future.cancel()
            raise
        # Raised here, outside the handler, so that no exception of this thread becomes its context either.
        raise _detached(error)

    def _closed_error(self) -> ClientStateError:
        return ClientStateError(f"this {self._owner} is closed: create a new one (or use `with`)")

    def run_soon(self, func: Callable[[], Awaitable[None]]) -> None:
        """Start `func` on the loop without waiting for it (from `__del__`, which must never block)."""
        with self._stop_lock:
            if not self._stopped:
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
        return self._thread_id == threading.get_ident()

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


def _name_thread(name: str) -> int:
    """Name the loop's thread after its owner (for thread dumps and debuggers); returns the thread's id."""
    threading.current_thread().name = name
    return threading.get_ident()


async def _awaited(awaitable: Awaitable[T]) -> T:
    """A coroutine of any awaitable: `run_coroutine_threadsafe` takes coroutines only."""
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
