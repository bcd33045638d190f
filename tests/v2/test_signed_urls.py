"""What a message may show of a pre-signed URL, and what a URL's path says about the image file."""

from __future__ import annotations

import pytest

from modelarts_async import ImageDownloadError
from modelarts_async._v2._image_files import check_file_stem, extension_for, image_kind
from modelarts_async._v2._signed_urls import scrub_signatures, url_extension
from modelarts_async.testing._images import png_image


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("GET https://b.obs.x.com/a.jpg?AccessKeyId=AK1&Expires=99&Signature=S%2Bg%3D", ["AK1", "S%2Bg%3D"]),
        ("https://s3.x/a.png?X-Amz-Algorithm=A&X-Amz-Credential=CRED&X-Amz-Signature=SIG", ["CRED", "SIG"]),
        ("https://b/a.png?x-obs-security-token=TOK&signature=sig2", ["TOK", "sig2"]),
        ("'https://user:PASS@host/a.png' and Signature=LAST", ["PASS", "LAST"]),
        ("https://h/a.png?AWSAccessKeyId=AWSK;SecurityToken=STOK", ["AWSK", "STOK"]),
    ],
)
def test_signing_values_are_scrubbed_and_the_rest_kept(text: str, secrets: list[str]) -> None:
    scrubbed = scrub_signatures(text)
    for secret in secrets:
        assert secret not in scrubbed
    assert "***" in scrubbed
    assert scrubbed.split("/")[2].rpartition("@")[2] == text.split("/")[2].rpartition("@")[2]  # the host stays


def test_expires_stays_readable() -> None:
    assert "Expires=99" in scrub_signatures("https://h/a.png?Expires=99&Signature=S")


@pytest.mark.parametrize(
    ("url", "extension"),
    [
        ("https://h/d/a.JPG?Signature=x.png", ".jpg"),
        ("https://h/d/a.png", ".png"),
        ("https://h/d/a%2Ejpeg", ".jpeg"),
        ("https://h/d/a.exe", None),
        ("https://h/d/.png", None),
        ("https://h/d/noext?x=.png", None),
    ],
)
def test_the_extension_comes_from_the_path_only_for_images(url: str, extension: str | None) -> None:
    assert url_extension(url) == extension


def test_the_body_format_is_recognised_by_its_first_bytes() -> None:
    assert image_kind(png_image(2, 2)) == ".png"
    assert image_kind(b"\xff\xd8\xff\xe0" + bytes(8)) == ".jpg"
    assert image_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ".webp"
    assert image_kind(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert image_kind(b"<html>") is None
    assert extension_for(None, "image/jpeg; charset=x", b"") == ".jpg"
    assert extension_for(None, "application/octet-stream", png_image(2, 2)) == ".png"


@pytest.mark.parametrize(
    "stem", ["", ".", "..", ".hidden", "-rf", "a/b", "a\\b", "a\x00b", "nul", "COM1.txt", "x" * 129, 7]
)
def test_unsafe_sample_ids_are_refused_as_file_names(stem: object) -> None:
    with pytest.raises(ImageDownloadError, match="not a safe file name"):
        check_file_stem(stem)


def test_ordinary_sample_ids_are_file_names() -> None:
    for stem in ("0a1b2c3d4e5f60718293a4b5c6d7e8f9", "img_01.v2", "A-b", "_x", "x" * 128):
        assert check_file_stem(stem) == stem
