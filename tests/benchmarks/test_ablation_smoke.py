"""The ablation benchmark keeps working: a tiny run prints one row per variant asked for (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ablation.py"


def test_tiny_run_prints_a_row_per_variant() -> None:
    variants = ["raw", "raw-ours-shape", "ours", "ours-single-calls"]
    command = [sys.executable, str(SCRIPT), "--n", "200", "--c", "8", "--reps", "1", "--variants", ",".join(variants)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=110, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "| variant | what it is | µs/request (median, range) |" in done.stdout
    for variant in variants:
        assert done.stdout.count(f"| {variant} |") == 1, variant


def test_an_unknown_variant_is_named() -> None:
    command = [sys.executable, str(SCRIPT), "--variants", "raw,ours-fast"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode != 0
    assert "unknown variants: ours-fast" in done.stderr
