"""pytest plugin (registered through the `pytest11` entry point): the `fake_modelarts` fixture.

pytest loads it in every session of every project that installs us, so it imports the fake only when asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._fake import FakeModelArts


@pytest.fixture
def fake_modelarts() -> FakeModelArts:
    """A fresh, empty `FakeModelArts`: add jobs, then use `fake_modelarts.client()` or `async with .serve()`."""
    from ._fake import FakeModelArts

    return FakeModelArts()
