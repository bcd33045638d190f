"""Where our CPU per request goes beyond raw aiohttp's: request shapes and client settings changed one at a time.

Each variant runs in a fresh process against the loopback upstream at 0 ms (C=64 by default), CPU counted from the
first request (getrusage user+sys), repetitions interleaved so that drift in the machine's load hits every variant
alike. Prints the median µs per request, its range, and the median of the per-repetition ratios to the first
variant (raw aiohttp as `run.py` runs it). What the variants say (issue 20, item 1):

- raw aiohttp's own total timeout, its read timeout in its place, AK/SK-sized headers, no cookie jar: what a bare
  request would cost if it did what ours must do (`raw-ours-shape` combines the three);
- ours with AK/SK (the benchmark row), without auth, without a deadline, and without the bulk stream (the same
  single calls from the same worker loop raw aiohttp uses): what each of our layers adds.

    python benchmarks/ablation.py [--n 15000] [--c 64] [--reps 7] [--variants raw,ours,...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from clients import AK, JOB, PROJECT, SK, TIMEOUT, cpu_seconds, image_ids, single_path, worker_pool  # noqa: E402

#: Header values of the size AK/SK signing sends (the signature itself is a placeholder: the upstream checks none).
SIGNED_HEADERS = {
    "X-Project-Id": PROJECT,
    "User-Agent": "modelarts-async/0.1.0",
    "Accept-Encoding": "gzip, deflate",
    "X-Sdk-Date": "20261205T000000Z",
    "Authorization": "SDK-HMAC-SHA256 Access=BENCHAKEXAMPLE0000000, "
    "SignedHeaders=accept-encoding;host;user-agent;x-project-id;x-sdk-date, Signature=" + "0" * 64,
}

VARIANTS = {
    "raw": "raw aiohttp as run.py runs it (total timeout 60 s, default cookie jar)",
    "raw-no-timeout": "raw aiohttp without any timeout",
    "raw-read-timeout": "raw aiohttp with a 30 s read timeout instead of the total one (ours enforces read)",
    "raw-signed-headers": "raw aiohttp sending headers of AK/SK's size",
    "raw-ours-shape": "raw aiohttp: AK/SK-sized headers, read timeout, no cookie jar",
    "ours": "ours: iter_image_infos with AK/SK (the run.py row)",
    "ours-no-auth": "ours without auth",
    "ours-no-deadline": "ours with deadline=math.inf",
    "ours-single-calls": "ours: get_image_info_by_id from raw aiohttp's worker loop, no bulk stream",
}


async def _raw(variant: str, base: str, ids: Iterator[str], c: int) -> int:
    import aiohttp

    if variant == "raw-no-timeout":
        timeout = aiohttp.ClientTimeout(total=None)
    elif variant in ("raw-read-timeout", "raw-ours-shape"):
        timeout = aiohttp.ClientTimeout(total=None, sock_read=30, sock_connect=10, connect=30)
    else:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    headers = SIGNED_HEADERS if variant in ("raw-signed-headers", "raw-ours-shape") else None
    jar = aiohttp.DummyCookieJar() if variant == "raw-ours-shape" else None
    connector = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar) as session:

        async def one(image_id: str) -> int:
            async with session.get(base + single_path(image_id), headers=headers) as response:
                json.loads(await response.read())
            return 1

        return await worker_pool(c, ids, one)


async def _ours(variant: str, base: str, ids: Iterator[str], c: int) -> int:
    from modelarts_async import ModelArtsClient
    from modelarts_async.auth import AKSKAuth

    auth = None if variant == "ours-no-auth" else AKSKAuth(AK, SK)
    deadline = math.inf if variant == "ours-no-deadline" else None
    client = ModelArtsClient(base, project_id=PROJECT, auth=auth, max_connections=c, deadline=deadline)
    async with client:
        if variant == "ours-single-calls":

            async def one(image_id: str) -> int:
                await client.get_image_info_by_id(data_annotation_id=JOB, image_id=image_id)
                return 1

            return await worker_pool(c, ids, one)
        done = 0
        async with client.iter_image_infos(ids, data_annotation_id=JOB, concurrency=c) as results:
            async for _ in results:
                done += 1
        return done


def child(variant: str, base: str, n: int, c: int) -> None:
    """One measured run; prints `{"cpu": seconds, "requests": count}`."""
    ids = image_ids(n, time.monotonic() + 120)
    run = _ours if variant.startswith("ours") else _raw

    async def measured() -> tuple[float, int]:
        if variant.startswith("ours"):
            import modelarts_async  # noqa: F401  (imported before the clock starts, as raw's aiohttp is below)
        import aiohttp  # noqa: F401

        started = cpu_seconds()
        requests = await run(variant, base, ids, c)
        return cpu_seconds() - started, requests

    cpu, requests = asyncio.run(measured())
    print(json.dumps({"cpu": cpu, "requests": requests}))


def _load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=15000)
    parser.add_argument("--c", type=int, default=64)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "BASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.n, args.c)
        return
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise SystemExit(f"unknown variants: {', '.join(unknown)} (known: {', '.join(VARIANTS)})")
    from run import Upstream  # run.py starts the upstream; a child does not need it

    upstream = Upstream(0)
    per_request: dict[str, list[float]] = {variant: [] for variant in variants}
    load_before = _load_average()
    try:
        for _ in range(args.reps):
            for variant in variants:
                command = [sys.executable, __file__, "--child", variant, upstream.base_url]
                command += ["--n", str(args.n), "--c", str(args.c)]
                done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
                result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
                per_request[variant].append(result["cpu"] / result["requests"] * 1e6)
    finally:
        upstream.close()
    print(
        f"C={args.c}, 0 ms, {args.n} requests per run, {args.reps} interleaved repetitions; load average "
        f"{load_before} at the start, {_load_average()} at the end (2 cores)\n"
    )
    print("| variant | what it is | µs/request (median, range) | ÷ first variant (median, range) |")
    print("|---|---|---|---|")
    first = per_request[variants[0]]
    for variant in variants:
        values = per_request[variant]
        ratios = [value / base for value, base in zip(values, first, strict=True)]
        print(
            f"| {variant} | {VARIANTS[variant]} | {statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"
            f" | {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |"
        )


if __name__ == "__main__":
    main()
