"""The benchmark harness keeps working: `run.py --quick` runs every row against its loopback upstream.

No timing is asserted (benchmarks are not tests); only that each row produced numbers and the tables are printed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs every benchmark row end to end

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.mark.timeout(200)  # ~50-70 s alone; the CI machine may be busy
def test_quick_run_prints_every_table_with_every_row() -> None:
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick"], capture_output=True, text=True, timeout=180, check=False
    )

    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "| latency | C | client | N | wall s | images/s |" in out
    assert "images/s ÷ aiohttp" in out
    assert "| target | goal | measured | verdict |" in out
    for label in (
        "raw aiohttp.ClientSession",
        "raw httpx.AsyncClient (default transport)",
        "raw httpx.AsyncClient over httpx-aiohttp",
        "modelarts_async single-call",
        "modelarts_async batch_size=100",
        "sync httpx.Client, sequential",
        "raw aiohttp.ClientSession on uvloop",
        "modelarts_async single-call on uvloop",
    ):
        # a row per latency (0 and 50 ms) in the main table and in the ratio table
        assert out.count(f"| {label} |") == 4, label
    assert "Import: `import modelarts_async` adds" in out
    assert "Memory (bulk" in out
    assert "List pages (`benchmarks/converter.py`" in out
