"""`FakeModelArts`: the data-annotation API in memory, answering with the exact wire shapes of the real service.

One pure method, `handle()`, turns a request into a `FakeReply`; thin adapters serve it as an httpx transport
(`_transport.py`) or as a real HTTP server on 127.0.0.1 (`_server.py`). They call `handle_async()`, which first
awaits the optional `on_request` hook, where a test scripts one request's fate. Answers are serialized once, when an
image is added, so that a server under load spends its CPU on HTTP, not on JSON.
"""

from __future__ import annotations

import calendar
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import unquote

from attrs import frozen

from .._signer import SDK_DATE_FORMAT, verify_request
from .._v1._converter import unstructure_position
from .._v1._models import DetectionTag
from ._datasets import DatasetKind, FakeDataset, OffsetMode, check_offset_mode, generated_dataset, route_v2
from ._images import IMAGE_PATH_PREFIX, OFFLINE_IMAGE_BASE, ImageRequest, png_image, sign_sources, verify_image_query
from ._reply import JSON_HEADERS, FakeReply, dumps, error_reply

if TYPE_CHECKING:
    import httpx

    from .._client import ModelArtsClient

__all__ = ["FAKE_ENDPOINT", "FAKE_PROJECT_ID", "FakeJob", "FakeModelArts", "FakeReply", "Faults", "RecordedRequest"]

#: The endpoint `FakeModelArts.client()` uses: a name that never resolves, so nothing can leave the process.
FAKE_ENDPOINT = "https://modelarts.fake.invalid"
FAKE_PROJECT_ID = "fake-project"

#: The gateway refuses a signature dated more than this many seconds from its clock (`APIG.0303`).
MAX_CLOCK_SKEW = 15 * 60

JobKind = Literal["classification", "detection"]


@frozen
class Faults:
    """Failures the fake injects, drawn from a seeded generator so that a test fails the same way every run.

    Each request draws one number; the probabilities are checked in order (drop, 503, 429, malformed), so their sum
    must not exceed 1. `latency` (seconds) delays every answer, faulty or not.
    """

    latency: float = 0.0
    #: the connection is closed without an answer
    p_drop: float = 0.0
    #: HTTP 503 with a gateway-style error body
    p_503: float = 0.0
    #: HTTP 429 `APIG.0308` with `Retry-After: {retry_after}`
    p_429: float = 0.0
    retry_after: float = 1.0
    #: HTTP 200 whose body is not JSON
    p_malformed: float = 0.0
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        rates = (self.p_drop, self.p_503, self.p_429, self.p_malformed)
        if any(not 0.0 <= p <= 1.0 for p in rates) or sum(rates) > 1.0:
            raise ValueError(f"fault probabilities must be in [0, 1] and sum to at most 1, got {rates}")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must not be negative")

    @property
    def any_failure(self) -> bool:
        return self.p_drop + self.p_503 + self.p_429 + self.p_malformed > 0.0


class RecordedRequest(NamedTuple):
    """A request the fake received (kept in `FakeModelArts.requests` unless `record=False`); `query` has no `?`."""

    method: str
    path: str
    body: bytes
    query: str = ""


class FakeJob:
    """One annotation job of the fake: its kind and its images' tags, stored as ready-made answers."""

    def __init__(self, job_id: str, kind: JobKind) -> None:
        if kind not in ("classification", "detection"):
            raise ValueError(f"kind must be 'classification' or 'detection', got {kind!r}")
        self.job_id = job_id
        self.kind: JobKind = kind
        self._answers: dict[str, bytes] = {}
        self._batch_items: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"FakeJob(job_id={self.job_id!r}, kind={self.kind!r}, images={len(self._answers)})"

    @property
    def image_ids(self) -> list[str]:
        """The ids of the images in this job, in the order they were added."""
        return list(self._answers)

    def add_image(
        self,
        image_id: str,
        tags: Iterable[str] | Iterable[DetectionTag | Mapping[str, Any]] = (),
        *,
        size: Sequence[int] | None = None,
    ) -> None:
        """Add (or replace) an image: label names for a classification job, `DetectionTag`s or dicts for detection."""
        wire_tags = [_wire_tag(tag, self.kind) for tag in tags]
        if self.kind == "classification":
            # The documented classification answer carries the image id and no size.
            answer: dict[str, Any] = {"is_success": True, "image_id": image_id, "tags": wire_tags}
            item: dict[str, Any] = {"image_id": image_id, "tags": wire_tags}
        else:
            # The documented detection answer has no image id, but the image's size.
            answer = {"is_success": True, "tags": wire_tags}
            item = {"image_id": image_id, "tags": wire_tags}
        if size is not None:
            answer["size"] = item["size"] = list(size)
        self._answers[image_id] = dumps(answer)
        self._batch_items[image_id] = dumps(item)

    def remove_image(self, image_id: str) -> None:
        """Forget an image, so that asking for it fails like asking for an unknown image."""
        del self._answers[image_id]
        del self._batch_items[image_id]


class FakeModelArts:
    """An offline, in-memory ModelArts data-annotation service for tests, demos and benchmarks.

    Example::

        fake = FakeModelArts()
        fake.add_job("282", "classification").add_image("img-1", ["cat"])
        async with fake.client() as client:  # in-process, through an httpx transport
            info = await client.get_image_info_by_id(data_annotation_id="282", image_id="img-1")
        async with fake.serve() as url:  # a real HTTP server on 127.0.0.1
            ...

    `project_id=None` accepts any project in the URL. `token=` requires that `X-Auth-Token`; `aksk=(ak, sk)`
    requires requests signed with that key (both answer 401 `APIG.0301` otherwise). `offset_mode` says how the v2
    lists read `offset`: "page" (records `[offset*limit, offset*limit+limit)`) or "record" (`[offset, offset+limit)`).

    Each v2 sample's `source` is a pre-signed-looking URL, signed when the answer leaves the fake and valid for
    `image_url_ttl / 2` to `image_url_ttl` seconds (answers within half that time are equal):
    `{base}/obs/fake-bucket/{dataset_id}/{sample_id}.png?AccessKeyId=…&Expires=…&Signature=…`.
    It serves a valid grey PNG of the sample's `@modelarts:size` (64x48 without one; `image_padding` adds that many
    bytes in a chunk readers skip), and OBS's 403 once `Expires` has passed. `base` is the URL of `serve()` while it
    runs, whichever client asks (in-process ones too), else `https://obs.fake.invalid`, which never resolves: to
    download images, serve the fake. Image requests skip the credential check and faults (latency applies) and are
    recorded, headers included, in `image_requests` (not in `requests`, nor counted in `request_count`).

    `on_request`, when set, is awaited with each request before the fake answers it, from `client()` and `serve()`
    alike: it may wait, count, or answer itself. A `FakeReply` it returns is sent as is (no auth check, no faults);
    None lets the fake answer. Requests are recorded and counted once answered, so not when the hook was cancelled,
    as it is when the client goes away (over `serve()`, when it hangs up). `handle()` never calls the hook::

        async def throttle_first(request: RecordedRequest) -> FakeReply | None:
            if fake.request_count == 0:
                return FakeReply(429, b"{}", {"Retry-After": "1"})
            return None

        fake.on_request = throttle_first
    """

    def __init__(
        self,
        *,
        project_id: str | None = None,
        faults: Faults | None = None,
        token: str | None = None,
        aksk: tuple[str, str] | None = None,
        record: bool = True,
        offset_mode: OffsetMode = "page",
        image_url_ttl: float = 3600.0,
        image_padding: int = 0,
    ) -> None:
        self.project_id = project_id
        self.jobs: dict[str, FakeJob] = {}
        self.datasets: dict[str, FakeDataset] = {}
        self.offset_mode: OffsetMode = check_offset_mode(offset_mode)
        self.token = token
        self.aksk = aksk
        self.record = record
        self.requests: list[RecordedRequest] = []
        self.request_count = 0
        self.faults = faults or Faults()
        self.on_request: Callable[[RecordedRequest], Awaitable[FakeReply | None]] | None = None
        #: How long a `source` URL stays valid: `ttl / 2` to `ttl` seconds from its answer (0 or less: expired).
        self.image_url_ttl = image_url_ttl
        self.image_padding = image_padding
        #: Every image request, with its headers (unless `record=False`).
        self.image_requests: list[ImageRequest] = []
        #: Where `source` URLs point: `serve()`'s URL while it runs.
        self.image_base_url = OFFLINE_IMAGE_BASE

    def __repr__(self) -> str:  # never shows the token or secret key
        return f"FakeModelArts(project_id={self.project_id!r}, jobs={list(self.jobs)!r})"

    @property
    def faults(self) -> Faults:
        """The faults injected from now on; assigning new ones restarts their seeded sequence."""
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._faults = faults
        self._rng = random.Random(faults.seed)

    def add_job(self, job_id: str, kind: JobKind = "classification") -> FakeJob:
        """Create (or replace) an annotation job and return it, to add images to."""
        job = FakeJob(job_id, kind)
        self.jobs[job_id] = job
        return job

    def add_generated_job(self, job_id: str, kind: JobKind, image_ids: Iterable[str], *, seed: int = 0) -> FakeJob:
        """Create a job whose images get plausible random tags (a few labels, or boxes on a 1920x1080 image)."""
        rng = random.Random(seed)
        job = self.add_job(job_id, kind)
        for image_id in image_ids:
            labels = rng.sample(_LABELS, rng.randint(1, 3))
            if kind == "classification":
                job.add_image(image_id, labels)
            else:
                boxes = [DetectionTag(label, _random_box(rng)) for label in labels]
                job.add_image(image_id, boxes, size=(1920, 1080))
        return job

    def add_dataset(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        dataset_type: int = 0,
        labels: Iterable[str | Mapping[str, Any]] | None = None,
        description: str = "",
        create_time: int | None = None,
        **extra_fields: Any,
    ) -> FakeDataset:
        """Create (or replace) a v2 dataset and return it, to add samples to; `labels` default to the samples'."""
        dataset = FakeDataset(
            dataset_id,
            name=name,
            dataset_type=dataset_type,
            labels=labels,
            description=description,
            create_time=create_time,
            **extra_fields,
        )
        self.datasets[dataset_id] = dataset
        return dataset

    def add_generated_dataset(
        self, dataset_id: str, count: int, *, seed: int = 0, kind: DatasetKind = "detection"
    ) -> FakeDataset:
        """Create a v2 dataset of `count` plausible random samples (ids from `generated_sample_ids(count, seed)`)."""
        dataset = self.datasets[dataset_id] = generated_dataset(dataset_id, count, seed=seed, kind=kind)
        return dataset

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport answering from this fake: `ModelArtsClient(url, transport=fake.transport())`."""
        from ._transport import FakeTransport

        return FakeTransport(self.handle_async)

    def client(self, **kwargs: Any) -> ModelArtsClient:
        """A `ModelArtsClient` wired to this fake in-process; keyword arguments go to `ModelArtsClient`."""
        from .._client import ModelArtsClient

        kwargs.setdefault("project_id", self.project_id or FAKE_PROJECT_ID)
        return ModelArtsClient(kwargs.pop("endpoint", FAKE_ENDPOINT), transport=self.transport(), **kwargs)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractAsyncContextManager[str]:
        """Serve this fake over real HTTP while the `async with` block runs; yields its URL (port 0: any free one).

        While it runs, sample `source` URLs point at it (also those given to in-process clients).
        """
        return self._serving(host, port)

    @asynccontextmanager
    async def _serving(self, host: str, port: int) -> AsyncIterator[str]:
        from ._server import serve

        async with serve(self.handle_async, host, port) as url:
            previous, self.image_base_url = self.image_base_url, url
            try:
                yield url
            finally:
                self.image_base_url = previous

    async def handle_async(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> FakeReply:
        """Answer one request as the transport and the server do: `on_request` first, then `handle()` unless it did."""
        hook = self.on_request
        if hook is not None:
            path, _, query = target.partition("?")
            request = RecordedRequest(method, path, body, query)
            reply = await hook(request)
            if reply is not None:
                self.request_count += 1
                if self.record:
                    self.requests.append(request)
                return reply
        return self.handle(method, target, headers, body)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> FakeReply:
        """Answer one request (`target` is the raw path with its query), without awaiting the `on_request` hook."""
        path, _, query = target.partition("?")
        if path.startswith(IMAGE_PATH_PREFIX):
            return self._image(method, path, query, headers)
        self.request_count += 1
        if self.record:
            self.requests.append(RecordedRequest(method, path, body, query))
        faults = self._faults
        reply = self._injected_fault(faults) if faults.any_failure else None
        if reply is None:
            reply = self._check_auth(method, target, headers, body) or self._route(method, path, query, body)
        if reply.status >= 400:  # support asks for the request id of failures; successes skip the copy
            reply = reply._replace(headers={**reply.headers, "X-Request-Id": f"fake-{self.request_count}"})
        return reply._replace(delay=faults.latency) if faults.latency else reply

    def _image(self, method: str, path: str, query: str, headers: Mapping[str, str]) -> FakeReply:
        """OBS's side: the PNG of a sample, or 403 for a URL that is not signed by the fake or has expired."""
        if self.record:
            self.image_requests.append(ImageRequest(method, path, query, headers))
        reply = verify_image_query(path, query) if method in ("GET", "HEAD") else None
        if reply is None:
            # /obs/fake-bucket/{dataset_id}/{sample_name}
            parts = [_segment(part) for part in path.split("/")]
            dataset = self.datasets.get(parts[3]) if len(parts) == 5 else None
            size = dataset.image_size(parts[4]) if dataset is not None and method in ("GET", "HEAD") else None
            if size is None:
                reply = FakeReply(404, b"<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"})
            else:
                reply = FakeReply(200, png_image(*size, self.image_padding), {"Content-Type": "image/png"})
        latency = self._faults.latency
        return reply._replace(delay=latency) if latency else reply

    def _injected_fault(self, faults: Faults) -> FakeReply | None:
        draw = self._rng.random()
        if draw < faults.p_drop:
            return FakeReply(0, b"", {}, drop=True)
        draw -= faults.p_drop
        if draw < faults.p_503:
            return error_reply(503, "APIG.0201", "Backend unavailable")
        draw -= faults.p_503
        if draw < faults.p_429:
            reply = error_reply(429, "APIG.0308", "The throttling threshold has been reached: limit:XX,time:1 minute")
            return reply._replace(headers={**reply.headers, "Retry-After": f"{faults.retry_after:g}"})
        draw -= faults.p_429
        if draw < faults.p_malformed:
            return FakeReply(200, b"<html>upstream sent garbage", {"Content-Type": "text/html"})
        return None

    def _check_auth(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> FakeReply | None:
        if self.token is not None and headers.get("x-auth-token") != self.token:
            return error_reply(
                401, "APIG.0301", "Incorrect IAM authentication information: token is missing or invalid"
            )
        if self.aksk is not None:
            problem = _signature_problem(self.aksk, method, target, headers, body)
            if problem is not None:
                code, detail = problem
                return error_reply(401, code, f"Incorrect IAM authentication information: {detail}")
        return None

    def _route(self, method: str, path: str, query: str, body: bytes) -> FakeReply:
        if path.startswith("/v2/"):
            reply = route_v2(
                method, path, query, self.datasets, project_id=self.project_id, offset_mode=self.offset_mode
            )
            if reply is None:
                return _no_such_api()
            return reply._replace(body=sign_sources(reply.body, self.image_base_url, self.image_url_ttl))
        parts = path.split("/")
        # ['', 'v1', project, 'data-annotations', job, 'images', image, 'tags'] or [..., job, 'tags', 'show']
        if len(parts) < 7 or parts[0] or parts[1] != "v1" or parts[3] != "data-annotations":
            return _no_such_api()
        project, job_id = _segment(parts[2]), _segment(parts[4])
        if len(parts) == 8 and parts[5] == "images" and parts[7] == "tags" and method == "GET":
            return self._single(project, job_id, _segment(parts[6]))
        if len(parts) == 7 and parts[5] == "tags" and parts[6] == "show" and method == "POST":
            return self._batch(project, job_id, body)
        return _no_such_api()

    def _job(self, project: str, job_id: str) -> FakeJob | FakeReply:
        if self.project_id is not None and project != self.project_id:
            return error_reply(404, "ModelArts.0102", f"Project {project} does not exist")
        job = self.jobs.get(job_id)
        if job is None:
            return error_reply(404, "ModelArts.0102", f"Data annotation job {job_id} does not exist")
        return job

    def _single(self, project: str, job_id: str, image_id: str) -> FakeReply:
        job = self._job(project, job_id)
        if isinstance(job, FakeReply):
            return job
        answer = job._answers.get(image_id)
        if answer is None:
            return error_reply(404, "ModelArts.0102", f"Image {image_id} does not exist in job {job_id}")
        return FakeReply(200, answer, JSON_HEADERS)

    def _batch(self, project: str, job_id: str, body: bytes) -> FakeReply:
        job = self._job(project, job_id)
        if isinstance(job, FakeReply):
            return job
        try:
            image_ids = json.loads(body)["image_id"]
        except (ValueError, TypeError, KeyError):
            image_ids = None
        if not isinstance(image_ids, list) or not all(isinstance(i, str) for i in image_ids):
            return error_reply(400, "ModelArts.0104", 'Invalid parameter: the body must be {"image_id": [string, ...]}')
        # Unknown images are left out of the answer, as the batch call does for ids it cannot find.
        items = [item for item in map(job._batch_items.get, image_ids) if item is not None]
        return FakeReply(200, b'{"is_success":true,"images_tags":[' + b",".join(items) + b"]}", JSON_HEADERS)


def generated_image_ids(count: int, *, seed: int = 0) -> list[str]:
    """`count` distinct 32-hex image ids, the same for the same seed (the demo and the server agree on them)."""
    rng = random.Random(seed)
    ids = dict.fromkeys(f"{rng.getrandbits(128):032x}" for _ in range(count))
    while len(ids) < count:  # a collision in 128 bits: practically never
        ids[f"{rng.getrandbits(128):032x}"] = None
    return list(ids)


_LABELS = ["animal", "fish", "cat", "dog", "bird", "car", "flower", "tree", "person", "boat"]


def _random_box(rng: random.Random) -> tuple[int, int, int, int]:
    x, y = rng.randrange(0, 1800), rng.randrange(0, 960)
    return x, y, x + rng.randrange(10, 120), y + rng.randrange(10, 120)


def _wire_tag(tag: Any, kind: JobKind) -> Any:
    if kind == "classification":
        if not isinstance(tag, str):
            raise TypeError(f"a classification job's tags are label names (str), got {type(tag).__name__}")
        return tag
    if isinstance(tag, DetectionTag):
        return {"tag": tag.tag, "pos": unstructure_position(tag.pos)}
    if isinstance(tag, Mapping) and "tag" in tag and "pos" in tag:
        return dict(tag)
    raise TypeError(f"a detection job's tags are DetectionTag or {{'tag', 'pos'}} dicts, got {type(tag).__name__}")


def _segment(raw: str) -> str:
    return unquote(raw) if "%" in raw else raw


def _signature_problem(
    aksk: tuple[str, str], method: str, target: str, headers: Mapping[str, str], body: bytes
) -> tuple[str, str] | None:
    """None for a request signed with `aksk` and dated within 15 minutes, else the gateway's (code, message)."""
    access_key, secret_key = aksk
    # The same canonical request as our signer: that one is checked byte for byte against huaweicloudsdkcore's.
    reason = verify_request(
        method, target, headers.items(), body, secret_key_for=lambda key: secret_key if key == access_key else None
    )
    if reason is not None:
        return "APIG.0301", reason
    try:
        signed_at = calendar.timegm(time.strptime(headers.get("x-sdk-date", ""), SDK_DATE_FORMAT))
    except ValueError:
        return "APIG.0301", "X-Sdk-Date is not YYYYMMDDTHHMMSSZ"
    if abs(time.time() - signed_at) > MAX_CLOCK_SKEW:
        return "APIG.0303", "the signature expired: X-Sdk-Date is more than 15 minutes from the gateway's clock"
    return None


def _no_such_api() -> FakeReply:
    return error_reply(404, "APIG.0101", "The API does not exist or has not been published in the environment")
