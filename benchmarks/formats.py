"""Speed and memory of `modelarts_async.formats.convert_jsonl`: a generated JSONL export to each training format.

    python benchmarks/formats.py                    # 10,000 and 100,000 samples, 3 reps, every format
    python benchmarks/formats.py --sizes 2000 20000 --reps 1 --formats coco yolo   (a quick look)

The export holds samples as the CLI writes them (`samples.jsonl` lines), 3 labels each (two boxes and a polygon),
with `@modelarts:size` and a signed source URL. Each run is a fresh child process that converts the file and
reports its wall time for the conversion and its peak RSS (`ru_maxrss`); runs are interleaved (rep by rep, format
order rotating) and reported as medians with min-max ranges. The baseline row only reads and `json.loads` every
line, so `÷ parse` is a conversion's speed as a fraction of merely reading the export. Memory growth is the
peak at the largest size minus the peak at the smallest: the target is at most +20 MB from 10,000 to 100,000
samples (formats stream; COCO included). Prints markdown tables on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("coco", "yolo", "voc", "manifest", "csv")
BASELINE = "parse only"
TARGET_GROWTH_MB = 20.0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def write_export(path: Path, count: int, seed: int = 0) -> None:
    """`count` export lines of 3 labels each: two boxes and a polygon inside a 1920x1080 image."""
    rng = random.Random(seed)
    names = ("car", "bus", "person")
    with path.open("w", encoding="utf-8") as file:
        for index in range(count):
            labels = []
            for _ in range(2):
                x, y = rng.randrange(0, 1800), rng.randrange(0, 1000)
                feature = [[x, y], [x + rng.randrange(5, 120), y + rng.randrange(5, 80)]]
                labels.append(_label(rng.choice(names), "bndbox", feature))
            x, y = rng.randrange(0, 1800), rng.randrange(0, 1000)
            polygon = [[x, y], [x + 100, y], [x + 100, y + 70], [x + 40, y + 80]]
            labels.append(_label(rng.choice(names), "polygon", polygon))
            sample_id = f"{rng.getrandbits(96):024x}"
            record = {
                "sample_id": sample_id,
                "sample_type": 0,
                "labels": labels,
                "metadata": {"@modelarts:import_origin": 0, "@modelarts:size": [1920, 1080, 3]},
                "sample_status": "MANUAL_ANNOTATION",
                "source": f"https://bucket.obs.example.com/cars/{sample_id}.jpg?AccessKeyId=AK&Expires=1&Signature=S",
                "sample_time": 1700000000000 + index,
            }
            file.write(json.dumps(record) + "\n")


def _label(name: str, shape: str, feature: list[list[int]]) -> dict[str, object]:
    return {
        "name": name,
        "type": 1,
        "annotated_by": "human/alice/alice",
        "property": {"@modelarts:shape": shape, "@modelarts:feature": feature},
    }


# ---------------------------------------------------------------------------------------------------------------------
# One measured run, in a child process (so its peak RSS is its own).


def child(fmt: str, export: str, out: str) -> None:
    started = time.perf_counter()
    if fmt == BASELINE:
        with open(export, "rb") as file:
            for line in file:
                json.loads(line)
        samples = -1
    else:
        from modelarts_async.formats import convert_jsonl

        summary = convert_jsonl(export, fmt, out, splits="train=0.8,val=0.2", allow_lossy=True)  # type: ignore[arg-type]
        if summary.written.failed:
            raise SystemExit(f"{fmt}: the conversion failed: {summary}")
        samples = summary.written.samples
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "samples": samples}))


def measure(fmt: str, export: Path, work: Path) -> dict[str, float]:
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", fmt, str(export), str(out)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{fmt} on {export.name} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout)
    shutil.rmtree(out, ignore_errors=True)
    return result


# ---------------------------------------------------------------------------------------------------------------------
# Tables.


def median_range(values: list[float], digits: int = 0) -> str:
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def report(runs: dict[tuple[str, int], list[dict[str, float]]], sizes: list[int], formats: list[str]) -> None:
    small, large = min(sizes), max(sizes)
    parse_rate = [large / run["seconds"] for run in runs[(BASELINE, large)]]
    print(f"\n### Conversion speed, {large:,} samples (3 labels each), median (min-max) over {len(parse_rate)} reps\n")
    print("| format | samples/s | ÷ parse |")
    print("|---|---|---|")
    for fmt in [BASELINE, *formats]:
        rates = [large / run["seconds"] for run in runs[(fmt, large)]]
        ratio = statistics.median(rates) / statistics.median(parse_rate)
        print(f"| {fmt} | {median_range(rates)} | {ratio:.2f} |")
    print(f"\n### Peak RSS, MB, median (min-max): growth from {small:,} to {large:,} samples (target ≤ +20 MB)\n")
    print(f"| format | {small:,} | {large:,} | growth | verdict |")
    print("|---|---|---|---|---|")
    for fmt in [BASELINE, *formats]:
        low = [run["peak_mb"] for run in runs[(fmt, small)]]
        high = [run["peak_mb"] for run in runs[(fmt, large)]]
        growth = statistics.median(high) - statistics.median(low)
        verdict = "ok" if growth <= TARGET_GROWTH_MB else "OVER"
        print(f"| {fmt} | {median_range(low, 1)} | {median_range(high, 1)} | {growth:+.1f} | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="formats-bench-") as directory:
        work = Path(directory)
        exports = {}
        for size in args.sizes:
            exports[size] = work / f"samples-{size}.jsonl"
            write_export(exports[size], size)
            log(f"export of {size:,} samples: {os.path.getsize(exports[size]) / 1e6:.1f} MB")
        runs: dict[tuple[str, int], list[dict[str, float]]] = {}
        cases = [BASELINE, *args.formats]
        for rep in range(args.reps):
            order = cases[rep % len(cases) :] + cases[: rep % len(cases)]
            for fmt in order:
                for size in args.sizes:
                    result = measure(fmt, exports[size], work)
                    runs.setdefault((fmt, size), []).append(result)
                    log(f"rep {rep + 1} {fmt} {size:,}: {result['seconds']:.2f} s, {result['peak_mb']:.1f} MB")
        report(runs, args.sizes, args.formats)


if __name__ == "__main__":
    main()
