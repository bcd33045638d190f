"""`assert_no_secret`: walk everything a user (or their logging, or their error tracker) can reach from an object.

From an error: `str`, `repr`, `args`, every attribute (`vars()` and slots), `__cause__` / `__context__` chains and
exception groups, notes, and `traceback.format_exception`; recursively through containers and plain objects, so a
request object hanging off a transport exception is searched too (its headers, its content). Log records and bulk
results are walked the same way.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
import types
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["assert_no_secret", "reachable_texts"]

_MAX_DEPTH = 12
_OPAQUE = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
)


def reachable_texts(obj: object) -> list[tuple[str, str]]:
    """Every text reachable from `obj`, as `(where, text)` pairs."""
    found: list[tuple[str, str]] = []
    _walk(obj, "obj", found, set(), 0)
    return found


#: A run of this many characters of a secret counts as a leak too (a message cut in the middle of a token).
FRAGMENT = 12


def assert_no_secret(obj: object, secrets: Iterable[str], *, fragment: int = FRAGMENT) -> None:
    """Fail naming where a secret, or any `fragment` characters of one, is reachable from `obj` (an error, a log
    record, a bulk result, or a list of them)."""
    pieces = {piece: secret for secret in secrets for piece in _pieces(secret, fragment)}
    # The longest path first: a failure names the innermost carrier, not the list that holds it.
    for where, text in sorted(reachable_texts(obj), key=lambda found: -len(found[0])):
        for piece, secret in pieces.items():
            assert piece not in text, f"secret {secret[:3]}... ({piece!r}) reachable at {where}: {text[:400]!r}"


def _pieces(secret: str, size: int) -> list[str]:
    if len(secret) <= size:
        return [secret]
    return [secret[start : start + size] for start in range(len(secret) - size + 1)]


def _walk(obj: object, where: str, found: list[tuple[str, str]], seen: set[int], depth: int) -> None:
    if obj is None or isinstance(obj, (bool, int, float, complex)) or depth > _MAX_DEPTH:
        return
    if isinstance(obj, str):
        found.append((where, obj))
        return
    if isinstance(obj, (bytes, bytearray, memoryview)):
        found.append((where, bytes(obj).decode("latin-1")))
        return
    if id(obj) in seen or isinstance(obj, _OPAQUE):
        return
    seen.add(id(obj))
    for name, text in (("str", _safe(str, obj)), ("repr", _safe(repr, obj))):
        found.append((f"{where}.__{name}__", text))
    if isinstance(obj, BaseException):
        found.append((f"{where}<traceback>", "".join(traceback.format_exception(obj))))
        _walk(obj.args, f"{where}.args", found, seen, depth + 1)
        _walk(obj.__cause__, f"{where}.__cause__", found, seen, depth + 1)
        _walk(obj.__context__, f"{where}.__context__", found, seen, depth + 1)
        _walk(getattr(obj, "__notes__", None), f"{where}.__notes__", found, seen, depth + 1)
        if isinstance(obj, BaseExceptionGroup):
            _walk(obj.exceptions, f"{where}.exceptions", found, seen, depth + 1)
    if isinstance(obj, logging.LogRecord):
        found.append((f"{where}.getMessage()", _safe(lambda r: r.getMessage(), obj)))
    if isinstance(obj, Mapping):
        for key, value in list(obj.items()):
            _walk(key, f"{where}<key>", found, seen, depth + 1)
            _walk(value, f"{where}[{key!r}]", found, seen, depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for index, item in enumerate(list(obj)):
            _walk(item, f"{where}[{index}]", found, seen, depth + 1)
    for name, value in _attributes(obj):
        _walk(value, f"{where}.{name}", found, seen, depth + 1)


def _attributes(obj: object) -> list[tuple[str, Any]]:
    attributes: dict[str, Any] = {}
    with contextlib.suppress(TypeError):  # no __dict__
        attributes.update(vars(obj))
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in attributes and name not in ("__dict__", "__weakref__"):
                with contextlib.suppress(AttributeError):  # a slot never set
                    attributes[name] = getattr(obj, name)
    return list(attributes.items())


def _safe(render: Any, obj: object) -> str:
    try:
        return str(render(obj))
    except Exception as exc:  # a broken __repr__ hides nothing we could search
        return f"<{type(exc).__name__} rendering {type(obj).__name__}>"
