"""The README's "Synchronous client" example runs as written, against the fake over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from support.threaded import serving_fake

from modelarts_async.testing import FAKE_PROJECT_ID, FakeModelArts, box_label, classification_label

README = Path(__file__).parents[2] / "README.md"
DATASET = "WxCREuCkBSAlQr9xrde"


def _example() -> str:
    section = README.read_text(encoding="utf-8").split("\n## Synchronous client\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    return code.group(1)


def test_synchronous_client_example_runs(capsys: Any) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_example(), str(README), "exec"), namespace)
    fake = FakeModelArts()
    dataset = fake.add_dataset(DATASET, name="streets", dataset_type=1)
    ids = [f"{n:032x}" for n in range(150)]
    for n, sample_id in enumerate(ids):
        dataset.add_sample(
            sample_id, [box_label("car", (0, 0, 5, 5))] if n % 3 == 0 else [classification_label("road")]
        )

    with serving_fake(fake) as url:
        namespace["print_dataset"](url, FAKE_PROJECT_ID, DATASET, [ids[1], "f" * 32, ids[2]])

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "streets 150"
    assert sorted(line.split()[0] for line in out if line.endswith("('car',)")) == sorted(ids[::3])
    assert f"{ids[1]} ('road',)" in out
    assert any(line.startswith("f" * 32 + " ") and "not found" in line for line in out)
    assert out[-1].startswith("BulkStats(done=3, ok=2, failed=1")
