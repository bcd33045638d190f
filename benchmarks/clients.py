"""One measured client run in a fresh process; prints one JSON line with wall time, counts, CPU and RSS.

Every async client has the same shape: C worker tasks pull ids from one shared iterator (the cheapest queue there
is), one pooled client holds at most C connections, and each body goes through `json.loads` (ours decodes and
structures it into an `ImageInfo`, which is the point of using it). CPU is getrusage user+sys of this process
counted from just before the first request (imports and client construction excluded), so it is the per-image cost.

Usage (run.py does this): `python benchmarks/clients.py ROW --base-url http://127.0.0.1:PORT --n 3000 --c 64`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx

PROJECT = "p0000000000000000000000000000000"
JOB = "282"
AK, SK = "BENCHAKEXAMPLE0000000", "bench-secret-key-not-real-0000000000000"
BATCH_SIZE = 100
TIMEOUT = 60.0


def image_ids(n: int, deadline: float) -> Iterator[str]:
    """`n` 32-hex ids, produced lazily; stops early once `deadline` (monotonic) has passed, so every run is bounded."""
    for i in range(n):
        if i % 16 == 0 and time.monotonic() > deadline:
            return
        yield f"{i:032x}"


def single_path(image_id: str) -> str:
    return f"/v1/{PROJECT}/data-annotations/{JOB}/images/{image_id}/tags"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_now_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


class Meter:
    """Wall and CPU from `start()` to `stop()`, plus what was done in between."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.images = self.requests = 0
        self.extra: dict[str, Any] = {}

    def start(self) -> None:
        self._t0, self._cpu0 = time.perf_counter(), cpu_seconds()

    def stop(self) -> None:
        self.wall, self.cpu = time.perf_counter() - self._t0, cpu_seconds() - self._cpu0


async def worker_pool(c: int, items: Iterator[Any], one: Callable[[Any], Awaitable[int]]) -> int:
    """Run `one(item)` for every item with `c` workers; return the sum of what `one` returned (images done)."""
    done = 0

    async def worker() -> None:
        nonlocal done
        for item in items:  # a shared iterator: each next() hands the next item to whichever worker asks
            images = await one(item)  # not `done += await ...`: that reads `done` before awaiting
            done += images

    async with asyncio.TaskGroup() as group:
        for _ in range(c):
            group.create_task(worker())
    return done


# --- the rows -----------------------------------------------------------------------------------------------------


async def run_aiohttp(args: argparse.Namespace, meter: Meter, ids: Iterator[str]) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=args.c)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
        base = args.base_url

        async def one(image_id: str) -> int:
            async with session.get(base + single_path(image_id)) as response:
                json.loads(await response.read())
            return 1

        meter.start()
        meter.images = meter.requests = await worker_pool(args.c, ids, one)
        meter.stop()


async def _run_httpx(args: argparse.Namespace, meter: Meter, ids: Iterator[str], client: httpx.AsyncClient) -> None:
    async with client:
        base = args.base_url

        async def one(image_id: str) -> int:
            response = await client.get(base + single_path(image_id))
            json.loads(response.content)
            return 1

        meter.start()
        meter.images = meter.requests = await worker_pool(args.c, ids, one)
        meter.stop()


async def run_httpx(args: argparse.Namespace, meter: Meter, ids: Iterator[str]) -> None:
    limits = httpx.Limits(max_connections=args.c, max_keepalive_connections=args.c)
    await _run_httpx(args, meter, ids, httpx.AsyncClient(limits=limits, timeout=TIMEOUT))


async def run_httpx_aiohttp(args: argparse.Namespace, meter: Meter, ids: Iterator[str]) -> None:
    from httpx_aiohttp import AiohttpTransport

    transport = AiohttpTransport(limits=httpx.Limits(max_connections=args.c))
    await _run_httpx(args, meter, ids, httpx.AsyncClient(transport=transport, timeout=TIMEOUT))


def _ours_client(args: argparse.Namespace) -> Any:
    """Our client as an ETL user runs it: AK/SK signing on, one pool of C connections."""
    from modelarts_async import ModelArtsClient
    from modelarts_async.auth import AKSKAuth

    return ModelArtsClient(args.base_url, project_id=PROJECT, auth=AKSKAuth(AK, SK), max_connections=args.c)


async def _iterate_bulk(client: Any, ids: Iterator[str], args: argparse.Namespace, meter: Meter, **kw: Any) -> int:
    """Drive `client.iter_image_infos` and count what it yields; record RSS after `--rss-mark` images."""
    done = 0
    async with client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=args.c, **kw) as results:
        async for _ in results:
            done += 1
            if done == args.rss_mark:
                meter.extra["rss_at_mark_kb"] = rss_now_kb()
    return done


async def run_ours(args: argparse.Namespace, meter: Meter, ids: Iterator[str]) -> None:
    async with _ours_client(args) as client:
        meter.extra["mode"] = "iter_image_infos, AKSKAuth"
        meter.start()
        meter.images = meter.requests = await _iterate_bulk(client, ids, args, meter)
        meter.stop()


async def run_ours_batch(args: argparse.Namespace, meter: Meter, ids: Iterator[str]) -> None:
    async with _ours_client(args) as client:
        meter.extra["mode"] = f"iter_image_infos(batch_size={BATCH_SIZE}), AKSKAuth"
        meter.start()
        meter.images = await _iterate_bulk(client, ids, args, meter, batch_size=BATCH_SIZE)
        meter.requests = -(-meter.images // BATCH_SIZE)
        meter.stop()


def run_sync(args: argparse.Namespace, meter: Meter, ids: Iterator[str]) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        base = args.base_url
        meter.start()
        for image_id in ids:
            json.loads(client.get(base + single_path(image_id)).content)
            meter.images += 1
        meter.requests = meter.images
        meter.stop()


ROWS: dict[str, Callable[..., Any]] = {
    "aiohttp": run_aiohttp,
    "aiohttp-uvloop": run_aiohttp,
    "httpx": run_httpx,
    "httpx-aiohttp": run_httpx_aiohttp,
    "ours": run_ours,
    "ours-uvloop": run_ours,
    "ours-batch": run_ours_batch,
    "sync": run_sync,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="One measured client run (used by run.py).")
    parser.add_argument("row", choices=sorted(ROWS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--n", type=int, required=True, help="ids to fetch")
    parser.add_argument("--c", type=int, default=1, help="worker tasks and max connections")
    parser.add_argument("--deadline", type=float, default=30.0, help="stop handing out ids after this many seconds")
    parser.add_argument("--rss-mark", type=int, default=0, help="record RSS once this many images are done")
    args = parser.parse_args()
    meter = Meter()
    ids = image_ids(args.n, time.monotonic() + args.deadline)
    run = ROWS[args.row]
    rss_start = rss_now_kb()
    if args.row.endswith("-uvloop"):
        import uvloop  # the `speed` extra

        uvloop.run(run(args, meter, ids))
    elif asyncio.iscoroutinefunction(run):
        asyncio.run(run(args, meter, ids))
    else:
        run(args, meter, ids)
    result = {
        "row": args.row,
        "n": args.n,
        "c": args.c,
        "wall": meter.wall,
        "cpu": meter.cpu,
        "images": meter.images,
        "requests": meter.requests,
        "rss_start_kb": rss_start,
        "rss_end_kb": rss_now_kb(),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        **meter.extra,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
