"""The one stdlib logger of this library, quiet unless the application configures logging."""

from __future__ import annotations

import logging

__all__ = ["logger"]

#: Every log line of this library goes here. Retries are INFO (they are routine in a bulk run); giving up and
#: run-wide throttling pauses are WARNING.
logger = logging.getLogger("modelarts_async")
logger.addHandler(logging.NullHandler())
