"""`benchmarks/sync.py --quick` keeps working: every table is printed with its rows (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SYNC = Path(__file__).resolve().parents[2] / "benchmarks" / "sync.py"


@pytest.mark.slow
def test_quick_run_prints_every_table() -> None:
    pytest.importorskip("distributed", reason="the Dask rows need the [dask] extra")
    done = subprocess.run([sys.executable, str(SYNC), "--quick"], capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for heading in ("### Single calls (", "### Single calls in-process", "### `iter_samples` stream", "### Dask:"):
        assert heading in out, heading
    assert out.count("| **sync - async, added per call** |") == 2
    assert "| **sync - async, added per sample** |" in out
    assert "| **2 ÷ 1** |" in out
