"""modelarts_async: an asyncio client for Huawei Cloud ModelArts' data-annotation API.

async with ModelArtsClient(endpoint, project_id=project_id, auth=auth) as client:
    info = await client.get_image_info_by_id(data_annotation_id="282", image_id=image_id)
    print(info.labels)
"""

from ._annotations import ImageResultStream
from ._client import ModelArtsClient, create_client
from ._exceptions import (
    APIError,
    AuthenticationError,
    ClientStateError,
    ConfigError,
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
from ._models import BulkStats, DetectionTag, ImageInfo, ImageResult
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "APIError",
    "AuthenticationError",
    "BulkStats",
    "ClientStateError",
    "ConfigError",
    "DetectionTag",
    "ImageInfo",
    "ImageResult",
    "ImageResultStream",
    "InvalidArgumentError",
    "ModelArtsClient",
    "ModelArtsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "__version__",
    "create_client",
]
