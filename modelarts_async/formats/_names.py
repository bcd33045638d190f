"""Checks for every name that ends up in a path or a file: sample ids, split names, label names, file names.

Paths are built only from names that passed these checks, so nothing a service or a file says can point a write
outside the output directory.
"""

from __future__ import annotations

import functools
import posixpath
import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from .._exceptions import InvalidArgumentError
from .._v2._image_files import SAFE_FILE_STEM_RULE, is_safe_file_stem
from .._v2._models import DatasetLabel, Sample

__all__ = [
    "check_file_name",
    "check_label_name",
    "check_sample_id",
    "check_splits",
    "default_file_name",
    "label_names",
    "shown",
    "source_without_query",
]

_SAFE_FILE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}")
_SAFE_SPLIT = re.compile(r"[A-Za-z0-9_-]{1,32}")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}")
_DEFAULT_EXTENSION = ".jpg"
#: Control characters, surrogates, and line or paragraph separators: each breaks a line-based or XML format.
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
#: Characters XML and YAML refuse even escaped.
_NONCHARACTERS = frozenset("\ufffe\uffff")
_MAX_ECHO = 60


def shown(value: str) -> str:
    """`value` quoted for a message, cut to a readable length."""
    return repr(value if len(value) <= _MAX_ECHO else value[: _MAX_ECHO - 1] + "…")


def check_sample_id(sample_id: object) -> str | None:
    """Why `sample_id` cannot name a file (None when it can), by the rule `download_images` names images by."""
    if is_safe_file_stem(sample_id):
        return None
    if not isinstance(sample_id, str):
        return f"sample id is not a string: {type(sample_id).__name__}"
    return f"sample id {shown(sample_id)} is not a safe file name ({SAFE_FILE_STEM_RULE})"


def check_file_name(file_name: str) -> str | None:
    """Why `file_name` cannot be an image's name in an output file (None when it can): one safe path segment."""
    if _SAFE_FILE.fullmatch(file_name):
        return None
    return f"file name {shown(file_name)} is not a safe file name (A-Z a-z 0-9 . _ -, not starting with '.')"


@functools.lru_cache(maxsize=4096)  # a dataset has few names, each checked on every label
def check_label_name(name: str | None) -> str | None:
    """Why `name` cannot be written as a class name (None when it can): empty, `/`, a line break or a control."""
    if not isinstance(name, str) or not name:
        return "label has no name"
    if "/" in name:
        return f"label name {shown(name)} contains '/'"
    if any(unicodedata.category(char) in _BAD_CATEGORIES or char in _NONCHARACTERS for char in name):
        return f"label name {shown(name)} contains a line break or a control character"
    return None


def check_splits(splits: Iterable[str]) -> tuple[str, ...]:
    """The split names, checked: each 1-32 of `A-Z a-z 0-9 _ -` (they name folders and files), no repeats."""
    names = tuple(splits)
    if not names:
        raise InvalidArgumentError("splits: give at least one split name, e.g. ('train',)")
    for name in names:
        if not isinstance(name, str) or not _SAFE_SPLIT.fullmatch(name):
            raise InvalidArgumentError(f"splits: {name!r} is not a split name (1-32 of A-Z a-z 0-9 _ -)")
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"splits: a name is repeated in {names!r}")
    return names


def label_names(labels: Sequence[DatasetLabel | str]) -> tuple[str, ...]:
    """The class names in class-id order, checked; `InvalidArgumentError` names a bad or repeated label."""
    names: list[str] = []
    for index, label in enumerate(labels):
        name = label.name if isinstance(label, DatasetLabel) else label
        if not isinstance(name, str):
            raise InvalidArgumentError(f"labels[{index}]: expected a label name or a DatasetLabel, got {name!r}")
        problem = check_label_name(name)
        if problem is not None:
            raise InvalidArgumentError(f"labels[{index}]: {problem}")
        names.append(name)
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise InvalidArgumentError(f"labels: {shown(repeated)} is listed twice; class ids need each name once")
    return tuple(names)


def default_file_name(sample: Sample) -> str:
    """`{sample_id}{ext}`, the extension taken from the sample's name or its URL's path (else `.jpg`), as a
    download names the image."""
    for candidate in (sample.sample_name, _url_path(sample.source)):
        if candidate:
            extension = posixpath.splitext(candidate)[1]
            if _EXTENSION.fullmatch(extension):
                return sample.sample_id + extension.lower()
    return sample.sample_id + _DEFAULT_EXTENSION


def _url_path(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        return urlsplit(url).path
    except ValueError:
        return None


def source_without_query(url: str) -> str | None:
    """`url` without its query or fragment (where a pre-signed URL keeps its signature); None unless it is an
    http(s) or obs URL."""
    try:
        url.encode()  # a lone surrogate (JSON allows one escaped) cannot be written as UTF-8
        parts = urlsplit(url)
    except (ValueError, UnicodeError):
        return None
    if parts.scheme.lower() not in ("http", "https", "obs") or not parts.netloc:
        return None
    host = parts.netloc.rpartition("@")[2]  # a user:password@ part is a credential too
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
