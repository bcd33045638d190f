"""The output of one export, owned for its whole life by an `ExportOutput`, which both kinds of export use:

    open:    check (--resume / --overwrite / '-') ─▶ lock (FILE.lock, for the whole run) ─▶ check the sidecar
    resume:  index the output's keys (a listing) ─▶ repair or rewrite it against the index (`_jsonl_file`)
    write:   the first line creates the file (emptying it under --overwrite) and its sidecar; each line is whole
    finish:  a run that ended normally leaves its file even with no line; then the report and the exit code
    close:   unlock

`_export.export_ids` (an ids file) and `_listing.export_listing` (a whole list) never touch the file, its sidecar
or its lock otherwise. Nothing is created before the first line, so a run that fails at its start (a dataset that
does not exist, rejected credentials) leaves no file behind, and `--overwrite` keeps the old file until then.

`OutputPaths` names the files of one output. A format directory (`--out DIR`, with `DIR/samples.jsonl` as the
resumable source of truth and `DIR/errors.jsonl` beside it) is one more `OutputPaths` and a writer fed by `write`;
the check, lock, resume and report stay as they are.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple, Self

from ._errors import EXIT_OK, EXIT_SOME_FAILED, StopExport, UsageError
from ._ids_file import IdIndex, IdsFile
from ._jsonl_file import (
    ExportFile,
    FileLines,
    Identity,
    LineWriter,
    ResumeState,
    StdoutLines,
    check_identity,
    meta_path,
    prepare_resume,
    write_identity,
)
from ._lock import LOCK_SUFFIX, OutputLock
from ._progress import Console, Progress
from ._settings import STDOUT, ExportSettings

__all__ = ["ExportOutput", "OutputPaths", "spooled_key"]


class OutputPaths(NamedTuple):
    """The files of one output: its JSON lines (what a resume reads), the settings sidecar, and the lock."""

    lines: str
    meta: str
    lock: str

    @classmethod
    def of_file(cls, path: str) -> OutputPaths:
        """`FILE`, `FILE.meta.json` and `FILE.lock`."""
        return cls(path, meta_path(path), path + LOCK_SUFFIX)


def spooled_key(key: str) -> bytes:
    """`key` as one line of a spool file: a JSON string, ASCII only, with no newline and no surrounding space."""
    return json.dumps(key).encode()


class ExportOutput:
    """Where an export's lines go, from the first check to the exit code (see the module docstring).

    Use it in `with`: entering checks and locks the output (`UsageError`/`StopExport` saying what to do), leaving
    closes and unlocks it.
    """

    def __init__(
        self, settings: ExportSettings, identity: Sequence[Identity], key_field: str, console: Console
    ) -> None:
        self.settings, self.identity, self.key_field, self.console = settings, identity, key_field, console
        self.paths = None if settings.out == STDOUT else OutputPaths.of_file(settings.out)
        self.name = "standard output" if self.paths is None else settings.out
        #: Whether the output held lines when the run started (a resume continues them; --overwrite replaces them).
        self.existing = False
        #: What a resume found in the output; all zero for a new one.
        self.state = ResumeState()
        self._checked = False  # the sidecar named the same settings
        self._lock: OutputLock | None = None
        self._lines: LineWriter | None = None

    # -- open and close ------------------------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        if self.paths is None:
            if self.settings.resume:
                raise UsageError("--resume needs a file: --out - writes to standard output, which cannot be resumed")
            return self
        self._lock = OutputLock(self.paths.lock, guarded=self.name).acquire()
        try:
            self._check()
        except BaseException:
            self.close()
            raise
        return self

    def _check(self) -> None:
        settings, out = self.settings, self.name
        self.existing = _has_data(out)
        if self.existing and not settings.resume and not settings.overwrite:
            raise UsageError(f"{out} exists: pass --resume to continue that export, or --overwrite to replace it")
        if os.path.isdir(out) or (os.path.exists(out) and not os.access(out, os.W_OK)):
            raise UsageError(f"cannot write {out}: {'Is a directory' if os.path.isdir(out) else 'Permission denied'}")
        if self.resuming and settings.keep_identity:
            self._checked = check_identity(out, self.identity)  # before any work: a mismatch is refused at once

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        lines, self._lines = self._lines, None
        if lines is not None:
            lines.close()
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def note(self, text: str) -> None:
        """An informational line (none under `--quiet`)."""
        if not self.settings.quiet:
            self.console.line(text)

    # -- resume --------------------------------------------------------------------------------------------------------

    @property
    def resuming(self) -> bool:
        """Whether this run continues lines the output already holds."""
        return self.settings.resume and self.existing

    def resume(self, index: IdIndex, *, encode_key: Callable[[str], bytes] = str.encode) -> ResumeState:
        """Leave the output holding at most one line per id of `index` (cut a torn line, drop the error lines to
        retry and repeats), set each id's state from its line, and record the settings if the sidecar was missing."""
        out, settings = self.name, self.settings
        missing_meta = settings.keep_identity and not self._checked
        if missing_meta:
            self.note(f"resume: {meta_path(out)} is missing, so {out}'s settings cannot be checked; recording these")
        state = prepare_resume(out, self.key_field, index, retry_failed=settings.retry_failed, encode_key=encode_key)
        if missing_meta:
            write_identity(out, self.identity)
        if state.cut_bytes:
            self.note(f"resume: cut a truncated last line ({state.cut_bytes} bytes) off {out}")
        if state.repeats_dropped:
            self.note(f"resume: dropped {state.repeats_dropped:,} repeated lines from {out}")
        self.state = state
        return state

    @contextlib.contextmanager
    def indexed_keys(self) -> Iterator[IdIndex]:
        """An index of the keys of the output's whole lines, over a spool of them (`spooled_key`), for a resume
        that has no ids file (a listing); `UsageError` for a damaged output."""
        out = self.name
        try:
            spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by IdsFile)
        except OSError as exc:
            raise StopExport(f"cannot create a temporary file to resume {out}: {exc.strerror or exc}") from None
        with IdsFile(spool, f"the keys of {out}") as keys:
            try:
                with open(spool.fileno(), "wb", buffering=1 << 20, closefd=False) as buffered:
                    for line in ExportFile(out, self.key_field):
                        buffered.write(spooled_key(line.key) + b"\n")
            except OSError as exc:
                raise StopExport(f"cannot spool the keys of {out} to resume it: {exc.strerror or exc}") from None
            yield IdIndex(keys)

    # -- write ---------------------------------------------------------------------------------------------------------

    def write(self, line: bytes) -> None:
        """Append one whole line; the first one creates the output. `StopExport` when it cannot take the line."""
        lines = self._lines or self._start()
        try:
            lines.write(line)
        except OSError as exc:
            raise StopExport(self._write_failure(exc)) from None

    def _start(self) -> LineWriter:
        """Open the output for its first line: a new one is made (an old one emptied) before its sidecar, so the
        sidecar never describes old lines."""
        if self.paths is None:
            self._lines = StdoutLines()
            return self._lines
        out = self.name
        try:
            lines = FileLines(out)
        except OSError as exc:
            raise StopExport(f"cannot write {out}: {exc.strerror or exc}") from None
        self._lines = lines
        if not self.resuming:
            if self.existing:
                _truncate(out)
            if self.settings.keep_identity:
                write_identity(out, self.identity)
        return lines

    def _write_failure(self, exc: OSError) -> str:
        if isinstance(exc, BrokenPipeError):
            return f"{self.name} was closed by its reader; stopped"
        reason = exc.strerror or str(exc)
        return (
            f"cannot write {self.name}: {reason}; make room, then rerun with --resume (the last line may be cut; "
            "--resume removes it)"
        )

    # -- finish and report ---------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """The run ended normally: make sure the output exists, even when it had no line to write."""
        if self._lines is None:
            self._start()

    def report(self, progress: Progress) -> int:
        """The summary, and the exit code of what the output now holds: 2 when any line in it is an error."""
        progress.close()
        settings, state, console = self.settings, self.state, self.console
        failed = state.failed_kept + state.other_failed + progress.failed
        if not settings.quiet:
            console.line(f"exported {progress.summary()} -> {self.name}")
            earlier = state.failed_kept + state.other_failed
            if earlier:
                console.line(f"{self.name} also holds {_ids(earlier)} that failed in earlier runs")
            if failed and self.paths is not None:
                retry = " (without --no-retry-failed)" if state.failed_kept else ""
                console.line(f"{_ids(failed)} failed: rerun with --resume{retry} to retry them")
        return EXIT_SOME_FAILED if failed else EXIT_OK


def _ids(count: int) -> str:
    return f"{count:,} id" if count == 1 else f"{count:,} ids"


def _has_data(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def _truncate(path: str) -> None:
    try:
        os.truncate(path, 0)
    except OSError as exc:
        raise StopExport(f"cannot write {path}: {exc.strerror or exc}") from None
