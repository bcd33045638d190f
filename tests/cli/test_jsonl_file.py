"""The export file: the lines it holds, reading it back, and how a resume repairs and rewrites it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelarts_async import DetectionTag, ImageInfo, NotFoundError
from modelarts_async._cli._errors import StopExport, UsageError
from modelarts_async._cli._export import image_record
from modelarts_async._cli._ids_file import DONE, FAILED, NEW, IdIndex, IdsFile
from modelarts_async._cli._jsonl_file import (
    FileLines,
    Identity,
    check_identity,
    encode_line,
    error_record,
    prepare_resume,
    read_export,
    write_identity,
)

OK_A, OK_B = '{"image_id": "a", "tags": []}\n', '{"image_id": "b", "tags": ["x"]}\n'
ERR_A, ERR_C = '{"image_id": "a", "error": {}}\n', '{"image_id": "c", "error": {}}\n'


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lines_are_the_documented_shapes() -> None:
    detection = ImageInfo("i", (DetectionTag("flower", (10, 0, 100, 100)),), (1920, 1080))
    assert image_record("i", detection) == {
        "image_id": "i",
        "tags": [{"tag": "flower", "pos": [10, 0, 100, 100]}],
        "size": [1920, 1080],
    }
    assert image_record("j", ImageInfo("j", ("cat",))) == {"image_id": "j", "tags": ["cat"]}
    error = NotFoundError("not found: ...", status_code=404, error_code="ModelArts.0102", request_id="r1")
    assert error_record("image_id", "k", error) == {
        "image_id": "k",
        "error": {
            "type": "NotFoundError",
            "error_code": "ModelArts.0102",
            "message": "not found: ...",
            "request_id": "r1",
        },
    }


def test_a_line_is_keyed_by_the_id_asked_for_and_keeps_the_servers_id() -> None:
    record = image_record("asked", ImageInfo("ANSWERED", ("cat",)))
    assert record == {"image_id": "asked", "server_image_id": "ANSWERED", "tags": ["cat"]}
    assert next(iter(record)) == "image_id"


def test_a_lone_surrogate_is_written_as_an_escape_and_reads_back() -> None:
    line = encode_line({"image_id": "a", "tags": ["\ud800", "ü"]})
    assert line.endswith(b"\n")
    assert b"\\ud800" in line
    assert json.loads(line) == {"image_id": "a", "tags": ["\ud800", "ü"]}
    assert encode_line({"image_id": "a", "tags": ["ü"]}) == '{"image_id": "a", "tags": ["ü"]}\n'.encode()


def test_json_cannot_hold_nan_so_encoding_refuses_it() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        encode_line({"image_id": "a", "size": [float("nan")]})


def test_the_writer_appends_whole_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text(OK_A)
    writer = FileLines(str(out))
    writer.write(encode_line({"image_id": "ü", "tags": ["x"]}))
    writer.close()
    assert lines(out) == [{"image_id": "a", "tags": []}, {"image_id": "ü", "tags": ["x"]}]


# -- reading an export back ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["not json", '{"tags": []}', "[1, 2]", '{"image_id": 5}', "[" * 100_000 + "]" * 100_000]
)
def test_a_damaged_middle_line_is_refused_with_its_number(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "out.jsonl"
    original = f"{OK_A}{bad}\n{OK_B}"
    out.write_text(original)
    with pytest.raises(UsageError, match="line 2 is not an export line"):
        read_export(str(out), "image_id")
    assert out.read_text() == original


@pytest.fixture
def index_of(tmp_path: Path) -> Iterator[Callable[..., IdIndex]]:
    """The index of an ids file holding the given ids (closed after the test)."""
    opened: list[IdsFile] = []

    def index(*ids: str) -> IdIndex:
        opened.append(IdsFile.open(str(_write(tmp_path / "ids.txt", "\n".join(ids)))))
        return IdIndex(opened[-1])

    yield index
    for ids in opened:
        ids.close()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_resume_cuts_a_torn_last_line_in_place(tmp_path: Path, index_of: Callable[..., IdIndex]) -> None:
    out = _write(tmp_path / "out.jsonl", OK_A + OK_B + '{"image_id": "c", "ta')
    index = index_of("a", "b", "c")
    state = prepare_resume(str(out), "image_id", index, retry_failed=True)
    assert (state.done, state.cut_bytes) == (2, len('{"image_id": "c", "ta'))
    assert out.read_text() == OK_A + OK_B
    assert index.state(index.find(b"c")) == NEW  # type: ignore[arg-type]


def test_resume_ends_a_whole_last_line_that_lost_its_newline(tmp_path: Path, index_of: Callable[..., IdIndex]) -> None:
    out = _write(tmp_path / "out.jsonl", OK_A + OK_B.rstrip("\n"))
    assert prepare_resume(str(out), "image_id", index_of("a", "b"), retry_failed=True).done == 2
    assert out.read_text() == OK_A + OK_B


def test_resume_drops_error_lines_of_ids_to_retry_and_keeps_other_lines(
    tmp_path: Path, index_of: Callable[..., IdIndex]
) -> None:
    out = _write(tmp_path / "out.jsonl", ERR_A + OK_B + ERR_C + '{"image_id": "other", "error": {}}\n{"image_')
    index = index_of("a", "b", "c", "d")
    state = prepare_resume(str(out), "image_id", index, retry_failed=True)
    assert (state.done, state.retrying, state.failed_kept, state.other_failed) == (1, 2, 0, 1)
    assert out.read_text() == OK_B + '{"image_id": "other", "error": {}}\n'
    assert [index.state(index.find(key)) for key in (b"a", b"b", b"c", b"d")] == [FAILED, DONE, FAILED, NEW]
    assert not (tmp_path / "out.jsonl.rewrite").exists()


def test_resume_without_retrying_keeps_error_lines_untouched(tmp_path: Path, index_of: Callable[..., IdIndex]) -> None:
    original = ERR_A + OK_B
    out = _write(tmp_path / "out.jsonl", original)
    state = prepare_resume(str(out), "image_id", index_of("a", "b"), retry_failed=False)
    assert (state.done, state.failed_kept, state.retrying) == (1, 1, 0)
    assert out.read_text() == original


def test_resume_keeps_one_line_per_id_preferring_labels(tmp_path: Path, index_of: Callable[..., IdIndex]) -> None:
    # Files written before lines were keyed by the input id could repeat an id.
    out = _write(tmp_path / "out.jsonl", ERR_A + OK_B + OK_A + OK_B + ERR_A)
    state = prepare_resume(str(out), "image_id", index_of("a", "b"), retry_failed=False)
    assert (state.done, state.repeats_dropped) == (2, 3)
    assert out.read_text() == OK_B + OK_A


def test_a_failed_rewrite_leaves_the_file_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_of: Callable[..., IdIndex]
) -> None:
    out = _write(tmp_path / "out.jsonl", ERR_A + OK_B)

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("modelarts_async._cli._jsonl_file.os.fsync", full)
    with pytest.raises(StopExport, match="No space left on device; it is unchanged"):
        prepare_resume(str(out), "image_id", index_of("a", "b"), retry_failed=True)
    assert out.read_text() == ERR_A + OK_B
    assert not (tmp_path / "out.jsonl.rewrite").exists()


# -- the settings beside the file ------------------------------------------------------------------------------------

SETTINGS = [
    Identity("endpoint", "--endpoint", "endpoint", "http://127.0.0.1:9"),
    Identity("data_annotation_id", "--data-annotation-id", "annotation job", "282"),
]


def test_settings_are_kept_beside_the_file_and_checked(tmp_path: Path) -> None:
    out = str(tmp_path / "out.jsonl")
    assert check_identity(out, SETTINGS) is False  # none recorded yet
    write_identity(out, SETTINGS)
    assert check_identity(out, SETTINGS) is True
    other = [SETTINGS[0], SETTINGS[1]._replace(value="283")]
    with pytest.raises(UsageError, match=r"another annotation job \(--data-annotation-id\): '282', not '283'"):
        check_identity(out, other)


@pytest.mark.parametrize("text", ["garbage", "[]", '{"format": "x"}', "[" * 100_000 + "]" * 100_000])
def test_a_damaged_settings_file_is_a_usage_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "out.jsonl.meta.json").write_text(text)
    with pytest.raises(UsageError, match="is not the settings file of an export"):
        check_identity(str(tmp_path / "out.jsonl"), SETTINGS)
