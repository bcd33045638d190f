"""Peak memory of `modelarts-async export` for millions of ids: a fresh export, and a `--resume` of a finished one.

    python benchmarks/cli_memory.py                       # 1M and 10M ids (10M needs ~1.5 GB of disk, a few minutes)
    python benchmarks/cli_memory.py --sizes 1000000 --keep /tmp/cli-memory

For each size N it writes N distinct 32-character ids (plus 1% repeats) and runs the real command against the
bundled fake (`python -m modelarts_async.testing serve`, 127.0.0.1), which knows none of them, so every id becomes a
quick error line: the numbers are about reading the ids and the output, not about fetching.

- **export**: a new export of the N ids, stopped (SIGINT) once 20,000 lines are written, i.e. after every id was
  read, counted and indexed and the run is in full flow.
- **resume**: `--resume` of an export holding a line for every id but 2,000, of which 1,000 are error lines: it
  reads the ids, reads the output against them, rewrites it without the error lines, fetches the 3,000 ids left
  and ends by itself; then the file is checked to hold exactly N lines.

Peak RSS is the child's `ru_maxrss` (from `wait4`); the target is 150 MB at 10M ids (README, "Export labels from the
command line"). Prints a markdown table on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

JOB = "demo-classification"
PROJECT = "benchmark"
STOP_AFTER_LINES = 20_000
TO_FETCH, TO_RETRY = 2_000, 1_000
TARGET_MB = 150.0


class Measured(NamedTuple):
    ids: int
    case: str
    peak_mb: float
    wall: float
    exit_code: int
    note: str


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def write_ids(path: Path, count: int, seed: int) -> None:
    """`count` distinct 32-hex ids, then about 1% of them again (repeats are exported once)."""
    rng = random.Random(seed)
    with path.open("w") as file:
        for start in range(0, count, 100_000):
            file.writelines(f"{rng.getrandbits(128):032x}\n" for _ in range(min(100_000, count - start)))
    repeats = random.Random(seed + 1)
    with path.open("a") as file, path.open() as source:
        for n, line in enumerate(source):
            if n >= count:
                break
            if repeats.random() < 0.01:
                file.write(line)


def write_finished_export(ids: Path, out: Path, count: int, endpoint: str) -> None:
    """An export of every id but the last `TO_FETCH`, `TO_RETRY` of them error lines, and its settings file."""
    retry_every = max(1, (count - TO_FETCH) // TO_RETRY)
    with ids.open() as source, out.open("w") as file:
        for n, line in enumerate(source):
            if n >= count - TO_FETCH:
                break
            image_id = line.strip()
            if n % retry_every == 0 and n // retry_every < TO_RETRY:
                file.write(json.dumps({"image_id": image_id, "error": {"type": "ServerError"}}) + "\n")
            else:
                file.write(json.dumps({"image_id": image_id, "tags": ["cat", "dog"]}) + "\n")
    meta = {"format": "modelarts-async export", "endpoint": endpoint, "project_id": PROJECT, "data_annotation_id": JOB}
    Path(str(out) + ".meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def run_export(
    endpoint: str, ids: Path, out: Path, *extra: str, stop_after: int | None = None
) -> tuple[float, float, int]:
    """Run the command; with `stop_after`, interrupt it once `out` holds that many lines. Returns (peak MB, s, code)."""
    args = [sys.executable, "-m", "modelarts_async", "export", "--endpoint", endpoint, "--project-id", PROJECT]
    args += ["--data-annotation-id", JOB, "--ids", str(ids), "--out", str(out), "--concurrency", "64", "-q", *extra]
    args.append("--keep-going")  # the fake holds none of these random ids: export them anyway, it is memory we measure
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
    if stop_after is not None:
        # The command is another process: nothing to wait on but its output growing.
        while proc.poll() is None and (not out.exists() or count_lines(out) < stop_after):
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - started, proc.returncode


def measure(count: int, workdir: Path, endpoint: str, stop_after: int) -> list[Measured]:
    ids, out = workdir / f"ids-{count}.txt", workdir / f"out-{count}.jsonl"
    log(f"{count:,} ids: writing {ids}")
    write_ids(ids, count, seed=count)
    results = []

    log(f"{count:,} ids: export, interrupted after {stop_after:,} lines")
    peak, wall, code = run_export(endpoint, ids, out, "--overwrite", stop_after=stop_after)
    results.append(Measured(count, "export", peak, wall, code, f"stopped at {count_lines(out):,} lines"))

    log(f"{count:,} ids: writing a finished export of {count - TO_FETCH:,} lines")
    write_finished_export(ids, out, count, endpoint)
    log(f"{count:,} ids: --resume")
    peak, wall, code = run_export(endpoint, ids, out, "--resume")
    lines = count_lines(out)
    check = "ok" if lines == count else f"WRONG: expected {count:,}"
    results.append(Measured(count, "resume", peak, wall, code, f"{lines:,} lines at the end ({check})"))
    for path in (ids, out, Path(str(out) + ".meta.json")):
        path.unlink(missing_ok=True)
    return results


def start_fake() -> tuple[subprocess.Popen[bytes], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "modelarts_async.testing", "serve", "--port", "0", "--images", "10"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert server.stdout is not None
    url = server.stdout.readline().decode().strip()
    if not url:
        raise SystemExit("the fake server did not start")
    return server, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated id counts (default: 1M,10M)")
    parser.add_argument(
        "--stop-after",
        type=int,
        default=STOP_AFTER_LINES,
        metavar="LINES",
        help=f"interrupt the export after this many lines (default: {STOP_AFTER_LINES})",
    )
    parser.add_argument("--keep", metavar="DIR", help="work in DIR (default: a temporary directory, removed)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="cli-memory-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server, endpoint = start_fake()
    try:
        results = [row for size in sizes for row in measure(size, workdir, endpoint, args.stop_after)]
    finally:
        server.terminate()
        server.wait()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print("| ids | case | peak RSS MB | wall s | exit | notes |")
    print("|---:|---|---:|---:|---:|---|")
    for row in results:
        print(f"| {row.ids:,} | {row.case} | {row.peak_mb:.0f} | {row.wall:.1f} | {row.exit_code} | {row.note} |")
    worst = max((row.peak_mb for row in results if row.ids >= 10_000_000), default=None)
    if worst is not None:
        verdict = "met" if worst <= TARGET_MB else "MISSED"
        print(f"\nTarget: peak RSS ≤ {TARGET_MB:.0f} MB at 10M ids: {verdict} ({worst:.0f} MB at most).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
