"""`--shard I/N`: which ids a shard holds, and which values are refused."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelarts_async._cli._shard import Shard, parse_shard


@given(st.binary(min_size=1, max_size=64), st.integers(min_value=1, max_value=64))
def test_every_id_falls_in_exactly_one_shard(key: bytes, shards: int) -> None:
    assert sum(Shard(number, shards).holds(key) for number in range(1, shards + 1)) == 1


def test_the_shards_are_about_even() -> None:
    keys = [f"{n:032x}".encode() for n in range(8000)]
    sizes = [sum(Shard(number, 4).holds(key) for key in keys) for number in range(1, 5)]
    assert all(1800 < size < 2200 for size in sizes), sizes


def test_an_ids_shard_is_the_same_in_another_process() -> None:
    """Python's `hash()` of bytes changes with each process (PYTHONHASHSEED): the shard must not."""
    code = "from modelarts_async._cli._shard import Shard; print([Shard(1, 3).holds(b'%d' % n) for n in range(50)])"
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in "ab"
    }
    assert runs == {str([Shard(1, 3).holds(b"%d" % n) for n in range(50)]) + "\n"}


@pytest.mark.parametrize("text", ["0/4", "5/4", "x/y", "1/0", "4", "", "1/4/2", "²/4", " 1/4"])
def test_a_bad_shard_says_what_it_must_be(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"must be I/N"):
        parse_shard(text)


def test_a_good_shard_reads_back_as_written() -> None:
    assert str(parse_shard("3/8")) == "3/8"
