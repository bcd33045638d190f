"""What the service's words mean: error codes, the error body's keys, regions and endpoints, in one place.

Every other module asks this one (`is_throttling(code)`, `error_fields(body)`, ...) instead of spelling a code.
Gateway codes come as `APIG.nnnn` or `APIGW.nnnn`; `canonical_code` folds the second into the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ERROR_CODE_KEYS",
    "ERROR_MESSAGE_KEYS",
    "canonical_code",
    "endpoint_for_region",
    "error_fields",
    "hint_for",
    "iam_endpoint_for_region",
    "is_api_missing",
    "is_auth_failure",
    "is_dataset_missing",
    "is_not_found",
    "is_throttling",
    "is_token_expired",
    "is_token_rejected",
    "is_valid_region",
    "is_version_missing",
    "never_retried",
]

#: The keys an error body may spell its code and message with (ModelArts, the API gateway, IAM).
ERROR_CODE_KEYS = ("error_code", "code", "errorCode")
ERROR_MESSAGE_KEYS = ("error_msg", "message", "errorMsg")

_THROTTLING = frozenset({"APIG.0308", "ModelArts.0114"})
_TOKEN_EXPIRED = frozenset({"APIG.0307", "ModelArts.0202"})
#: Rejected credentials, a signature out of the gateway's clock window, an invalid token.
_AUTH_FAILURE = frozenset({"APIG.0301", "APIG.0303", "ModelArts.0203"})
#: v1 answers 404 `ModelArts.0102`; v2 answers HTTP 400 for a missing sample, dataset, resource or version.
_NOT_FOUND = frozenset(
    {"APIG.0101", "ModelArts.0102", "ModelArts.4420", "ModelArts.4352", "ModelArts.4338", "ModelArts.4353"}
)
#: The gateway does not route this API at all (the v1 family on endpoints that dropped it).
_API_MISSING = frozenset({"APIG.0101"})

_HINTS = {
    "APIG.0101": "this endpoint does not offer the v1 data-annotation API, or not this API at all (v1 is a legacy "
    "API, removed from newer regions: use the v2 dataset API, client.get_sample / client.list_samples)",
    "APIG.0301": "the credentials were rejected: check the AK/SK or token (repeated failures lock the key)",
    "APIG.0303": "the request's signing time is more than 15 minutes from the gateway's clock: fix the local clock",
    "APIG.0307": "the token has expired",
    "APIG.0308": "the API gateway throttled the call",
    "ModelArts.0114": "ModelArts throttled the call (requests too frequent)",
    "ModelArts.0202": "the token has expired",
    "ModelArts.0203": "the token is invalid",
    "ModelArts.0210": "the token belongs to another project than the one in the URL",
    "ModelArts.4420": "no sample with this id in the dataset",
    "ModelArts.4352": "no dataset with this id in the project",
    "ModelArts.4338": "the resource does not exist",
    "ModelArts.4353": "no version with this id in the dataset",
}

_REGION = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def canonical_code(code: str | None) -> str:
    """The code as this module knows it: `APIGW.0308` → `APIG.0308`; None → ''."""
    if not code:
        return ""
    return "APIG." + code[6:] if code.startswith("APIGW.") else code


def is_throttling(code: str | None) -> bool:
    return canonical_code(code) in _THROTTLING


def is_token_expired(code: str | None) -> bool:
    return canonical_code(code) in _TOKEN_EXPIRED


def is_auth_failure(code: str | None) -> bool:
    """Rejected or expired credentials: never retried, since Huawei Cloud locks a key after 5 failures in a row."""
    return canonical_code(code) in _AUTH_FAILURE or is_token_expired(code)


def is_token_rejected(code: str | None) -> bool:
    """`APIG.0301`, which the gateway also sends, with a message saying so, for an expired token."""
    return canonical_code(code) == "APIG.0301"


def is_not_found(code: str | None) -> bool:
    return canonical_code(code) in _NOT_FOUND


def is_dataset_missing(code: str | None) -> bool:
    """v2: the dataset itself does not exist (every sample of it would fail alike)."""
    return canonical_code(code) == "ModelArts.4352"


def is_version_missing(code: str | None) -> bool:
    """v2: the dataset exists but not the version asked for."""
    return canonical_code(code) == "ModelArts.4353"


def is_api_missing(code: str | None) -> bool:
    """The gateway does not route this API: every other call of the same API would fail alike."""
    return canonical_code(code) in _API_MISSING


def never_retried(code: str | None) -> bool:
    """Whatever the status, another attempt must not follow an answer with this code (auth: keys lock)."""
    return is_auth_failure(code)


def hint_for(code: str | None) -> str | None:
    """A sentence on what the code means and what to do, or None for codes without one."""
    return _HINTS.get(canonical_code(code))


def error_fields(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """`(code, message)` of an error body in any of the service's spellings (IAM nests them under `error`)."""
    nested = data.get("error")
    if isinstance(nested, Mapping):
        data = {**data, **nested}
    return _first_str(data, ERROR_CODE_KEYS), _first_str(data, ERROR_MESSAGE_KEYS)


def _first_str(fields: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = fields.get(key)
        if value is not None and value != "":
            return str(value)
    return None


def is_valid_region(region: object) -> bool:
    """Whether `region` looks like a Huawei Cloud region name such as `cn-north-4`."""
    return isinstance(region, str) and _REGION.fullmatch(region) is not None


def endpoint_for_region(region: str) -> str:
    """ModelArts' public endpoint in a region: `https://modelarts.{region}.myhuaweicloud.com`."""
    return f"https://modelarts.{region}.myhuaweicloud.com"


def iam_endpoint_for_region(region: str) -> str:
    """IAM's endpoint in a region: `https://iam.{region}.myhuaweicloud.com`."""
    return f"https://iam.{region}.myhuaweicloud.com"
