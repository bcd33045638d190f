"""An exclusive lock on an export's output for the whole run, so two exports never append to one file.

The lock is `fcntl.flock` on a file beside the output (`FILE.lock`), not on the output itself: a resume may
replace the output by a rename (the atomic rewrite), and a lock on the old inode would then guard nothing. The OS
releases the lock when the process ends, however it ends (even SIGKILL), so a lock file left by a killed run
never blocks the next one. The holder writes its pid into the file so that the refused export can name it.

A run removes its lock file when it ends. A process that opened the file just before that removal could lock an
inode no longer at the path, so a lock counts only once the path still names the locked inode (else try again).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from typing import Self

from ._errors import StopExport, UsageError

__all__ = ["LOCK_SUFFIX", "OutputLock"]

LOCK_SUFFIX = ".lock"
#: Attempts to lock a lock file that other runs keep removing under us; each removal means a run ended.
_ATTEMPTS = 10
_PID_READS = 10


class OutputLock:
    """Hold `path` (the lock file) exclusively until `release()`; `StopExport` naming the pid of the holder."""

    def __init__(self, path: str, *, guarded: str) -> None:
        self.path, self.guarded = path, guarded
        self._fd: int | None = None

    def acquire(self) -> Self:
        for _ in range(_ATTEMPTS):
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise StopExport(self._busy(holder)) from None
            if self._still_at_path(fd):
                self._fd = fd
                _write_pid(fd)
                return self
            os.close(fd)  # a run that ended removed this file after we opened it: lock the new one
        raise StopExport(self._busy(None))

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise UsageError(f"cannot write {self.guarded}: {exc.strerror or exc}") from None

    def _still_at_path(self, fd: int) -> bool:
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (at_path.st_dev, at_path.st_ino) == (held.st_dev, held.st_ino)

    def _busy(self, holder: int | None) -> str:
        who = f"another export (pid {holder})" if holder else "another export"
        return f"{who} holds {self.guarded}: wait for it to end, or choose another --out"

    def release(self) -> None:
        """Remove the lock file and unlock it (in that order: no other run can lock the removed file and win)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.remove(self.path)
        os.close(fd)

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _write_pid(fd: int) -> None:
    with contextlib.suppress(OSError):  # the pid is for a message only
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _holder(fd: int) -> int | None:
    """The holder's pid, waiting a moment for a holder that has just locked the file to write it."""
    for _ in range(_PID_READS):
        pid = _read_pid(fd)
        if pid is not None:
            return pid
        time.sleep(0.01)  # before the event loop starts: nothing else to block
    return None


def _read_pid(fd: int) -> int | None:
    """The pid the holder wrote, or None when it has not written it yet (or wrote something else)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
