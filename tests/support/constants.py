"""The ids and URLs the tests share: one project, job and image, and the service's documented answer for it."""

from __future__ import annotations

from typing import Any

ENDPOINT = "https://modelarts.cn-north-4.myhuaweicloud.com"
PROJECT = "cc0f0990a56f4f9b8b3e7b0e2c7e1f00"
JOB = "282"
IMAGE = "076e3caed758a1c18c91a0e9cae3368f"
TAGS_PATH = f"/v1/{PROJECT}/data-annotations/{JOB}/images/{IMAGE}/tags"
TAGS_URL = f"{ENDPOINT}{TAGS_PATH}"

#: The documented answer of the single-image call for IMAGE in a classification job.
CLASSIFICATION: dict[str, Any] = {"is_success": True, "image_id": IMAGE, "tags": ["animal", "fish"]}
