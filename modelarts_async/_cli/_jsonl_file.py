"""The export file: one JSON object per line, each written whole, and how a resumed export repairs and rewrites it.

Every line starts with the key field (`{"image_id": "...", ...}`): labels as the service sent them, or an `"error"`
object. A line is written with one `write` on an unbuffered file opened for appending, so a kill (even SIGKILL) or
a full disk leaves whole lines and at most one torn last line.

Resuming (`prepare_resume`) reads the file once against the index of the input ids, then either repairs the tail in
place (cut a torn line, or end a whole one with its newline) or, when lines must go (error lines of ids to retry,
repeated ids), writes the kept lines to `FILE.rewrite` and renames it over the file: a kill before the rename leaves
the old file, a kill after it the new one, and both resume correctly. New lines are appended only after that, for
ids without a line, so no id ever has two.

What the file was exported from (endpoint, project, job) is kept beside it in `FILE.meta.json`, so the data file
stays plain JSON lines for jq and pandas, and a resume with other options is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

from ._errors import StopExport, UsageError
from ._ids_file import DONE, FAILED, NEW, IdIndex

__all__ = [
    "ExportFile",
    "ExportLine",
    "FileLines",
    "Identity",
    "LineWriter",
    "ResumeState",
    "StdoutLines",
    "check_identity",
    "encode_line",
    "error_record",
    "meta_path",
    "prepare_resume",
    "read_export",
    "write_identity",
    "write_text_atomic",
]

META_SUFFIX = ".meta.json"
REWRITE_SUFFIX = ".rewrite"
_META_FORMAT = "modelarts-async export"
_DECODER = json.JSONDecoder()  # `json.loads` without its per-call checks: a resume may read millions of lines


# ---------------------------------------------------------------------------------------------------------------------
# Lines.


def encode_line(record: dict[str, Any]) -> bytes:
    """`record` as one UTF-8 JSON line; text that UTF-8 cannot hold (a lone surrogate) is written as `\\uXXXX`.

    Raises ValueError for what JSON cannot hold at all (NaN, infinity): the caller writes an error line instead.
    """
    try:
        return (json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n").encode()
    except UnicodeEncodeError:
        return (json.dumps(record, ensure_ascii=True, allow_nan=False) + "\n").encode()


def error_record(key_field: str, key: str, error: BaseException) -> dict[str, Any]:
    """`{key_field: key, "error": {"type", "error_code", "message", "request_id"}}` for a failed id."""
    return {
        key_field: key,
        "error": {
            "type": type(error).__name__,
            "error_code": getattr(error, "error_code", None),
            "message": str(error),
            "request_id": getattr(error, "request_id", None),
        },
    }


class LineWriter(Protocol):
    """Where the lines go: a file (`FileLines`) or standard output (`StdoutLines`)."""

    name: str

    def write(self, line: bytes) -> None:
        """Write one whole line; raise OSError when it cannot be written."""

    def close(self) -> None: ...


def _write_all(fd: int, line: bytes) -> None:
    view = memoryview(line)
    while view:  # a regular file takes the whole line at once; loop in case a write is ever partial
        view = view[os.write(fd, view) :]


class FileLines:
    """Appends lines to a file, each in one `write` on an unbuffered descriptor: no line is ever half in a buffer.

    A write of a ~200-byte line to a local file costs a few microseconds, short enough to do on the event loop.
    """

    def __init__(self, path: str) -> None:
        self.name = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)

    def write(self, line: bytes) -> None:
        _write_all(self._fd, line)

    def close(self) -> None:
        os.close(self._fd)


class StdoutLines:
    """Writes lines to standard output (`--out -`), each in one `write`, for a pipe such as `| jq`."""

    name = "standard output"

    def __init__(self) -> None:
        sys.stdout.flush()
        self._fd = sys.stdout.fileno()

    def write(self, line: bytes) -> None:
        _write_all(self._fd, line)

    def close(self) -> None:
        pass


# ---------------------------------------------------------------------------------------------------------------------
# Reading an export back.


class ExportLine(NamedTuple):
    """One whole line of an export: its bytes (newline included, if it had one), its key, and whether it failed."""

    raw: bytes
    key: str
    failed: bool


class ExportFile:
    """The lines of an existing export, read lazily; `UsageError` for a line that is not an export line.

    Only the last line can be torn (every write appends one whole line): after iterating, `torn` is the number of
    bytes of such a line (0 if none) and `unterminated` says the last whole line lacks its newline. A bad line
    elsewhere means someone edited the file, and guessing would break the exactly-once promise.
    """

    def __init__(self, path: str, key_field: str) -> None:
        self.path, self.key_field = path, key_field
        self.torn = 0
        self.unterminated = False
        self.size = 0

    def __iter__(self) -> Iterator[ExportLine]:
        try:
            with open(self.path, "rb") as file:
                previous: bytes | None = None
                number = 0
                for number, raw in enumerate(file, start=1):
                    if previous is not None:
                        yield self._line(previous, number - 1)
                    previous = raw
                    self.size += len(raw)
        except OSError as exc:
            raise UsageError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        if previous is None:
            return
        if previous.endswith(b"\n"):
            yield self._line(previous, number)
            return
        line = self._parse(previous)
        if line is None:
            self.torn = len(previous)
        else:
            self.unterminated = True
            yield line

    def _line(self, raw: bytes, number: int) -> ExportLine:
        line = self._parse(raw)
        if line is None:
            raise UsageError(
                f"{self.path} line {number} is not an export line (one JSON object with a string "
                f"{self.key_field!r}); fix or remove it before resuming"
            )
        return line

    def _parse(self, raw: bytes) -> ExportLine | None:
        try:
            data = _DECODER.decode(raw.decode())
        except (ValueError, RecursionError):  # RecursionError: nested deeper than any export line
            return None
        key = data.get(self.key_field) if isinstance(data, dict) else None
        if not isinstance(key, str):
            return None
        return ExportLine(raw, key, "error" in data)


def read_export(path: str, key_field: str) -> list[ExportLine]:
    """Every whole line of an export (for tests and small files; a resume streams instead)."""
    return list(ExportFile(path, key_field))


# ---------------------------------------------------------------------------------------------------------------------
# Resuming: the export file against the index of the input ids.


class ResumeState(NamedTuple):
    """What the output holds once `prepare_resume` has repaired or rewritten it, and what the run has left to do."""

    #: Input ids whose line holds labels.
    done: int = 0
    #: Input ids whose error line stays (`--no-retry-failed`).
    failed_kept: int = 0
    #: Input ids whose error line was dropped, to fetch them again.
    retrying: int = 0
    #: Lines for ids the ids file does not hold (kept as they are): with labels, and errors.
    other_ok: int = 0
    other_failed: int = 0
    #: Bytes of a torn last line cut off, and repeated lines dropped.
    cut_bytes: int = 0
    repeats_dropped: int = 0


def prepare_resume(
    path: str,
    key_field: str,
    index: IdIndex,
    *,
    retry_failed: bool,
    encode_key: Callable[[str], bytes] = str.encode,
) -> ResumeState:
    """Read the export at `path` against `index`, set each input id's state (DONE, FAILED, or still NEW), and leave
    the file holding one line per id: repair its tail, or rewrite it without the lines to drop.

    `encode_key` turns a line's key into the bytes the index holds (the ids file's spelling of it). Raises
    `UsageError` for a damaged file, `StopExport` when it cannot be rewritten (it is then unchanged).
    """
    _remove_quietly(path + REWRITE_SUFFIX)  # left by a rewrite that was killed before its rename
    export = ExportFile(path, key_field)
    done = failed = other_ok = other_failed = repeats = 0
    for line in export:
        handle = _find(index, line.key, encode_key)
        if handle is None:
            other_ok += not line.failed
            other_failed += line.failed
            continue
        state = index.state(handle)
        if state != NEW:
            repeats += 1
        if not line.failed and state != DONE:
            index.set_state(handle, DONE)
            done += 1
            failed -= state == FAILED
        elif line.failed and state == NEW:
            index.set_state(handle, FAILED)
            failed += 1
    retrying = failed if retry_failed else 0
    if repeats or retrying:
        kept = _kept_lines(ExportFile(path, key_field), index, retry_failed=retry_failed, encode_key=encode_key)
        _rewrite(path, kept)
    elif export.torn:
        _truncate(path, export.size - export.torn)
    elif export.unterminated:
        _append_newline(path)
    return ResumeState(done, failed - retrying, retrying, other_ok, other_failed, export.torn, repeats)


def _find(index: IdIndex, key: str, encode_key: Callable[[str], bytes]) -> int | None:
    try:
        return index.find(encode_key(key))
    except UnicodeEncodeError:  # a lone surrogate: never in an ids file, which is UTF-8 text
        return None


def _kept_lines(
    export: ExportFile, index: IdIndex, *, retry_failed: bool, encode_key: Callable[[str], bytes]
) -> Iterator[bytes]:
    """The lines a rewrite keeps: the first line with labels of each input id, else (when not retrying) its first
    error line; every line of ids that are not in the input; never a torn last line."""
    for line in export:
        handle = _find(index, line.key, encode_key)
        raw = line.raw if line.raw.endswith(b"\n") else line.raw + b"\n"
        if handle is None:
            yield raw
            continue
        if index.marked(handle):
            continue
        state = index.state(handle)
        if (not line.failed and state == DONE) or (line.failed and state == FAILED and not retry_failed):
            index.mark(handle)
            yield raw


def _rewrite(path: str, lines: Iterable[bytes]) -> None:
    """Replace `path` with `lines` atomically: written to `path.rewrite`, synced, then renamed over it."""
    temporary = path + REWRITE_SUFFIX
    try:
        with open(temporary, "wb") as file:
            for raw in lines:
                file.write(raw)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        _remove_quietly(temporary)
        raise StopExport(
            f"cannot rewrite {path} to resume it: {exc.strerror or exc}; it is unchanged (free some space, then "
            "rerun with --resume)"
        ) from None
    _sync_directory(path)


def _truncate(path: str, size: int) -> None:
    try:
        os.truncate(path, size)
    except OSError as exc:
        raise StopExport(f"cannot repair {path}: {exc.strerror or exc}") from None


def _append_newline(path: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"\n")
        finally:
            os.close(fd)
    except OSError as exc:
        raise StopExport(f"cannot repair {path}: {exc.strerror or exc}") from None


def _sync_directory(path: str) -> None:
    """Make a rename durable across a power cut, where the file system allows (a kill needs no sync: the page cache
    outlives the process, and the rename is done either way)."""
    with contextlib.suppress(OSError):
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


# ---------------------------------------------------------------------------------------------------------------------
# What the export was made from, kept beside it.


class Identity(NamedTuple):
    """One setting an export file is bound to: its meta key, the option that sets it, a word for it, its value
    (None: the option was not given)."""

    key: str
    option: str
    label: str
    value: str | None


def meta_path(path: str) -> str:
    """The file beside an export that records what it was exported from."""
    return path + META_SUFFIX


def check_identity(path: str, identity: Sequence[Identity]) -> bool:
    """Refuse (`UsageError`) to resume `path` when its meta file names other settings; False when it has none."""
    meta = meta_path(path)
    try:
        with open(meta, "rb") as file:
            data = json.loads(file.read())
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise UsageError(f"cannot read {meta}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or data.get("format") != _META_FORMAT:
        raise UsageError(
            f"{meta} is not the settings file of an export: delete it to resume {path} without checking its "
            "settings, or pass --overwrite to start again"
        )
    for item in identity:
        stored = data.get(item.key)
        if stored != item.value:
            raise UsageError(
                f"{path} was exported with another {item.label} ({item.option}): {_shown(stored)}, not "
                f"{_shown(item.value)}; resume it with the same settings, choose another --out, or pass --overwrite "
                "to replace it"
            )
    return True


def _shown(value: object) -> str:
    return "none" if value is None else repr(value)


def write_identity(path: str, identity: Sequence[Identity]) -> None:
    """Record beside `path` what it is exported from, atomically (a temporary file renamed over the old one)."""
    data = {"format": _META_FORMAT, **{item.key: item.value for item in identity}}
    write_text_atomic(meta_path(path), json.dumps(data, indent=2))


def write_text_atomic(path: str, text: str) -> None:
    """Write `text` and a newline to `path` whole or not at all (a temporary file renamed over the old one)."""
    temporary = path + ".tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        os.replace(temporary, path)
    except OSError as exc:
        _remove_quietly(temporary)
        raise StopExport(f"cannot write {path}: {exc.strerror or exc}") from None
