"""Training formats from ModelArts labels: COCO, YOLO (Ultralytics), Pascal VOC, ModelArts manifest and CSV.

Each writer is a plain sync context manager that holds one sample at a time and says what it could not write::

    from modelarts_async.formats import YoloWriter, assign_split

    with YoloWriter("cars", labels=["car", "truck"], splits=("train", "val")) as yolo:
        for sample in samples:  # v2 `Sample`s; `image_info_to_sample(info)` for v1 answers
            result = yolo.add(sample, split=assign_split(sample.sample_id, {"train": 0.8, "val": 0.2}))
            for skip in result.skipped:
                print(skip.sample_id, skip.label, skip.shape, skip.why)
    print(yolo.close())  # WriteSummary: samples, annotations, errors, skips per shape

`convert_jsonl(path, "coco", out_dir)` does the same for an existing JSONL export, offline.
"""

from ._adapter import image_info_to_sample
from ._coco import CocoWriter
from ._convert import ConvertSummary, convert_jsonl
from ._csv import CsvWriter
from ._manifest import ManifestWriter
from ._report import AddResult, Skip, WriteSummary
from ._split import assign_split, parse_splits
from ._voc import VocWriter
from ._yolo import YoloWriter

__all__ = [
    "AddResult",
    "CocoWriter",
    "ConvertSummary",
    "CsvWriter",
    "ManifestWriter",
    "Skip",
    "VocWriter",
    "WriteSummary",
    "YoloWriter",
    "assign_split",
    "convert_jsonl",
    "image_info_to_sample",
    "parse_splits",
]
