"""`SDK-HMAC-SHA256` request signing, as huaweicloudsdkcore's `Signer` does it, as pure functions.

`sign_request` gives the headers that sign one request; `verify_request` checks a received request's signature
(the offline fake server uses it). Both take plain values — method, URL, headers, body — and do no I/O, so
`AKSKAuth` and a server share one definition of the canonical request.

Canonical request (all parts joined by newlines)::

    METHOD
    CanonicalURI      each path segment percent-decoded, then encoded leaving only A-Z a-z 0-9 - _ . ~; ends in /
    CanonicalQuery    (name, value) pairs decoded, sorted, encoded like path segments, joined as n=v&n=v
    CanonicalHeaders  lowercase-name:stripped-value, one line per signed header, sorted by name
    SignedHeaders     the sorted lowercase names joined by ;
    HexSHA256(body)   or the X-Sdk-Content-Sha256 header's value (UNSIGNED-PAYLOAD) for non-JSON bodies

A query is decoded the way httpx encodes it (`+` is a space). The official SDK sends the canonical query on the
wire, which has no `+` and so no ambiguity for the gateway; `canonical_query` lets callers do the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple
from urllib.parse import quote, unquote, unquote_plus

__all__ = [
    "ALGORITHM",
    "HeaderBlock",
    "canonical_query",
    "canonical_request_from_block",
    "canonical_uri",
    "format_sdk_date",
    "header_block",
    "needs_unsigned_payload",
    "sign_request",
    "signature",
    "verify_request",
]

ALGORITHM = "SDK-HMAC-SHA256"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# Hop-by-hop and transport-managed headers: proxies and HTTP stacks may add, drop or rewrite them after signing,
# and the official SDK never signs them. `authorization` carries the signature itself.
UNSIGNED_HEADERS = frozenset(
    {
        "accept-encoding",
        "authorization",
        "connection",
        "content-length",
        "expect",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

_HEADER_ITEMS = Iterable[tuple[str, str]]
_DATE = "x-sdk-date"
_plain_path = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch


def format_sdk_date(timestamp: float) -> str:
    """The `X-Sdk-Date` value for a POSIX timestamp: UTC `YYYYMMDDTHHMMSSZ`."""
    return time.strftime(SDK_DATE_FORMAT, time.gmtime(timestamp))


def canonical_uri(path: str) -> str:
    """The path with each segment decoded then encoded (only unreserved characters kept), ending in `/`."""
    if _plain_path(path):
        # The common case (our own ids are hex and digits): nothing to decode or encode.
        return path if path.endswith("/") else path + "/"
    uri = "/".join([quote(segment, safe="~") for segment in unquote(path).split("/")])
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query: str) -> str:
    """The query's (name, value) pairs decoded (`+` is a space), sorted, and encoded; `""` for no query."""
    if not query:
        return ""
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    pairs.sort()
    return "&".join([f"{quote(name, safe='~')}={quote(value, safe='~')}" for name, value in pairs])


def signature(secret_key: bytes, sdk_date: str, canonical_request: str) -> str:
    """The hex HMAC-SHA256 of the string to sign, keyed with the secret key."""
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{sdk_date}\n{digest}"
    return hmac.digest(secret_key, string_to_sign.encode(), "sha256").hex()


def sign_request(
    method: str,
    url: str,
    headers: _HEADER_ITEMS,
    body: bytes,
    *,
    access_key: str,
    secret_key: str | bytes,
    sdk_date: str,
) -> dict[str, str]:
    """Headers that sign this request: `X-Sdk-Date`, `Authorization`, and `X-Sdk-Content-Sha256` for non-JSON bodies.

    `url` is the request target (`/path?query`) or a full URL; `headers` are (name, value) pairs as they will
    be sent, including `Host`. Every header is signed except those in `UNSIGNED_HEADERS` and names containing `_`
    (as the official SDK does). Sign the query as it is sent: send `canonical_query(query)` to avoid ambiguity.
    """
    added = {"X-Sdk-Date": sdk_date}
    items = [*headers, ("X-Sdk-Date", sdk_date)]
    if needs_unsigned_payload(items):
        added["X-Sdk-Content-Sha256"] = UNSIGNED_PAYLOAD
        items.append(("X-Sdk-Content-Sha256", UNSIGNED_PAYLOAD))
    key = secret_key if isinstance(secret_key, bytes) else secret_key.encode()
    names, canonical = canonical_request(method, url, items, body)
    added["Authorization"] = authorization(access_key, names, signature(key, sdk_date, canonical))
    return added


def authorization(access_key: str, signed_headers: str, signature_hex: str) -> str:
    """The `Authorization` header value."""
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={signed_headers}, Signature={signature_hex}"


def canonical_request(
    method: str, url: str, headers: _HEADER_ITEMS, body: bytes, *, only: frozenset[str] | None = None
) -> tuple[str, str]:
    """`(SignedHeaders, CanonicalRequest)` for a request; `only` restricts the headers to a received list."""
    path, _, query = _request_target(url).partition("?")
    return canonical_request_parts(method, path, canonical_query(query), headers, body, only=only)


def canonical_request_parts(
    method: str,
    path: str,
    canonical_query_string: str,
    headers: _HEADER_ITEMS,
    body: bytes,
    *,
    only: frozenset[str] | None = None,
) -> tuple[str, str]:
    """`canonical_request` for a path and an already canonical query (saves parsing the query twice)."""
    signed: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if only is None:
            if lower in UNSIGNED_HEADERS or "_" in lower:
                continue
        elif lower not in only:
            continue
        signed[lower] = value.strip()
    names = sorted(signed)
    signed_names = ";".join(names)
    lines = "".join([f"{name}:{signed[name]}\n" for name in names])
    return signed_names, (
        f"{method.upper()}\n{canonical_uri(path)}\n{canonical_query_string}\n{lines}\n{signed_names}\n"
        f"{_payload_hash(signed, body)}"
    )


class HeaderBlock(NamedTuple):
    """The canonical form of a request's signed headers except `X-Sdk-Date`, whose value changes every second.

    A client sends the same few header sets over and over: its signer builds each block once (`header_block`)
    and only puts the date in per request (`canonical_request_from_block`); the result is what
    `canonical_request_parts` gives for the same headers with the date added.
    """

    #: The sorted lowercase names joined by `;`, `x-sdk-date` included.
    signed_names: str
    #: `name:value\n` lines of the names that sort before `x-sdk-date`, and of those after it.
    before: str
    after: str
    #: The signed `X-Sdk-Content-Sha256` value (`UNSIGNED-PAYLOAD`), if any: it stands for the body's hash.
    declared_payload: str | None


def header_block(headers: _HEADER_ITEMS) -> HeaderBlock:
    """The `HeaderBlock` of the headers that will be sent, apart from `X-Sdk-Date` (added per request)."""
    signed: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower not in UNSIGNED_HEADERS and "_" not in lower and lower != _DATE:
            signed[lower] = value.strip()
    names = sorted([*signed, _DATE])
    at = names.index(_DATE)
    return HeaderBlock(
        signed_names=";".join(names),
        before="".join([f"{name}:{signed[name]}\n" for name in names[:at]]),
        after="".join([f"{name}:{signed[name]}\n" for name in names[at + 1 :]]),
        declared_payload=signed.get("x-sdk-content-sha256") or None,
    )


def canonical_request_from_block(
    method: str, path: str, canonical_query_string: str, block: HeaderBlock, sdk_date: str, body: bytes
) -> str:
    """The canonical request of `canonical_request_parts`, from a prepared header block and this request's date."""
    payload = (block.declared_payload or hashlib.sha256(body).hexdigest()) if body else EMPTY_SHA256
    return (
        f"{method.upper()}\n{canonical_uri(path)}\n{canonical_query_string}\n"
        f"{block.before}{_DATE}:{sdk_date.strip()}\n{block.after}\n{block.signed_names}\n{payload}"
    )


def verify_request(
    method: str,
    url: str,
    headers: _HEADER_ITEMS,
    body: bytes,
    *,
    secret_key_for: Callable[[str], str | bytes | None],
) -> str | None:
    """Check a received request's `SDK-HMAC-SHA256` signature: None when valid, else why it is not.

    `secret_key_for(access_key)` returns the secret key of a known access key, or None. The reason never
    contains a secret. Checking `X-Sdk-Date` against a clock is left to the caller.
    """
    items = list(headers)
    lowered = {name.lower(): value for name, value in items}
    auth = lowered.get("authorization", "")
    if not auth.startswith(ALGORITHM + " "):
        return f"the Authorization header does not start with {ALGORITHM}"
    fields = dict(part.strip().partition("=")[::2] for part in auth[len(ALGORITHM) + 1 :].split(",") if "=" in part)
    access_key, signed_names, claimed = (fields.get(k, "") for k in ("Access", "SignedHeaders", "Signature"))
    if not (access_key and signed_names and claimed):
        return "the Authorization header lacks Access, SignedHeaders or Signature"
    sdk_date = lowered.get("x-sdk-date")
    if sdk_date is None:
        return "the X-Sdk-Date header is missing"
    only = frozenset(signed_names.split(";"))
    if not {"host", "x-sdk-date"} <= only:
        return "Host and X-Sdk-Date must be signed"
    if not only <= lowered.keys():
        return "a signed header is missing from the request"
    secret_key = secret_key_for(access_key)
    if secret_key is None:
        return "unknown access key"
    key = secret_key if isinstance(secret_key, bytes) else secret_key.encode()
    names, canonical = canonical_request(method, url, items, body, only=only)
    if names != signed_names:
        return "SignedHeaders is not sorted, lowercase and without duplicates"
    if not hmac.compare_digest(signature(key, sdk_date, canonical), claimed):
        return "the signature does not match"
    return None


def _request_target(url: str) -> str:
    """`/path?query` from a request target or an absolute URL; fragments are never sent."""
    if not url.startswith("/"):
        scheme_end = url.find("://")
        if scheme_end >= 0:
            path_start = url.find("/", scheme_end + 3)
            query_start = url.find("?", scheme_end + 3)
            if path_start < 0 or (0 <= query_start < path_start):
                url = "/" + url[query_start:] if query_start >= 0 else "/"
            else:
                url = url[path_start:]
    return url.partition("#")[0]


def needs_unsigned_payload(headers: Iterable[tuple[str, str]]) -> bool:
    """Like the official SDK: a body whose Content-Type is set and is neither JSON nor BSON is sent unsigned."""
    content_type = ""
    for name, value in headers:
        lower = name.lower()
        if lower == "x-sdk-content-sha256":
            return False
        if lower == "content-type":
            content_type = value
    return bool(content_type) and not content_type.startswith(("application/json", "application/bson"))


def _payload_hash(signed: dict[str, str], body: bytes) -> str:
    if not body:
        return EMPTY_SHA256
    declared = signed.get("x-sdk-content-sha256")
    if declared:
        return declared
    return hashlib.sha256(body).hexdigest()
