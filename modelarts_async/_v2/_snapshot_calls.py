"""The calls an export is checked with: a dataset's statistics, and its published versions (one, or all listed).

Plain functions of a `Pipeline` like those of `_calls.py`, whose request helper, query builder and `Listing` they
use; the client's methods are the typed facade.
"""

from __future__ import annotations

from collections.abc import Callable

from .._paths import dataset_stats_path, version_path, versions_path
from .._pipeline import Pipeline, Reply
from ._calls import QueryValue, _call, _optional_str, query_string
from ._listing import Listing
from ._offsets import OffsetMode, check_offset_mode
from ._pager import check_pages_in_flight
from ._stats import DatasetStats
from ._stats_converter import structure_dataset_stats, structure_version, structure_version_page
from ._versions import DatasetVersion

__all__ = ["VersionListing", "get_dataset_stats", "get_version", "list_versions"]

_VERSIONS_HINT = "Versions were published or deleted meanwhile: list again for a complete picture"


class VersionListing(Listing[DatasetVersion]):
    """The async iterator of every published `DatasetVersion` of a dataset that `list_versions()` returns.

    Example::

        versions = [version async for version in client.list_versions(dataset_id="WxCREuCkBSAlQr9xrde")]
    """


async def get_dataset_stats(
    pipeline: Pipeline, project_id: str, dataset_id: str, sample_state: str | None = None
) -> DatasetStats:
    """`GET .../datasets/{dataset_id}/data-annotations/stats` structured into a `DatasetStats`."""
    params: dict[str, QueryValue] = {"sample_state": _optional_str("sample_state", sample_state)}
    target = dataset_stats_path(project_id, dataset_id) + query_string(params)

    def structure(reply: Reply) -> DatasetStats:
        return structure_dataset_stats(
            reply.data, dataset_id=dataset_id, status_code=reply.status_code, request_id=reply.request_id
        )

    return await _call(pipeline, target, structure, project_id, dataset_id)


async def get_version(pipeline: Pipeline, project_id: str, dataset_id: str, version_id: str) -> DatasetVersion:
    """`GET .../datasets/{dataset_id}/versions/{version_id}` structured into a `DatasetVersion`."""
    target = version_path(project_id, dataset_id, version_id)

    def structure(reply: Reply) -> DatasetVersion:
        return structure_version(
            reply.data, requested_version_id=version_id, status_code=reply.status_code, request_id=reply.request_id
        )

    return await _call(pipeline, target, structure, project_id, dataset_id, version_id=version_id)


def _version_id(version: DatasetVersion) -> str:
    return version.version_id


def list_versions(
    pipeline: Pipeline,
    project_id: str,
    dataset_id: str,
    *,
    pages_in_flight: int,
    offset_mode: OffsetMode,
    on_start: Callable[[], None],
) -> VersionListing:
    """Every published version of a dataset, each once, paged like the other v2 lists."""
    path = versions_path(project_id, dataset_id)

    async def fetch(offset: int, limit: int) -> tuple[int | None, list[DatasetVersion]]:
        target = path + query_string({"offset": offset, "limit": limit})

        def structure(reply: Reply) -> tuple[int | None, list[DatasetVersion]]:
            # Its count is checked inside (`_count`: an integer from 0 to 2**53 - 1), like the stats' counts.
            return structure_version_page(
                reply.data, status_code=reply.status_code, request_id=reply.request_id, offset=offset
            )

        return await _call(pipeline, target, structure, project_id, dataset_id)

    return VersionListing(
        fetch,
        _version_id,
        what=f"versions of dataset {dataset_id!r}",
        stable_hint=_VERSIONS_HINT,
        pages_in_flight=check_pages_in_flight(pages_in_flight),
        offset_mode=check_offset_mode(offset_mode),
        on_start=on_start,
    )
