"""A dataset's own counts (`DatasetStats`, `LabelStats`): what an export is checked against. No I/O, no parsing.

`_stats_converter.py` reads and writes the wire JSON; fields without a typed attribute land in `extra`, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from ._models import FrozenDict, freeze_json

__all__ = ["DatasetStats", "LabelStats"]


def _frozen_object(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if type(value) is FrozenDict else FrozenDict(freeze_json(dict(value)))


def _keys(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return value if value is None or type(value) is tuple else tuple(value)


def _label_stats(value: Iterable[LabelStats]) -> tuple[LabelStats, ...]:
    return value if type(value) is tuple else tuple(value)


@frozen
class LabelStats:
    """How often one label is used: `count` labels on `sample_count` samples (`type` as in `SampleLabel`)."""

    name: str | None = None
    type: int | None = None
    #: Labels of this name and type, over every sample.
    count: int | None = None
    #: Samples holding at least one such label.
    sample_count: int | None = None
    #: Every other key (`property`, `attributes`, ...), as sent.
    extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: The keys of the JSON object this was read from, in order; None for one you build. Not part of equality.
    wire_keys: tuple[str, ...] | None = field(default=None, converter=_keys, eq=False, repr=False)


@frozen
class DatasetStats:
    """A dataset's sample counts by state and its label counts, as `get_dataset_stats()` returns them.

    Compare an export with it: `total` samples, and `labels` (one `LabelStats` per label name and type). A count
    the service left out is None. Other top-level keys (`grouped_label_stats`, `metadata_stats`, ...) are in
    `extra`, other keys of `sample_stats` in `sample_stats_extra`, exactly as sent.
    """

    total: int | None = None
    manual_annotation: int | None = None
    auto_annotation: int | None = None
    un_annotation: int | None = None
    deleted: int | None = None
    labels: tuple[LabelStats, ...] = field(default=(), converter=_label_stats)
    extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    sample_stats_extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: The top-level keys and the `sample_stats` keys read, in order (None: built, not read). Not part of equality.
    wire_keys: tuple[str, ...] | None = field(default=None, converter=_keys, eq=False, repr=False)
    sample_stats_keys: tuple[str, ...] | None = field(default=None, converter=_keys, eq=False, repr=False)
