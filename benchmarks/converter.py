"""CPU per sample of reading a `list_samples` page: `json.loads` alone against `json.loads` plus our v2 converter.

A page of 100 generated detection samples (1-4 labels each, the bundled fake's data, as `list_samples` receives
it) is parsed `--pages` times per repetition; prints one JSON line with the medians in µs per sample. run.py runs
this as its `converter` row (issue 20: the converter within 2x of `json.loads`). No network, no server.

    python benchmarks/converter.py [--pages 300] [--reps 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from modelarts_async._paths import samples_path
from modelarts_async._v2._converter import structure_sample_page
from modelarts_async.testing import FakeModelArts

PROJECT, DATASET, PAGE = "bench-project", "BenchDataset000001", 100


def one_page() -> bytes:
    """The body of the first page of a generated detection dataset, exactly as the fake serves it."""
    fake = FakeModelArts(project_id=PROJECT)
    fake.add_generated_dataset(DATASET, PAGE, kind="detection")
    reply = fake.handle("GET", f"{samples_path(PROJECT, DATASET)}?offset=0&limit={PAGE}", {}, b"")
    assert reply.status == 200, reply.body[:200]
    return reply.body


def per_sample_us(parse: Callable[[bytes], Any], body: bytes, pages: int, samples: int) -> float:
    started = time.process_time()
    for _ in range(pages):
        parse(body)
    return (time.process_time() - started) / (pages * samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="pages parsed per repetition")
    parser.add_argument("--reps", type=int, default=7, help="repetitions (medians are reported)")
    args = parser.parse_args()
    body = one_page()
    page = json.loads(body)
    samples = len(page["samples"])
    labels = sum(len(sample.get("labels") or ()) for sample in page["samples"]) / samples

    def ours(raw: bytes) -> Any:
        return structure_sample_page(json.loads(raw))

    plain, full = [], []
    for _ in range(args.reps):  # interleaved, so drift in the machine's load hits both alike
        plain.append(per_sample_us(json.loads, body, args.pages, samples))
        full.append(per_sample_us(ours, body, args.pages, samples))
    result = {
        "samples_per_page": samples,
        "labels_per_sample": labels,
        "page_bytes": len(body),
        "json_loads_us": statistics.median(plain),
        "list_samples_us": statistics.median(full),
        "json_loads_range": [min(plain), max(plain)],
        "list_samples_range": [min(full), max(full)],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
