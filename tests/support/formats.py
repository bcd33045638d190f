"""Helpers of the format tests: samples built from the wire JSON the service sends (the fake's label helpers),
a random dataset of every shape, JSONL export lines as the CLI writes them, and small real PNG files."""

from __future__ import annotations

import json
import random
import struct
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from modelarts_async import Sample, SampleLabel
from modelarts_async.testing import box_label, classification_label, shape_label

NAMES = ("car", "bus", "person")
SHAPES = ("bndbox", "polygon", "circle", "line", "dashed", "point", "polyline")


def wire_sample(
    sample_id: str, labels: Sequence[Mapping[str, Any]], size: tuple[int, int] | None = (640, 480), **fields: Any
) -> dict[str, Any]:
    """A sample as the service's JSON (and so as an export line): id, type image, labels, size, signed source."""
    sample: dict[str, Any] = {"sample_id": sample_id, "sample_type": 0, "labels": list(labels)}
    sample["metadata"] = {} if size is None else {"@modelarts:size": [*size, 3]}
    sample["source"] = f"https://bucket.obs.example.com/data/{sample_id}.jpg?AccessKeyId=AK&Signature=SIG"
    return {**sample, **fields}


def to_sample(wire: Mapping[str, Any]) -> Sample:
    """The `Sample` a user holds for `wire` (built with the public constructors)."""
    labels = tuple(
        SampleLabel(
            name=label.get("name"),
            type=label.get("type"),
            score=label.get("score"),
            annotated_by=label.get("annotated_by"),
            property=label.get("property", {}),
        )
        for label in wire.get("labels", [])
    )
    return Sample(
        sample_id=wire["sample_id"],
        sample_type=wire.get("sample_type"),
        labels=labels,
        metadata=wire.get("metadata", {}),
        source=wire.get("source"),
    )


def sample(sample_id: str, labels: Sequence[Mapping[str, Any]], size: tuple[int, int] | None = (640, 480)) -> Sample:
    return to_sample(wire_sample(sample_id, labels, size))


def random_label(rng: random.Random, shape: str, width: int, height: int, name: str) -> dict[str, Any]:
    """A valid label of `shape` inside a `width` x `height` image, integer coordinates (floats now and then)."""

    def x() -> int | float:
        return rng.randrange(1, width - 1) + (0.5 if rng.random() < 0.2 else 0)

    def y() -> int | float:
        return rng.randrange(1, height - 1) + (0.5 if rng.random() < 0.2 else 0)

    if shape == "bndbox":
        x1, x2 = sorted(rng.sample(range(width), 2))
        y1, y2 = sorted(rng.sample(range(height), 2))
        return box_label(name, (x1, y1, x2, y2))
    if shape == "circle":
        return shape_label(name, "circle", [[x(), y()], [rng.randrange(1, 30)]])
    count = {"polygon": rng.randrange(3, 8), "polyline": rng.randrange(2, 6), "point": 1}.get(shape, 2)
    return shape_label(name, shape, [[x(), y()] for _ in range(count)])


def random_dataset(count: int, seed: int = 0, shapes: Sequence[str] = SHAPES) -> Iterator[dict[str, Any]]:
    """`count` wire samples: 10% unlabeled, some with classification labels, the rest 1-4 labels of `shapes`."""
    rng = random.Random(seed)
    for index in range(count):
        width, height = rng.choice(((640, 480), (1920, 1080), (300, 200)))
        roll = rng.random()
        if roll < 0.1:
            labels: list[dict[str, Any]] = []
        elif roll < 0.2:
            labels = [classification_label(rng.choice(NAMES))]
        else:
            labels = [
                random_label(rng, rng.choice(shapes), width, height, rng.choice(NAMES))
                for _ in range(rng.randrange(1, 5))
            ]
        yield wire_sample(f"s{index:05d}", labels, (width, height))


def write_jsonl(path: Path, records: Sequence[Mapping[str, Any]] | Iterator[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as file:
        for record in records:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def png(width: int, height: int) -> bytes:
    """A valid grayscale PNG of the given size (black), built by hand: no image library needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + bytes(width) for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path, with its bytes."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}
