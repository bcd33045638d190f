"""The ids a listing has seen, in 32 to 64 bytes per 32-hex id: what lets it yield each record once."""

from __future__ import annotations

import re

__all__ = ["IdSet"]

_HEX32 = re.compile(r"[0-9a-f]{32}").fullmatch
_SLOT = 16
_EMPTY_SLOT = bytes(_SLOT)


class IdSet:
    """The ids a run has seen, compactly: a 32-hex id (the service's sample ids) costs 32 to 64 bytes.

    Such ids live as their 16 raw bytes in one open-addressing table kept between a quarter and half full (for
    100,000 ids: 4 MiB); a Python `set` of the strings would spend ~130 bytes on each. Other ids (upper case, any
    other length) go to a plain set.
    """

    __slots__ = ("_count", "_mask", "_other", "_table", "_zero")

    def __init__(self) -> None:
        self._table = bytearray(_SLOT * 1024)
        self._mask = 1023
        self._count = 0
        self._zero = False  # the all-zero id, which would read as an empty slot
        self._other: set[str] = set()

    def __len__(self) -> int:
        return self._count + self._zero + len(self._other)

    @property
    def nbytes(self) -> int:
        """The bytes the table of 32-hex ids holds (the plain set of other ids is not counted)."""
        return len(self._table)

    def add(self, key: str) -> bool:
        """Remember `key`; True when it is new, False when it was seen before."""
        if len(key) != 32 or not _HEX32(key):
            if key in self._other:
                return False
            self._other.add(key)
            return True
        raw = bytes.fromhex(key)
        if raw == _EMPTY_SLOT:
            new = not self._zero
            self._zero = True
            return new
        table, mask = self._table, self._mask
        index = hash(raw) & mask
        while True:
            start = index * _SLOT
            stored = table[start : start + _SLOT]
            if stored == raw:
                return False
            if stored == _EMPTY_SLOT:
                break
            index = (index + 1) & mask
        table[start : start + _SLOT] = raw
        self._count += 1
        if self._count * 2 > mask:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._table
        self._mask = mask = self._mask * 2 + 1
        self._table = table = bytearray(_SLOT * (mask + 1))
        for start in range(0, len(old), _SLOT):
            raw = bytes(old[start : start + _SLOT])
            if raw == _EMPTY_SLOT:
                continue
            index = hash(raw) & mask
            while table[index * _SLOT : index * _SLOT + _SLOT] != _EMPTY_SLOT:
                index = (index + 1) & mask
            table[index * _SLOT : index * _SLOT + _SLOT] = raw
