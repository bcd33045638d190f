"""Turns the stats and versions answers into `DatasetStats` / `DatasetVersion` and back, exactly.

`unstructure_*(structure_*(d)) == d` (keys in the same order) for every answer `d` accepted: unknown keys go to
`extra` and come back. Counts must be integers from 0 to 2**53 - 1 (what every JSON reader holds exactly); each
problem is reported with its JSON path, e.g. `$.label_stats[2].count`, in one `ResponseValidationError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from .._exceptions import ResponseValidationError
from ._stats import DatasetStats, LabelStats
from ._versions import DatasetVersion

__all__ = [
    "structure_dataset_stats",
    "structure_version",
    "structure_version_page",
    "unstructure_dataset_stats",
    "unstructure_version",
]

_MAX_COUNT = 2**53 - 1
_MAX_PROBLEMS = 10
_MAX_ECHO = 80

Problems = list[tuple[str, str]]
_Check = Callable[[Any], Any]


class _Invalid(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


def _echo(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 1] + "…"


def _count(value: Any) -> int | None:
    if value is None or (type(value) is int and 0 <= value <= _MAX_COUNT):
        return value
    raise _Invalid(f"expected a count (an integer from 0 to 2**53 - 1), got {_echo(value)}")


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(f"expected a string, got {_echo(value)}")


def _int(value: Any) -> int | None:
    if value is None or (type(value) is int and abs(value) <= _MAX_COUNT):
        return value
    raise _Invalid(f"expected an integer, got {_echo(value)}")


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _Invalid(f"expected true or false, got {_echo(value)}")


def _json(value: Any) -> Any:
    """Any JSON value, frozen by the model; NaN and Infinity (not JSON) are refused."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(f"expected a finite number, got {_echo(value)} (not valid JSON)")
    if isinstance(value, Mapping):
        for item in value.values():
            _json(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _json(item)
    return value


def _member(path: str, key: Any) -> str:
    return f"{path}.{key}" if isinstance(key, str) and key.isidentifier() else f"{path}[{_echo(key)}]"


def _fields(
    data: Any, checks: Mapping[str, _Check], path: str, problems: Problems
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """`(typed values, extra)` of a JSON object; problems are appended with their paths (None: not an object)."""
    if not isinstance(data, Mapping):
        problems.append((path, f"expected an object, got {_echo(data)}"))
        return None
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        try:
            if not isinstance(key, str):
                raise _Invalid(f"expected string keys, got {_echo(key)}")
            check = checks.get(key)
            if check is None:
                extra[key] = _json(value)
            else:
                values[key] = check(value)
        except _Invalid as invalid:
            problems.append((_member(path, key), invalid.detail))
    return values, extra


def _raise(what: str, problems: Problems, status_code: int | None, request_id: str | None) -> NoReturn:
    shown = [f"{detail} @ {path}" for path, detail in problems[:_MAX_PROBLEMS]]
    if len(problems) > _MAX_PROBLEMS:
        shown.append(f"and {len(problems) - _MAX_PROBLEMS} more")
    raise ResponseValidationError(
        f"the {what} does not have the documented shape: " + "; ".join(shown),
        status_code=status_code,
        request_id=request_id,
    )


# -- statistics --------------------------------------------------------------------------------------------------

_SAMPLE_STATS_KEYS = ("total", "manual_annotation", "auto_annotation", "un_annotation", "deleted")
_SAMPLE_STATS_CHECKS: dict[str, _Check] = dict.fromkeys(_SAMPLE_STATS_KEYS, _count)
_LABEL_STATS_KEYS = ("name", "type", "count", "sample_count")
_LABEL_STATS_CHECKS: dict[str, _Check] = {"name": _str, "type": _int, "count": _count, "sample_count": _count}
_TOP_LEVEL = ("sample_stats", "label_stats")


def _label_stats(data: Any, path: str, problems: Problems) -> LabelStats | None:
    parts = _fields(data, _LABEL_STATS_CHECKS, path, problems)
    if parts is None:
        return None
    values, extra = parts
    return LabelStats(**values, extra=extra, wire_keys=tuple(data))


def _labels(data: Any, problems: Problems) -> tuple[LabelStats, ...]:
    if data is None:
        return ()
    if not isinstance(data, list | tuple):
        problems.append(("$.label_stats", f"expected an array, got {_echo(data)}"))
        return ()
    labels = [_label_stats(item, f"$.label_stats[{index}]", problems) for index, item in enumerate(data)]
    return tuple(label for label in labels if label is not None)


def structure_dataset_stats(
    data: Any, *, dataset_id: str, status_code: int | None = None, request_id: str | None = None
) -> DatasetStats:
    """A `DatasetStats` from the stats answer; raises `ResponseValidationError` naming every bad field's path."""
    problems: Problems = []
    top = _fields(data, {}, "$", problems)
    counts: dict[str, Any] = {}
    sample_extra: dict[str, Any] = {}
    labels: tuple[LabelStats, ...] = ()
    if top is not None:
        sample_stats = data.get("sample_stats")
        if sample_stats is not None:
            parts = _fields(sample_stats, _SAMPLE_STATS_CHECKS, "$.sample_stats", problems)
            if parts is not None:
                counts, sample_extra = parts
        labels = _labels(data.get("label_stats"), problems)
    if problems or top is None:
        _raise(f"statistics of dataset {dataset_id!r}", problems, status_code, request_id)
    # A `null` sample_stats or label_stats is kept in `extra`, so that it is written back as `null`.
    extra = {key: value for key, value in top[1].items() if key not in _TOP_LEVEL or value is None}
    return DatasetStats(
        **counts,
        labels=labels,
        extra=extra,
        sample_stats_extra=sample_extra,
        wire_keys=tuple(data),
        sample_stats_keys=tuple(data["sample_stats"]) if isinstance(data.get("sample_stats"), Mapping) else None,
    )


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(item) for item in value]
    return value


def _write(typed: Mapping[str, Any], extra: Mapping[str, Any], wire_keys: tuple[str, ...] | None) -> dict[str, Any]:
    """The wire keys in their order, then typed values set since (None: absent), then keys added to `extra`."""
    out: dict[str, Any] = {}
    for key in wire_keys or ():
        if key in typed:
            out[key] = typed[key]
        elif key in extra:
            out[key] = _thaw(extra[key])
    for key, value in typed.items():
        if key not in out and value is not None:
            out[key] = value
    for key, value in extra.items():
        if key not in out and key not in typed:
            out[key] = _thaw(value)
    return out


def _unstructure_label_stats(label: LabelStats) -> dict[str, Any]:
    typed = {key: getattr(label, key) for key in _LABEL_STATS_KEYS}
    return _write(typed, label.extra, label.wire_keys)


def unstructure_dataset_stats(stats: DatasetStats) -> dict[str, Any]:
    """The stats answer again: for stats read by `structure_dataset_stats`, equal to what was read."""
    counts = {key: getattr(stats, key) for key in _SAMPLE_STATS_KEYS}
    sample_stats = _write(counts, stats.sample_stats_extra, stats.sample_stats_keys)
    labels = [_unstructure_label_stats(label) for label in stats.labels]
    typed: dict[str, Any] = {}
    for key, value in (("sample_stats", sample_stats), ("label_stats", labels)):
        if value or stats.wire_keys is None:
            typed[key] = value
        elif key not in stats.extra:  # empty: written when it was on the wire, else left out
            typed[key] = value if key in stats.wire_keys else None
    return _write(typed, stats.extra, stats.wire_keys)


# -- versions ----------------------------------------------------------------------------------------------------

_VERSION_KEYS = (
    "version_id",
    "version_name",
    "is_current",
    "total_sample_count",
    "annotated_sample_count",
    "create_time",
    "previous_version_id",
)
_VERSION_CHECKS: dict[str, _Check] = {
    "version_id": _str,
    "version_name": _str,
    "is_current": _bool,
    "total_sample_count": _count,
    "annotated_sample_count": _count,
    "create_time": _count,
    "previous_version_id": _str,
}


def _version(
    data: Any, path: str, problems: Problems, requested_version_id: str | None = None
) -> DatasetVersion | None:
    parts = _fields(data, _VERSION_CHECKS, path, problems)
    if parts is None:
        return None
    values, extra = parts
    if values.get("version_id") is None:
        if requested_version_id is None or "version_id" in data:
            problems.append((f"{path}.version_id", "required field missing"))
            return None
        values["version_id"] = requested_version_id
    return DatasetVersion(**values, extra=extra, wire_keys=tuple(data))


def structure_version(
    data: Any, *, requested_version_id: str, status_code: int | None = None, request_id: str | None = None
) -> DatasetVersion:
    """A `DatasetVersion` from one version's answer (the requested id stands in when the answer has none)."""
    problems: Problems = []
    version = _version(data, "$", problems, requested_version_id)
    if problems or version is None:
        _raise(f"answer for version {requested_version_id!r}", problems, status_code, request_id)
    return version


def structure_version_page(
    data: Any, *, status_code: int | None = None, request_id: str | None = None, offset: int | None = None
) -> tuple[int | None, list[DatasetVersion]]:
    """`(total_number, versions)` from a version list; a missing `versions` array is an error, not an empty page."""
    problems: Problems = []
    total = None
    versions: list[DatasetVersion] = []
    if not isinstance(data, Mapping):
        problems.append(("$", f"expected an object, got {_echo(data)}"))
    else:
        try:
            total = _count(data.get("total_number"))
        except _Invalid as invalid:
            problems.append(("$.total_number", invalid.detail))
        items = data.get("versions")
        if not isinstance(items, list | tuple):
            problems.append(("$.versions", f"expected an array, got {'nothing' if items is None else _echo(items)}"))
        else:
            for index, item in enumerate(items):
                version = _version(item, f"$.versions[{index}]", problems)
                if version is not None:
                    versions.append(version)
    if problems:
        at = "" if offset is None else f" at offset {offset}"
        _raise(f"version page{at}", problems, status_code, request_id)
    return total, versions


def unstructure_version(version: DatasetVersion) -> dict[str, Any]:
    """One version's JSON again: for a version read by `structure_version*`, equal to what was read."""
    typed = {key: getattr(version, key) for key in _VERSION_KEYS}
    if version.wire_keys is not None and "version_id" not in version.wire_keys:
        del typed["version_id"]  # filled in from the request: it was not on the wire
    return _write(typed, version.extra, version.wire_keys)
