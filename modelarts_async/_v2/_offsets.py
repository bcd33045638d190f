"""What `offset` means to a list endpoint, told from the ids of the pages it answered (pure functions, no I/O).

The documentation leaves it open (API_V2.md): `offset=k&limit=L` may be a page index (records `[k·L, k·L+L)`, as
Huawei's SDK reference reads it) or a record offset (records `[k, k+L)`). A pager asks `offset=1` after a full
page 0 and compares the ids (`detect_offset_mode`); when that cannot tell, it reads both ways at once and drops the
page-index reading as soon as consecutive pages of it slide by records instead of jumping by pages
(`slides_by_records`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

from .._exceptions import InvalidArgumentError

__all__ = ["OFFSET_MODES", "OffsetMode", "check_offset_mode", "detect_offset_mode", "slides_by_records"]

OffsetMode = Literal["auto", "page", "record"]
OFFSET_MODES: tuple[OffsetMode, ...] = ("auto", "page", "record")


def check_offset_mode(value: object) -> OffsetMode:
    """`value` if it is "auto", "page" or "record", else `InvalidArgumentError`."""
    for mode in OFFSET_MODES:
        if value == mode and isinstance(value, str):
            return mode
    raise InvalidArgumentError(f"offset_mode must be 'auto', 'page' or 'record', got {value!r}")


def detect_offset_mode(
    first_ids: Sequence[str], probe_ids: Sequence[str], limit: int
) -> Literal["page", "record", "both"]:
    """What `offset=1&limit=limit` answered after a full page 0: a page index, a record offset, or unknown ("both").

    "page" when the probe shares no id with page 0; "record" when it repeats page 0 from its second record on;
    "both" otherwise (the data changed between the two requests). With `limit=1` both readings are the same
    and the probe, disjoint, reads as "page", the one under which it is a page worth keeping.
    """
    if set(first_ids).isdisjoint(probe_ids):
        return "page"
    overlap = limit - 1
    if len(probe_ids) >= overlap and list(probe_ids[:overlap]) == list(first_ids[1 : overlap + 1]):
        return "record"
    return "both"


def slides_by_records(previous_ids: Collection[str], ids: Sequence[str], *, limit: int, grown: int | None) -> bool:
    """Whether two consecutive pages of the page-index reading (`offset=k-1`, then `offset=k`) overlap more than a
    page index allows: under it they share only the records inserted ahead between the two requests (at most what
    the count `grown` by, when both pages stated one), under a record offset `limit - 1`. More than half a page and
    more than the growth is a record offset, read at a request per record: stop that reading."""
    shared = sum(1 for key in ids if key in previous_ids)
    return shared * 2 > limit and (grown is None or shared > grown)
