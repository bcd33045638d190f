"""`labels.csv`: one row per label, every shape included (its points as JSON), one empty row per unlabeled sample."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from typing import ClassVar

from .._v2._models import DatasetLabel
from ._base import Entry, FormatWriter, LabelObject
from ._geometry import Shape
from ._numbers import exact

__all__ = ["COLUMNS", "CsvWriter"]

COLUMNS = (
    "sample_id",
    "file_name",
    "width",
    "height",
    "label",
    "shape",
    "xmin",
    "ymin",
    "xmax",
    "ymax",
    "points_json",
)


class CsvWriter(FormatWriter):
    """Writes `labels.csv` (`COLUMNS`): `with CsvWriter(out, labels=names) as table: table.add(sample)`.

    A classification label has empty coordinates; a circle's `points_json` is `[[cx, cy], [r]]` and its box the
    disc's. A sample with nothing written (unlabeled, or every label skipped) gets one row with an empty label.
    Every sample type is kept (text and audio labels are rows too); `split` adds no column (one file).

    Cells are written exactly as the service sent them, for tools that read CSV (pandas, `csv`): a label name that
    starts with `=`, `+`, `-` or `@` stays so, and a spreadsheet opening the file may take it for a formula. Open
    files from datasets you do not trust with a CSV reader, not a spreadsheet.
    """

    format_name: ClassVar[str] = "csv"
    images_only: ClassVar[bool] = False
    holds_classification: ClassVar[bool] = True

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        labels: Sequence[DatasetLabel | str],
        splits: Iterable[str] = ("train",),
    ) -> None:
        super().__init__(out_dir, labels=labels, splits=splits)
        self._file = open(os.path.join(self.out_dir, "labels.csv"), "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._rows = csv.writer(self._file, lineterminator="\n")
        self._rows.writerow(COLUMNS)

    def write_sample(self, entry: Entry, objects: list[LabelObject]) -> None:
        width, height = ("", "") if entry.size is None else (str(entry.size[0]), str(entry.size[1]))
        start = [entry.sample_id, entry.file_name, width, height]
        if not objects:
            self._rows.writerow([*start, "", "", "", "", "", "", ""])
        for item in objects:
            self._rows.writerow([*start, item.name, *_geometry(item.shape)])

    def finish(self) -> None:
        self._file.close()

    def abandon(self) -> None:
        self._file.close()  # what was written stays: each line is whole; a rerun writes the file anew


def _geometry(shape: Shape | None) -> list[str]:
    if shape is None:
        return ["", "", "", "", "", ""]
    points: list[object] = [list(point) for point in shape.points]
    if shape.radius is not None:
        points = [list(shape.points[0]), [shape.radius]]
    return [shape.kind, *(exact(value) for value in shape.bounds), json.dumps(points, separators=(",", ":"))]
