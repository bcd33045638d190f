"""Turns the v2 dataset API's JSON (samples, datasets, labels) into models and back, exactly.

`unstructure_sample(structure_sample(d, ...)) == d` for every answer `d` it accepts: keys that were absent stay
absent, `null` stays `null`, `1` stays `1` (not `1.0`), unknown keys come back, and keys keep their order. Each
model records the keys it was read from (`wire_keys`) for this; models you build yourself are written with every
field that is not None.

Typed fields are checked strictly (`"5"` is not an int, `true` is not an int), detection features must fit their
documented shape, and NaN or Infinity (which Python's `json.loads` accepts but JSON forbids) is rejected anywhere
in a sample, so what we write back is always valid JSON. Every problem is reported with its JSON path, e.g.
`@ $.samples[3].labels[0].property["@modelarts:feature"]`; echoed values are cut to about 100 characters (the
pipeline scrubs the client's secrets from these messages: `Pipeline.fetch`).

Liberal where it loses nothing, as a Java backend writes: `null` for an array or object field (`labels`,
`metadata`, a label's `property`, a dataset label's `attributes`) reads as empty and is written back as `null`
(the model's `wire_nulls`); a list answer without its array is an empty page when its count is 0 (and an error
otherwise: a pager would stop early and lose the rest); integral floats in `@modelarts:size` are integers.

Unlike `_v1/_converter.py` this walks the JSON by hand, from tables of the typed keys, rather than with cattrs, for
speed alone. A cattrs prototype (`make_dict_structure_fn` with `override`s for unknown and absent keys, and
`transform_error`-style path walking) gave the same path format and the same exact round trip and passed the v2
tests in half the lines, but structured 14-21k samples/s per page where this module does 27-51k (issue 17): half
the speed on the path of every listing.

Samples and their labels, the bulk of every listing, first take a fast path (inline `type(x) is` checks, models
built slot by slot) that builds the same model or leaves the sample to the checked walk, which accepts it or words
each problem: what is accepted, and every message, is the walk's. With it a page of 100 detection samples (2.4
labels each) costs about 9 µs per sample on top of `json.loads`' 6 µs (`benchmarks/converter.py`; 17 µs before),
of which building the models alone, with no check at all, takes about 6.5 µs (the attrs objects, frozen dicts and
point tuples, and the garbage collector's passes over them). Change it to make it faster, not slower.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

from .._exceptions import ResponseValidationError
from ._models import Dataset, DatasetLabel, FrozenDict, Sample, SampleLabel

__all__ = [
    "COUNT_LIMIT",
    "check_count",
    "structure_dataset",
    "structure_dataset_labels",
    "structure_dataset_page",
    "structure_sample",
    "structure_sample_page",
    "unstructure_dataset",
    "unstructure_dataset_label",
    "unstructure_sample",
    "unstructure_sample_label",
]

_MAX_ECHO = 100
_MAX_PROBLEMS = 10

_SHAPE = "@modelarts:shape"
_FEATURE = "@modelarts:feature"
_SIZE = "@modelarts:size"


class _Invalid(Exception):
    """Problems found below some point of the JSON, as `(path, detail)` pairs.

    Paths start relative (`""` is the value itself) and grow a segment at each level the error unwinds through, so
    nothing is spent on paths while the JSON is fine.
    """

    def __init__(self, detail: str = "", problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = [("", detail)] if problems is None else problems

    def below(self, segment: str) -> _Invalid:
        self.problems = [(segment + path, detail) for path, detail in self.problems]
        return self


def _excerpt(value: Any) -> str:
    """The value as JSON for a message, cut to about `_MAX_ECHO` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # a circular structure: not JSON, and never from json.loads
        text = f"<{type(value).__name__}>"
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 1] + "…"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _got(value: Any) -> str:
    if value is None or isinstance(value, list | tuple | Mapping):
        return _json_kind(value)
    return f"{_json_kind(value)} ({_excerpt(value)})"


def _member(key: str) -> str:
    """`.labels` for a short plain name, `["@modelarts:shape"]` for any other key (cut if huge)."""
    if len(key) <= _MAX_ECHO and key.isidentifier() and key.isascii():
        return f".{key}"
    return f"[{_excerpt(key)}]"


# Typed scalar fields: each check returns the value unchanged (None is allowed: the field is optional) or raises.


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(f"expected a string, got {_got(value)}")


def _required_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Invalid(f"expected a string, got {_got(value)}")


def _int(value: Any) -> int | None:
    if value is None or type(value) is int or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _Invalid(f"expected an integer, got {_got(value)}")


def _number(value: Any) -> int | float | None:
    return None if value is None else _coordinate(value)


def _coordinate(value: Any) -> int | float:
    if type(value) is int:
        return value
    if type(value) is float or (isinstance(value, int | float) and not isinstance(value, bool)):
        if math.isfinite(value):
            return value
        raise _Invalid(f"expected a finite number, got {_excerpt(value)} (not valid JSON)")
    raise _Invalid(f"expected a number, got {_got(value)}")


def _freeze(value: Any) -> Any:
    """A read-only copy of any JSON value (see `freeze_json`), refusing NaN, Infinity and non-JSON values."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        raise _Invalid(f"expected a finite number, got {_excerpt(value)} (not valid JSON)")
    if kind is dict or isinstance(value, Mapping):
        return _freeze_object(value)
    if kind is list or isinstance(value, list | tuple):
        out = []
        for index, item in enumerate(value):
            try:
                out.append(_freeze(item))
            except _Invalid as invalid:
                raise invalid.below(f"[{index}]") from None
        return tuple(out)
    # Subclasses (never from json.loads) are kept as their plain type.
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _freeze(float(value))
    raise _Invalid(f"expected a JSON value, got {_got(value)}")


def _freeze_object(value: Any) -> FrozenDict:
    if type(value) is not dict and not isinstance(value, Mapping):
        raise _Invalid(f"expected an object, got {_got(value)}")
    out = {}
    for key, item in value.items():
        if type(key) is not str:
            raise _Invalid(f"expected string keys, got {_got(key)}")
        try:
            out[key] = _freeze(item)
        except _Invalid as invalid:
            raise invalid.below(_member(key)) from None
    return FrozenDict(out)


def _freeze_objects(value: Any) -> tuple[FrozenDict, ...]:
    if not isinstance(value, list | tuple):
        raise _Invalid(f"expected an array of objects, got {_got(value)}")
    out = []
    for index, item in enumerate(value):
        try:
            out.append(_freeze_object(item))
        except _Invalid as invalid:
            raise invalid.below(f"[{index}]") from None
    return tuple(out)


# Detection features, per documented shape. Unknown shapes are kept without a check (but still frozen).

#: (fewest, most) points for the shapes written as `[[x, y], ...]`.
_POINT_COUNTS: dict[str, tuple[int, int | None]] = {
    "bndbox": (2, 2),
    "line": (2, 2),
    "dashed": (2, 2),
    "polygon": (3, None),
    "polyline": (2, None),
}
_FORMS = {
    "bndbox": "[[xmin, ymin], [xmax, ymax]]",
    "line": "[[x1, y1], [x2, y2]]",
    "dashed": "[[x1, y1], [x2, y2]]",
    "polygon": "[[x, y], ...] with at least 3 points",
    "polyline": "[[x, y], ...] with at least 2 points",
    "circle": "[[cx, cy], [r]] or [cx, cy, r]",
    "point": "[[x, y]] or [x, y]",
}


def _numbers(value: Any, count: int, form: str) -> tuple[int | float, ...]:
    """Exactly `count` finite numbers, or `_Invalid` naming `form` (or the index of the first bad number)."""
    if not isinstance(value, list | tuple) or len(value) != count:
        raise _Invalid(f"expected {form}, got {_excerpt(value)}")
    out = []
    for index, item in enumerate(value):
        try:
            out.append(_coordinate(item))
        except _Invalid as invalid:
            raise invalid.below(f"[{index}]") from None
    return tuple(out)


def _numbers_at(value: Any, index: int, count: int, form: str) -> tuple[int | float, ...]:
    try:
        return _numbers(value[index], count, form)
    except _Invalid as invalid:
        raise invalid.below(f"[{index}]") from None


def _point_list(value: Any) -> tuple[tuple[int | float, ...], ...]:
    """`[[x, y], ...]` as tuples; plain int and finite float pairs take the fast path, the rest `_numbers`."""
    out: list[tuple[int | float, ...]] = []
    for index, point in enumerate(value):
        if type(point) is list and len(point) == 2:
            x, y = point
            kx, ky = type(x), type(y)
            if (kx is int or (kx is float and x - x == 0.0)) and (ky is int or (ky is float and y - y == 0.0)):
                out.append((x, y))
                continue
        out.append(_numbers_at(value, index, 2, "a point [x, y]"))
    return tuple(out)


def _feature(shape: str, value: Any) -> Any:
    """The frozen feature of a known `shape`, or `_Invalid` saying which documented form it misses."""
    form = _FORMS[shape]
    if not isinstance(value, list | tuple):
        raise _Invalid(f"a {shape} needs {form}, got {_got(value)}")
    nested = bool(value) and isinstance(value[0], list | tuple)
    counts = _POINT_COUNTS.get(shape)
    if counts is not None:
        fewest, most = counts
        if nested and fewest <= len(value) and (most is None or len(value) <= most):
            return _point_list(value)
    elif shape == "point":
        if nested and len(value) == 1:
            return _point_list(value)
        if not nested and len(value) == 2:
            return _numbers(value, 2, form)
    elif nested and len(value) == 2:  # circle
        return _numbers_at(value, 0, 2, "a centre [cx, cy]"), _numbers_at(value, 1, 1, "a radius [r]")
    elif not nested and len(value) == 3:
        return _numbers(value, 3, form)
    raise _Invalid(f"a {shape} needs {form}, got {_excerpt(value)}")


def _label_property(value: Any) -> FrozenDict:
    """The label's `property`, with `@modelarts:feature` checked against `@modelarts:shape` when it is known."""
    if type(value) is not dict and not isinstance(value, Mapping):
        raise _Invalid(f"expected an object, got {_got(value)}")
    shape = value.get(_SHAPE)
    if shape is not None and not isinstance(shape, str):  # before the lookup: a list or object is unhashable
        raise _Invalid(f"expected a string, got {_got(shape)}").below(_member(_SHAPE))
    if shape not in _FORMS:
        return _freeze_object(value)
    if _FEATURE not in value:
        raise _Invalid(f"required for a {shape}, which needs {_FORMS[shape]}").below(_member(_FEATURE))
    out = {}
    for key, item in value.items():
        try:
            out[key] = _feature(shape, item) if key == _FEATURE else _freeze(item)
        except _Invalid as invalid:
            raise invalid.below(_member(key)) from None
    return FrozenDict(out)


def _metadata(value: Any) -> FrozenDict:
    """The sample's `metadata`; `@modelarts:size` must be `[width, height]` or `[width, height, depth]`."""
    return _size_checked(_freeze_object(value))


def _size_checked(metadata: FrozenDict) -> FrozenDict:
    """The frozen `metadata`, once its `@modelarts:size` (if any) is checked."""
    size = metadata.get(_SIZE)
    if size is None or (type(size) is tuple and len(size) in (2, 3) and _INTS.issuperset(map(type, size))):
        return metadata
    where = _member(_SIZE)
    if not isinstance(size, tuple) or len(size) not in (2, 3):
        detail = f"expected [width, height] or [width, height, depth], got {_excerpt(size)}"
        raise _Invalid(detail).below(where)
    for index, item in enumerate(size):
        # An integral float (`1080.0`, as some backends write every number) is an integer; kept as sent.
        if type(item) is not int and not (type(item) is float and item.is_integer()):
            raise _Invalid(f"expected an integer, got {_got(item)}").below(f"{where}[{index}]")
    return metadata


_INTS = frozenset({int})


# Objects: a table of typed keys per model; every other key goes to `extra`.

_Check = Callable[[Any], Any]
_Model = TypeVar("_Model", Sample, SampleLabel, Dataset, DatasetLabel)
_NO_EMPTIES: Mapping[str, Any] = FrozenDict()
#: What `null` reads as, for the fields that hold an array or an object (a Java backend's null collection).
_EMPTY_ARRAY: tuple[Any, ...] = ()
_EMPTY_OBJECT = FrozenDict()


def _structure_object(
    model: type[_Model],
    checks: Mapping[str, _Check],
    data: Any,
    required: str | None = None,
    fill: Any = None,
    empties: Mapping[str, Any] = _NO_EMPTIES,
) -> _Model:
    """Check `data` against `checks`, put every other key in `extra`, and report every problem at once.

    `required` names a key that must be there, unless `fill` (the requested id) can stand in for it. A key of
    `empties` (an array or object field) whose value is `null` reads as its empty value, and is remembered in
    `wire_nulls` so that it is written back as `null`.
    """
    if type(data) is not dict and not isinstance(data, Mapping):
        raise _Invalid(f"expected an object, got {_got(data)}")
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    nulls: list[str] = []
    for key, value in data.items():
        try:
            check = checks.get(key)
            if check is not None:
                if value is None and key in empties:
                    values[key] = empties[key]
                    nulls.append(key)
                else:
                    values[key] = check(value)
            elif type(key) is str:
                extra[key] = _freeze(value)
            else:
                raise _Invalid(f"expected string keys, got {_got(key)}")
        except _Invalid as invalid:
            problems.extend(invalid.below(_member(str(key))).problems)
    if required is not None and required not in data:
        if fill is None:
            problems.append((_member(required), "required field missing"))
        else:
            values[required] = fill
    if problems:
        raise _Invalid(problems=problems)
    if nulls:
        values["wire_nulls"] = frozenset(nulls)
    return model(**values, extra=FrozenDict(extra), wire_keys=tuple(data))


def _each(structure_item: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    """A check for an array of objects, reporting every bad item with its index."""

    def structure_list(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _Invalid(f"expected an array, got {_got(value)}")
        out, problems = [], []
        for index, item in enumerate(value):
            try:
                out.append(structure_item(item))
            except _Invalid as invalid:
                problems.extend(invalid.below(f"[{index}]").problems)
        if problems:
            raise _Invalid(problems=problems)
        return tuple(out)

    return structure_list


_SAMPLE_LABEL_CHECKS: dict[str, _Check] = {
    "name": _str,
    "type": _int,
    "id": _str,
    "score": _number,
    "annotated_by": _str,
    "property": _label_property,
}


_SAMPLE_LABEL_EMPTIES = FrozenDict({"property": _EMPTY_OBJECT})


def _sample_label(data: Any) -> SampleLabel:
    return _structure_object(SampleLabel, _SAMPLE_LABEL_CHECKS, data, empties=_SAMPLE_LABEL_EMPTIES)


_SAMPLE_CHECKS: dict[str, _Check] = {
    "sample_id": _required_str,
    "sample_type": _int,
    "labels": _each(_sample_label),
    "metadata": _metadata,
    "sample_status": _str,
    "source": _str,
    "preview": _str,
    "sample_time": _int,
    "sample_name": _str,
    "sample_dir": _str,
    "sample_size": _int,
    "annotated_by": _str,
}


_SAMPLE_EMPTIES = FrozenDict({"labels": _EMPTY_ARRAY, "metadata": _EMPTY_OBJECT})


def _sample(data: Any, requested_sample_id: str | None = None) -> Sample:
    """The fast path's sample when it takes `data`; else the checked walk, which words any problem."""
    try:
        return _fast_sample(data)
    except _Invalid:
        pass  # walked again outside this block, so that its errors do not carry the fast path's as context
    return _structure_object(Sample, _SAMPLE_CHECKS, data, "sample_id", requested_sample_id, _SAMPLE_EMPTIES)


# The fast path for samples and their labels, the bulk of every listing: the same checks as the tables above, done
# inline with `type(x) is ...` and no paths or messages. It builds the model the slow walk would build, or raises
# `_Invalid` (without a message) for anything it does not take: the slow walk then runs on that sample and either
# accepts it or reports each problem with its path. So what is accepted, and every message, is the slow walk's.


def _slow() -> NoReturn:
    """Leave this sample to the slow walk (which accepts it, or words the problem)."""
    raise _Invalid()


def _setter(model: type[Any], name: str) -> Callable[[Any, Any], None]:
    """Sets the slot `name` of a `model` instance, past the frozen `__setattr__` (as attrs' `__init__` does)."""
    setter: Callable[[Any, Any], None] = model.__dict__[name].__set__
    return setter


_new = object.__new__
#: Fills a `FrozenDict` being built, past its read-only `__setitem__`; the key is there already, so order is kept.
_dict_set = dict.__setitem__
#: The types the fast path keeps as they are (floats need a finiteness check, containers a walk).
_PLAIN = frozenset({str, int, bool, type(None)})
_NO_NULLS: frozenset[str] = frozenset()
_NULL_PROPERTY = frozenset({"property"})
_SAMPLE_KEYS = frozenset(_SAMPLE_CHECKS)
#: Key orders of samples, and of labels, seen to hold typed keys alone (so: no `extra`); see `_fast_extra`. Bounded,
#: and a memo only: what is in them does not change any result.
_SAMPLE_KEY_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}
_LABEL_KEY_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}
_MAX_KEY_ORDERS = 1024
_LABEL_KEYS = frozenset(_SAMPLE_LABEL_CHECKS)

_set_label_name = _setter(SampleLabel, "name")
_set_label_type = _setter(SampleLabel, "type")
_set_label_id = _setter(SampleLabel, "id")
_set_label_score = _setter(SampleLabel, "score")
_set_label_annotated_by = _setter(SampleLabel, "annotated_by")
_set_label_property = _setter(SampleLabel, "property")
_set_label_extra = _setter(SampleLabel, "extra")
_set_label_wire_keys = _setter(SampleLabel, "wire_keys")
_set_label_wire_nulls = _setter(SampleLabel, "wire_nulls")
_set_sample_id = _setter(Sample, "sample_id")
_set_sample_type = _setter(Sample, "sample_type")
_set_sample_labels = _setter(Sample, "labels")
_set_sample_metadata = _setter(Sample, "metadata")
_set_sample_status = _setter(Sample, "sample_status")
_set_sample_source = _setter(Sample, "source")
_set_sample_preview = _setter(Sample, "preview")
_set_sample_time = _setter(Sample, "sample_time")
_set_sample_name = _setter(Sample, "sample_name")
_set_sample_dir = _setter(Sample, "sample_dir")
_set_sample_size = _setter(Sample, "sample_size")
_set_sample_annotated_by = _setter(Sample, "annotated_by")
_set_sample_extra = _setter(Sample, "extra")
_set_sample_wire_keys = _setter(Sample, "wire_keys")
_set_sample_wire_nulls = _setter(Sample, "wire_nulls")


def _fast_value(value: Any) -> Any:
    """`_freeze(value)`, with strings, integers and flat arrays of them copied without a walk."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is list and _PLAIN.issuperset(map(type, value)):
        return tuple(value)
    return _freeze(value)


def _fast_object(value: dict[str, Any]) -> FrozenDict:
    """`_freeze_object(value)` for a dict: copied whole, then its arrays and objects replaced by frozen ones."""
    out = FrozenDict(value)
    for key, item in value.items():
        if type(key) is not str:
            _slow()
        kind = type(item)
        if not (kind is str or kind is int or kind is bool or item is None):
            _dict_set(out, key, _fast_value(item))
    return out


def _fast_extra(
    data: dict[str, Any],
    wire_keys: tuple[str, ...],
    typed: frozenset[str],
    typed_orders: dict[tuple[str, ...], tuple[str, ...]],
) -> FrozenDict:
    """The keys of `data` (in order: `wire_keys`) without a typed field, frozen, in order.

    A page repeats a few key orders: those found to hold `typed` keys alone are remembered in `typed_orders` (a
    lookup there is half the cost of a subset check, and models share the one tuple), up to `_MAX_KEY_ORDERS`.
    """
    if data.keys() <= typed:
        if len(typed_orders) < _MAX_KEY_ORDERS:
            typed_orders[wire_keys] = wire_keys
        return _EMPTY_OBJECT
    extra = {}
    for key, value in data.items():
        if key not in typed:
            if type(key) is not str:
                _slow()
            extra[key] = _fast_value(value)
    return FrozenDict(extra)


def _fast_points(shape: str, feature: Any) -> Any:
    """`_feature(shape, feature)`; integer `[[x, y], ...]` lists of the right length are copied in one loop."""
    counts = _POINT_COUNTS.get(shape)
    if counts is None or type(feature) is not list:
        return _feature(shape, feature)
    fewest, most = counts
    if len(feature) < fewest or (most is not None and len(feature) > most):
        return _feature(shape, feature)
    if len(feature) == 2:  # a bndbox, line or dashed line: two points, without a list in between
        first, second = feature
        if type(first) is list and type(second) is list and len(first) == 2 and len(second) == 2:
            x1, y1 = first
            x2, y2 = second
            if type(x1) is int and type(y1) is int and type(x2) is int and type(y2) is int:
                return (x1, y1), (x2, y2)
    points = []
    for point in feature:
        if type(point) is list and len(point) == 2:
            x, y = point
            if type(x) is int and type(y) is int:
                points.append((x, y))
                continue
        return _feature(shape, feature)
    return tuple(points)


def _fast_property(value: Any) -> FrozenDict:
    """A label's `property` as `_label_property` gives it."""
    if type(value) is not dict:
        _slow()
    shape = value.get(_SHAPE)
    if type(shape) is not str or shape not in _FORMS:
        if shape is not None and type(shape) is not str:
            _slow()
        return _fast_object(value)
    if _FEATURE not in value:
        _slow()
    out = FrozenDict(value)
    _dict_set(out, _FEATURE, _fast_points(shape, value[_FEATURE]))
    if len(value) == 2:  # the shape and the feature alone, as most labels are
        return out
    for key, item in value.items():
        if type(key) is not str:
            _slow()
        kind = type(item)
        if key != _FEATURE and not (kind is str or kind is int or kind is bool or item is None):
            _dict_set(out, key, _fast_value(item))
    return out


def _fast_label(data: Any) -> SampleLabel:
    """The `SampleLabel` the slow walk would build from `data`."""
    if type(data) is not dict:
        _slow()
    get = data.get
    name, kind, label_id, score, annotated_by = get("name"), get("type"), get("id"), get("score"), get("annotated_by")
    if not (
        (name is None or type(name) is str)
        and (kind is None or type(kind) is int)
        and (label_id is None or type(label_id) is str)
        and (score is None or type(score) is int or (type(score) is float and score - score == 0.0))
        and (annotated_by is None or type(annotated_by) is str)
    ):
        _slow()
    raw_property = get("property")
    nulls = _NO_NULLS
    if raw_property is not None:
        label_property = _fast_property(raw_property)
    else:
        label_property = _EMPTY_OBJECT
        if "property" in data:
            nulls = _NULL_PROPERTY
    label = _new(SampleLabel)
    _set_label_name(label, name)
    _set_label_type(label, kind)
    _set_label_id(label, label_id)
    _set_label_score(label, score)
    _set_label_annotated_by(label, annotated_by)
    _set_label_property(label, label_property)
    wire_keys = tuple(data)
    known = _LABEL_KEY_ORDERS.get(wire_keys)
    if known is None:
        _set_label_extra(label, _fast_extra(data, wire_keys, _LABEL_KEYS, _LABEL_KEY_ORDERS))
    else:
        _set_label_extra(label, _EMPTY_OBJECT)
        wire_keys = known
    _set_label_wire_keys(label, wire_keys)
    _set_label_wire_nulls(label, nulls)
    return label


def _fast_sample(data: Any) -> Sample:
    """The `Sample` the slow walk would build from `data`."""
    if type(data) is not dict:
        _slow()
    get = data.get
    sample_id, sample_type, status, sample_time = (
        get("sample_id"),
        get("sample_type"),
        get("sample_status"),
        get("sample_time"),
    )
    name, folder, size, annotated_by = get("sample_name"), get("sample_dir"), get("sample_size"), get("annotated_by")
    source, preview = get("source"), get("preview")
    if not (
        type(sample_id) is str
        and (sample_type is None or type(sample_type) is int)
        and (status is None or type(status) is str)
        and (sample_time is None or type(sample_time) is int)
        and (name is None or type(name) is str)
        and (folder is None or type(folder) is str)
        and (size is None or type(size) is int)
        and (annotated_by is None or type(annotated_by) is str)
        and (source is None or type(source) is str)
        and (preview is None or type(preview) is str)
    ):
        _slow()
    nulls = []
    raw_labels = get("labels")
    if type(raw_labels) is list:
        labels = tuple([_fast_label(label) for label in raw_labels])
    elif raw_labels is None:
        labels = _EMPTY_ARRAY
        if "labels" in data:
            nulls.append("labels")
    else:
        _slow()
    raw_metadata = get("metadata")
    if type(raw_metadata) is dict:
        metadata = _size_checked(_fast_object(raw_metadata))
    elif raw_metadata is None:
        metadata = _EMPTY_OBJECT
        if "metadata" in data:
            nulls.append("metadata")
    else:
        _slow()
    sample = _new(Sample)
    _set_sample_id(sample, sample_id)
    _set_sample_type(sample, sample_type)
    _set_sample_labels(sample, labels)
    _set_sample_metadata(sample, metadata)
    _set_sample_status(sample, status)
    _set_sample_source(sample, source)
    _set_sample_preview(sample, preview)
    _set_sample_time(sample, sample_time)
    _set_sample_name(sample, name)
    _set_sample_dir(sample, folder)
    _set_sample_size(sample, size)
    _set_sample_annotated_by(sample, annotated_by)
    wire_keys = tuple(data)
    known = _SAMPLE_KEY_ORDERS.get(wire_keys)
    if known is None:
        _set_sample_extra(sample, _fast_extra(data, wire_keys, _SAMPLE_KEYS, _SAMPLE_KEY_ORDERS))
    else:
        _set_sample_extra(sample, _EMPTY_OBJECT)
        wire_keys = known
    _set_sample_wire_keys(sample, wire_keys)
    _set_sample_wire_nulls(sample, frozenset(nulls) if nulls else _NO_NULLS)
    return sample


_DATASET_LABEL_CHECKS: dict[str, _Check] = {
    "name": _str,
    "type": _int,
    "property": _freeze_object,
    "attributes": _freeze_objects,
}


_DATASET_LABEL_EMPTIES = FrozenDict({"property": _EMPTY_OBJECT, "attributes": _EMPTY_ARRAY})


def _dataset_label(data: Any) -> DatasetLabel:
    return _structure_object(DatasetLabel, _DATASET_LABEL_CHECKS, data, empties=_DATASET_LABEL_EMPTIES)


_DATASET_CHECKS: dict[str, _Check] = {
    "dataset_id": _required_str,
    "dataset_name": _str,
    "dataset_type": _int,
    "description": _str,
    "status": _int,
    "total_sample_count": _int,
    "annotated_sample_count": _int,
    "create_time": _int,
    "update_time": _int,
    "current_version_id": _str,
    "labels": _each(_dataset_label),
}


_DATASET_EMPTIES = FrozenDict({"labels": _EMPTY_ARRAY})


def _dataset(data: Any, requested_dataset_id: str | None = None) -> Dataset:
    return _structure_object(Dataset, _DATASET_CHECKS, data, "dataset_id", requested_dataset_id, _DATASET_EMPTIES)


# Public entry points: problems become one ResponseValidationError.


def _raise(
    what: str, invalid: _Invalid, status_code: int | None, request_id: str | None, offset: int | None = None
) -> NoReturn:
    at = "" if offset is None else f" at offset {offset}"
    problems = [f"{detail} @ {path}" for path, detail in invalid.problems[:_MAX_PROBLEMS]]
    if len(invalid.problems) > _MAX_PROBLEMS:
        problems.append(f"and {len(invalid.problems) - _MAX_PROBLEMS} more")
    raise ResponseValidationError(
        f"the {what}{at} does not have the documented shape: " + "; ".join(problems),
        status_code=status_code,
        request_id=request_id,
    ) from None


def _id_for_message(value: str) -> str:
    return repr(value) if len(value) <= _MAX_ECHO else repr(value[: _MAX_ECHO - 1] + "…")


def _answer_for(kind: str, data: Any, id_key: str, requested_id: str | None) -> str:
    given = data.get(id_key) if isinstance(data, Mapping) else None
    named = given if isinstance(given, str) else requested_id
    return "answer" if named is None else f"answer for {kind} {_id_for_message(named)}"


def structure_sample(
    data: Any,
    *,
    requested_sample_id: str | None,
    status_code: int | None = None,
    request_id: str | None = None,
    path: str = "$",
) -> Sample:
    """Build a `Sample` from one decoded answer; when it lacks `sample_id`, the requested one is used.

    Raises `ResponseValidationError` naming the sample and every field that does not have the documented shape;
    `path` is where `data` sits in a larger answer, for those messages.
    """
    try:
        return _sample(data, requested_sample_id)
    except _Invalid as invalid:
        what = _answer_for("sample", data, "sample_id", requested_sample_id)
        _raise(what, invalid.below(path), status_code, request_id)


def _page(
    data: Any, count_key: str, items_key: str, structure_item: Callable[[Any], Any], id_key: str, noun: str
) -> tuple[int | None, list[Any]]:
    """`(count, items)` of a list answer. A missing (or `null`) item list is an empty page when the count says 0,
    else an error: a pager that took it for an empty page would stop early and silently lose the rest. Problems
    name their `noun` by its `id_key`."""
    if not isinstance(data, Mapping):
        raise _Invalid(f"expected an object, got {_got(data)}").below("$")
    problems: list[tuple[str, str]] = []
    count = None
    try:
        count = _int(data.get(count_key))
    except _Invalid as invalid:
        problems.extend(invalid.below(f"$.{count_key}").problems)
    items = data.get(items_key)
    out = []
    if items is None and count == 0 and not problems:
        pass  # nothing to list, and nothing lost: a Java backend's empty list, left out or null
    elif not isinstance(items, list | tuple):
        got = "nothing" if items_key not in data else _got(items)
        problems.append((f"$.{items_key}", f"expected an array, got {got}"))
    else:
        for index, item in enumerate(items):
            try:
                out.append(structure_item(item))
            except _Invalid as invalid:
                item_id = item.get(id_key) if isinstance(item, Mapping) else None
                named = f"{noun} {_id_for_message(item_id)}: " if isinstance(item_id, str) else ""
                problems.extend(
                    (path, named + detail) for path, detail in invalid.below(f"$.{items_key}[{index}]").problems
                )
    if problems:
        raise _Invalid(problems=problems)
    return count, out


def structure_sample_page(
    data: Any, *, status_code: int | None = None, request_id: str | None = None, offset: int | None = None
) -> tuple[int | None, list[Sample]]:
    """`(sample_count, samples)` from a sample list answer `{"sample_count": ..., "samples": [...]}`.

    `sample_count` is None when the answer leaves it out. Raises `ResponseValidationError` naming every bad
    field by its path (`$.samples[3].labels[0].property["@modelarts:feature"]`) and the page's `offset`, if given.
    """
    try:
        return _page(data, "sample_count", "samples", _sample, "sample_id", "sample")
    except _Invalid as invalid:
        _raise("sample page", invalid, status_code, request_id, offset)


def structure_dataset(
    data: Any,
    *,
    requested_dataset_id: str | None = None,
    status_code: int | None = None,
    request_id: str | None = None,
) -> Dataset:
    """Build a `Dataset` from one decoded answer; when it lacks `dataset_id`, the requested one is used.

    Raises `ResponseValidationError` naming every field that does not have the documented shape.
    """
    try:
        return _dataset(data, requested_dataset_id)
    except _Invalid as invalid:
        what = _answer_for("dataset", data, "dataset_id", requested_dataset_id)
        _raise(what, invalid.below("$"), status_code, request_id)


def structure_dataset_page(
    data: Any, *, status_code: int | None = None, request_id: str | None = None, offset: int | None = None
) -> tuple[int | None, list[Dataset]]:
    """`(total_number, datasets)` from a dataset list answer `{"total_number": ..., "datasets": [...]}`.

    Raises `ResponseValidationError` naming every bad field by its path and the page's `offset`, if given.
    """
    try:
        return _page(data, "total_number", "datasets", _dataset, "dataset_id", "dataset")
    except _Invalid as invalid:
        _raise("dataset page", invalid, status_code, request_id, offset)


def structure_dataset_labels(
    data: Any, *, status_code: int | None = None, request_id: str | None = None, offset: int | None = None
) -> tuple[int | None, list[DatasetLabel]]:
    """`(total_number, labels)` from a dataset's label list `{"total_number": ..., "labels": [...]}`.

    The label list takes `offset` and `limit`, so it is a page like the others: `total_number` says how many
    labels there are in all (None when the answer leaves it out).
    """
    try:
        return _page(data, "total_number", "labels", _dataset_label, "name", "label")
    except _Invalid as invalid:
        _raise("label page", invalid, status_code, request_id, offset)


#: Counts at or above this are refused: a JSON number that large is not exact in most parsers (2**53), and no list
#: holds that many records.
COUNT_LIMIT = 2**53


def check_count(
    count: int | None,
    count_key: str,
    what: str,
    *,
    status_code: int | None = None,
    request_id: str | None = None,
    offset: int | None = None,
) -> int | None:
    """`count` (a page's `sample_count`/`total_number`, already an int or None) when it is from 0 to 2**53 - 1,
    else `ResponseValidationError`: a pager plans its requests by it."""
    if count is None or 0 <= count < COUNT_LIMIT:
        return count
    shown = str(count) if abs(count) < 10**20 else "a number of more than 20 digits"
    invalid = _Invalid(f"expected a count from 0 to 2**53 - 1, got {shown}").below(f"$.{count_key}")
    _raise(what, invalid, status_code, request_id, offset)


# Unstructure: the wire keys in their order, then whatever was added since (typed fields that are set, then extra).


def _thaw(value: Any) -> Any:
    """A frozen JSON value as plain dicts and lists again."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is tuple or kind is list:
        return [_thaw(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(item) for item in value]
    return value


_EMPTY = ((), FrozenDict())


def _unstructure_object(
    obj: Sample | SampleLabel | Dataset | DatasetLabel,
    fields: tuple[str, ...],
    write: Mapping[str, Callable[[Any], Any]],
    filled: str | None = None,
) -> dict[str, Any]:
    """The wire keys in their order, then typed fields set since (`attrs.evolve`), then keys added to `extra`.

    `filled` names the required id that `structure_*` fills in from the request when the answer lacks it: it is
    left out again when it was not on the wire.
    """
    extra = obj.extra
    out: dict[str, Any] = {}
    wire_keys = obj.wire_keys
    nulls = obj.wire_nulls
    typed = write.keys()
    if wire_keys is not None:
        for key in wire_keys:
            if key in typed:
                value = getattr(obj, key)
                # Read from `null` and still empty: `null` again (filled since, it is written as it now is).
                out[key] = None if nulls and key in nulls and not value else write[key](value)
            elif key in extra:
                out[key] = _thaw(extra[key])
    for key in fields:
        if key not in out:
            value = getattr(obj, key)
            if wire_keys is None:
                if value is not None:
                    out[key] = write[key](value)
            # Absent from the wire: written once it holds something (None, () and {} read as "absent").
            elif key != filled and value is not None and value not in _EMPTY:
                out[key] = write[key](value)
    for key, value in extra.items():
        if key not in out and key not in typed:
            out[key] = _thaw(value)
    return out


def _same(value: Any) -> Any:
    return value


def _write_labels(labels: tuple[SampleLabel, ...]) -> list[dict[str, Any]]:
    return [unstructure_sample_label(label) for label in labels]


def _write_dataset_labels(labels: tuple[DatasetLabel, ...]) -> list[dict[str, Any]]:
    return [unstructure_dataset_label(label) for label in labels]


def _writers(fields: tuple[str, ...], **special: Callable[[Any], Any]) -> dict[str, Callable[[Any], Any]]:
    return {key: special.get(key, _same) for key in fields}


_SAMPLE_LABEL_FIELDS = ("name", "type", "id", "score", "annotated_by", "property")
_SAMPLE_LABEL_WRITERS = _writers(_SAMPLE_LABEL_FIELDS, property=_thaw)
_SAMPLE_FIELDS = (
    "sample_id",
    "sample_type",
    "labels",
    "metadata",
    "sample_status",
    "source",
    "preview",
    "sample_time",
    "sample_name",
    "sample_dir",
    "sample_size",
    "annotated_by",
)
_SAMPLE_WRITERS = _writers(_SAMPLE_FIELDS, labels=_write_labels, metadata=_thaw)
_DATASET_LABEL_FIELDS = ("name", "type", "property", "attributes")
_DATASET_LABEL_WRITERS = _writers(_DATASET_LABEL_FIELDS, property=_thaw, attributes=_thaw)
_DATASET_FIELDS = (
    "dataset_id",
    "dataset_name",
    "dataset_type",
    "description",
    "status",
    "total_sample_count",
    "annotated_sample_count",
    "create_time",
    "update_time",
    "current_version_id",
    "labels",
)
_DATASET_WRITERS = _writers(_DATASET_FIELDS, labels=_write_dataset_labels)


def unstructure_sample_label(label: SampleLabel) -> dict[str, Any]:
    """The wire object for one sample label (see `unstructure_sample`)."""
    return _unstructure_object(label, _SAMPLE_LABEL_FIELDS, _SAMPLE_LABEL_WRITERS)


def unstructure_sample(sample: Sample) -> dict[str, Any]:
    """The service's JSON for `sample` again: for a sample read by `structure_sample`, equal to what was read.

    For a sample you build (or change with `attrs.evolve`), fields that are None are left out; keys in `extra`
    that name a typed field are ignored (the typed field is the truth).
    """
    return _unstructure_object(sample, _SAMPLE_FIELDS, _SAMPLE_WRITERS, filled="sample_id")


def unstructure_dataset_label(label: DatasetLabel) -> dict[str, Any]:
    """The wire object for one dataset label (see `unstructure_dataset`)."""
    return _unstructure_object(label, _DATASET_LABEL_FIELDS, _DATASET_LABEL_WRITERS)


def unstructure_dataset(dataset: Dataset) -> dict[str, Any]:
    """The service's JSON for `dataset` again: for a dataset read by `structure_dataset`, equal to what was read.

    For a dataset you build, fields that are None are left out.
    """
    return _unstructure_object(dataset, _DATASET_FIELDS, _DATASET_WRITERS, filled="dataset_id")
