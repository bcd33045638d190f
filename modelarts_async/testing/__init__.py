"""An offline fake of ModelArts' data-annotation API, to test code that uses modelarts_async without the cloud.

In-process::

    fake = FakeModelArts()
    fake.add_job("282", "classification").add_image("img-1", ["cat"])
    async with fake.client() as client:
        info = await client.get_image_info_by_id(data_annotation_id="282", image_id="img-1")

Over real HTTP on 127.0.0.1: ``async with fake.serve() as url: ...``, or from a shell
``python -m modelarts_async.testing serve --port 0``. With pytest, the ``fake_modelarts`` fixture gives a fresh one.
"""

from ._fake import (
    FAKE_ENDPOINT,
    FAKE_PROJECT_ID,
    FakeJob,
    FakeModelArts,
    Faults,
    RecordedRequest,
    generated_image_ids,
)
from ._reply import FakeReply

__all__ = [
    "FAKE_ENDPOINT",
    "FAKE_PROJECT_ID",
    "FakeJob",
    "FakeModelArts",
    "FakeReply",
    "Faults",
    "RecordedRequest",
    "generated_image_ids",
]
