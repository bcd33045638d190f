"""Builds request paths so that each id is exactly one path segment: no input can reach another path."""

from __future__ import annotations

import re
from urllib.parse import quote

from ._exceptions import InvalidArgumentError

__all__ = ["batch_tags_path", "image_tags_path", "path_segment"]

_FORBIDDEN = frozenset("/\\?#%")
_plain = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch


def path_segment(name: str, value: object) -> str:
    """Check that `value` can stand as one path segment and percent-encode it; the error names `name`."""
    if type(value) is str and _plain(value) and value not in (".", ".."):
        return value  # the common case (hex ids, numbers): nothing to check further or to encode
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise InvalidArgumentError(f"{name} must not be empty")
    if value in (".", ".."):
        raise InvalidArgumentError(f"{name} must not be {value!r}: it would change the request path")
    if value != value.strip():
        raise InvalidArgumentError(f"{name} {value!r} has leading or trailing whitespace")
    bad = next((c for c in value if c in _FORBIDDEN or ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise InvalidArgumentError(f"{name} {value!r} contains {bad!r}, which cannot appear in an id")
    return quote(value, safe="")


def image_tags_path(project_id: str, data_annotation_id: str, image_id: str) -> str:
    """`/v1/{project_id}/data-annotations/{data_annotation_id}/images/{image_id}/tags`, checked and encoded."""
    return (
        f"/v1/{path_segment('project_id', project_id)}"
        f"/data-annotations/{path_segment('data_annotation_id', data_annotation_id)}"
        f"/images/{path_segment('image_id', image_id)}/tags"
    )


def batch_tags_path(project_id: str, data_annotation_id: str) -> str:
    """`/v1/{project_id}/data-annotations/{data_annotation_id}/tags/show`, checked and encoded."""
    return (
        f"/v1/{path_segment('project_id', project_id)}"
        f"/data-annotations/{path_segment('data_annotation_id', data_annotation_id)}/tags/show"
    )
