"""The fake's OBS side: pre-signed-looking image URLs that expire, and the real PNG bytes they serve.

A sample's answer is serialized once, with a placeholder (`fake-presign://` + the object's path) where its `source`
goes; each answer that leaves the fake gets, in its place, a URL signed now with the fake's own key:
`{base}/obs/{bucket}/{key}?AccessKeyId=FAKEACCESSKEY&Expires=…&Signature={HMAC}`, valid for `ttl / 2` to `ttl`
seconds (see `_expiry`). `base` is the URL of
`FakeModelArts.serve()` while it runs (so any client, in-process or not, can fetch the image), else the unresolvable
`https://obs.fake.invalid`. An image request with a bad signature or a past `Expires` gets OBS's 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import struct
import time
import zlib
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, quote

from ._reply import FakeReply

__all__ = [
    "IMAGE_PATH_PREFIX",
    "OFFLINE_IMAGE_BASE",
    "ImageRequest",
    "png_image",
    "presigned_source",
    "sign_sources",
    "verify_image_query",
]

#: Where images are served on the fake: `/obs/{bucket}/{key}`.
IMAGE_PATH_PREFIX = "/obs/"
#: The image host of a fake that is not served: a name that never resolves.
OFFLINE_IMAGE_BASE = "https://obs.fake.invalid"
FAKE_ACCESS_KEY = "FAKEACCESSKEY"
_SIGNING_KEY = b"fake-obs-signing-key"
_PLACEHOLDER = re.compile(rb'"fake-presign://(/obs/[^"?]*)"')


class ImageRequest:
    """An image request the fake received (`FakeModelArts.image_requests`): its path, query and headers.

    `headers` has lower-case names, so a test can assert that no credential reached the image host.
    """

    __slots__ = ("headers", "method", "path", "query")

    def __init__(self, method: str, path: str, query: str, headers: Mapping[str, str]) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = {name.lower(): value for name, value in headers.items()}

    def __repr__(self) -> str:
        return f"ImageRequest({self.method} {self.path}, headers={sorted(self.headers)})"


def presigned_source(object_path: str) -> str:
    """The placeholder stored in a sample's answer; `sign_sources` replaces it by a signed URL."""
    return "fake-presign://" + object_path


def _signature(object_path: str, expires: int) -> str:
    digest = hmac.new(_SIGNING_KEY, f"{object_path}\n{expires}".encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _expiry(now: float, ttl: float) -> int:
    """`Expires` for a URL signed at `now`: from `ttl / 2` to `ttl` seconds ahead (0 or less: `now + ttl`).

    Signing times are rounded down to a multiple of `ttl / 2`, so that answers given within the same half-period
    are byte-for-byte equal (tests compare an export with the fake's own answer) while every URL handed out is
    still valid for at least half its lifetime.
    """
    if ttl <= 0:
        return math.floor(now + ttl)
    period = ttl / 2
    return math.ceil(math.floor(now / period) * period + ttl)


def sign_sources(body: bytes, base: str, ttl: float) -> bytes:
    """`body` with every source placeholder replaced by a URL on `base` valid for `ttl` seconds from now."""
    if b"fake-presign://" not in body:
        return body
    expires = _expiry(time.time(), ttl)
    prefix = base.encode()

    def signed(match: re.Match[bytes]) -> bytes:
        path = match.group(1).decode()
        query = (
            f"?AccessKeyId={FAKE_ACCESS_KEY}&Expires={expires}&Signature={quote(_signature(path, expires), safe='')}"
        )
        return b'"' + prefix + match.group(1) + query.encode() + b'"'

    return _PLACEHOLDER.sub(signed, body)


def _obs_error(code: str, message: str) -> FakeReply:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fake</RequestId></Error>"
    )
    return FakeReply(403, body.encode(), {"Content-Type": "application/xml"})


def verify_image_query(path: str, query: str) -> FakeReply | None:
    """None when the query signs `path` and has not expired, else OBS's 403 answer."""
    params = dict(parse_qsl(query))
    expires = params.get("Expires", "")
    if params.get("AccessKeyId") != FAKE_ACCESS_KEY or not expires.isdigit():
        return _obs_error("AccessDenied", "Access Denied")
    if not hmac.compare_digest(params.get("Signature", ""), _signature(path, int(expires))):
        return _obs_error("SignatureDoesNotMatch", "The request signature we calculated does not match")
    if time.time() >= int(expires):
        return _obs_error("AccessDenied", "Request has expired")
    return None


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=32)
def png_image(width: int, height: int, padding: int = 0) -> bytes:
    """A valid grey PNG of `width` x `height`, plus `padding` bytes in a private ancillary chunk (readers skip it)."""
    row = b"\x00" + b"\x80" * width  # filter byte, then one grey byte per pixel
    pixels = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    extra = _chunk(b"fpAd", bytes(padding)) if padding > 0 else b""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + extra + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")
