"""The README's "Images, statistics and versions" example runs as written, against the served fake."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import imagesize  # type: ignore[import-untyped]

from modelarts_async import DatasetStats
from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, box_label

README = Path(__file__).parents[2] / "README.md"
DATASET = "WxCREuCkBSAlQr9xrde"


def _example() -> str:
    section = README.read_text().split("### Images, statistics and versions", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    return code.group(1)


async def test_images_example_runs(fake: FakeModelArts, tmp_path: Path, capsys: Any) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_example(), str(README), "exec"), namespace)
    dataset = fake.add_dataset(DATASET, dataset_type=1)
    ids = [f"{n:032x}" for n in range(12)]
    for n, sample_id in enumerate(ids):
        dataset.add_sample(sample_id, [box_label("car", (0, 0, 5, 5))], metadata={"@modelarts:size": [20 + n, 10, 3]})
    dataset.publish_version("v1", version_name="V001")

    async with fake.serve() as url:
        stats, failed = await namespace["download_dataset"](url, FAKE_PROJECT_ID, DATASET, tmp_path / "images")

    assert isinstance(stats, DatasetStats)
    assert failed == []
    for n, sample_id in enumerate(ids):
        assert imagesize.get(tmp_path / "images" / f"{sample_id}.png") == (20 + n, 10)
    out = capsys.readouterr().out
    assert "12 samples: {'car': 12}" in out
    assert "V001 12 current" in out
    assert f"{ids[3]}.png 23 10" in out
