"""The sync stream's hand-off (`ReadAhead.take`): a batch that never reached the caller's thread (Ctrl-C while it
crossed) is handed out again, first, so that no item is lost. A real event loop and a real async stream."""

from __future__ import annotations

import asyncio

from modelarts_async._sync._stream import READ_AHEAD, ReadAhead


class Numbers:
    """An async stream of 0..count-1, as the async client's streams are (`__anext__`, `aclose`, `stats`)."""

    def __init__(self, count: int) -> None:
        self._next = 0
        self._count = count
        self.stats = None

    async def __anext__(self) -> int:
        await asyncio.sleep(0)
        if self._next == self._count:
            raise StopAsyncIteration
        self._next += 1
        return self._next - 1

    async def aclose(self) -> None:
        pass


async def _settle() -> None:
    for _ in range(READ_AHEAD * 4):  # let the read-ahead task fill its buffer
        await asyncio.sleep(0)


async def test_a_batch_the_caller_never_got_is_handed_out_again_first() -> None:
    reader = ReadAhead(Numbers(1000))
    first = await reader.take(0)
    assert first  # handed out as batch 1; say the caller's thread was interrupted before it arrived
    await _settle()
    again = await reader.take(0)  # the caller still has 0 batches
    assert again[: len(first)] == first
    await _settle()
    rest = await reader.take(1)  # this one arrived: nothing is handed out twice
    assert rest[0] == again[-1] + 1
    await reader.aclose()


async def test_batches_that_arrive_give_every_item_once_in_order() -> None:
    reader = ReadAhead(Numbers(1000))
    received: list[int] = []
    batches = 0
    while batch := await reader.take(batches):
        batches += 1
        received += batch
    assert received == list(range(1000))
    await reader.aclose()
