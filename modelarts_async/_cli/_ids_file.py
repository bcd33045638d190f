"""The ids an export works through: a file of ids read as often as needed, and an exact index of its distinct ids.

A run may hold ten million ids, so the index keeps no strings: 8 bytes per distinct id, in one of 2**14 sorted
`array("Q")` buckets chosen by the id's hash. Each entry is one unsigned 64-bit integer:

    bits 40-63  fingerprint: 24 more bits of the hash (bucket and fingerprint together: 38 bits)
    bits  3-39  offset of the id's first line in the ids file (files up to 128 GiB)
    bit   2     a mark the caller may use (the export marks ids whose line it has kept while rewriting its output)
    bits  0-1   the id's state: NEW, DONE, FAILED or SENT

Ids with the same bucket and fingerprint are told apart by reading them back from the file, so the index is exact:
a collision costs a read, never a lost or merged id. Building it reads the file twice (count, then fill), so every
bucket is allocated once at its final size, then sorted in place; after that no entry moves, and a handle to an
entry stays valid. Handing the ids out reads the file a third time and needs no read-back at all: a line is an id's
first occurrence exactly when an entry holds its offset.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import BinaryIO, Self

from ._errors import UsageError
from ._shard import Shard

__all__ = ["DONE", "FAILED", "NEW", "SENT", "IdIndex", "IdsFile"]

#: States of an id: not in the output yet; its line there holds labels; its line there is an error; handed to the run.
NEW, DONE, FAILED, SENT = 0, 1, 2, 3

_BUCKET_BITS = 14
_BUCKETS = 1 << _BUCKET_BITS
_FINGERPRINT_BITS = 24
_FINGERPRINT_SHIFT = 40
_OFFSET_SHIFT = 3
_OFFSET_LIMIT = 1 << (_FINGERPRINT_SHIFT - _OFFSET_SHIFT)
_STATE_MASK = 0b11
_MARK = 0b100
_HASH_MASK = (1 << 64) - 1
_FIRST_READ = 128
_READ_SIZE = 4096


class IdsFile:
    """A file of ids, one per line (blank lines and surrounding whitespace ignored), that can be read again.

    Standard input can be read only once, so `open("-")` copies it to a temporary file (in `$TMPDIR`) first. With
    a `shard`, the file holds only the ids in that shard: the others are skipped like blank lines.
    """

    def __init__(self, file: BinaryIO, name: str, *, shard: Shard | None = None) -> None:
        self._file = file
        self._fd = file.fileno()
        self.name = name
        self._shard = shard

    @classmethod
    def open(cls, path: str, *, shard: Shard | None = None) -> IdsFile:
        """Open the ids file `path`, or spool standard input for '-'; `UsageError` when it cannot be read."""
        try:
            if path == "-":
                spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
                shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
                spool.flush()
                return cls(spool, "standard input", shard=shard)
            return cls(open(path, "rb"), path, shard=shard)
        except OSError as exc:
            raise UsageError(f"cannot read ids from {path}: {exc.strerror or exc}") from None

    def scan(self, *, check_text: bool = False) -> Iterator[tuple[int, bytes]]:
        """`(offset of the line, id)` for each non-blank line; with `check_text`, `UsageError` for non-UTF-8 lines."""
        file, shard = self._file, self._shard
        try:
            file.seek(0)
            offset = 0
            for number, line in enumerate(file, start=1):
                key = line.strip()
                if key and (shard is None or shard.holds(key)):
                    if check_text:
                        _check_utf8(key, self.name, number)
                    yield offset, key
                offset += len(line)
        except OSError as exc:
            raise UsageError(f"cannot read ids from {self.name}: {exc.strerror or exc}") from None

    def key_at(self, offset: int) -> bytes:
        """The id on the line that starts at `offset`."""
        chunk = os.pread(self._fd, _FIRST_READ, offset)  # most ids are far shorter
        end = chunk.find(b"\n")
        while end < 0:
            more = os.pread(self._fd, _READ_SIZE, offset + len(chunk))
            if not more:
                return chunk.strip()
            chunk += more
            end = chunk.find(b"\n")
        return chunk[:end].strip()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _check_utf8(key: bytes, name: str, number: int) -> None:
    try:
        key.decode()
    except UnicodeDecodeError:
        raise UsageError(f"{name} line {number} is not UTF-8 text") from None


class IdIndex:
    """The distinct ids of an `IdsFile` with a state each, in 8 bytes per id; exact (see the module docstring).

    `find(key)` returns a handle for `state`, `set_state`, `marked` and `mark`; `claim` hands an id to the run.
    `hash_key` exists for tests, which force collisions with it.
    """

    def __init__(self, ids: IdsFile, *, hash_key: Callable[[bytes], int] = hash) -> None:
        self._ids = ids
        self._hash = hash_key
        counts = array("Q", bytes(8 * _BUCKETS))
        lines = 0
        for _, key in ids.scan(check_text=True):
            counts[hash_key(key) & (_BUCKETS - 1)] += 1
            lines += 1
        self._buckets = [array("Q", bytes(8 * count)) for count in counts]
        del counts
        self._fill()
        self.repeats = sum(self._sort_and_drop_repeats(bucket) for bucket in self._buckets)
        #: The number of distinct ids in the file.
        self.distinct = lines - self.repeats

    def _fill(self) -> None:
        buckets, hash_key = self._buckets, self._hash
        filled = array("Q", bytes(8 * _BUCKETS))
        try:
            for offset, key in self._ids.scan():
                if offset >= _OFFSET_LIMIT:
                    raise UsageError(f"{self._ids.name} is too large: at most {_OFFSET_LIMIT:,} bytes")
                code = hash_key(key) & _HASH_MASK
                bucket = code & (_BUCKETS - 1)
                fingerprint = (code >> _BUCKET_BITS) & ((1 << _FINGERPRINT_BITS) - 1)
                buckets[bucket][filled[bucket]] = fingerprint << _FINGERPRINT_SHIFT | offset << _OFFSET_SHIFT
                filled[bucket] += 1
        except IndexError:
            raise UsageError(f"{self._ids.name} changed while it was read: leave it alone during an export") from None

    def _sort_and_drop_repeats(self, bucket: array[int]) -> int:
        """Sort `bucket` in place and keep only each id's first line; return how many repeats were dropped."""
        kept: list[int] = []
        last_fingerprint = -1
        group: set[bytes] | None = None  # the distinct ids of the current fingerprint, read only when it repeats
        for entry in sorted(bucket):  # by fingerprint, then offset: the first line of each id comes first
            fingerprint = entry >> _FINGERPRINT_SHIFT
            if fingerprint != last_fingerprint:
                kept.append(entry)
                last_fingerprint, group = fingerprint, None
                continue
            if group is None:
                group = {self._key(e) for e in kept if e >> _FINGERPRINT_SHIFT == fingerprint}
            key = self._key(entry)
            if key not in group:  # a collision, not a repeat: another id
                group.add(key)
                kept.append(entry)
        repeats = len(bucket) - len(kept)
        bucket[:] = array("Q", kept)
        return repeats

    def _key(self, entry: int) -> bytes:
        return self._ids.key_at((entry >> _OFFSET_SHIFT) % _OFFSET_LIMIT)

    def find(self, key: bytes) -> int | None:
        """A handle to `key`'s entry, or None when the ids file does not hold it (reads the file to be exact)."""
        code = self._hash(key) & _HASH_MASK
        bucket_number = code & (_BUCKETS - 1)
        fingerprint = (code >> _BUCKET_BITS) & ((1 << _FINGERPRINT_BITS) - 1)
        bucket = self._buckets[bucket_number]
        end = len(bucket)
        position = bisect_left(bucket, fingerprint << _FINGERPRINT_SHIFT)
        while position < end:
            entry = bucket[position]
            if entry >> _FINGERPRINT_SHIFT != fingerprint:
                break
            if self._key(entry) == key:
                return bucket_number << 32 | position
            position += 1
        return None

    def claim(self, offset: int, key: bytes, states: int) -> bool:
        """For the line at `offset` holding `key`: True (and its state becomes SENT) when it is the id's first line
        and the id's state is in `states` (a bit mask: `1 << NEW | 1 << FAILED`...); no read of the file."""
        code = self._hash(key) & _HASH_MASK
        fingerprint = (code >> _BUCKET_BITS) & ((1 << _FINGERPRINT_BITS) - 1)
        bucket = self._buckets[code & (_BUCKETS - 1)]
        end = len(bucket)
        position = bisect_left(bucket, fingerprint << _FINGERPRINT_SHIFT)
        while position < end:
            entry = bucket[position]
            if entry >> _FINGERPRINT_SHIFT != fingerprint:
                break
            if (entry >> _OFFSET_SHIFT) % _OFFSET_LIMIT == offset:
                if states >> (entry & _STATE_MASK) & 1:
                    bucket[position] = entry & ~_STATE_MASK | SENT
                    return True
                return False
            position += 1
        return False  # a repeat: the entry holds the offset of the id's first line

    def state(self, handle: int) -> int:
        return self._buckets[handle >> 32][handle & 0xFFFFFFFF] & _STATE_MASK

    def set_state(self, handle: int, state: int) -> None:
        bucket, position = self._buckets[handle >> 32], handle & 0xFFFFFFFF
        bucket[position] = bucket[position] & ~_STATE_MASK | state

    def marked(self, handle: int) -> bool:
        return bool(self._buckets[handle >> 32][handle & 0xFFFFFFFF] & _MARK)

    def mark(self, handle: int) -> None:
        self._buckets[handle >> 32][handle & 0xFFFFFFFF] |= _MARK
