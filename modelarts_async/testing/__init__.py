"""An offline fake of ModelArts' data-annotation API, to test code that uses modelarts_async without the cloud.

In-process::

    fake = FakeModelArts()
    fake.add_job("282", "classification").add_image("img-1", ["cat"])
    async with fake.client() as client:
        info = await client.get_image_info_by_id(data_annotation_id="282", image_id="img-1")

The v2 dataset endpoints (samples, datasets, labels) answer from `fake.add_dataset(...)`::

    dataset = fake.add_dataset("WxCREuCkBSAlQr9xrde", dataset_type=1)
    dataset.add_sample("0a1b2c3d4e5f60718293a4b5c6d7e8f9", [box_label("car", (10, 20, 110, 220))])

Over real HTTP on 127.0.0.1: ``async with fake.serve() as url: ...``, or from a shell
``python -m modelarts_async.testing serve --port 0``. While served, each sample's `source` is a pre-signed-looking
URL on that server, serving a real PNG (`client.download_images` fetches it); `fake.image_requests` records them.
With pytest, the ``fake_modelarts`` fixture gives a fresh one.
"""

from ._datasets import (
    DEMO_DATASET_ID,
    FakeDataset,
    box_label,
    classification_label,
    generated_sample_ids,
    shape_label,
)
from ._fake import (
    FAKE_ENDPOINT,
    FAKE_PROJECT_ID,
    FakeJob,
    FakeModelArts,
    Faults,
    RecordedRequest,
    generated_image_ids,
)
from ._images import ImageRequest
from ._reply import FakeReply

__all__ = [
    "DEMO_DATASET_ID",
    "FAKE_ENDPOINT",
    "FAKE_PROJECT_ID",
    "FakeDataset",
    "FakeJob",
    "FakeModelArts",
    "FakeReply",
    "Faults",
    "ImageRequest",
    "RecordedRequest",
    "box_label",
    "classification_label",
    "generated_image_ids",
    "generated_sample_ids",
    "shape_label",
]
