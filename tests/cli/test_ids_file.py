"""The export's ids: a file read as often as needed, and an exact index of its distinct ids (8 bytes each)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelarts_async._cli._errors import UsageError
from modelarts_async._cli._ids_file import DONE, FAILED, NEW, SENT, IdIndex, IdsFile

OpenIds = Callable[[str | bytes], IdsFile]


@pytest.fixture
def ids_file(tmp_path: Path) -> Iterator[OpenIds]:
    """Write an ids file and open it (closed after the test)."""
    opened: list[IdsFile] = []

    def open_ids(text: str | bytes) -> IdsFile:
        path = tmp_path / f"ids-{len(opened)}.txt"
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        opened.append(IdsFile.open(str(path)))
        return opened[-1]

    yield open_ids
    for ids in opened:
        ids.close()


def handed_out(ids: IdsFile, index: IdIndex, states: int = 1 << NEW) -> list[str]:
    """What an export hands to the run: each id once, in file order."""
    return [key.decode() for offset, key in ids.scan() if index.claim(offset, key, states)]


def test_blank_lines_and_surrounding_whitespace_are_not_ids(ids_file: OpenIds) -> None:
    ids = ids_file("a\n\n  b \t\r\n   \nc")
    assert [key for _, key in ids.scan()] == [b"a", b"b", b"c"]


def test_each_id_is_handed_out_once_in_first_seen_order(ids_file: OpenIds) -> None:
    ids = ids_file("a\nb\na\nc\n b\nd\n")
    index = IdIndex(ids)
    assert (index.distinct, index.repeats) == (4, 2)
    assert handed_out(ids, index) == ["a", "b", "c", "d"]
    assert handed_out(ids, index) == []  # handed out: SENT now


@pytest.mark.parametrize(
    "hash_key",
    [
        pytest.param(lambda key: 0, id="every id in one bucket with one fingerprint"),
        pytest.param(lambda key: len(key) << 14, id="same bucket, fingerprint by length"),
        pytest.param(lambda key: key[-1] % 3, id="three buckets"),
    ],
)
def test_colliding_hashes_never_merge_or_lose_an_id(ids_file: OpenIds, hash_key: object) -> None:
    keys = [f"id-{n}" for n in range(50)]
    ids = ids_file("\n".join([*keys, *keys[::7], "id-3"]))
    index = IdIndex(ids, hash_key=hash_key)  # type: ignore[arg-type]
    assert index.distinct == 50
    for key in keys:
        handle = index.find(key.encode())
        assert handle is not None
        assert index.state(handle) == NEW
    assert index.find(b"id-50") is None
    index.set_state(index.find(b"id-7"), DONE)  # type: ignore[arg-type]
    index.set_state(index.find(b"id-8"), FAILED)  # type: ignore[arg-type]
    assert handed_out(ids, index, 1 << NEW | 1 << FAILED) == [key for key in keys if key != "id-7"]
    assert index.state(index.find(b"id-8")) == SENT  # type: ignore[arg-type]


def test_marks_are_separate_from_states(ids_file: OpenIds) -> None:
    index = IdIndex(ids_file("a\nb\n"))
    handle = index.find(b"b")
    assert handle is not None
    assert not index.marked(handle)
    index.mark(handle)
    index.set_state(handle, FAILED)
    assert index.marked(handle)
    assert index.state(handle) == FAILED
    assert not index.marked(index.find(b"a"))  # type: ignore[arg-type]


def test_a_long_id_is_read_back_whole(ids_file: OpenIds) -> None:
    long = "x" * 10_000
    ids = ids_file(f"{long}y\n{long}\n{long}y\n")
    index = IdIndex(ids, hash_key=lambda key: 0)
    assert index.distinct == 2
    assert handed_out(ids, index) == [long + "y", long]


def test_a_file_that_is_not_utf8_is_refused_with_its_line(ids_file: OpenIds) -> None:
    with pytest.raises(UsageError, match="line 2 is not UTF-8"):
        IdIndex(ids_file(b"a\n\xff\xfe\n"))


def test_standard_input_is_spooled_so_it_can_be_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a\nb\na\n")))
    with IdsFile.open("-") as ids:
        assert handed_out(ids, IdIndex(ids)) == ["a", "b"]


def test_an_unreadable_ids_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read ids"):
        IdsFile.open(str(tmp_path / "missing.txt"))
