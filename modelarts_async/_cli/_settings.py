"""`ExportSettings`: the command line of one export, as the output and the engine read it."""

from __future__ import annotations

from typing import NamedTuple

from ._shard import Shard

__all__ = ["STDOUT", "ExportSettings"]

#: `--out -`: the lines go to standard output (no resume, no lock, no settings file).
STDOUT = "-"


class ExportSettings(NamedTuple):
    """The command line of one export."""

    out: str
    #: The ids file ('-': standard input); "" for an export of a whole list.
    ids: str = ""
    resume: bool = False
    overwrite: bool = False
    retry_failed: bool = True
    progress_interval: float = 10.0
    quiet: bool = False
    #: Record the source's settings beside the output (`--resume` checks them); the demo does not.
    keep_identity: bool = True
    #: `--shard I/N`: export only the ids of the ids file that fall in this shard.
    shard: Shard | None = None
