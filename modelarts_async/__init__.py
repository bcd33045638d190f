"""modelarts_async: an asyncio client for Huawei Cloud ModelArts' data-annotation API.

async with ModelArtsClient(endpoint, project_id=project_id, auth=auth) as client:
    info = await client.get_image_info_by_id(data_annotation_id="282", image_id=image_id)
    print(info.labels)
    # The v2 dataset API (where v1 answers APIG.0101):
    async with client.list_samples(dataset_id=dataset_id) as samples:
        async for sample in samples:
            print(sample.sample_id, sample.label_names)

Without asyncio (scripts, notebooks, worker tasks), the same calls block:

with SyncModelArtsClient(endpoint, project_id=project_id, auth=auth) as client:
    info = client.get_image_info_by_id(data_annotation_id="282", image_id=image_id)
"""

import importlib as _importlib
import typing as _typing

from ._bulk._stats import BulkStats
from ._client import ModelArtsClient, create_client
from ._config import ClientConfig
from ._exceptions import (
    APIError,
    AuthenticationError,
    ClientStateError,
    ConfigError,
    ImageDownloadError,
    InvalidArgumentError,
    ModelArtsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    TransportError,
)
from ._retry import RetryPolicy
from ._v1._calls import ImageResultStream
from ._v1._models import DetectionTag, ImageInfo, ImageResult
from ._version import __version__

if _typing.TYPE_CHECKING:
    from ._sync._client import SyncModelArtsClient, create_sync_client
    from ._sync._stream import SyncStream
    from ._v2._calls import DatasetListing, SampleListing, SampleResultStream
    from ._v2._images import ImageDownload, ImageDownloadStream
    from ._v2._listing import ListingStats
    from ._v2._models import Dataset, DatasetLabel, Sample, SampleLabel, SampleResult
    from ._v2._snapshot_calls import VersionListing
    from ._v2._stats import DatasetStats, LabelStats
    from ._v2._versions import DatasetVersion

#: Names whose modules load on first use: `import modelarts_async` stays light for a v1-only job (issue 20).
_LAZY = {
    "DatasetListing": "._v2._calls",
    "SampleListing": "._v2._calls",
    "SampleResultStream": "._v2._calls",
    "Dataset": "._v2._models",
    "DatasetLabel": "._v2._models",
    "Sample": "._v2._models",
    "SampleLabel": "._v2._models",
    "SampleResult": "._v2._models",
    "ImageDownload": "._v2._images",
    "ImageDownloadStream": "._v2._images",
    "ListingStats": "._v2._listing",
    "VersionListing": "._v2._snapshot_calls",
    "DatasetStats": "._v2._stats",
    "LabelStats": "._v2._stats",
    "DatasetVersion": "._v2._versions",
    # The sync client's loop thread needs anyio's blocking portal: ~15 ms of import an async user never needs.
    "SyncModelArtsClient": "._sync._client",
    "SyncStream": "._sync._stream",
    "create_sync_client": "._sync._client",
}

__all__ = [
    "APIError",
    "AuthenticationError",
    "BulkStats",
    "ClientConfig",
    "ClientStateError",
    "ConfigError",
    "Dataset",
    "DatasetLabel",
    "DatasetListing",
    "DatasetStats",
    "DatasetVersion",
    "DetectionTag",
    "ImageDownload",
    "ImageDownloadError",
    "ImageDownloadStream",
    "ImageInfo",
    "ImageResult",
    "ImageResultStream",
    "InvalidArgumentError",
    "LabelStats",
    "ListingStats",
    "ModelArtsClient",
    "ModelArtsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "RetryPolicy",
    "Sample",
    "SampleLabel",
    "SampleListing",
    "SampleResult",
    "SampleResultStream",
    "ServerError",
    "SyncModelArtsClient",
    "SyncStream",
    "TransportError",
    "VersionListing",
    "__version__",
    "create_client",
    "create_sync_client",
]


def __getattr__(name: str) -> _typing.Any:
    """Load a lazily exported name's module on first access, and keep the name here from then on."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
