"""A published version of a dataset (`DatasetVersion`): a snapshot whose sample list does not move. No I/O.

`_stats_converter.py` reads and writes the wire JSON; fields without a typed attribute land in `extra`, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from ._models import FrozenDict, freeze_json

__all__ = ["DatasetVersion"]


def _frozen_object(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if type(value) is FrozenDict else FrozenDict(freeze_json(dict(value)))


def _keys(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return value if value is None or type(value) is tuple else tuple(value)


@frozen
class DatasetVersion:
    """One published version: list its samples with `list_samples(..., version_id=version.version_id)`.

    `total_sample_count` and `annotated_sample_count` are the service's counts to check an export of the version
    against. Other fields (`description`, `status`, `label_stats`, `train_evaluate_sample_ratio`, ...) are in
    `extra`, exactly as sent.
    """

    version_id: str
    version_name: str | None = None
    #: True for the dataset's current version.
    is_current: bool | None = None
    total_sample_count: int | None = None
    annotated_sample_count: int | None = None
    #: Milliseconds since the epoch.
    create_time: int | None = None
    previous_version_id: str | None = None
    extra: Mapping[str, Any] = field(factory=FrozenDict, converter=_frozen_object)
    #: The keys of the JSON object this was read from, in order; None for one you build. Not part of equality.
    wire_keys: tuple[str, ...] | None = field(default=None, converter=_keys, eq=False, repr=False)
