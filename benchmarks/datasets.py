"""Benchmark of the v2 dataset calls: list_samples' pages in flight, its memory, and iter_samples against raw aiohttp.

Starts `python -m modelarts_async.testing serve` (the bundled fake, with a generated detection dataset) in its own
process per upstream latency, runs every cell in a fresh client subprocess (clean RSS and CPU), and prints a markdown
table of medians and one of ratios, all from the same run:

- `list_samples` with `pages_in_flight=1` (one page request at a time: sequential paging), 4 and the default, and
  raw aiohttp paging sequentially with the same URLs, at `--latency` (default 50 ms), over a `--samples` dataset
  (default 100,000). The sequential rows list the first `--sequential-samples` (default 10,000): their rate is steady
  from the second page on, and listing 100,000 samples one page at a time takes over a minute per repetition.
- RSS growth while the default listing goes from 10,000 to all samples (current RSS, in the client process).
- `iter_samples(concurrency=C)` against raw aiohttp fetching the same sample URLs with C workers (`json.loads` of each
  body), `--ids` ids (default 5,000) taken from the dataset, at the same latency and at 0 ms (CPU-bound).

    python benchmarks/datasets.py                   # a few minutes on 2 cores
    python benchmarks/datasets.py --quick           # smoke run: small dataset, 1 repetition

Targets (issue 13): default pages in flight ≥ 5x the samples/s of sequential paging at 50 ms; RSS growth from 10k to
100k samples ≤ 10 MB. Not part of CI. Only 127.0.0.1 is used; requests are unsigned (the fake checks no auth here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from fake_server import FakeServer

DATASET = "DemoDataset00000001"  # modelarts_async.testing.DEMO_DATASET_ID, without importing it in the harness
PROJECT = "bench-project"

LIST_ROWS = {
    "list-1": "list_samples pages_in_flight=1",
    "list-4": "list_samples pages_in_flight=4",
    "list-default": "list_samples pages_in_flight=default",
    "raw-sequential": "raw aiohttp, sequential paging",
}
FETCH_ROWS = {
    "iter": "iter_samples",
    "raw-fetch": "raw aiohttp, same URLs",
}


# --- the upstream: the bundled fake, in its own process ------------------------------------------------------------


def start_fake(samples: int, latency: float) -> FakeServer:
    """The fake serving `samples` samples of its demo dataset, each answer after `latency` seconds."""
    return FakeServer("--images", str(samples), "--latency", str(latency))


# --- one cell, in a subprocess ------------------------------------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:  # current, not peak: growth is what matters
        return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _list(url: str, row: str, limit: int, rss_mark: int) -> dict[str, Any]:
    from modelarts_async import ModelArtsClient

    pages = {"list-1": 1, "list-4": 4}
    async with ModelArtsClient(url, project_id=PROJECT) as client:
        async with client.list_datasets() as warm_up:  # connections, imports and first-use caches
            _ = [dataset async for dataset in warm_up]
        kwargs: dict[str, Any] = {"pages_in_flight": pages[row]} if row in pages else {}
        rss_at_mark = None
        seen = 0
        cpu, started = _cpu(), time.perf_counter()
        async with client.list_samples(dataset_id=DATASET, **kwargs) as samples:
            async for _sample in samples:
                seen += 1
                if seen == rss_mark:
                    rss_at_mark = _rss_kb()
                if seen == limit:
                    break
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
        return {
            "n": seen,
            "wall": wall,
            "cpu": cpu,
            "requests": samples.stats.pages,
            "rss_at_mark_kb": rss_at_mark,
            "rss_end_kb": _rss_kb(),
            "changed": samples.stats.changed,
        }


async def _raw_sequential(url: str, limit: int) -> dict[str, Any]:
    import aiohttp

    base = f"{url}/v2/{PROJECT}/datasets/{DATASET}/data-annotations/samples"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/v2/{PROJECT}/datasets") as warm_up:
            await warm_up.read()
        seen, page = 0, 0
        cpu, started = _cpu(), time.perf_counter()
        while seen < limit:
            async with session.get(f"{base}?limit=100&offset={page}") as answer:
                samples = json.loads(await answer.read())["samples"]
            seen += len(samples)
            page += 1
            if len(samples) < 100:
                break
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
    return {"n": seen, "wall": wall, "cpu": cpu, "requests": page}


async def _fetch(url: str, row: str, ids: list[str], concurrency: int) -> dict[str, Any]:
    if row == "iter":
        from modelarts_async import ModelArtsClient

        async with ModelArtsClient(url, project_id=PROJECT, max_connections=concurrency) as client:
            await client.get_sample(dataset_id=DATASET, sample_id=ids[0])  # warm-up
            failed = 0
            cpu, started = _cpu(), time.perf_counter()
            async with client.iter_samples(ids, dataset_id=DATASET, concurrency=concurrency) as results:
                async for result in results:
                    failed += not result.ok
            wall, cpu = time.perf_counter() - started, _cpu() - cpu
        return {"n": len(ids), "wall": wall, "cpu": cpu, "failed": failed}

    import aiohttp

    base = f"{url}/v2/{PROJECT}/datasets/{DATASET}/data-annotations/samples/"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(base + ids[0]) as warm_up:
            await warm_up.read()
        pending = iter(ids)
        failed = 0

        async def worker() -> None:
            nonlocal failed
            for sample_id in pending:
                async with session.get(base + sample_id) as answer:
                    body = await answer.read()
                    failed += answer.status != 200 or not json.loads(body)["sample_id"]

        cpu, started = _cpu(), time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
    return {"n": len(ids), "wall": wall, "cpu": cpu, "failed": failed}


def cell_main(args: argparse.Namespace) -> None:
    if args.cell in LIST_ROWS:
        if args.cell == "raw-sequential":
            result = asyncio.run(_raw_sequential(args.url, args.limit))
        else:
            result = asyncio.run(_list(args.url, args.cell, args.limit, args.rss_mark))
    else:
        with open(args.ids_file) as file:
            ids = json.load(file)
        result = asyncio.run(_fetch(args.url, args.cell, ids, args.concurrency))
    print(json.dumps(result))


def run_cell(url: str, cell: str, **options: Any) -> dict[str, Any]:
    command = [sys.executable, __file__, "--cell", cell, "--url", url]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{cell} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- the run ------------------------------------------------------------------------------------------------------


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _rate(runs: list[dict[str, Any]]) -> float:
    return statistics.median(run["n"] / run["wall"] for run in runs)


def _cpu_us(runs: list[dict[str, Any]]) -> float:
    return statistics.median(run["cpu"] / run["n"] * 1e6 for run in runs)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100_000, help="samples in the generated dataset")
    parser.add_argument("--sequential-samples", type=int, default=10_000, help="samples the sequential rows list")
    parser.add_argument(
        "--rss-mark", type=int, default=10_000, help="RSS is read after this many samples, and at the end"
    )
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each answer of the fake")
    parser.add_argument("--ids", type=int, default=5_000, help="ids fetched by iter_samples and raw aiohttp")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight for the fetch rows")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per cell (medians are reported)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3,000 samples, 1 repetition")
    # One cell, in a subprocess of the run.
    parser.add_argument("--cell", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--ids-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cell:
        cell_main(args)
        return
    if args.quick:
        args.samples, args.sequential_samples, args.rss_mark, args.ids, args.reps = 3_000, 1_000, 1_000, 500, 1

    import tempfile

    from modelarts_async.testing import generated_sample_ids

    started = time.perf_counter()
    list_runs: dict[str, list[dict[str, Any]]] = {row: [] for row in LIST_ROWS}
    fetch_runs: dict[tuple[float, str], list[dict[str, Any]]] = {}
    # The fake generates its dataset's ids from the same seed: the first `--ids` of them are in both servers.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(generated_sample_ids(args.ids), file)
        ids_file = file.name

    def fetch_rows(server: FakeServer, latency: float) -> None:
        for rep in range(args.reps):
            for row in FETCH_ROWS:
                _log(f"[{rep + 1}/{args.reps}] {FETCH_ROWS[row]} at {latency * 1000:g} ms")
                result = run_cell(server.url, row, ids_file=ids_file, concurrency=args.concurrency)
                fetch_runs.setdefault((latency, row), []).append(result)

    try:
        _log(f"starting the fake with {args.samples:,} samples at {args.latency * 1000:g} ms ...")
        server = start_fake(args.samples, args.latency)
        try:
            for rep in range(args.reps):
                for row in LIST_ROWS:
                    limit = args.samples if row in ("list-default", "list-4") else args.sequential_samples
                    _log(f"[{rep + 1}/{args.reps}] {LIST_ROWS[row]} ({limit:,} samples)")
                    list_runs[row].append(run_cell(server.url, row, limit=limit, rss_mark=args.rss_mark))
            fetch_rows(server, args.latency)
        finally:
            server.close()
        _log(f"starting the fake with {args.ids:,} samples at 0 ms ...")
        server = start_fake(args.ids, 0.0)
        try:
            fetch_rows(server, 0.0)
        finally:
            server.close()
    finally:
        os.unlink(ids_file)
    if any(run["failed"] for runs in fetch_runs.values() for run in runs):
        raise SystemExit("some fetches failed: the numbers would not compare like with like")
    report(args, list_runs, fetch_runs, time.perf_counter() - started)


def report(
    args: argparse.Namespace,
    list_runs: dict[str, list[dict[str, Any]]],
    fetch_runs: dict[tuple[float, str], list[dict[str, Any]]],
    elapsed: float,
) -> None:
    latency_ms = f"{args.latency * 1000:g} ms"
    print(f"# v2 dataset benchmark ({platform.python_version()}, {os.cpu_count()} CPUs, {args.reps} reps, medians)")
    print()
    print(f"Load average at the end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}: the client and")
    print("the fake share this machine's CPUs, so anything else running skews the rates (rerun on a quiet machine).")
    print()
    print(f"## list_samples at {latency_ms}, a {args.samples:,}-sample dataset")
    print()
    print("| client | samples listed | wall s | samples/s | requests | client CPU µs/sample |")
    print("|---|---|---|---|---|---|")
    for row, label in LIST_ROWS.items():
        runs = list_runs[row]
        print(
            f"| {label} | {runs[0]['n']:,} | {_median(runs, 'wall'):.2f} | {_rate(runs):,.0f} "
            f"| {runs[0]['requests']:,} | {_cpu_us(runs):.1f} |"
        )
    default = list_runs["list-default"]
    growth = statistics.median(
        (run["rss_end_kb"] - run["rss_at_mark_kb"]) / 1024 for run in default if run["rss_at_mark_kb"]
    )
    print()
    print(f"## iter_samples (concurrency={args.concurrency}) against raw aiohttp, {args.ids:,} ids")
    print()
    print("| latency | client | wall s | samples/s | client CPU µs/sample |")
    print("|---|---|---|---|---|")
    for (latency, row), runs in fetch_runs.items():
        print(
            f"| {latency * 1000:g} ms | {FETCH_ROWS[row]} | {_median(runs, 'wall'):.2f} | {_rate(runs):,.0f} "
            f"| {_cpu_us(runs):.1f} |"
        )
    sequential = _rate(list_runs["list-1"])
    print()
    print("## Ratios and targets")
    print()
    print("| measure | goal | measured | verdict |")
    print("|---|---|---|---|")
    speedup = _rate(default) / sequential
    print(
        f"| list default ÷ pages_in_flight=1, samples/s at {latency_ms} | ≥ 5x | {speedup:.1f}x "
        f"| {'met' if speedup >= 5 else 'NOT met'} |"
    )
    print(f"| list pages_in_flight=4 ÷ pages_in_flight=1 | — | {_rate(list_runs['list-4']) / sequential:.1f}x | |")
    print(
        f"| list default ÷ raw aiohttp sequential paging | — "
        f"| {_rate(default) / _rate(list_runs['raw-sequential']):.1f}x | |"
    )
    print(
        f"| RSS growth, {args.rss_mark:,} → {args.samples:,} samples (default) | ≤ +10 MB | {growth:+.1f} MB "
        f"| {'met' if growth <= 10 else 'NOT met'} |"
    )
    for latency in (args.latency, 0.0):
        ours, raw = fetch_runs[(latency, "iter")], fetch_runs[(latency, "raw-fetch")]
        print(
            f"| iter_samples ÷ raw aiohttp, samples/s at {latency * 1000:g} ms | — "
            f"| {_rate(ours) / _rate(raw):.2f}x | |"
        )
        print(
            f"| iter_samples ÷ raw aiohttp, CPU/sample at {latency * 1000:g} ms | — "
            f"| {_cpu_us(ours) / _cpu_us(raw):.2f}x | |"
        )
    print()
    print(
        f"Whole run: {elapsed:.0f} s. Any listing that reported `changed`: "
        f"{any(run.get('changed') for runs in list_runs.values() for run in runs)}."
    )


if __name__ == "__main__":
    main()
