"""The v2 dataset paths: each id is exactly one path segment, or the call fails before anything is sent."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelarts_async._exceptions import InvalidArgumentError
from modelarts_async._paths import dataset_labels_path, dataset_path, datasets_path, sample_path, samples_path

P, D, S = "0a1b2c3d4e5f", "WxCREuCkBSAlQr9xrde", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_the_documented_paths():
    assert datasets_path(P) == f"/v2/{P}/datasets"
    assert dataset_path(P, D) == f"/v2/{P}/datasets/{D}"
    assert samples_path(P, D) == f"/v2/{P}/datasets/{D}/data-annotations/samples"
    assert sample_path(P, D, S) == f"/v2/{P}/datasets/{D}/data-annotations/samples/{S}"
    assert dataset_labels_path(P, D) == f"/v2/{P}/datasets/{D}/data-annotations/labels"


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a?b", "a#b", "a%2Fb", " a", "a\nb", 5, None])
@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda bad: sample_path(P, D, bad), "sample_id"),
        (lambda bad: sample_path(P, bad, S), "dataset_id"),
        (lambda bad: sample_path(bad, D, S), "project_id"),
        (lambda bad: samples_path(P, bad), "dataset_id"),
        (lambda bad: dataset_path(P, bad), "dataset_id"),
        (lambda bad: dataset_labels_path(P, bad), "dataset_id"),
        (lambda bad: datasets_path(bad), "project_id"),
    ],
)
def test_an_id_that_is_not_one_segment_is_refused_by_name(build, name, bad):
    with pytest.raises(InvalidArgumentError, match=name):
        build(bad)


@given(st.text(max_size=20))
def test_any_accepted_sample_id_stays_one_segment(sample_id):
    try:
        path = sample_path(P, D, sample_id)
    except InvalidArgumentError:
        return
    segments = path.split("/")
    assert len(segments) == 8
    assert unquote(segments[-1]) == sample_id
