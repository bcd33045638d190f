"""Benchmark of `download_images` against raw aiohttp downloading the same pre-signed URLs, and its memory.

Starts `python -m modelarts_async.testing serve` (the bundled fake: a generated dataset whose samples' `source` URLs
serve real PNGs, padded to about `--image-kb` KB) in its own process at `--latency` (default 50 ms), runs every cell
in a fresh client subprocess (clean RSS and CPU), interleaving ours and raw in each repetition, and prints markdown
tables of medians (with min-max ranges) and ratios, all from the same run:

- throughput: the sample list is read first (not timed), then `download_images(samples, dir, concurrency=C)` and
  raw aiohttp with C workers (`GET`, read, write the file) fetch the same `--images` URLs into an empty folder;
- memory: `download_images(client.list_samples(...))` streaming the whole dataset, peak RSS of the client process,
  for `--rss-small` (default 1,000) and `--images` samples: it must not grow with the count.

    python benchmarks/images.py                         # 10,000 images, 3 reps: several minutes on 2 cores
    python benchmarks/images.py --images 2000 --reps 1  # a loaded machine

Target (issue 18): images/s ≥ 0.9x raw aiohttp at 50 ms, concurrency 32; peak RSS independent of the image count.
Not part of CI. Only 127.0.0.1 is used; requests are unsigned (the fake checks no auth here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from fake_server import FakeServer

DATASET = "DemoDataset00000001"  # modelarts_async.testing.DEMO_DATASET_ID, without importing it in the harness
PROJECT = "bench-project"
ROWS = {"ours": "download_images", "raw": "raw aiohttp, same URLs"}


def start_fake(images: int, latency: float, padding: int) -> FakeServer:
    """The fake serving `images` samples whose images are padded by `padding` bytes, URLs valid for a day."""
    options = ["--images", str(images), "--latency", str(latency), "--image-padding", str(padding)]
    return FakeServer(*options, "--image-url-ttl", "86400")


# --- one cell, in a subprocess ------------------------------------------------------------------------------------


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _sources(client: Any, limit: int) -> list[Any]:
    async with client.list_samples(dataset_id=DATASET) as listing:
        samples = []
        async for sample in listing:
            samples.append(sample)
            if len(samples) == limit:
                break
    return samples


async def _ours(url: str, limit: int, concurrency: int, out_dir: str) -> dict[str, Any]:
    from modelarts_async import ModelArtsClient

    async with ModelArtsClient(url, project_id=PROJECT) as client:
        samples = await _sources(client, limit)
        failed, total_bytes = 0, 0
        cpu, started = _cpu(), time.perf_counter()
        async with client.download_images(samples, out_dir, dataset_id=DATASET, concurrency=concurrency) as downloads:
            async for download in downloads:
                failed += not download.ok
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
    total_bytes = sum(entry.stat().st_size for entry in os.scandir(out_dir))
    return {"n": len(samples), "wall": wall, "cpu": cpu, "failed": failed, "bytes": total_bytes}


async def _raw(url: str, limit: int, concurrency: int, out_dir: str) -> dict[str, Any]:
    import aiohttp

    from modelarts_async import ModelArtsClient

    async with ModelArtsClient(url, project_id=PROJECT) as client:
        samples = await _sources(client, limit)
    jobs = iter(samples)
    failed = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            nonlocal failed
            for sample in jobs:
                async with session.get(sample.source) as answer:
                    body = await answer.read()
                failed += answer.status != 200
                # A plain blocking write, as a hand-written downloader does (the fastest baseline for small files).
                with open(os.path.join(out_dir, f"{sample.sample_id}.png"), "wb") as file:  # noqa: ASYNC230
                    file.write(body)

        cpu, started = _cpu(), time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
    return {"n": len(samples), "wall": wall, "cpu": cpu, "failed": failed}


async def _streaming(url: str, limit: int, concurrency: int, out_dir: str) -> dict[str, Any]:
    from modelarts_async import ModelArtsClient

    async with ModelArtsClient(url, project_id=PROJECT) as client:
        seen, failed = 0, 0
        started = time.perf_counter()
        listing = client.list_samples(dataset_id=DATASET)
        async with listing, client.download_images(listing, out_dir, dataset_id=DATASET, concurrency=concurrency) as d:
            async for download in d:
                seen += 1
                failed += not download.ok
                if seen == limit:
                    break
        wall = time.perf_counter() - started
    return {"n": seen, "wall": wall, "failed": failed, "peak_rss_mb": _peak_rss_mb()}


CELLS = {"ours": _ours, "raw": _raw, "streaming": _streaming}


def cell_main(args: argparse.Namespace) -> None:
    result = asyncio.run(CELLS[args.cell](args.url, args.limit, args.concurrency, args.out_dir))
    print(json.dumps(result))


def run_cell(url: str, cell: str, limit: int, concurrency: int) -> dict[str, Any]:
    out_dir = tempfile.mkdtemp(prefix="bench-images-")
    try:
        command = [sys.executable, __file__, "--cell", cell, "--url", url, "--limit", str(limit)]
        command += ["--concurrency", str(concurrency), "--out-dir", out_dir]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{cell} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


# --- the run ------------------------------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rates(runs: list[dict[str, Any]]) -> list[float]:
    return [run["n"] / run["wall"] for run in runs]


def _spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000, help="images downloaded (and samples in the dataset)")
    parser.add_argument("--rss-small", type=int, default=1_000, help="the smaller streaming run, for peak RSS")
    parser.add_argument("--image-kb", type=int, default=50, help="about how big each image is")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each answer of the fake")
    parser.add_argument("--concurrency", type=int, default=32, help="downloads in flight")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per cell, interleaved (medians reported)")
    parser.add_argument("--cell", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cell:
        cell_main(args)
        return
    # The generated samples are 1920x1080, 1280x720 or 640x480 grey PNGs (1-6 KB): padding brings them to ~image-kb.
    padding = max(0, args.image_kb * 1024 - 4 * 1024)
    started = time.perf_counter()
    runs: dict[str, list[dict[str, Any]]] = {row: [] for row in ROWS}
    streaming: dict[int, dict[str, Any]] = {}
    _log(f"starting the fake with {args.images:,} samples at {args.latency * 1000:g} ms ...")
    server = start_fake(args.images, args.latency, padding)
    try:
        for rep in range(args.reps):
            order = list(ROWS) if rep % 2 == 0 else list(reversed(ROWS))
            for row in order:
                _log(f"[{rep + 1}/{args.reps}] {ROWS[row]}, {args.images:,} images")
                runs[row].append(run_cell(server.url, row, args.images, args.concurrency))
        for count in (args.rss_small, args.images):
            _log(f"streaming list_samples -> download_images, {count:,} images (peak RSS)")
            streaming[count] = run_cell(server.url, "streaming", count, args.concurrency)
    finally:
        server.close()
    if any(run["failed"] for row_runs in (*runs.values(), list(streaming.values())) for run in row_runs):
        raise SystemExit("some downloads failed: the numbers would not compare like with like")
    report(args, runs, streaming, time.perf_counter() - started)


def report(
    args: argparse.Namespace,
    runs: dict[str, list[dict[str, Any]]],
    streaming: dict[int, dict[str, Any]],
    elapsed: float,
) -> None:
    print(f"# Image download benchmark ({platform.python_version()}, {os.cpu_count()} CPUs, {args.reps} reps)")
    print()
    print(f"Load average at the end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}: the client and")
    print("the fake share this machine's CPUs, so anything else running skews the rates.")
    print()
    size_kb = runs["ours"][0]["bytes"] / runs["ours"][0]["n"] / 1024
    print(
        f"## {args.images:,} images of ~{size_kb:.0f} KB at {args.latency * 1000:g} ms, concurrency {args.concurrency}"
        " (median, min-max)"
    )
    print()
    print("| client | images/s | wall s | client CPU µs/image |")
    print("|---|---|---|---|")
    for row, label in ROWS.items():
        walls = [run["wall"] for run in runs[row]]
        cpu = [run["cpu"] / run["n"] * 1e6 for run in runs[row]]
        print(f"| {label} | {_spread(_rates(runs[row]), ',.0f')} | {_spread(walls, '.2f')} | {_spread(cpu, ',.0f')} |")
    ideal = args.concurrency / args.latency
    print()
    print(f"(The latency-bound ideal is {ideal:,.0f} images/s.)")
    print()
    ratio = statistics.median(_rates(runs["ours"])) / statistics.median(_rates(runs["raw"]))
    paired = [o / r for o, r in zip(_rates(runs["ours"]), _rates(runs["raw"]), strict=True)]
    small, large = streaming[args.rss_small], streaming[args.images]
    growth = large["peak_rss_mb"] - small["peak_rss_mb"]
    print("## Ratios and targets")
    print()
    print("| measure | goal | measured | verdict |")
    print("|---|---|---|---|")
    print(
        f"| download_images ÷ raw aiohttp, images/s | ≥ 0.9x | {ratio:.2f}x (per rep {min(paired):.2f}-"
        f"{max(paired):.2f}) | {'met' if ratio >= 0.9 else 'NOT met'} |"
    )
    print(
        f"| peak RSS streaming {args.rss_small:,} → {args.images:,} images | independent of count "
        f"| {small['peak_rss_mb']:.1f} → {large['peak_rss_mb']:.1f} MB ({growth:+.1f} MB) "
        f"| {'met' if growth <= 10 else 'NOT met'} |"
    )
    print()
    print(f"Whole run: {elapsed:.0f} s.")


if __name__ == "__main__":
    main()
