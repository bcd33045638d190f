"""The README's "Training formats" example runs as written: a dataset of the fake to YOLO, an export to COCO."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pycocotools.coco import COCO
from support.formats import random_dataset, write_jsonl

from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, box_label, shape_label

README = Path(__file__).parents[2] / "README.md"


def _example() -> dict[str, Any]:
    section = README.read_text().split("## Training formats (COCO, YOLO, VOC, manifest, CSV)", 1)[1]
    code = re.search(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(README), "exec"), namespace)
    return namespace


async def test_dataset_to_yolo(tmp_path: Path, capsys: Any) -> None:
    fake = FakeModelArts(project_id=FAKE_PROJECT_ID)
    dataset = fake.add_dataset("cars", dataset_type=1, labels=["car", "bus"])
    size = {"@modelarts:size": [200, 100, 3]}
    for n in range(40):
        labels = [box_label("car", (10, 10, 50, 50)), shape_label("bus", "polygon", [[0, 0], [100, 0], [100, 80]])]
        dataset.add_sample(f"s{n:03d}", labels, metadata=size)
    dataset.add_sample("round", [shape_label("car", "circle", [[20, 20], [5]])], metadata=size)
    dataset.add_sample("nosize", [box_label("car", (1, 1, 5, 5))])
    out = tmp_path / "yolo"
    async with fake.serve() as url:
        summary = await _example()["export_yolo"](url, FAKE_PROJECT_ID, "cars", out)

    assert (summary.samples, summary.annotations, summary.errors) == (41, 80, 1)
    assert dict(summary.skipped) == {"circle": 1}
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == {0: "car", 1: "bus"}
    assert data["val"] == "images/val"
    written = sorted(p.stem for p in (out / "labels").rglob("*.txt"))
    assert written == sorted([f"s{n:03d}" for n in range(40)] + ["round"])
    printed = capsys.readouterr().out
    assert "skipped round car circle YOLO has no circle" in printed
    assert "not written nosize image size unknown" in printed


def test_export_to_coco(tmp_path: Path, capsys: Any) -> None:
    export = write_jsonl(tmp_path / "samples.jsonl", random_dataset(200, seed=5, shapes=("bndbox", "polygon")))
    summary = _example()["convert"](export, tmp_path / "coco")
    assert not summary.written.failed
    assert set(summary.written.skipped) == {"classification"}  # some samples carry a class label: lossy in COCO
    assert not summary.ok  # ... which `ok` reports, since allow_lossy was not set
    train = COCO(str(tmp_path / "coco" / "annotations" / "train.json"))
    val = COCO(str(tmp_path / "coco" / "annotations" / "val.json"))
    assert len(train.getImgIds()) + len(val.getImgIds()) == 200 - summary.written.errors
    assert len(train.getAnnIds()) + len(val.getAnnIds()) == summary.written.annotations
    assert f"{summary.written.samples} {summary.written.annotations} False" in capsys.readouterr().out
