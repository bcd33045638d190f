"""Per-call deadlines on shared loop timers: one timer per slot of deadlines, not one per attempt.

`asyncio.timeout` around each attempt cost 3.5 µs timed alone and more in a bulk run on the default loop (a timer
handle pushed into the loop's heap through Python-level comparisons, cancelled, cleaned out; two more frames), for a
timer that almost never fires. Here an attempt joins the set of attempts whose deadline falls in the same slot
(0.8 µs to join and leave), and one loop timer per slot cancels whatever is still in it when it fires. A slot is a
power of two of at most 1/256 of the time allowed (at least ~1 ms), so a deadline fires never early and at most
that share late.

What the cancellation means is decided as `asyncio.timeout` decides it: the attempt sees a timeout only when no
one else cancelled its task too (`Task.cancelling`/`uncancel`), so an outer cancellation always propagates.
"""

from __future__ import annotations

import asyncio
import math

__all__ = ["Deadlines", "Watch"]

#: A slot is at most this share of the time an attempt is allowed.
_SLOTS_PER_DEADLINE = 256
#: The narrowest slot: 2**-10 s (~1 ms), about the loop's own timer resolution under load.
_MIN_SLOT_EXPONENT = -10


class Watch:
    """One attempt under a deadline: `stop()` it when the attempt ends, however it ends."""

    __slots__ = ("_cancelling", "_expired", "_task", "_watches")

    def __init__(self, task: asyncio.Task[object], watches: set[Watch]) -> None:
        self._task = task
        self._cancelling = task.cancelling()
        self._watches = watches
        self._expired = False

    def expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def stop(self) -> bool:
        """Stop watching; True when the deadline cancelled the task and nothing else did (the caller turns the
        `CancelledError` it got into a timeout)."""
        self._watches.discard(self)
        if not self._expired:
            return False
        return self._task.uncancel() <= self._cancelling


class Deadlines:
    """The slots of one event loop's pending deadlines (a client's, shared by its copies)."""

    __slots__ = ("_slots",)

    def __init__(self) -> None:
        #: Loop time a slot's timer fires → the attempts due by then.
        self._slots: dict[float, set[Watch]] = {}

    def watch(self, seconds: float) -> Watch:
        """Cancel the current task once `seconds` have passed, unless the returned watch is stopped first."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None, "a deadline needs a task to cancel"
        _, exponent = math.frexp(seconds / _SLOTS_PER_DEADLINE)
        width = math.ldexp(1.0, max(exponent - 1, _MIN_SLOT_EXPONENT))
        fires_at = math.ceil((loop.time() + seconds) / width) * width
        watches = self._slots.get(fires_at)
        if watches is None:
            watches = self._slots[fires_at] = set()
            loop.call_at(fires_at, self._expire, fires_at)
        watch = Watch(task, watches)
        watches.add(watch)
        return watch

    def _expire(self, fires_at: float) -> None:
        for watch in self._slots.pop(fires_at, ()):
            watch.expire()
