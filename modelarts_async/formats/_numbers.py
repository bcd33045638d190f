"""Numbers as the formats write them: coordinates exactly as the service gave them, normalised ones to 6 places."""

from __future__ import annotations

__all__ = ["exact", "normalised", "plain"]

Number = int | float


def exact(value: Number) -> str:
    """`10` for the integer 10, `10.5` for 10.5: integers stay integers (ModelArts reads VOC with `int()`)."""
    return str(value) if type(value) is int else repr(float(value))


def plain(value: Number) -> Number:
    """An integral float as an int (`50.0` → `50`), anything else unchanged: for areas and sizes in JSON."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def normalised(value: Number, total: int) -> str:
    """`value / total` with up to 6 decimals and no trailing zeros: `0.5`, `0.123457`, `1`, `0`."""
    text = f"{value / total:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
