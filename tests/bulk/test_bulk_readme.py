"""The README's "Bulk fetching" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from support.bulk import stock
from support.constants import PROJECT

from modelarts_async import ImageInfo, NotFoundError
from modelarts_async.testing import FakeJob

README = Path(__file__).parents[2] / "README.md"


async def test_bulk_fetching_example_runs(url: str, job: FakeJob, capsys: Any) -> None:
    section = README.read_text().split("## Bulk fetching", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(README), "exec"), namespace)

    stock(job, ["a", "b"])  # and the fake answers 404 for "missing", as the service does for an unknown image
    written: list[ImageInfo] = []
    failures: list[tuple[str, Exception]] = []
    infos = await namespace["export_labels"](
        url, PROJECT, ["a", "b", "missing"], written.append, lambda i, e: failures.append((i, e))
    )
    assert sorted(info.image_id for info in written) == ["a", "b"]
    assert [(i, type(e)) for i, e in failures] == [("missing", NotFoundError)]
    assert [info.image_id for info in infos] == ["a", "b"]
    assert "BulkStats(done=3" in capsys.readouterr().out
