"""The hook through which a bulk run paces every attempt of every call it makes, retries included."""

from __future__ import annotations

from typing import Protocol

from ._exceptions import ModelArtsError

__all__ = ["Pacer"]


class Pacer(Protocol):
    """Asked before each HTTP attempt and told how it ended; a single call runs without one."""

    async def before_attempt(self) -> None:
        """Wait until a new attempt may start (a rate limit, or a pause the service asked for)."""

    def after_attempt(self, error: ModelArtsError | None) -> None:
        """Learn how an attempt ended: None for an answer that is not an error, else the typed error."""
