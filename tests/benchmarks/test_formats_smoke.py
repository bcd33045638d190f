"""The formats benchmark keeps working: a tiny run prints both tables with a row per format (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "formats.py"


def test_tiny_run_prints_speed_and_memory_tables() -> None:
    command = [sys.executable, str(SCRIPT), "--sizes", "100", "300", "--reps", "1", "--formats", "coco", "yolo"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=110, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "| format | samples/s | ÷ parse |" in done.stdout
    assert "| format | 100 | 300 | growth | verdict |" in done.stdout
    for row in ("parse only", "coco", "yolo"):
        assert done.stdout.count(f"| {row} |") == 2, row
