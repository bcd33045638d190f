"""Turns wire JSON into models and back, with one private cattrs converter built on first use.

`unstructure_image_info(structure_image_info(d, ...))` gives back the wire object `d` minus its `is_success`
envelope and any unknown keys, so an ETL writes exactly what it read. Strings, numbers and lists are checked
strictly (cattrs' defaults would quietly turn `5` into `"5"`); a mismatch names its path, e.g. `$.tags[0].pos`.

Importing cattrs and generating the hooks costs ~60 ms, a third of `import modelarts_async`, so `_hooks()` does
both the first time an answer is structured, and then serves every call from its cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, NoReturn, TypeAlias

from .._exceptions import ResponseValidationError
from ._models import Coordinate, DetectionTag, ImageInfo, Position

__all__ = [
    "BatchItem",
    "structure_image_info",
    "structure_images_tags",
    "unstructure_image_info",
    "unstructure_position",
]


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> None:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {what}, got {type(value).__name__}")


def _strict_str(value: Any, _: type) -> str:
    _expect(value, str, "a string")
    return value  # type: ignore[no-any-return]


def _each(items: Any, what: str, structure_item: Callable[[Any], Any]) -> tuple[Any, ...]:
    """Structure every item of a JSON list, collecting errors with their index like cattrs does."""
    _expect(items, list, f"a list of {what}")
    out, errors = [], []
    for index, item in enumerate(items):
        try:
            out.append(structure_item(item))
        except Exception as exc:
            from cattrs.errors import IterableValidationNote

            exc.__notes__ = [*getattr(exc, "__notes__", []), IterableValidationNote(f"@ {index}", index, Any)]
            errors.append(exc)
    if errors:
        from cattrs.errors import IterableValidationError

        raise IterableValidationError(f"invalid {what}", errors, tuple)
    return tuple(out)


def _coordinate(value: Any) -> Coordinate:
    _expect(value, (int, float), "a number")
    return value  # type: ignore[no-any-return]


def _position(value: Any, _: Any) -> Position:
    """A flat list of numbers, or a list of points that are lists of numbers; never a mix."""
    _expect(value, list, "a list of numbers or of points")
    if value and all(isinstance(point, list) for point in value):
        return _each(value, "points", lambda point: _each(point, "numbers", _coordinate))
    return _each(value, "numbers", _coordinate)


def _detection_tag(value: Any) -> DetectionTag:
    _expect(value, dict, "an object with 'tag' and 'pos'")
    return _hooks().structure_detection_tag(value, DetectionTag)


def _tags(value: Any, _: Any) -> tuple[str, ...] | tuple[DetectionTag, ...]:
    """Label names (classification) or objects (detection); a list mixing both is an error."""
    _expect(value, list, "a list of tags")
    if all(isinstance(tag, str) for tag in value):
        return tuple(value)
    if all(isinstance(tag, dict) for tag in value):
        return _each(value, "detection tags", _detection_tag)
    raise TypeError("expected either all label names (strings) or all objects, got a mix or other values")


def _size(value: Any, _: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    size = _each(value, "integers", lambda n: _strict_int(n))
    if len(size) not in (2, 3):
        raise ValueError(f"expected [width, height] or [width, height, depth], got {len(size)} numbers")
    return size


def _strict_int(value: Any) -> int:
    _expect(value, int, "an integer")
    return value  # type: ignore[no-any-return]


def unstructure_position(pos: Position) -> list[Any]:
    """A `DetectionTag.pos` as JSON lists again: `(10, 0, 100, 100)` or `((0, 10), (50, 95))` in, lists out."""
    return [list(p) if isinstance(p, tuple) else p for p in pos]


class _Hooks(NamedTuple):
    structure_image_info: Callable[[Mapping[str, Any], type], ImageInfo]
    structure_detection_tag: Callable[[Mapping[str, Any], type], DetectionTag]
    unstructure_image_info: Callable[[ImageInfo], dict[str, Any]]
    validation_errors: tuple[type[Exception], ...]
    transform_error: Callable[..., list[str]]


@functools.cache
def _hooks() -> _Hooks:
    """The private converter's hooks, generated once (see the module docstring for why not at import)."""
    import cattrs
    from cattrs.errors import ClassValidationError, IterableValidationError
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(str, _strict_str)
    converter.register_unstructure_hook(
        DetectionTag,
        make_dict_unstructure_fn(DetectionTag, converter, pos=override(unstruct_hook=unstructure_position)),
    )
    return _Hooks(
        structure_image_info=make_dict_structure_fn(
            ImageInfo, converter, tags=override(struct_hook=_tags), size=override(struct_hook=_size)
        ),
        structure_detection_tag=make_dict_structure_fn(DetectionTag, converter, pos=override(struct_hook=_position)),
        unstructure_image_info=make_dict_unstructure_fn(
            ImageInfo, converter, size=override(omit_if_default=True, unstruct_hook=list)
        ),
        validation_errors=(ClassValidationError, IterableValidationError),
        transform_error=cattrs.transform_error,
    )


def structure_image_info(
    data: Any, *, requested_image_id: str, status_code: int | None = None, request_id: str | None = None
) -> ImageInfo:
    """Build an `ImageInfo` from one decoded answer; detection answers omit `image_id`, so use the requested one.

    Raises `ResponseValidationError` naming the field and the image id when the shape is not the documented one.
    """
    if not isinstance(data, Mapping):
        _invalid(f"expected a JSON object, got {type(data).__name__}", requested_image_id, status_code, request_id)
    if "image_id" not in data:
        data = {**data, "image_id": requested_image_id}
    plain = _plain_classification(data)
    if plain is not None:
        return plain
    hooks = _hooks()
    try:
        return hooks.structure_image_info(data, ImageInfo)
    except hooks.validation_errors as exc:
        messages = hooks.transform_error(exc, path="$", format_exception=_format_exception)
        _invalid("; ".join(messages), requested_image_id, status_code, request_id)


def _plain_classification(data: Mapping[str, Any]) -> ImageInfo | None:
    """The `ImageInfo` of the commonest answer (a string id, label names, no size) without the converter, else None.

    A batch answer holds up to hundreds of these, and this check costs a third of the generated hook's time; any
    other shape (detection, or anything invalid) goes through the converter, which alone reports errors.
    """
    image_id, tags = data.get("image_id"), data.get("tags")
    if type(image_id) is str and type(tags) is list and data.get("size") is None and all(type(t) is str for t in tags):
        return ImageInfo(image_id=image_id, tags=tuple(tags))
    return None


def unstructure_image_info(info: ImageInfo) -> dict[str, Any]:
    """The wire object for `info`: `{"image_id": ..., "tags": [...], "size": [...]}` (`size` only when known)."""
    return _hooks().unstructure_image_info(info)


def _format_exception(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if type(exc).__name__ == "IterableValidationError":
        return str(exc.args[0]) if exc.args else "invalid list"
    return str(exc) or type(exc).__name__


def _invalid(detail: str, image_id: str, status_code: int | None, request_id: str | None) -> NoReturn:
    raise ResponseValidationError(
        f"the answer for image {image_id!r} does not have the documented shape: {detail}",
        status_code=status_code,
        request_id=request_id,
    )


BatchItem: TypeAlias = tuple[str | None, ImageInfo | ResponseValidationError]


def structure_images_tags(
    data: Any, *, status_code: int | None = None, request_id: str | None = None
) -> list[BatchItem]:
    """Structure a batch answer `{"images_tags": [...]}` item by item: `(image_id, ImageInfo or error)` per item.

    One malformed item does not spoil its neighbours: it becomes a `ResponseValidationError` whose message names
    its path (`$.images_tags[3].tags`). Its id is None when the item does not even carry a string `image_id`.
    Raises `ResponseValidationError` when `images_tags` itself is missing or not a list.
    """
    items = data.get("images_tags") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        got = "missing" if isinstance(data, Mapping) and "images_tags" not in data else f"a {type(items).__name__}"
        raise ResponseValidationError(
            f"the batch answer does not have the documented shape: $.images_tags: expected a list, got {got}",
            status_code=status_code,
            request_id=request_id,
        )
    return [_batch_item(item, index, status_code, request_id) for index, item in enumerate(items)]


def _batch_item(item: Any, index: int, status_code: int | None, request_id: str | None) -> BatchItem:
    path = f"$.images_tags[{index}]"
    if not isinstance(item, Mapping):
        return None, _batch_error(f"{path}: expected an object, got {type(item).__name__}", status_code, request_id)
    image_id = item.get("image_id")
    if not isinstance(image_id, str):
        detail = f"{path}.image_id: expected a string, got {type(image_id).__name__}"
        return None, _batch_error(detail, status_code, request_id)
    plain = _plain_classification(item)
    if plain is not None:
        return image_id, plain
    hooks = _hooks()
    try:
        return image_id, hooks.structure_image_info(item, ImageInfo)
    except hooks.validation_errors as exc:
        messages = hooks.transform_error(exc, path=path, format_exception=_format_exception)
        detail = f"image {image_id!r}: " + "; ".join(messages)
        return image_id, _batch_error(detail, status_code, request_id)


def _batch_error(detail: str, status_code: int | None, request_id: str | None) -> ResponseValidationError:
    return ResponseValidationError(
        f"the batch answer does not have the documented shape: {detail}", status_code=status_code, request_id=request_id
    )
