"""CPU per sample of reading a `list_samples` page: `json.loads` alone against `json.loads` plus our v2 converter.

A page of 100 generated detection samples (1-4 labels each, the bundled fake's data, as `list_samples` receives
it) is parsed `--pages` times per repetition; prints one JSON line with the medians in µs per sample. run.py runs
this as its `converter` row (issue 20: the converter within 2x of `json.loads`). No network, no server.

A third measurement, `no_checks_us`, builds the very same objects (`Sample`, `SampleLabel`, their `FrozenDict`s and
point tuples) from the parsed page with no check at all, slots set directly: the floor of any converter of these
models in pure Python, against which the converter's own checks can be read.

    python benchmarks/converter.py [--pages 300] [--reps 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from modelarts_async._paths import samples_path
from modelarts_async._v2 import _converter as converter
from modelarts_async._v2._converter import structure_sample_page
from modelarts_async._v2._models import FrozenDict, Sample, SampleLabel
from modelarts_async.testing import FakeModelArts

PROJECT, DATASET, PAGE = "bench-project", "BenchDataset000001", 100


def one_page() -> bytes:
    """The body of the first page of a generated detection dataset, exactly as the fake serves it."""
    fake = FakeModelArts(project_id=PROJECT)
    fake.add_generated_dataset(DATASET, PAGE, kind="detection")
    reply = fake.handle("GET", f"{samples_path(PROJECT, DATASET)}?offset=0&limit={PAGE}", {}, b"")
    assert reply.status == 200, reply.body[:200]
    return reply.body


_EMPTY: FrozenDict = FrozenDict()
_NO_NULLS: frozenset[str] = frozenset()
_FEATURE, _SIZE = "@modelarts:feature", "@modelarts:size"
_SAMPLE_FIELDS = (
    (converter._set_sample_id, "sample_id"),
    (converter._set_sample_type, "sample_type"),
    (converter._set_sample_status, "sample_status"),
    (converter._set_sample_source, "source"),
    (converter._set_sample_preview, "preview"),
    (converter._set_sample_time, "sample_time"),
    (converter._set_sample_name, "sample_name"),
    (converter._set_sample_dir, "sample_dir"),
    (converter._set_sample_size, "sample_size"),
    (converter._set_sample_annotated_by, "annotated_by"),
)


def _label_without_checks(data: dict[str, Any]) -> SampleLabel:
    label_property = FrozenDict(data["property"])
    feature = label_property.get(_FEATURE)
    if feature is not None:
        dict.__setitem__(label_property, _FEATURE, tuple([tuple(point) for point in feature]))
    label: SampleLabel = object.__new__(SampleLabel)
    get = data.get
    converter._set_label_name(label, get("name"))
    converter._set_label_type(label, get("type"))
    converter._set_label_id(label, get("id"))
    converter._set_label_score(label, get("score"))
    converter._set_label_annotated_by(label, get("annotated_by"))
    converter._set_label_property(label, label_property)
    converter._set_label_extra(label, _EMPTY)
    converter._set_label_wire_keys(label, tuple(data))
    converter._set_label_wire_nulls(label, _NO_NULLS)
    return label


def without_checks(raw: bytes) -> list[Sample]:
    """The objects `structure_sample_page` builds for this page, built with no check (valid input assumed)."""
    samples = []
    for data in json.loads(raw)["samples"]:
        metadata = FrozenDict(data.get("metadata") or {})
        size = metadata.get(_SIZE)
        if size is not None:
            dict.__setitem__(metadata, _SIZE, tuple(size))
        sample: Sample = object.__new__(Sample)
        get = data.get
        for set_field, key in _SAMPLE_FIELDS:
            set_field(sample, get(key))
        labels = tuple([_label_without_checks(label) for label in data.get("labels") or ()])
        converter._set_sample_labels(sample, labels)
        converter._set_sample_metadata(sample, metadata)
        converter._set_sample_extra(sample, _EMPTY)
        converter._set_sample_wire_keys(sample, tuple(data))
        converter._set_sample_wire_nulls(sample, _NO_NULLS)
        samples.append(sample)
    return samples


def per_sample_us(parse: Callable[[bytes], Any], body: bytes, pages: int, samples: int) -> float:
    started = time.process_time()
    for _ in range(pages):
        parse(body)
    return (time.process_time() - started) / (pages * samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="pages parsed per repetition")
    parser.add_argument("--reps", type=int, default=7, help="repetitions (medians are reported)")
    args = parser.parse_args()
    body = one_page()
    page = json.loads(body)
    samples = len(page["samples"])
    labels = sum(len(sample.get("labels") or ()) for sample in page["samples"]) / samples

    def ours(raw: bytes) -> Any:
        return structure_sample_page(json.loads(raw))

    assert without_checks(body) == structure_sample_page(page)[1], "the floor must build the converter's objects"
    plain, full, floor = [], [], []
    for _ in range(args.reps):  # interleaved, so drift in the machine's load hits all alike
        plain.append(per_sample_us(json.loads, body, args.pages, samples))
        full.append(per_sample_us(ours, body, args.pages, samples))
        floor.append(per_sample_us(without_checks, body, args.pages, samples))
    result = {
        "samples_per_page": samples,
        "labels_per_sample": labels,
        "page_bytes": len(body),
        "json_loads_us": statistics.median(plain),
        "list_samples_us": statistics.median(full),
        "no_checks_us": statistics.median(floor),
        "json_loads_range": [min(plain), max(plain)],
        "list_samples_range": [min(full), max(full)],
        "no_checks_range": [min(floor), max(floor)],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
