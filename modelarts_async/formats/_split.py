"""Which split a sample goes to: a stable hash of its id, so a re-export puts each sample in the same split."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from types import MappingProxyType

from .._exceptions import InvalidArgumentError
from ._names import check_splits

__all__ = ["assign_split", "parse_splits"]

#: 80% train, 20% val: what `assign_split` uses when not told.
_DEFAULT_SPLITS: Mapping[str, float] = MappingProxyType({"train": 0.8, "val": 0.2})
_HASH_SPAN = float(2**64)


def assign_split(sample_id: str, splits: Mapping[str, float] = _DEFAULT_SPLITS, *, seed: int = 0) -> str:
    """The split for `sample_id`: `assign_split("a1", {"train": 0.8, "val": 0.2})` (the default shares) gives the
    same answer on every run and machine (blake2b of the seed and the id), each split taking its share of ids.

    Ratios need not add up to 1 (they are shares of their sum); `InvalidArgumentError` for none, or a negative or
    non-finite ratio.
    """
    ratios = _checked(splits)
    digest = hashlib.blake2b(f"{seed}\x00{sample_id}".encode(errors="surrogatepass"), digest_size=8).digest()
    point = int.from_bytes(digest, "big") / _HASH_SPAN * sum(ratios.values())
    reached = 0.0
    for name, ratio in ratios.items():
        reached += ratio
        if point < reached:
            return name
    return [name for name, ratio in ratios.items() if ratio > 0][-1]  # float rounding at the very top


def _checked(splits: Mapping[str, float]) -> Mapping[str, float]:
    check_splits(splits)
    for name, ratio in splits.items():
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not math.isfinite(ratio) or ratio < 0:
            raise InvalidArgumentError(f"splits: the ratio of {name!r} must be a number >= 0, got {ratio!r}")
    if sum(splits.values()) <= 0:
        raise InvalidArgumentError("splits: at least one ratio must be above 0")
    return splits


def parse_splits(text: str) -> dict[str, float]:
    """`{"train": 0.8, "val": 0.2}` from `"train=0.8,val=0.2"`; `InvalidArgumentError` names the bad part."""
    splits: dict[str, float] = {}
    for part in text.split(","):
        name, equals, value = part.strip().partition("=")
        name = name.strip()
        if not equals or not name:
            raise InvalidArgumentError(f"splits: {part.strip()!r} is not NAME=RATIO (e.g. train=0.8,val=0.2)")
        if name in splits:
            raise InvalidArgumentError(f"splits: {name!r} is given twice")
        try:
            splits[name] = float(value)
        except ValueError:
            raise InvalidArgumentError(f"splits: the ratio of {name!r} is not a number: {value.strip()!r}") from None
    return dict(_checked(splits))
