"""`export --resume`: failed ids are retried, the file keeps one line per id, the exit code says what it holds, and
a file exported with other settings is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_run import IDS, JOB, PROJECT, Served, connection, export_args, exported_ids, read_lines, run_cli

from modelarts_async.testing import Faults

LATE = ["late-1", "late-2"]  # unknown to the fake at first: error lines, until the fake learns them


def write_ids(tmp_path: Path, ids: list[str]) -> Path:
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    return path


def failed_ids(out: Path) -> set[str]:
    return {line["image_id"] for line in read_lines(out) if "error" in line}


async def test_resume_retries_failed_ids_and_exits_with_what_the_file_holds(served: Served, tmp_path: Path) -> None:
    ids, out = write_ids(tmp_path, [*IDS[:10], *LATE]), tmp_path / "out.jsonl"
    first = await run_cli(*export_args(served.url, ids, out))
    assert first.code == 2
    assert failed_ids(out) == set(LATE)
    assert "2 ids failed: rerun with --resume to retry them" in first.stderr

    for image_id in LATE:
        served.fake.jobs[JOB].add_image(image_id, ["cat"])
    resumed = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert resumed.code == 0, resumed.stderr
    assert "resume: 10 of 12 ids already in" in resumed.stderr
    assert "2 failed ones to retry; 2 to go" in resumed.stderr
    assert sorted(exported_ids(out)) == sorted([*IDS[:10], *LATE])  # one line per id: the latest outcome
    assert failed_ids(out) == set()

    again = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert again.code == 0
    assert "0 to go" in again.stderr


async def test_no_retry_failed_keeps_error_lines_and_still_exits_2(served: Served, tmp_path: Path) -> None:
    ids, out = write_ids(tmp_path, [*IDS[:5], *LATE]), tmp_path / "out.jsonl"
    assert (await run_cli(*export_args(served.url, ids, out))).code == 2
    before = out.read_bytes()
    served.fake.record = True
    run = await run_cli(*export_args(served.url, ids, out, "--resume", "--no-retry-failed"))
    assert run.code == 2  # the file still holds failures
    assert "2 failed ones kept (--no-retry-failed); 0 to go" in run.stderr
    assert "rerun with --resume (without --no-retry-failed)" in run.stderr
    assert out.read_bytes() == before
    assert served.fake.requests == []


async def test_rerunning_resume_until_exit_0_ends_with_every_id_once(served: Served, tmp_path: Path) -> None:
    served.fake.faults = Faults(p_503=0.6, seed=11)  # some ids fail after every retry
    ids, out = write_ids(tmp_path, IDS), tmp_path / "out.jsonl"
    run = await run_cli(*export_args(served.url, ids, out, "--resume"))
    for _ in range(30):
        if run.code == 0:
            break
        assert run.code == 2, run.stderr
        run = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert run.code == 0
    assert sorted(exported_ids(out)) == sorted(IDS)
    assert failed_ids(out) == set()


@pytest.mark.parametrize(
    ("option", "value", "label"),
    [
        ("--data-annotation-id", "other-job", "annotation job (--data-annotation-id)"),
        ("--project-id", "other-project", "project (--project-id)"),
        ("--endpoint", "http://127.0.0.1:9", "endpoint (--endpoint)"),
    ],
)
async def test_resume_refuses_a_file_exported_with_other_settings(
    served: Served, tmp_path: Path, option: str, value: str, label: str
) -> None:
    ids, out = write_ids(tmp_path, IDS[:5]), tmp_path / "out.jsonl"
    assert (await run_cli(*export_args(served.url, ids, out))).code == 0
    before = out.read_bytes()
    settings = {"--data-annotation-id": JOB, "--project-id": PROJECT, "--endpoint": served.url}
    settings[option] = value
    args = ["--endpoint", settings["--endpoint"], "--project-id", settings["--project-id"]]
    args += ["--data-annotation-id", settings["--data-annotation-id"], "--ids", str(ids), "--out", str(out)]
    run = await run_cli("export", *args, "--resume")
    assert run.code == 1
    assert f"was exported with another {label}" in run.stderr
    assert out.read_bytes() == before
    # The settings live beside the data: every line of the export stays an export line for jq and pandas.
    assert all(set(line) == {"image_id", "tags"} for line in read_lines(out))
    assert json.loads((tmp_path / "out.jsonl.meta.json").read_text())["data_annotation_id"] == JOB


async def test_overwrite_starts_again_with_the_new_settings(served: Served, tmp_path: Path) -> None:
    served.fake.add_generated_job("second", "classification", IDS, seed=2)
    ids, out = write_ids(tmp_path, IDS[:5]), tmp_path / "out.jsonl"
    assert (await run_cli(*export_args(served.url, ids, out))).code == 0
    args = ["export", *connection(served.url), "--data-annotation-id", "second", "--ids", str(ids), "--out", str(out)]
    assert (await run_cli(*args, "--overwrite")).code == 0
    assert json.loads((tmp_path / "out.jsonl.meta.json").read_text())["data_annotation_id"] == "second"
    assert (await run_cli(*args, "--resume")).code == 0


async def test_a_file_without_its_settings_is_resumed_with_a_warning(served: Served, tmp_path: Path) -> None:
    ids, out = write_ids(tmp_path, IDS[:5]), tmp_path / "out.jsonl"
    out.write_text(json.dumps({"image_id": IDS[0], "tags": []}) + "\n")  # as an older version wrote it
    run = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert run.code == 0, run.stderr
    assert "out.jsonl.meta.json is missing, so" in run.stderr
    assert sorted(exported_ids(out)) == sorted(IDS[:5])
    assert (tmp_path / "out.jsonl.meta.json").exists()


@pytest.mark.parametrize("damaged", ["out.jsonl", "out.jsonl.meta.json"])
async def test_a_deeply_nested_resume_file_is_a_clean_error(served: Served, tmp_path: Path, damaged: str) -> None:
    ids, out = write_ids(tmp_path, IDS[:5]), tmp_path / "out.jsonl"
    assert (await run_cli(*export_args(served.url, ids, out))).code == 0
    nested = "[" * 200_000 + "]" * 200_000 + "\n"
    path = tmp_path / damaged
    path.write_text(nested + path.read_text() if damaged == "out.jsonl" else nested)
    run = await run_cli(*export_args(served.url, ids, out, "--resume"))
    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert ("line 1 is not an export line" if damaged == "out.jsonl" else "not the settings file") in run.stderr
