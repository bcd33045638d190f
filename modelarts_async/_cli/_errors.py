"""How the `modelarts-async` command ends: its exit codes and the two exceptions that end a run early.

UsageError   the command line, an input file or the configuration is wrong: exit 1 with its message
StopExport   a failure every id would share (rejected credentials, a missing API), or the output cannot be
             written: exit 1; lines already written stay whole, so `--resume` continues
"""

from __future__ import annotations

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE", "StopExport", "UsageError"]

#: 0 every id succeeded; 2 some ids failed (their lines say why); 1 usage, configuration, credentials, or an output
#: that cannot be written; 130 interrupted.
EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A problem with the command line, the input files or the configuration: exit 1 with this message."""


class StopExport(Exception):
    """A failure that ends the run before its end (exit 1); `hints` are further lines for the user."""

    def __init__(self, message: str, *hints: str) -> None:
        super().__init__(message)
        self.hints = hints
