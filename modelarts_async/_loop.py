"""The event loop the command runs on: uvloop's when it is installed (`pip install 'modelarts-async[speed]'`).

At high concurrency the default loop handles each burst of answers one callback at a time in Python, and falls
behind the latency-bound ideal where uvloop's C loop keeps up (benchmarks/RESULTS.md, C=256 at 50 ms). A library
does not choose its users' event loop: only the command does; library users run `uvloop.run(main())` themselves
(README, "Speed").
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Iterator

__all__ = ["fastest_event_loop"]


@contextlib.contextmanager
def fastest_event_loop() -> Iterator[str]:
    """Within the block, `asyncio.run` runs on uvloop when it can be imported; yields `"uvloop"` or `"asyncio"`.

    Every `asyncio.run` of the command is covered at once; the previous policy is restored on the way out, so
    calling the command in-process (tests) leaves the caller's loop choice alone.
    """
    try:
        import uvloop
    except ImportError:
        yield "asyncio"
        return
    with _policies_allowed():
        previous = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield "uvloop"
    finally:
        with _policies_allowed():
            asyncio.set_event_loop_policy(previous)


@contextlib.contextmanager
def _policies_allowed() -> Iterator[None]:
    # Python 3.14 deprecates loop policies (removal planned for 3.16, when uvloop drops its policy too): until
    # then they are the one way to reach every `asyncio.run` of the command from its entry point.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield
