"""proxy=, verify= and trust_env= work on the default client as they do on an httpx.AsyncClient (127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from modelarts_async import AuthenticationError, InvalidArgumentError, ModelArtsClient, TransportError
from modelarts_async.auth import IAMPasswordAuth
from modelarts_async.testing import FakeModelArts

IMAGE = "img-1"
ORIGIN = "http://modelarts.example.test"  # never resolved: only the proxy can answer for it


class ForwardProxy:
    """A forward proxy that answers plain-http requests itself, recording the absolute URL each one asked for."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.seen.append(head.split(b" ")[1].decode())
        body = json.dumps({"is_success": True, "image_id": IMAGE, "tags": ["via-proxy"]}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n")
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    forward = ForwardProxy()
    server = await asyncio.start_server(forward.handle, "127.0.0.1", 0)
    forward.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield forward


async def get(client: ModelArtsClient) -> tuple[str, ...]:
    info = await client.get_image_info_by_id(data_annotation_id="282", image_id=IMAGE)
    return info.labels


async def test_proxy_argument_routes_every_request_through_the_proxy(proxy: ForwardProxy) -> None:
    async with ModelArtsClient(ORIGIN, project_id="p", proxy=proxy.url, max_attempts=1) as client:
        assert await get(client) == ("via-proxy",)
    assert proxy.seen == [f"{ORIGIN}/v1/p/data-annotations/282/images/{IMAGE}/tags"]


async def test_env_proxy_is_used_with_trust_env_and_ignored_without(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with ModelArtsClient(ORIGIN, project_id="p", max_attempts=1) as client:
        assert await get(client) == ("via-proxy",)
    async with ModelArtsClient(ORIGIN, project_id="p", max_attempts=1, trust_env=False) as client:
        with pytest.raises(TransportError):
            await get(client)  # straight to a name that does not resolve
    assert len(proxy.seen) == 1


async def test_no_proxy_exempts_the_endpoint(proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeModelArts()
    fake.add_job("282").add_image(IMAGE, ["direct"])
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with fake.serve() as url, ModelArtsClient(url, project_id="p") as client:
        assert await get(client) == ("direct",)
    assert proxy.seen == []


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_server(ca: trustme.CA) -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"is_success": True, "image_id": IMAGE, "tags": ["over-tls"]})

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    yield f"https://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_server_signed_by_an_unknown_ca_is_refused_by_default(tls_server: str) -> None:
    async with ModelArtsClient(tls_server, project_id="p", max_attempts=1, trust_env=False) as client:
        with pytest.raises(TransportError):
            await get(client)


@pytest.mark.parametrize("form", ["path", "context"])
async def test_verify_takes_a_ca_bundle_path_or_an_ssl_context(
    tls_server: str, ca: trustme.CA, tmp_path: Path, form: str
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    verify: str | ssl.SSLContext = str(bundle) if form == "path" else ssl.create_default_context(cafile=str(bundle))
    async with ModelArtsClient(tls_server, project_id="p", verify=verify) as client:
        assert await get(client) == ("over-tls",)


async def test_verify_false_and_ssl_cert_file_work(
    tls_server: str, ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ModelArtsClient(tls_server, project_id="p", verify=False) as client:
        assert await get(client) == ("over-tls",)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    async with ModelArtsClient(tls_server, project_id="p") as client:
        assert await get(client) == ("over-tls",)


async def test_the_httpx_sender_on_our_pool_honours_them_too(tls_server: str, ca: trustme.CA, tmp_path: Path) -> None:
    # IAMPasswordAuth takes the httpx sender over the same aiohttp pool: the IAM request and the call both verify.
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    auth = IAMPasswordAuth(username="u", password="pw-123456", domain_name="d", project_id="p", iam_endpoint=tls_server)
    async with ModelArtsClient(tls_server, project_id="p", auth=auth, verify=str(bundle), max_attempts=1) as client:
        with pytest.raises(AuthenticationError, match="HTTP 405"):  # our TLS server is no IAM, but TLS held
            await get(client)


def test_network_settings_with_a_users_transport_are_refused() -> None:
    import httpx

    with pytest.raises(InvalidArgumentError, match="your transport"):
        ModelArtsClient(ORIGIN, transport=httpx.AsyncHTTPTransport(), proxy="http://127.0.0.1:3128")
    with pytest.raises(InvalidArgumentError, match="proxy must be a URL"):
        ModelArtsClient(ORIGIN, proxy="not a url")
