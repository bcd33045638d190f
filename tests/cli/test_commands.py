"""The `modelarts-async` command end to end: subprocesses against the fake on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
import time
from asyncio.subprocess import PIPE
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from cli_run import IDS, JOB, PROJECT, Served, connection, export_args, names_in, read_lines, run_cli

from modelarts_async.testing import FakeModelArts, FakeReply, Faults, RecordedRequest, generated_image_ids


async def test_get_prints_one_images_labels(served: Served) -> None:
    run = await run_cli("get", *connection(served.url), "--data-annotation-id", JOB, IDS[0])
    assert run.code == 0
    assert json.loads(run.stdout)["image_id"] == IDS[0]


async def test_get_of_an_unknown_image_fails_with_2_and_a_message(served: Served) -> None:
    run = await run_cli("get", *connection(served.url), "--data-annotation-id", JOB, "nope")
    assert run.code == 2
    assert "ModelArts.0102" in run.stderr
    assert "Traceback" not in run.stderr


async def test_without_endpoint_the_commands_fail_with_1_and_say_what_to_do(tmp_path: Path) -> None:
    for args in (["get", "--data-annotation-id", JOB, "x"], export_args("", "-", tmp_path / "o.jsonl")[3:]):
        run = await run_cli(*args) if args[0] == "get" else await run_cli("export", *args)
        assert run.code == 1, run.stderr
        assert "no endpoint" in run.stderr
        assert "Traceback" not in run.stderr


async def test_export_writes_one_line_per_id_and_exits_0(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS) + "\n")
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out, "--concurrency", "4"))
    assert run.code == 0, run.stderr
    assert sorted(line["image_id"] for line in read_lines(out)) == sorted(IDS)  # type: ignore[type-var]
    assert all(line["tags"] for line in read_lines(out))
    assert "40 ok, 0 failed" in run.stderr


async def test_bad_ids_become_error_lines_and_exit_2(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(f"  {IDS[0]}  \n\n   \n{IDS[0]}\nunknown-id\n../etc\nwith/slash\n{IDS[1]}")
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out))
    assert run.code == 2, run.stderr
    by_id = {line["image_id"]: line for line in read_lines(out)}
    assert set(by_id) == {IDS[0], IDS[1], "unknown-id", "../etc", "with/slash"}
    assert by_id["unknown-id"]["error"]["type"] == "NotFoundError"  # type: ignore[index]
    assert by_id["with/slash"]["error"]["type"] == "InvalidArgumentError"  # type: ignore[index]
    assert "3 failed" in run.stderr


async def test_ids_from_stdin(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, "-", out), stdin="\n".join(IDS[:5]).encode())
    assert run.code == 0, run.stderr
    assert len(read_lines(out)) == 5


async def test_unreadable_ids_files_fail_with_1(served: Served, tmp_path: Path) -> None:
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    for ids in (tmp_path / "missing.txt", binary, tmp_path):
        run = await run_cli(*export_args(served.url, ids, tmp_path / "out.jsonl"))
        assert run.code == 1, run.stderr
        assert "Traceback" not in run.stderr


async def test_an_existing_output_is_kept_unless_resume_or_overwrite(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    out = tmp_path / "out.jsonl"
    out.write_text('{"image_id": "keep me", "tags": []}\n')
    run = await run_cli(*export_args(served.url, ids, out))
    assert run.code == 1
    assert "--resume" in run.stderr
    assert out.read_text() == '{"image_id": "keep me", "tags": []}\n'
    assert (await run_cli(*export_args(served.url, ids, out, "--overwrite"))).code == 0
    assert len(read_lines(out)) == 3


async def test_resume_refuses_a_damaged_output(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('garbage\n{"image_id": "a", "tags": []}\n')
    run = await run_cli(*export_args(served.url, "-", out, "--resume"), stdin=b"a\n")
    assert run.code == 1
    assert "line 1" in run.stderr


async def test_rejected_credentials_stop_the_export_with_1(served: Served, tmp_path: Path) -> None:
    served.fake.token = "required"
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS))
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out, "--concurrency", "2"))
    assert run.code == 1
    assert "APIG.0301" in run.stderr
    assert names_in(tmp_path) == ["ids.txt"]  # no output, sidecar or lock: a rerun with good credentials starts clean


async def test_transient_failures_are_error_lines(served: Served, tmp_path: Path) -> None:
    served.fake.faults = Faults(p_503=0.5, seed=3)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS))
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out))
    assert run.code in (0, 2)  # retries may or may not recover every id
    assert sorted(line["image_id"] for line in read_lines(out)) == sorted(IDS)  # type: ignore[type-var]


async def test_batch_size_sends_batch_calls_and_writes_one_line_per_id(served: Served, tmp_path: Path) -> None:
    served.fake.record = True
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*IDS, "unknown-id", "bad/id", IDS[0]]))
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out, "--batch-size", "16", "--concurrency", "2"))
    assert run.code == 2, run.stderr
    by_id = {line["image_id"]: line for line in read_lines(out)}
    assert len(by_id) == len(read_lines(out)) == len(IDS) + 2
    assert by_id["unknown-id"]["error"]["type"] == "NotFoundError"  # type: ignore[index]
    assert by_id["bad/id"]["error"]["type"] == "InvalidArgumentError"  # type: ignore[index]
    # 41 valid ids in calls of at most 16: three batch calls, no single-image call (the invalid id is never sent).
    assert [(r.method, r.path.rsplit("/", 2)[-2:]) for r in served.fake.requests] == [("POST", ["tags", "show"])] * 3
    assert "3 HTTP requests" in run.stderr


class ClockedFake(FakeModelArts):
    """The fake, noting when each request arrives."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[float] = []

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> FakeReply:
        self.arrivals.append(time.monotonic())
        return super().handle(method, target, headers, body)


@pytest.mark.parametrize("batch", [[], ["--batch-size", "2"]])
async def test_rate_limit_spaces_requests(tmp_path: Path, batch: list[str]) -> None:
    fake = ClockedFake(project_id=PROJECT, record=False)
    fake.add_generated_job(JOB, "classification", IDS, seed=1)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[: 4 * (2 if batch else 1)]))
    out = tmp_path / "out.jsonl"
    async with fake.serve() as url:
        run = await run_cli(*export_args(url, ids, out, "--rate-limit", "2", "--concurrency", "8", *batch))
    assert run.code == 0, run.stderr
    assert len(fake.arrivals) == 4
    # 2 requests at once, then one per 1/2 s: the last starts 1 s after the first. A busy machine can only
    # stretch this (no upper bound is asserted); 0.75 s leaves room for the first request arriving late.
    assert fake.arrivals[-1] - fake.arrivals[0] >= 0.75


async def test_plain_progress_lines_when_stderr_is_not_a_terminal(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS))
    run = await run_cli(*export_args(served.url, ids, tmp_path / "o.jsonl", "--progress-interval", "0.000001"))
    assert run.code == 0
    assert "/40" in run.stderr
    assert "\r" not in run.stderr


async def test_demo_runs_offline_and_prints_throughput(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    run = await run_cli("demo", "--images", "200", "--kind", "detection", "--out", str(out))
    assert run.code == 0, run.stderr
    assert "images/s" in run.stdout
    assert len(read_lines(out)) == 200
    assert all("size" in line for line in read_lines(out))


async def test_demo_keeps_its_output_in_the_current_directory_and_shows_its_first_lines(tmp_path: Path) -> None:
    run = await run_cli("demo", "--images", "50", cwd=tmp_path)
    assert run.code == 0, run.stderr
    out = tmp_path / "modelarts-demo.jsonl"
    first = out.read_text().splitlines()[0]
    assert len(read_lines(out)) == 50
    assert "modelarts-demo.jsonl (first 3 lines" in run.stdout
    assert first in run.stdout
    assert names_in(tmp_path) == ["modelarts-demo.jsonl"]  # no settings file, no ids left behind
    assert (await run_cli("demo", "--images", "20", cwd=tmp_path)).code == 0  # a second demo replaces it
    assert len(read_lines(out)) == 20


async def test_demo_to_standard_output_prints_only_json_lines_there(tmp_path: Path) -> None:
    run = await run_cli("demo", "--images", "30", "--out", "-", cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert len([json.loads(line) for line in run.stdout.splitlines()]) == 30
    assert "images/s" in run.stderr
    assert names_in(tmp_path) == []


async def test_out_dash_writes_json_lines_to_standard_output(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*IDS[:5], "unknown-id"]))
    run = await run_cli(*export_args(served.url, ids, "-"), cwd=tmp_path)
    assert run.code == 2, run.stderr
    assert sorted(json.loads(line)["image_id"] for line in run.stdout.splitlines()) == sorted([*IDS[:5], "unknown-id"])
    assert "exported 6 ids" in run.stderr
    assert names_in(tmp_path) == ["ids.txt"]  # no file named '-', no settings file


async def test_resume_of_standard_output_is_refused_clearly(served: Served, tmp_path: Path) -> None:
    run = await run_cli(*export_args(served.url, "-", "-", "--resume"), stdin=IDS[0].encode())
    assert run.code == 1
    assert "--resume needs a file: --out - writes to standard output" in run.stderr
    assert run.stdout == ""


async def test_each_line_is_keyed_by_the_id_asked_for_even_when_the_server_echoes_another(
    served: Served, tmp_path: Path
) -> None:
    async def answer_with_another_id(request: RecordedRequest) -> FakeReply | None:
        asked = request.path.split("/")[-2]
        body = json.dumps({"is_success": True, "image_id": asked.upper(), "tags": ["cat"]}).encode()
        return FakeReply(200, body, {"Content-Type": "application/json"})

    served.fake.on_request = answer_with_another_id
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:5]))
    out = tmp_path / "out.jsonl"
    assert (await run_cli(*export_args(served.url, ids, out))).code == 0
    # Lines come in order of completion: compare as sets of pairs.
    assert sorted((line["image_id"], line["server_image_id"]) for line in read_lines(out)) == sorted(
        (image_id, image_id.upper()) for image_id in IDS[:5]
    )
    resumed = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert resumed.code == 0, resumed.stderr
    assert "0 to go" in resumed.stderr
    assert len(read_lines(out)) == 5


async def test_a_label_with_a_lone_surrogate_is_written_escaped_and_resumes(served: Served, tmp_path: Path) -> None:
    served.fake.jobs[JOB].add_image("odd-label", ["\ud800", "cat"])
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(["odd-label", *IDS[:3]]))
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out))
    assert run.code == 0, run.stderr
    assert {line["image_id"]: line["tags"] for line in read_lines(out)}["odd-label"] == ["\ud800", "cat"]
    resumed = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert resumed.code == 0, resumed.stderr
    assert "0 to go" in resumed.stderr
    got = await run_cli("get", *connection(served.url), "--data-annotation-id", JOB, "odd-label")
    assert got.code == 0, got.stderr
    assert json.loads(got.stdout)["tags"] == ["\ud800", "cat"]
    assert "Traceback" not in run.stderr + resumed.stderr + got.stderr


async def test_retries_are_counted_in_the_progress_line_not_printed(served: Served, tmp_path: Path) -> None:
    served.fake.faults = Faults(p_503=0.3, seed=7)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS))
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out, "--progress-interval", "0.000001"))
    assert run.code in (0, 2), run.stderr
    assert re.search(r"failed \d+  retries \d+", run.stderr)  # the progress lines
    assert re.search(r"HTTP requests, \d+ retries", run.stderr)  # the summary
    assert "retrying in" not in run.stderr
    verbose = await run_cli(*export_args(served.url, ids, out, "--overwrite", "-v"))
    assert re.search(r"^info: GET \S+: .* retrying in", verbose.stderr, re.MULTILINE)


async def test_quiet_prints_nothing_but_errors(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*IDS, IDS[0]]))
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out, "-q", "--progress-interval", "0.000001"))
    assert (run.code, run.stderr, run.stdout) == (0, "", "")
    assert len(read_lines(out)) == len(IDS)
    again = await run_cli(*export_args(served.url, ids, out, "--quiet"))
    assert again.code == 1
    assert again.stderr.strip().endswith("pass --resume to continue that export, or --overwrite to replace it")


async def test_the_fakes_ids_command_lists_the_ids_serve_knows() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "modelarts_async.testing", "ids", "--images", "5", "--seed", "3", stdout=PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert out.decode().split() == generated_image_ids(5, seed=3)


def test_console_script_is_installed() -> None:
    script = shutil.which("modelarts-async", path=str(Path(sys.executable).parent))
    assert script is not None
