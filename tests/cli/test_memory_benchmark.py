"""`benchmarks/cli_memory.py` keeps working: a small size runs both cases and prints the table (no RSS asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the CLI memory benchmark end to end

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "cli_memory.py"


def test_a_small_run_measures_export_and_resume(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "10000", "--stop-after", "2000", "--keep", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| ids | case | peak RSS MB | wall s | exit | notes |" in done.stdout
    assert "| 10,000 | export |" in done.stdout
    assert "| 10,000 | resume |" in done.stdout
    assert "10,000 lines at the end (ok)" in done.stdout
