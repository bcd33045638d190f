"""Pre-signed URLs (a sample's `source`): what may be shown of them, and what their path says about the file.

A pre-signed OBS or S3 URL grants access until it expires, so messages show it with the values of its signing
parameters replaced by `***`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

__all__ = ["scrub_signatures", "url_extension"]

#: Query parameters whose values sign or authorise a request (OBS V2/V4 and S3 styles), matched case-insensitively.
_SIGNING = re.compile(
    r"((?:^|[?&;\s\"'])(?:Signature|AccessKeyId|AWSAccessKeyId|X-Amz-[A-Za-z-]*|x-obs-[A-Za-z-]*|"
    r"SecurityToken|x-security-token|token)=)[^&#\s\"'<>]*",
    re.IGNORECASE,
)
#: A URL's user name and password, e.g. `https://user:secret@host/`.
_USERINFO = re.compile(r"(https?://)[^/@\s\"']+@", re.IGNORECASE)

#: The file extensions kept from a URL path: images only, lower case.
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"})


def scrub_signatures(text: str) -> str:
    """`text` with the value of every signing query parameter (and any URL's user info) replaced by `***`."""
    return _USERINFO.sub(r"\1***@", _SIGNING.sub(r"\1***", text))


def url_extension(url: str) -> str | None:
    """The image extension of the URL's path (`.jpg`), lower case; None when it has none or another one."""
    path = unquote(urlsplit(url).path)
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    if dot <= 0:
        return None
    extension = name[dot:].lower()
    return extension if extension in IMAGE_EXTENSIONS else None
