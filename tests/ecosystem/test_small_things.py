"""What users tripped on: a quiet library, typed error attributes, endpoints with /v1, too much concurrency, leaks."""

from __future__ import annotations

import logging
import pickle

import pytest

from modelarts_async import (
    ImageResult,
    InvalidArgumentError,
    ModelArtsClient,
    ModelArtsError,
    NotFoundError,
    RetryPolicy,
)
from modelarts_async.testing import FakeModelArts, Faults


def fake_with_images(count: int = 3) -> FakeModelArts:
    fake = FakeModelArts()
    job = fake.add_job("282")
    for number in range(count):
        job.add_image(f"img-{number}", ["cat"])
    return fake


async def no_sleep(seconds: float) -> None:
    pass


def test_the_library_logger_is_quiet_unless_configured() -> None:
    logger = logging.getLogger("modelarts_async")
    assert any(isinstance(handler, logging.NullHandler) for handler in logger.handlers)


async def test_retries_log_at_info_and_giving_up_at_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="modelarts_async")
    fake = fake_with_images(1)
    fake.faults = Faults(p_503=1.0)
    async with fake.client(retry=RetryPolicy(max_attempts=3, sleep=no_sleep)) as client:
        with pytest.raises(ModelArtsError):
            await client.get_image_info_by_id(data_annotation_id="282", image_id="img-0")
    levels = [record.levelname for record in caplog.records if record.name == "modelarts_async"]
    assert levels == ["INFO", "INFO", "WARNING"]
    assert "giving up after 3 attempt(s)" in caplog.records[-1].getMessage()


def test_every_error_declares_the_attributes_support_reads() -> None:
    error: ModelArtsError = InvalidArgumentError("x")
    assert (error.status_code, error.error_code, error.error_msg, error.request_id, error.retry_after) == (None,) * 5


@pytest.mark.parametrize("path", ["/v1", "/v2/", "/gateway/v1"])
def test_an_endpoint_ending_in_an_api_version_is_refused_with_the_fix(path: str) -> None:
    with pytest.raises(InvalidArgumentError, match=r"must not end in /v[12].*use https://host\.example"):
        ModelArtsClient(f"https://host.example{path}")


async def test_not_found_names_the_url_requested_and_no_request_id_placeholder() -> None:
    fake = fake_with_images(0)
    async with fake.client() as client:
        with pytest.raises(NotFoundError) as caught:
            await client.get_image_info_by_id(data_annotation_id="282", image_id="nope")
    message = str(caught.value)
    assert (
        "requested GET https://modelarts.fake.invalid/v1/fake-project/data-annotations/282/images/nope/tags" in message
    )
    assert "request id None" not in message


async def test_concurrency_beyond_the_pool_is_clamped_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    fake = fake_with_images(20)
    async with fake.serve() as url, ModelArtsClient(url, project_id="p", max_connections=4) as client:
        ids = [f"img-{n}" for n in range(20)]
        async with client.iter_image_infos(ids, data_annotation_id="282", concurrency=64) as results:
            assert [r.ok async for r in results] == [True] * 20
            assert results.stats.concurrency == 4
    lines = [r.getMessage() for r in caplog.records if "max_connections" in r.getMessage()]
    assert lines == [
        "concurrency=64 is more than this client's max_connections=4: running 4 requests at a time "
        "(pass max_connections= to the client for more)"
    ]


async def test_an_unclosed_client_is_named_in_the_warning() -> None:
    fake = fake_with_images(1)
    async with fake.serve() as url:
        client = ModelArtsClient(url, project_id="p")
        await client.get_image_info_by_id(data_annotation_id="282", image_id="img-0")
        with pytest.warns(ResourceWarning, match=r"unclosed ModelArtsClient\(endpoint="):
            del client  # the last reference: collected at once


async def test_results_and_errors_cross_process_boundaries() -> None:
    fake = fake_with_images(0)
    async with fake.client() as client:
        results = await client.get_image_infos(["missing"], data_annotation_id="282")
    copy = pickle.loads(pickle.dumps(results[0]))
    assert isinstance(copy, ImageResult)
    assert type(copy.error) is NotFoundError
    original = results[0].error
    assert isinstance(original, NotFoundError)
    for name in ("status_code", "error_code", "error_msg", "request_id", "retry_after", "attempts"):
        assert getattr(copy.error, name) == getattr(original, name)
    assert str(copy.error) == str(original)
