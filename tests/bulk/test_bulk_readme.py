"""The README's "Bulk fetching" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import web
from bulk_fakes import FakeService

from modelarts_async import ImageInfo, NotFoundError

README = Path(__file__).parents[2] / "README.md"


async def test_bulk_fetching_example_runs(service: FakeService, capsys: Any) -> None:
    section = README.read_text().split("## Bulk fetching", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(README), "exec"), namespace)

    async def missing_is_404(image_id: str, request: web.Request) -> web.StreamResponse | None:
        if image_id == "missing":
            return web.json_response({"error_code": "ModelArts.0102", "error_msg": "no such image"}, status=404)
        return None

    service.on_image = missing_is_404
    written: list[ImageInfo] = []
    failures: list[tuple[str, Exception]] = []
    infos = await namespace["export_labels"](
        service.url, "p", ["a", "b", "missing"], written.append, lambda i, e: failures.append((i, e))
    )
    assert sorted(info.image_id for info in written) == ["a", "b"]
    assert [(i, type(e)) for i, e in failures] == [("missing", NotFoundError)]
    assert [info.image_id for info in infos] == ["a", "b"]
    assert "BulkStats(done=3" in capsys.readouterr().out
