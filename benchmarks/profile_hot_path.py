"""Where one single-image request spends its CPU: ours versus raw httpx over httpx-aiohttp and raw aiohttp, 0 ms.

Needs py-spy in your venv (`pip install py-spy`; not a project dependency). Starts the loopback upstream, runs each
client row of `clients.py` (C=64 by default) under `py-spy record --format raw` (a sampler outside the process, so
the profile is not skewed towards call-heavy code), keeps the samples taken inside the event loop, and charges
each sample to the innermost frame that belongs to a known layer: our modules one by one, httpx, httpx-aiohttp,
aiohttp, asyncio, the benchmark loop. Other libraries and the stdlib (cattrs, json, hmac, yarl, multidict, ...)
count for the layer that called them. Prints µs per request per layer, using the run's own CPU per request.

    python benchmarks/profile_hot_path.py [--n 6000] [--c 64] [--rows ours,httpx-aiohttp,aiohttp]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Upstream  # noqa: E402  (benchmarks/ is not a package)

_LAYERS = (
    ("httpx_aiohttp/", "httpx-aiohttp"),
    ("httpx/", "httpx"),
    ("httpcore/", "httpcore"),
    ("aiohttp/", "aiohttp"),
    ("asyncio/", "asyncio (loop, tasks, futures)"),
    ("selectors.py", "asyncio (loop, tasks, futures)"),
)


def layer(frame: str) -> str | None:
    """The layer of one py-spy frame `func (path:line)`, or None for code charged to its caller."""
    where = frame.rpartition(" (")[2]
    path = where.rsplit(":", 1)[0]
    if "modelarts_async/" in path:
        return "ours: " + Path(path).stem.lstrip("_")
    if path.endswith("clients.py"):
        return "benchmark loop"
    return next((name for marker, name in _LAYERS if marker in path), None)


_SETUP = re.compile(r"(^|;)_?run_[a-z_]+ \([^;]*clients\.py")


def attribute(raw: str) -> Counter[str]:
    """Samples per layer, from py-spy's raw (collapsed) output; only samples inside the event loop count."""
    totals: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if "run_until_complete" not in stack or ";<module>" in stack:
            continue  # interpreter start-up and imports (aiohttp is imported lazily, inside the loop)
        if _SETUP.search(stack) and "worker" not in stack:
            continue  # the row's own coroutine outside its workers: building the client, closing it
        owner = "other"
        for frame in stack.split(";"):
            owner = layer(frame) or owner
        totals[owner] += int(count)
    return totals


def profile(py_spy: str, row: str, base_url: str, n: int, c: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "raw.txt"
        command = [py_spy, "record", "--format", "raw", "-r", "1000", "-o", str(out), "--"]
        command += [sys.executable, str(HERE / "clients.py"), row, "--base-url", base_url, "--n", str(n)]
        command += ["--c", str(c), "--deadline", "60"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
        result = json.loads(next(x for x in reversed(done.stdout.splitlines()) if x.startswith("{")))
        totals = attribute(out.read_text())
    per_request = result["cpu"] / result["images"] * 1e6
    sampled = sum(totals.values())
    print(f"\n### {row}: {result['images']} requests at C={c}, {per_request:,.0f} µs CPU each (unprofiled share)")
    if result.get("mode"):
        print(f"({result['mode']})")
    print("\n| layer | µs/request | share |\n|---|---|---|")
    for name, samples in totals.most_common():
        print(f"| {name} | {samples / sampled * per_request:,.0f} | {samples / sampled:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--c", type=int, default=64)
    parser.add_argument("--rows", default="ours,httpx-aiohttp,aiohttp")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy (in your venv; not a project dependency)")
    upstream = Upstream(0)
    try:
        for row in args.rows.split(","):
            profile(py_spy, row, upstream.base_url, args.n, args.c)
    finally:
        upstream.close()


if __name__ == "__main__":
    main()
