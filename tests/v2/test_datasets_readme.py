"""The README's "Datasets (v2 API)" example runs as written, against the fake over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from modelarts_async import Dataset, Sample
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, box_label, classification_label

README = Path(__file__).parents[2] / "README.md"
DATASET = "WxCREuCkBSAlQr9xrde"


def _example() -> str:
    section = README.read_text().split("## Datasets (v2 API)", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    return code.group(1)


async def test_datasets_example_runs(fake: FakeModelArts, capsys: Any) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_example(), str(README), "exec"), namespace)
    dataset = fake.add_dataset(DATASET, name="cars", dataset_type=1)
    ids = [f"{n:032x}" for n in range(250)]
    for n, sample_id in enumerate(ids):
        labels = [box_label("car", (0, 0, 10, 10))] if n % 2 else [classification_label("road")]
        dataset.add_sample(sample_id, labels)
    fake.add_dataset("other")

    written: list[Sample] = []
    async with fake.serve() as url:
        datasets, missing = await namespace["read_dataset"](
            url, FAKE_PROJECT_ID, DATASET, [ids[1], "f" * 32, ids[2]], written.append
        )

    assert sorted(d.dataset_id for d in datasets) == sorted([DATASET, "other"])
    assert all(isinstance(d, Dataset) for d in datasets)
    assert sorted(s.sample_id for s in written) == sorted(ids[1::2])  # label_name="car"
    assert missing == ["f" * 32]
    out = capsys.readouterr().out
    assert "cars 250 ['road', 'car']" in out
    assert "ListingStats(pages=" in out
    assert "car bndbox (0, 0, 10, 10)" in out
