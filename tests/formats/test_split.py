"""`assign_split` puts each id in the same split every time, in the asked shares; `parse_splits` explains errors."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelarts_async import InvalidArgumentError
from modelarts_async.formats import assign_split, parse_splits

IDS = [f"{n:032x}" for n in range(20_000)]


def test_shares_follow_the_ratios() -> None:
    counts = Counter(assign_split(sample_id, {"train": 0.8, "val": 0.15, "test": 0.05}) for sample_id in IDS)
    assert counts["train"] / len(IDS) == pytest.approx(0.8, abs=0.02)
    assert counts["val"] / len(IDS) == pytest.approx(0.15, abs=0.02)
    assert counts["test"] / len(IDS) == pytest.approx(0.05, abs=0.01)


def test_the_seed_changes_the_assignment_and_the_same_seed_does_not() -> None:
    splits = {"train": 0.5, "val": 0.5}
    first = [assign_split(sample_id, splits, seed=1) for sample_id in IDS[:500]]
    assert first == [assign_split(sample_id, splits, seed=1) for sample_id in IDS[:500]]
    assert first != [assign_split(sample_id, splits, seed=2) for sample_id in IDS[:500]]


def test_the_hash_is_blake2b_of_seed_and_id() -> None:
    # Pinned so that a change of the hash (which would move samples between splits on re-export) fails here.
    digest = hashlib.blake2b(b"7\x00s0", digest_size=8).digest()
    expected = "train" if int.from_bytes(digest, "big") / 2**64 < 0.5 else "val"
    assert assign_split("s0", {"train": 0.5, "val": 0.5}, seed=7) == expected


@given(sample_id=st.text(), ratios=st.lists(st.floats(0, 10), min_size=1, max_size=4))
def test_always_one_of_the_splits_with_a_share(sample_id: str, ratios: list[float]) -> None:
    splits = {f"s{n}": ratio for n, ratio in enumerate(ratios)}
    if sum(ratios) <= 0:
        with pytest.raises(InvalidArgumentError):
            assign_split(sample_id, splits)
        return
    assert splits[assign_split(sample_id, splits)] > 0


def test_default_is_80_20() -> None:
    counts = Counter(assign_split(sample_id) for sample_id in IDS[:5000])
    assert set(counts) == {"train", "val"}
    assert counts["val"] / 5000 == pytest.approx(0.2, abs=0.03)


def test_parse_splits() -> None:
    assert parse_splits("train=0.8,val=0.2") == {"train": 0.8, "val": 0.2}
    assert parse_splits(" train = 0.9 , test=0.1") == {"train": 0.9, "test": 0.1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train", "'train' is not NAME=RATIO"),
        ("train=0.8,train=0.2", "'train' is given twice"),
        ("train=abc", "the ratio of 'train' is not a number: 'abc'"),
        ("train=-1", "must be a number >= 0"),
        ("train=nan", "must be a number >= 0"),
        ("train=0,val=0", "at least one ratio must be above 0"),
        ("../x=1", "not a split name"),
        ("", "is not NAME=RATIO"),
    ],
)
def test_parse_splits_errors_name_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match="splits: .*" + message.replace("(", r"\(").replace(".", r"\.")):
        parse_splits(text)
