"""`ExportOutput`, the one owner of an export's output, in process: what it creates and when, what it refuses,
how it resumes and what it reports. (The same behaviour end to end: test_output_owner.py, test_resume.py.)"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from cli_run import names_in

from modelarts_async import NotFoundError
from modelarts_async._cli._errors import EXIT_OK, EXIT_SOME_FAILED, UsageError
from modelarts_async._cli._ids_file import DONE, IdIndex, IdsFile
from modelarts_async._cli._jsonl_file import Identity, encode_line
from modelarts_async._cli._output import ExportOutput, spooled_key
from modelarts_async._cli._progress import Console, Progress
from modelarts_async._cli._settings import ExportSettings

JOB = [Identity("data_annotation_id", "--data-annotation-id", "annotation job", "282")]
OTHER_JOB = [Identity("data_annotation_id", "--data-annotation-id", "annotation job", "999")]
LINE_A = encode_line({"image_id": "a", "tags": []})


def output_of(
    path: Path, console: Console | None = None, identity: list[Identity] = JOB, **settings: object
) -> ExportOutput:
    console = console or Console(io.StringIO(), interactive=False)
    return ExportOutput(ExportSettings(out=str(path), **settings), identity, "image_id", console)  # type: ignore[arg-type]


def progress_of(console: Console) -> Progress:
    return Progress(console, 0, interval=60.0, show=False)


def test_nothing_but_the_lock_exists_before_the_first_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with output_of(out) as output:
        assert names_in(tmp_path) == ["out.jsonl.lock"]
        output.write(LINE_A)
        assert names_in(tmp_path) == ["out.jsonl", "out.jsonl.lock", "out.jsonl.meta.json"]
    assert names_in(tmp_path) == ["out.jsonl", "out.jsonl.meta.json"]
    assert out.read_bytes() == LINE_A
    assert json.loads((tmp_path / "out.jsonl.meta.json").read_text())["data_annotation_id"] == "282"


def test_an_export_that_ends_with_no_line_leaves_an_empty_file(tmp_path: Path) -> None:
    with output_of(tmp_path / "out.jsonl") as output:
        output.finish()
    assert (tmp_path / "out.jsonl").read_bytes() == b""
    assert names_in(tmp_path) == ["out.jsonl", "out.jsonl.meta.json"]


def test_overwrite_replaces_the_file_and_its_settings_only_at_the_first_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with output_of(out, identity=OTHER_JOB) as output:
        output.write(b'{"image_id": "old", "tags": []}\n')
    with output_of(out, overwrite=True) as output:
        assert b"old" in out.read_bytes()  # a run that fails now keeps the old file
        output.write(LINE_A)
    assert out.read_bytes() == LINE_A
    assert json.loads((tmp_path / "out.jsonl.meta.json").read_text())["data_annotation_id"] == "282"


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({}, "exists: pass --resume to continue that export, or --overwrite to replace it"),
        ({"resume": True, "_identity": OTHER_JOB}, "was exported with another annotation job (--data-annotation-id)"),
    ],
)
def test_what_the_output_cannot_be_used_for_is_refused_and_unlocked(
    tmp_path: Path, settings: dict[str, object], said: str
) -> None:
    out = tmp_path / "out.jsonl"
    with output_of(out) as output:
        output.write(LINE_A)
    identity = settings.pop("_identity", JOB)
    with pytest.raises(UsageError, match=re.escape(said)):
        output_of(out, identity=identity, **settings).__enter__()  # type: ignore[arg-type]
    assert names_in(tmp_path) == ["out.jsonl", "out.jsonl.meta.json"]  # no lock left behind


def test_standard_output_cannot_be_resumed_and_is_never_locked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--resume needs a file"):
        output_of(Path("-"), resume=True).__enter__()
    with output_of(Path("-")) as output:
        assert output.name == "standard output"
    assert names_in(tmp_path) == []


def test_a_directory_is_not_an_output(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Is a directory"):
        output_of(tmp_path, overwrite=True).__enter__()


def test_resume_repairs_against_the_index_and_reports_what_the_file_holds(tmp_path: Path) -> None:
    out, ids = tmp_path / "out.jsonl", tmp_path / "ids.txt"
    ids.write_text("a\nb\nc\n")
    with output_of(out) as output:
        output.write(LINE_A + b'{"image_id": "b", "error": {}}\n{"image_id": "c", "ta')
    stream = io.StringIO()
    console = Console(stream, interactive=False)
    with IdsFile.open(str(ids)) as keys, output_of(out, console, resume=True) as output:
        index = IdIndex(keys)
        state = output.resume(index)
        assert (state.done, state.retrying, state.cut_bytes) == (1, 1, len('{"image_id": "c", "ta'))
        assert index.state(index.find(b"a")) == DONE  # type: ignore[arg-type]
        progress = progress_of(console)
        progress.add(NotFoundError("gone", status_code=404))
        assert output.report(progress) == EXIT_SOME_FAILED
    assert out.read_bytes() == LINE_A  # the torn line cut, the error line of b dropped to retry it
    text = stream.getvalue()
    assert f"resume: cut a truncated last line (21 bytes) off {out}" in text
    assert "1 id failed: rerun with --resume to retry them" in text


def test_a_listing_resume_indexes_the_keys_of_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with output_of(out) as output:
        output.write(LINE_A + encode_line({"image_id": "b\n c", "tags": []}))
    with output_of(out, resume=True) as output, output.indexed_keys() as index:
        output.resume(index, encode_key=spooled_key)
        assert index.find(spooled_key("b\n c")) is not None
        assert index.find(spooled_key("d")) is None
        assert output.report(progress_of(output.console)) == EXIT_OK
