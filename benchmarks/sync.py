"""Benchmark of the sync client: its overhead per call over the async client, and Dask's scaling with workers.

Starts `python -m modelarts_async.testing serve` (the bundled fake, with a generated dataset) in its own process, and
prints markdown tables of medians with their ranges, over repetitions interleaved so that the machine's other load
falls on every row alike:

- Single calls, one at a time: `get_sample` through raw aiohttp and raw httpx (same URL, `json.loads` of the body),
  the async client (`await`) and the sync client, in `--reps` (15) interleaved blocks of `--calls` (300) calls,
  latency 0. Wall time and the process's CPU time (both threads: the caller's and the loop's) per call; the sync
  client's added cost is its time minus the async client's in the same block. On a loaded machine the CPU column is
  the steadier one: wall time then mostly measures waiting for a core.
- The same single calls in-process (`transport=fake.transport()`): no socket and no server process sharing the
  cores, so the sync client's added cost is its thread hop alone.
- A `--stream-ids` (default 20,000) id `iter_samples` stream (`--stream-reps` 3 runs), async (`async for`) and
  sync (`for`), concurrency 32: µs per sample and the sync client's added cost per sample.
- `export_samples` of the README's "Scaling out" on a `distributed.LocalCluster` of 1 and of 2 worker processes
  (one task at a time each), against the fake at `--latency` (default 50 ms): `--dask-ids` ids (default 1,200) in
  chunks of 100, one task per chunk, `iter_samples(concurrency=8)` per task, so a worker is bound by the service's
  latency (as against a real, rate-limited service), not by CPU. Samples/s counts from submit to gather
  (`--dask-reps` 3 runs each); the clusters are started once, before timing.

    python benchmarks/sync.py              # about two minutes on 2 cores
    python benchmarks/sync.py --quick      # smoke run: few calls, 1 repetition

Targets (issue 19): the sync client adds ≤ 100 µs per call; 2 Dask workers reach ≥ 1.6x the samples/s of 1.
Not part of CI. Only 127.0.0.1 is used; requests are unsigned (the fake checks no auth here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from fake_server import FakeServer

from modelarts_async import ClientConfig, ModelArtsClient, SyncModelArtsClient
from modelarts_async.testing import DEMO_DATASET_ID, FakeModelArts, generated_sample_ids

PROJECT = "bench-project"
README = Path(__file__).resolve().parents[1] / "README.md"


def start_fake(samples: int, latency: float) -> FakeServer:
    """The fake serving `samples` samples of its demo dataset, each answer after `latency` seconds."""
    return FakeServer("--images", str(samples), "--latency", str(latency))


def summary(values: list[float], digits: int = 1) -> str:
    """`median (min-max)` of the repetitions."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


# --- single calls and one stream: the async and the sync client side by side ----------------------------------------


class Rows:
    """Every way of making the same calls, each kept open across repetitions (pools warm, loop running)."""

    def __init__(self, url: str, sample_id: str) -> None:
        self.url = url
        self.sample_id = sample_id
        self.sample_url = f"{url}/v2/{PROJECT}/datasets/{DEMO_DATASET_ID}/data-annotations/samples/{sample_id}"
        self.runner = asyncio.Runner()
        self.runner.run(self._open())
        self.sync_client = SyncModelArtsClient(url, project_id=PROJECT)

    async def _open(self) -> None:
        self.session = aiohttp.ClientSession()
        self.httpx = httpx.AsyncClient()
        self.client = ModelArtsClient(self.url, project_id=PROJECT)

    def close(self) -> None:
        self.sync_client.close()

        async def close_all() -> None:
            await self.session.close()
            await self.httpx.aclose()
            await self.client.aclose()

        self.runner.run(close_all())
        self.runner.close()

    def timed_calls(self, row: str, calls: int) -> tuple[float, float]:
        """(wall, CPU of the whole process, both threads) in µs per call, of `calls` calls one after another."""
        wall, cpu = time.perf_counter(), time.process_time()
        if row == "sync client":
            for _ in range(calls):
                self.sync_client.get_sample(dataset_id=DEMO_DATASET_ID, sample_id=self.sample_id)
        else:
            self.runner.run(self._async_calls(row, calls))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return wall / calls * 1e6, cpu / calls * 1e6

    async def _async_calls(self, row: str, calls: int) -> None:
        call: Callable[[], Any] = {
            "raw aiohttp": self._raw_aiohttp,
            "raw httpx": self._raw_httpx,
            "async client": self._ours,
        }[row]
        for _ in range(calls):
            await call()

    async def _raw_aiohttp(self) -> Any:
        async with self.session.get(self.sample_url) as response:
            return json.loads(await response.read())

    async def _raw_httpx(self) -> Any:
        return json.loads((await self.httpx.get(self.sample_url)).content)

    async def _ours(self) -> Any:
        return await self.client.get_sample(dataset_id=DEMO_DATASET_ID, sample_id=self.sample_id)

    def timed_stream(self, row: str, ids: list[str]) -> float:
        """µs per sample of one `iter_samples` run over `ids`."""
        started = time.perf_counter()
        if row == "sync client":
            done = sum(result.ok for result in self.sync_client.iter_samples(ids, dataset_id=DEMO_DATASET_ID))
        else:
            done = self.runner.run(self._async_stream(ids))
        assert done == len(ids), f"{row}: {done} of {len(ids)} samples"
        return (time.perf_counter() - started) / len(ids) * 1e6

    async def _async_stream(self, ids: list[str]) -> int:
        async with self.client.iter_samples(ids, dataset_id=DEMO_DATASET_ID) as results:
            return sum([result.ok async for result in results])


def measure_calls(args: argparse.Namespace) -> None:
    server = start_fake(args.stream_ids, 0.0)
    ids = generated_sample_ids(args.stream_ids)
    rows = Rows(server.url, ids[0])
    call_rows = ("raw aiohttp", "raw httpx", "async client", "sync client")
    stream_rows = ("async client", "sync client")
    walls: dict[str, list[float]] = {row: [] for row in call_rows}
    cpus: dict[str, list[float]] = {row: [] for row in call_rows}
    streams: dict[str, list[float]] = {row: [] for row in stream_rows}
    try:
        for row in call_rows:  # warm-up: connections, first-use caches
            rows.timed_calls(row, 50)
        for rep in range(args.reps):
            for row in call_rows if rep % 2 == 0 else call_rows[::-1]:
                wall, cpu = rows.timed_calls(row, args.calls)
                walls[row].append(wall)
                cpus[row].append(cpu)
        print("single calls done", file=sys.stderr)
        for rep in range(args.stream_reps):
            for row in stream_rows if rep % 2 == 0 else stream_rows[::-1]:
                streams[row].append(rows.timed_stream(row, ids))
            print(f"stream repetition {rep + 1} of {args.stream_reps} done", file=sys.stderr)
    finally:
        rows.close()
        server.close()
    print_calls(args, call_rows, walls, cpus)
    stream_added = [sync - ours for sync, ours in zip(streams["sync client"], streams["async client"], strict=True)]
    print(f"\n### `iter_samples` stream ({args.stream_ids} ids, concurrency 32, latency 0, {args.stream_reps} reps)\n")
    print("| row | wall µs/sample, median (range) | samples/s (median) |")
    print("|---|---|---|")
    for row in stream_rows:
        print(f"| {row} | {summary(streams[row])} | {1e6 / statistics.median(streams[row]):,.0f} |")
    print(f"| **sync - async, added per sample** | **{summary(stream_added)}** | |")


def print_calls(
    args: argparse.Namespace, rows: tuple[str, ...], walls: dict[str, list[float]], cpus: dict[str, list[float]]
) -> None:
    def added(values: dict[str, list[float]]) -> list[float]:
        return [sync - ours for sync, ours in zip(values["sync client"], values["async client"], strict=True)]

    print(
        f"\n### Single calls (`get_sample` one at a time, latency 0; {args.reps} interleaved blocks of {args.calls})\n"
    )
    print("| row | wall µs/call, median (range) | CPU µs/call (both threads) | wall ÷ raw aiohttp |")
    print("|---|---|---|---|")
    base = statistics.median(walls["raw aiohttp"])
    for row in rows:
        ratio = statistics.median(walls[row]) / base
        print(f"| {row} | {summary(walls[row])} | {summary(cpus[row])} | {ratio:.2f} |")
    print(f"| **sync - async, added per call** | **{summary(added(walls))}** | **{summary(added(cpus))}** | ≤ 100 µs |")


def measure_in_process(args: argparse.Namespace) -> None:
    """The same single calls against the fake in this process (`transport=fake.transport()`): no socket, no server
    process, so the difference between the two clients is the thread hop and nothing else."""
    fake = FakeModelArts(record=False)
    fake.add_generated_dataset(DEMO_DATASET_ID, 10)
    sample_id = fake.datasets[DEMO_DATASET_ID].sample_ids[0]
    runner = asyncio.Runner()
    async_client = fake.client(project_id=PROJECT)
    sync_client = SyncModelArtsClient("https://fake.invalid", project_id=PROJECT, transport=fake.transport())

    async def async_calls(calls: int) -> None:
        for _ in range(calls):
            await async_client.get_sample(dataset_id=DEMO_DATASET_ID, sample_id=sample_id)

    def sync_calls(calls: int) -> None:
        for _ in range(calls):
            sync_client.get_sample(dataset_id=DEMO_DATASET_ID, sample_id=sample_id)

    def timed(row: str, calls: int) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        if row == "async client":
            runner.run(async_calls(calls))
        else:
            sync_calls(calls)
        return (time.perf_counter() - wall) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6

    rows = ("async client", "sync client")
    walls: dict[str, list[float]] = {row: [] for row in rows}
    cpus: dict[str, list[float]] = {row: [] for row in rows}
    try:
        for row in rows:
            timed(row, 50)
        for rep in range(args.reps):
            for row in rows if rep % 2 == 0 else rows[::-1]:
                wall, cpu = timed(row, args.calls)
                walls[row].append(wall)
                cpus[row].append(cpu)
    finally:
        sync_client.close()
        runner.run(async_client.aclose())
        runner.close()
    print(
        f"\n### Single calls in-process (fake transport, no socket; {args.reps} interleaved blocks of {args.calls})\n"
    )
    print("| row | wall µs/call, median (range) | CPU µs/call (both threads) |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row} | {summary(walls[row])} | {summary(cpus[row])} |")
    wall_added = [sync - ours for sync, ours in zip(walls["sync client"], walls["async client"], strict=True)]
    cpu_added = [sync - ours for sync, ours in zip(cpus["sync client"], cpus["async client"], strict=True)]
    print(f"| **sync - async, added per call** | **{summary(wall_added)}** | **{summary(cpu_added)}** |")


# --- Dask: the README's export on 1 and 2 workers --------------------------------------------------------------------


def readme_export() -> Callable[..., str]:
    """`export_samples` exactly as the README's "Scaling out" shows it."""
    section = README.read_text(encoding="utf-8").split("\n## Scaling out\n", 1)[1].split("\n## ", 1)[0]
    namespace: dict[str, Any] = {"__name__": "readme_scaling_out"}
    exec(compile(re.findall(r"```python\n(.*?)```", section, re.S)[0], str(README), "exec"), namespace)
    return namespace["export_samples"]  # type: ignore[no-any-return]


def measure_dask(args: argparse.Namespace) -> None:
    from dask.distributed import Client, LocalCluster

    export_samples = readme_export()
    server = start_fake(args.dask_ids, args.latency)
    ids = generated_sample_ids(args.dask_ids)
    chunks = [ids[start : start + 100] for start in range(0, len(ids), 100)]
    config = ClientConfig(server.url, project_id=PROJECT)
    clusters: dict[int, tuple[Any, Any]] = {}
    rates: dict[int, list[float]] = {1: [], 2: []}
    try:
        for workers in rates:
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            )
            clusters[workers] = (cluster, Client(cluster))
        with tempfile.TemporaryDirectory() as out_dir:

            def run(dask: Any) -> float:
                started = time.perf_counter()
                tasks = [
                    dask.submit(
                        export_samples, config, DEMO_DATASET_ID, chunk, f"{out_dir}/{n}.jsonl", None, 8, pure=False
                    )
                    for n, chunk in enumerate(chunks)
                ]
                dask.gather(tasks)
                return len(ids) / (time.perf_counter() - started)

            for workers in rates:  # warm-up: imports on the workers, function and config shipped
                run(clusters[workers][1])
            for rep in range(args.dask_reps):
                for workers in (1, 2) if rep % 2 == 0 else (2, 1):
                    rates[workers].append(run(clusters[workers][1]))
                print(f"dask repetition {rep + 1} of {args.dask_reps} done", file=sys.stderr)
    finally:
        for cluster, dask in clusters.values():
            dask.close()
            cluster.close()
        server.close()
    ratio = [two / one for one, two in zip(rates[1], rates[2], strict=True)]
    latency_ms = args.latency * 1000
    print(f"\n### Dask: README `export_samples`, {len(ids)} ids in {len(chunks)} tasks, latency {latency_ms:.0f} ms\n")
    print("| workers | samples/s, median (range) |")
    print("|---|---|")
    for workers, values in rates.items():
        print(f"| {workers} | {summary(values, 0)} |")
    print(f"| **2 ÷ 1** | **{summary(ratio, 2)}** (target ≥ 1.6) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="single calls per block (default 300)")
    parser.add_argument("--stream-ids", type=int, default=20_000, help="ids of the iter_samples stream (20000)")
    parser.add_argument("--dask-ids", type=int, default=1200, help="ids exported on Dask (default 1200)")
    parser.add_argument("--latency", type=float, default=0.05, help="the fake's latency for Dask (default 0.05 s)")
    parser.add_argument("--reps", type=int, default=15, help="interleaved blocks of single calls (default 15)")
    parser.add_argument("--stream-reps", type=int, default=3, help="interleaved stream runs (default 3)")
    parser.add_argument("--dask-reps", type=int, default=3, help="interleaved Dask runs (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: few calls and ids, 1 repetition")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.stream_ids, args.dask_ids = 100, 500, 200
        args.reps = args.stream_reps = args.dask_reps = 1
    logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO lines on every start and close
    print(f"# Sync client benchmark ({platform.python_version()}, {platform.machine()}, 2-core VM shared)")
    measure_calls(args)
    measure_in_process(args)
    measure_dask(args)


if __name__ == "__main__":
    main()
