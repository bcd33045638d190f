"""The client over its default aiohttp transport against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest
from support.constants import CLASSIFICATION, ENDPOINT, IMAGE, JOB, PROJECT, TAGS_PATH
from support.servers import HostileServer, answer, json_answer

from modelarts_async import ModelArtsClient, RequestTimeoutError, ResponseValidationError, TransportError

README = Path(__file__).parents[2] / "README.md"


async def test_sequential_calls_reuse_one_connection(server: HostileServer):
    server.script(json_answer(200, CLASSIFICATION))
    async with ModelArtsClient(server.url, project_id=PROJECT) as client:
        for _ in range(50):
            info = await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
            assert info.labels == ("animal", "fish")
    assert len(server.requests) == 50
    assert server.connections == 1
    assert server.requests[0].path == TAGS_PATH


async def test_endpoint_with_a_path_prefix_keeps_it(server: HostileServer):
    server.script(json_answer(200, CLASSIFICATION))
    async with ModelArtsClient(server.url + "/proxy/", project_id=PROJECT) as client:
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert server.requests[0].path.startswith(f"/proxy/v1/{PROJECT}/")


# Both transports must give the same typed errors: the default (aiohttp) and httpx's own.
transports = pytest.mark.parametrize("transport", [None, httpx.AsyncHTTPTransport], ids=["aiohttp", "httpx"])


@transports
async def test_refused_connection_is_a_transport_error_not_a_timeout(transport):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ModelArtsClient(
        f"http://127.0.0.1:{port}", project_id=PROJECT, transport=transport and transport(), max_attempts=1
    )
    async with client:
        with pytest.raises(TransportError, match="refused") as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert not isinstance(caught.value, RequestTimeoutError)


@transports
async def test_slow_answer_is_a_read_timeout(server: HostileServer, transport):
    server.script(json_answer(200, CLASSIFICATION, delay=1.0))
    client = ModelArtsClient(
        server.url, project_id=PROJECT, timeout=0.1, transport=transport and transport(), max_attempts=1
    )
    async with client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)
    assert caught.value.phase == "read"


async def test_oversized_answer_is_refused(server: HostileServer):
    server.script(answer(200, b"[" + b"1," * 100_000 + b"1]"))
    async with ModelArtsClient(server.url, project_id=PROJECT, max_response_bytes=1000) as client:
        with pytest.raises(ResponseValidationError, match="max_response_bytes=1000"):
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id=IMAGE)


def readme_python_blocks() -> list[str]:
    """The python blocks of the README's section for older jobs (the v1 call)."""
    section = README.read_text().split("\n## Older jobs: the labels of one image (v1)\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


async def test_readme_quickstart_runs_against_a_real_server(server: HostileServer, capsys):
    server.script(json_answer(200, CLASSIFICATION))
    quickstart = readme_python_blocks()[0]
    assert ENDPOINT in quickstart
    code = quickstart.replace(ENDPOINT, server.url)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    await namespace["main"]()  # type: ignore[operator]
    assert capsys.readouterr().out == f"{IMAGE} ('animal', 'fish')\n"
