"""Checks an `SDK-HMAC-SHA256` signature the way Huawei Cloud's API gateway does.

Written from the gateway's rules (shared/API.md), independently of our signer, so the fake catches a signer that
drifts from them. It never puts the secret key, or the signature it expected, into a message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

__all__ = ["check_signature"]

_AUTHORIZATION = re.compile(r"SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$")
_MAX_SKEW_SECONDS = 15 * 60


def check_signature(
    aksk: tuple[str, str],
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime | None = None,
) -> tuple[str, str] | None:
    """None when the request is signed by `aksk`, else the gateway's `(error_code, message)` for it."""
    access_key, secret_key = aksk
    match = _AUTHORIZATION.match(headers.get("authorization", "").strip())
    if match is None:
        return "APIG.0301", "the Authorization header is missing or not SDK-HMAC-SHA256"
    access, signed, signature = match.groups()
    if access != access_key:
        return "APIG.0301", "unknown access key"
    signed_headers = signed.split(";")
    if "x-sdk-date" not in signed_headers or "host" not in signed_headers:
        return "APIG.0301", "X-Sdk-Date and Host must be signed"
    if any(name not in headers for name in signed_headers):
        return "APIG.0301", "a signed header is missing from the request"
    date = headers["x-sdk-date"]
    try:
        when = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "APIG.0301", "X-Sdk-Date is not YYYYMMDDTHHMMSSZ"
    if abs(((now or datetime.now(UTC)) - when).total_seconds()) > _MAX_SKEW_SECONDS:
        return "APIG.0303", "the signature expired: X-Sdk-Date is more than 15 minutes from the gateway's clock"
    canonical = "\n".join(
        [
            method.upper(),
            _canonical_uri(path),
            _canonical_query(query),
            "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers),
            signed,
            headers.get("x-sdk-content-sha256") or hashlib.sha256(body).hexdigest(),
        ]
    )
    string_to_sign = f"SDK-HMAC-SHA256\n{date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "APIG.0301", "the signature does not match the request"
    return None


def _canonical_uri(path: str) -> str:
    uri = "/".join(quote(segment, safe="~") for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def _canonical_query(query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)
