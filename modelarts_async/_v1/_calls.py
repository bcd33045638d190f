"""The v1 data-annotation calls: one image's labels, a batch of images, and the fetchers a bulk run uses.

These are plain functions of a `Pipeline`: the client's methods are a typed, documented facade over them.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._bulk._pacing import Pacer
from .._bulk._stream import Fetchers, ResultStream
from .._decode import request_id_note
from .._exceptions import InvalidArgumentError, ModelArtsError, NotFoundError, ResponseValidationError
from .._paths import batch_tags_path, image_tags_path, path_segment
from .._pipeline import Pipeline, Reply
from ._converter import structure_image_info, structure_images_tags
from ._models import ImageInfo, ImageResult

__all__ = ["ImageResultStream", "fetch_image_batch", "get_image_info", "get_image_info_by_ids", "image_fetchers"]


class ImageResultStream(ResultStream[ImageResult]):
    """The async iterator of `ImageResult`s that `ModelArtsClient.iter_image_infos()` returns.

    Use it in `async with` so that leaving the block early (``break``, an exception) cancels the requests in
    flight and waits for them before going on. `stats` is readable at any time.

    Example::

        async with client.iter_image_infos(ids, data_annotation_id="282") as results:
            async for result in results:
                ...
        print(results.stats)
    """


async def get_image_info(
    pipeline: Pipeline, project_id: str, data_annotation_id: str, image_id: str, pacer: Pacer | None = None
) -> ImageInfo:
    """`GET .../images/{image_id}/tags` structured into an `ImageInfo`."""
    path = image_tags_path(project_id, data_annotation_id, image_id)

    def structure(reply: Reply) -> ImageInfo:
        return structure_image_info(
            reply.data, requested_image_id=image_id, status_code=reply.status_code, request_id=reply.request_id
        )

    return await pipeline.fetch("GET", path, structure, pacer=pacer, project_id=project_id)


async def get_image_info_by_ids(
    pipeline: Pipeline, project_id: str, data_annotation_id: str, image_ids: Iterable[str]
) -> list[ImageInfo]:
    """One call to the batch endpoint; raise the first error, including a malformed item of the answer."""
    if isinstance(image_ids, (str, bytes)):
        raise InvalidArgumentError("image_ids must be a list of ids, not one string: wrap a single id in a list")
    ids = list(image_ids)
    for image_id in ids:
        path_segment("image_id", image_id)
    path = batch_tags_path(project_id, data_annotation_id)
    if not ids:
        return []
    return await pipeline.fetch("POST", path, _all_infos, json_body={"image_id": ids}, project_id=project_id)


def _all_infos(reply: Reply) -> list[ImageInfo]:
    """Every item of a batch answer as an `ImageInfo`; raises the first malformed item's error."""
    infos = []
    for _, item in structure_images_tags(reply.data, status_code=reply.status_code, request_id=reply.request_id):
        if isinstance(item, ResponseValidationError):
            raise item
        infos.append(item)
    return infos


async def fetch_image_batch(
    pipeline: Pipeline, project_id: str, path: str, image_ids: list[str], pacer: Pacer | None
) -> dict[str, ImageInfo | ModelArtsError]:
    """One batch call; every id gets an outcome: its info, its item's error, or `NotFoundError` when absent.

    The errors are scrubbed like a raised one (`Pipeline.scrub_outcomes`): they reach the user as results.
    """

    def outcomes(reply: Reply) -> dict[str, ImageInfo | ModelArtsError]:
        return _outcomes(reply, image_ids)

    found = await pipeline.fetch(
        "POST", path, outcomes, json_body={"image_id": image_ids}, pacer=pacer, project_id=project_id
    )
    return pipeline.scrub_outcomes(found)


def _outcomes(reply: Reply, image_ids: list[str]) -> dict[str, ImageInfo | ModelArtsError]:
    items = structure_images_tags(reply.data, status_code=reply.status_code, request_id=reply.request_id)
    found: dict[str, ImageInfo | ModelArtsError] = {}
    unattributed: ResponseValidationError | None = None
    for image_id, item in items:
        if image_id is None:
            assert isinstance(item, ResponseValidationError)
            unattributed = unattributed or item
        else:
            found.setdefault(image_id, item)
    for image_id in image_ids:
        if image_id not in found:
            found[image_id] = unattributed or _missing(image_id, reply)
    return found


def image_fetchers(pipeline: Pipeline, project_id: str, data_annotation_id: str) -> Fetchers[ImageInfo, ImageResult]:
    """How a bulk run fetches images of one job: one id per call, or many through the batch endpoint."""
    batch_path = batch_tags_path(project_id, data_annotation_id)  # validates both ids once for the whole run

    async def one(image_id: str, pacer: Pacer) -> ImageInfo:
        return await get_image_info(pipeline, project_id, data_annotation_id, image_id, pacer)

    async def batch(image_ids: list[str], pacer: Pacer) -> dict[str, ImageInfo | ModelArtsError]:
        return await fetch_image_batch(pipeline, project_id, batch_path, image_ids, pacer)

    return Fetchers(one=one, result=ImageResult, batch=batch, check_key=lambda key: path_segment("image_id", key))


def _missing(image_id: str, reply: Reply) -> NotFoundError:
    return NotFoundError(
        f"not found: HTTP {reply.status_code}: the batch answer has no entry for image {image_id!r}"
        f"{request_id_note(reply.request_id)}",
        status_code=reply.status_code,
        request_id=reply.request_id,
    )
