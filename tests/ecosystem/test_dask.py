"""The README's "Scaling out" example runs as written on a real Dask cluster (2 worker processes on 127.0.0.1).

The fake is served over real HTTP from this process; the workers get a pickled `ClientConfig` and reach it on
127.0.0.1. Whole datasets go one task each (`list_samples`), one dataset goes in chunks of ids (`iter_samples`),
and every sample must be written exactly once across all the files the cluster wrote.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.threaded import serving_fake

from modelarts_async import ClientConfig
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts

pytest.importorskip("distributed", reason="the Dask test needs the [dask] extra")

README = Path(__file__).parents[2] / "README.md"
WHOLE = ("cats", "dogs", "cars")
CHUNKED = "birds"
TOKEN = "tkDaskWorkerToken0123456789"


def readme_code(heading: str) -> list[str]:
    section = README.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def readme_namespace() -> dict[str, Any]:
    # Not importable by name: Dask pickles the functions by value, as it does a notebook's.
    namespace: dict[str, Any] = {"__name__": "readme_scaling_out"}
    for code in readme_code("Scaling out"):
        exec(compile(code, str(README), "exec"), namespace)
    return namespace


@pytest.fixture
def fake() -> FakeModelArts:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID, token=TOKEN)
    for seed, dataset_id in enumerate(WHOLE):
        fake.add_generated_dataset(dataset_id, 130, seed=seed)
    fake.add_generated_dataset(CHUNKED, 200, seed=9)
    return fake


def written(out_dir: Path) -> Counter[tuple[str, str]]:
    """(file's dataset, sample id) of every line of every file, counted, read back with the json module."""
    lines: Counter[tuple[str, str]] = Counter()
    for path in out_dir.glob("*.jsonl"):
        dataset_id = path.stem.split("-")[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            lines[dataset_id, json.loads(line)["sample_id"]] += 1
    return lines


@pytest.mark.slow
# The scheduler's HTTP server (127.0.0.1) takes another port when another cluster on the machine has 8787.
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")
def test_a_dask_cluster_exports_every_sample_exactly_once(fake: FakeModelArts, tmp_path: Path) -> None:
    namespace = readme_namespace()
    ids = [*fake.datasets[CHUNKED].sample_ids, "f" * 32]  # one id the service does not know: its error line
    chunks = {CHUNKED: [ids[start : start + 50] for start in range(0, len(ids), 50)]}
    with serving_fake(fake) as url:
        config = ClientConfig(url, project_id=FAKE_PROJECT_ID, token=TOKEN)
        paths = namespace["export_on_dask"](config, list(WHOLE), chunks, str(tmp_path), 400.0)

    assert len(paths) == len(WHOLE) + len(chunks[CHUNKED])
    expected = {(d, sample_id) for d in (*WHOLE, CHUNKED) for sample_id in fake.datasets[d].sample_ids}
    expected.add((CHUNKED, "f" * 32))
    counts = written(tmp_path)
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    errors = [line for line in (tmp_path / f"{CHUNKED}-4.jsonl").read_text().splitlines() if "error" in line]
    assert len(errors) == 1
    assert TOKEN not in (tmp_path / f"{CHUNKED}-4.jsonl").read_text()
