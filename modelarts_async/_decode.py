"""Turns a status, headers and body into a JSON object or a typed error: one pure function, tested without HTTP.

The service reports failures three ways: an HTTP status >= 400, `is_success: false` (even on HTTP 200), or a
gateway's non-JSON page. Error bodies spell their fields `error_code`/`error_msg`, `code`/`message` or
`errorCode`/`errorMsg`. Whatever the spelling, the caller gets one of the `APIError` subclasses.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._exceptions import (
    APIError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ._service import error_fields, hint_for, is_auth_failure, is_not_found, is_throttling

__all__ = ["api_error", "decode_response", "parse_retry_after", "request_id_note"]

_BODY_EXCERPT_CHARS = 200

# Gateways echo the canonical request when a signature is stale; it may hold token headers' values.
_SECRET_HEADER = re.compile(r"(x-security-token|x-auth-token|authorization)(\s*[:=]\s*)[^|\n,;\s]+", re.I)


def decode_response(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    redact: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Return the answer's JSON object, or raise the `APIError` or `ResponseValidationError` it amounts to.

    `redact` removes known secrets from the body before an excerpt of it is cut, so that a secret straddling the
    cut cannot leave a piece of itself that no later redaction would recognise; and from the request id and error
    code, which the log lines of each attempt show before the error is scrubbed.
    """
    data = _parse_json(body)
    if type(data) is dict and status_code < 400 and data.get("is_success") is not False:
        return data  # the common case: nothing to check, name or redact
    request_id = headers.get("x-request-id")
    if isinstance(data, dict):
        request_id = request_id or _optional_str(data.get("request_id"))
    if redact is not None and request_id:
        request_id = redact(request_id)
    failed = status_code >= 400 or (isinstance(data, dict) and data.get("is_success") is False)
    if failed:
        error_code, error_msg = error_fields(data) if isinstance(data, dict) else (None, None)
        if redact is not None and error_code:
            error_code = redact(error_code)
        raise api_error(
            status_code,
            error_code=error_code,
            error_msg=error_msg or (None if isinstance(data, dict) and data else _excerpt(body, redact)),
            request_id=request_id,
            retry_after=parse_retry_after(headers.get("retry-after"), now=now),
        )
    if not isinstance(data, dict):
        what = "not JSON" if data is _NOT_JSON else f"JSON {type(data).__name__}, not an object"
        excerpt = _excerpt(body, redact)
        raise ResponseValidationError(
            f"HTTP {status_code}: the answer is {what}{request_id_note(request_id, ' (request id {})')}: {excerpt!r}",
            status_code=status_code,
            request_id=request_id,
            body_excerpt=excerpt,
        )
    return data


def api_error(
    status_code: int,
    *,
    error_code: str | None,
    error_msg: str | None,
    request_id: str | None,
    retry_after: float | None = None,
) -> APIError:
    """The `APIError` subclass for a status and error code; throttling codes win over the status."""
    error_msg = _redact(error_msg) if error_msg else error_msg
    kind, cls = _classify(status_code, error_code)
    hint = hint_for(error_code)
    parts = [f"{kind}: HTTP {status_code}"]
    if error_code:
        parts.append(f" {error_code}")
    if error_msg:
        parts.append(f": {error_msg}")
    if hint:
        parts.append(f" ({hint})")
    parts.append(request_id_note(request_id))
    message = "".join(parts)
    if retry_after is not None:
        message += f"; retry after {retry_after:g} s"
    return cls(
        message,
        status_code=status_code,
        error_code=error_code,
        error_msg=error_msg,
        request_id=request_id,
        retry_after=retry_after,
    )


def _classify(status_code: int, code: str | None) -> tuple[str, type[APIError]]:
    if is_throttling(code) or status_code == 429:
        return "throttled", RateLimitError
    if is_auth_failure(code) or status_code == 401:
        return "authentication failed", AuthenticationError
    if status_code == 403:
        return "permission denied", PermissionDeniedError
    if is_not_found(code) or status_code == 404:
        return "not found", NotFoundError
    if status_code >= 500:
        return "server error", ServerError
    return "request failed", APIError


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date); None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf" and "nan" are floats to Python, not delay-seconds
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_NOT_JSON = object()


def _parse_json(body: bytes) -> Any:
    """The JSON value of `body`, or `_NOT_JSON`: also for NaN/Infinity and numbers too large for a float (not JSON,
    and they would make our own output invalid JSON), and for nesting too deep for the parser."""
    # An object's first byte `{` followed by a non-zero byte is UTF-8 to `json.detect_encoding` (no BOM, not
    # UTF-16/32): skip asking it for the common answer.
    encoding = "utf-8" if body[:1] == b"{" and body[1:2] != b"\x00" else json.detect_encoding(body)
    try:
        return _JSON.decode(body.decode(encoding, "surrogatepass"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _NOT_JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0:  # 1e400 parses as inf, and inf - inf is nan
        raise ValueError("a number too large for a float is not JSON we can pass on")
    return value


# Built once: `json.loads` given hooks would build a decoder per answer, which costs more than the float check.
_JSON = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def request_id_note(request_id: str | None, template: str = " [request id {}]") -> str:
    """The request id as a message suffix, or nothing when the service sent none."""
    return template.format(request_id) if request_id else ""


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _excerpt(body: bytes, redact: Callable[[str], str] | None = None) -> str:
    if redact is None:
        return _redact(body[: _BODY_EXCERPT_CHARS * 4].decode("utf-8", "replace")[:_BODY_EXCERPT_CHARS])
    # The whole body (already capped by max_response_bytes): a secret starting before the cut may end far after it.
    return _redact(redact(body.decode("utf-8", "replace"))[:_BODY_EXCERPT_CHARS])


def _redact(text: str) -> str:
    return _SECRET_HEADER.sub(r"\1\2***", text)
