"""The CLI's pure parts: reading ids, resuming an export, the lines it writes and its progress display."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from modelarts_async import BulkStats, DetectionTag, ImageInfo, NotFoundError
from modelarts_async._cli import (
    JsonlWriter,
    Progress,
    UsageError,
    drain,
    error_line,
    iter_ids,
    read_export,
    status_line,
    success_line,
    unique,
)


def test_ids_ignore_blank_lines_and_surrounding_whitespace() -> None:
    assert list(iter_ids(["a\n", "\n", "  b \t\n", "   \n", "c"])) == ["a", "b", "c"]


def test_unique_keeps_first_order_and_skips_done_ids() -> None:
    assert unique(["a", "b", "a", "c", "b", "d"], {"c"}) == ["a", "b", "d"]


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_resume_of_a_missing_file_starts_fresh(tmp_path: Path) -> None:
    state = read_export(str(tmp_path / "nope.jsonl"))
    assert state.done == set()
    assert state.repaired_bytes == 0


def test_resume_cuts_a_truncated_last_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"image_id": "a", "tags": []}\n{"image_id": "b", "error": {}}\n{"image_id": "c", "ta')
    state = read_export(str(out))
    assert state.done == {"a", "b"}
    assert state.repaired_bytes == len('{"image_id": "c", "ta')
    assert out.read_text() == '{"image_id": "a", "tags": []}\n{"image_id": "b", "error": {}}\n'


def test_resume_keeps_a_whole_last_line_that_lost_its_newline(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"image_id": "a", "tags": []}\n{"image_id": "b", "tags": []}')
    assert read_export(str(out)).done == {"a", "b"}
    assert out.read_text().endswith("}\n")


@pytest.mark.parametrize("bad", ["not json", '{"tags": []}', "[1, 2]", '{"image_id": 5}'])
def test_resume_refuses_a_damaged_middle_line(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "out.jsonl"
    original = f'{{"image_id": "a", "tags": []}}\n{bad}\n{{"image_id": "b", "tags": []}}\n'
    out.write_text(original)
    with pytest.raises(UsageError, match="line 2"):
        read_export(str(out))
    assert out.read_text() == original


def test_lines_are_the_documented_shapes() -> None:
    detection = ImageInfo("i", (DetectionTag("flower", (10, 0, 100, 100)),), (1920, 1080))
    assert success_line(detection) == {
        "image_id": "i",
        "tags": [{"tag": "flower", "pos": [10, 0, 100, 100]}],
        "size": [1920, 1080],
    }
    assert success_line(ImageInfo("j", ("cat",))) == {"image_id": "j", "tags": ["cat"]}
    error = NotFoundError("not found: ...", status_code=404, error_code="ModelArts.0102", request_id="r1")
    assert error_line("k", error) == {
        "image_id": "k",
        "error": {
            "type": "NotFoundError",
            "error_code": "ModelArts.0102",
            "message": "not found: ...",
            "request_id": "r1",
        },
    }


def test_writer_appends_whole_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"image_id": "a", "tags": []}\n')
    writer = JsonlWriter(str(out), append=True)
    writer.write({"image_id": "ü", "tags": ["x"]})
    writer.close()
    assert lines(out) == [{"image_id": "a", "tags": []}, {"image_id": "ü", "tags": ["x"]}]


def test_status_line_shows_done_total_rate_eta_and_failures() -> None:
    line = status_line(1200, 5000, 3, 2.0)
    assert line.startswith("1,200/5,000")
    assert "24%" in line
    assert "600 ids/s" in line
    assert "ETA 6s" in line
    assert line.endswith("failed 3")


def test_status_line_shows_throttling_and_the_current_concurrency() -> None:
    stats = BulkStats(done=10, ok=10, failed=0, in_flight=4, concurrency=8, attempts=22, throttled=12, elapsed=1.0)
    assert status_line(10, 100, 0, 1.0, stats).endswith("failed 0  throttled 12  in flight 4/8")
    unthrottled = BulkStats(done=10, ok=10, failed=0, in_flight=4, concurrency=8, attempts=10, throttled=0, elapsed=1.0)
    assert status_line(10, 100, 0, 1.0, unthrottled).endswith("failed 0")


def test_drain_hands_out_in_order_and_empties_the_list() -> None:
    ids = ["a", "b", "c"]
    out = drain(ids)
    assert next(out) == "a"
    assert ids == ["c", "b"]  # "a" is no longer held by the list
    assert list(out) == ["b", "c"]
    assert ids == []


def test_plain_progress_prints_a_line_per_interval_and_a_summary() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, 4, interactive=False, interval=10.0, clock=lambda: now[0])
    for error in (None, None, ValueError("x"), None):
        now[0] += 6.0
        progress.add(error)
    progress.close()
    printed = stream.getvalue().splitlines()
    assert len(printed) == 2  # at t=12 and t=24
    assert printed[0].startswith("2/4")
    assert progress.summary() == "4 ids in 24.0 s (0 ids/s): 3 ok, 1 failed (ValueError 1)"


def test_importing_the_package_loads_neither_the_cli_nor_the_fake() -> None:
    import subprocess
    import sys

    code = "import sys, modelarts_async; print(*sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "modelarts_async._cli" not in loaded
    assert "modelarts_async.testing" not in loaded
    assert "aiohttp.web" not in loaded
