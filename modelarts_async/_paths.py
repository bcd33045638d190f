"""Builds request paths so that each id is exactly one path segment: no input can reach another path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from ._exceptions import InvalidArgumentError

__all__ = [
    "batch_tags_path",
    "checked_headers",
    "dataset_labels_path",
    "dataset_path",
    "dataset_stats_path",
    "datasets_path",
    "image_tags_path",
    "path_segment",
    "sample_path",
    "samples_path",
    "version_path",
    "versions_path",
]

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
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(
                f"{name} {value!r} is not valid text (it holds a lone surrogate, e.g. from a file name "
                "that is not UTF-8)"
            ) from None
    if value != value.strip():
        raise InvalidArgumentError(f"{name} {value!r} has leading or trailing whitespace")
    # Every control character (C0, DEL and C1, such as U+0085 NEL): none belongs in an id, and logs would show it raw.
    bad = next((c for c in value if c in _FORBIDDEN or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F), None)
    if bad is not None:
        raise InvalidArgumentError(f"{name} {value!r} contains {bad!r}, which cannot appear in an id")
    return quote(value, safe="")


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def checked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` as a dict, if each name is an HTTP token and each value printable ASCII (errors never show values)."""
    checked = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not name or not set(name) <= _TOKEN_CHARS:
            raise InvalidArgumentError(f"header name {name!r} is not a valid HTTP header name")
        if not isinstance(value, str) or not value.isascii() or not value.isprintable():
            # Never echo the value: headers carry tokens.
            raise InvalidArgumentError(
                f"the value of header {name!r} must be printable ASCII text (no newline or control character)"
            )
        checked[name] = value
    return checked


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


# The v2 dataset API (`/v2/{project_id}/datasets/...`).


def datasets_path(project_id: str) -> str:
    """`/v2/{project_id}/datasets`, checked and encoded."""
    return f"/v2/{path_segment('project_id', project_id)}/datasets"


def dataset_path(project_id: str, dataset_id: str) -> str:
    """`/v2/{project_id}/datasets/{dataset_id}`, checked and encoded."""
    return f"{datasets_path(project_id)}/{path_segment('dataset_id', dataset_id)}"


def samples_path(project_id: str, dataset_id: str) -> str:
    """`/v2/{project_id}/datasets/{dataset_id}/data-annotations/samples`, checked and encoded."""
    return f"{dataset_path(project_id, dataset_id)}/data-annotations/samples"


def sample_path(project_id: str, dataset_id: str, sample_id: str) -> str:
    """`/v2/{project_id}/datasets/{dataset_id}/data-annotations/samples/{sample_id}`, checked and encoded."""
    return f"{samples_path(project_id, dataset_id)}/{path_segment('sample_id', sample_id)}"


def dataset_labels_path(project_id: str, dataset_id: str) -> str:
    """`/v2/{project_id}/datasets/{dataset_id}/data-annotations/labels`, checked and encoded."""
    return f"{dataset_path(project_id, dataset_id)}/data-annotations/labels"


def dataset_stats_path(project_id: str, dataset_id: str) -> str:
    """`/v2/{project_id}/datasets/{dataset_id}/data-annotations/stats`, checked and encoded."""
    return f"{dataset_path(project_id, dataset_id)}/data-annotations/stats"


def versions_path(project_id: str, dataset_id: str) -> str:
    """`/v2/{project_id}/datasets/{dataset_id}/versions`, checked and encoded."""
    return f"{dataset_path(project_id, dataset_id)}/versions"


def version_path(project_id: str, dataset_id: str, version_id: str) -> str:
    """`/v2/{project_id}/datasets/{dataset_id}/versions/{version_id}`, checked and encoded."""
    return f"{versions_path(project_id, dataset_id)}/{path_segment('version_id', version_id)}"
