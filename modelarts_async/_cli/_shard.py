"""`--shard I/N`: split one ids file over N processes by a stable hash of each id, each id in exactly one shard.

The hash is BLAKE2b of the id's bytes (as the ids file spells it), not Python's `hash()`, which changes between
processes: every process, on any machine and Python version, puts an id in the same shard.
"""

from __future__ import annotations

import argparse
import hashlib
from typing import NamedTuple

__all__ = ["Shard", "parse_shard"]


class Shard(NamedTuple):
    """Shard `number` (1-based) of `shards`."""

    number: int
    shards: int

    def __str__(self) -> str:
        return f"{self.number}/{self.shards}"

    def holds(self, key: bytes) -> bool:
        """Whether the id `key` falls in this shard."""
        digest = hashlib.blake2b(key, digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.shards == self.number - 1


def parse_shard(text: str) -> Shard:
    """`I/N` with 1 <= I <= N as a `Shard`; `argparse.ArgumentTypeError` saying what is wrong otherwise."""
    number, slash, count = text.partition("/")
    if not (slash and _is_number(number) and _is_number(count)):
        raise argparse.ArgumentTypeError(f"must be I/N (e.g. 1/4: the first of 4 shards), got {text!r}")
    shard = Shard(int(number), int(count))
    if not 1 <= shard.number <= shard.shards:
        raise argparse.ArgumentTypeError(f"must be I/N with I from 1 to N, got {text!r}")
    return shard


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()
