"""Issue 11, item 9: every public call, given hostile answers or hostile arguments, raises only `ModelArtsError`s.

Property-style: hypothesis draws what the server does to each request (random bytes, a valid answer with one node
replaced by a wrong type, NaN, a huge number or JSON nested 100,000 deep, broken gzip/deflate, a truncated body or a
lying Content-Length, 1xx/3xx/unknown statuses) and what the caller passes (non-str ids, empty, "..", "/",
surrogates, control characters). Valid answers come from `modelarts_async.testing.FakeModelArts`, so every
endpoint, v1 and v2, is hit with its own shape before it is spoiled. Examples are bounded and derandomized so CI
runs the same ones each time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.servers import JOB, Handler, HostileServer, Request, answer, gzipped, head, raw

import modelarts_async._bulk._pacing
from hostile.senders import make_client, user_auth
from modelarts_async import DetectionTag, InvalidArgumentError, ModelArtsClient, ModelArtsError, RetryPolicy
from modelarts_async.auth import AKSKAuth
from modelarts_async.testing import FakeModelArts, FakeReply, generated_sample_ids

DATASET = "WxCREuCkBSAlQr9xrde"
SAMPLES = generated_sample_ids(3)

# -- the calls ---------------------------------------------------------------------------------------------------

#: `(client, arguments) -> errors of a bulk run's results`; raises what the call raises. `arguments` may override
#: "id" (the one id the call names), "job", "dataset", "project_id", "version".
Driver = Callable[[ModelArtsClient, dict[str, Any]], Awaitable[list[Exception | None]]]


async def _drain(stream: Any) -> list[Any]:
    async with stream as items:
        return [item async for item in items]


async def _image_by_id(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    await client.get_image_info_by_id(
        data_annotation_id=a.get("job", JOB), image_id=a.get("id", "img-1"), project_id=a.get("project_id")
    )
    return []


async def _images_by_ids(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    await client.get_image_info_by_ids(
        data_annotation_id=a.get("job", JOB), image_ids=[a.get("id", "img-1"), "img-2"], project_id=a.get("project_id")
    )
    return []


def _iter_images(batch_size: int | None) -> Driver:
    async def drive(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
        stream = client.iter_image_infos(
            [a.get("id", "img-1"), "img-2", "img-3"],
            data_annotation_id=a.get("job", JOB),
            project_id=a.get("project_id"),
            batch_size=batch_size,
            concurrency=2,
        )
        return [result.error for result in await _drain(stream)]

    return drive


async def _image_list(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    results = await client.get_image_infos(
        [a.get("id", "img-1"), "img-2"], data_annotation_id=a.get("job", JOB), project_id=a.get("project_id")
    )
    return [result.error for result in results]


async def _sample(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    await client.get_sample(
        dataset_id=a.get("dataset", DATASET), sample_id=a.get("id", SAMPLES[0]), project_id=a.get("project_id")
    )
    return []


async def _iter_samples(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    stream = client.iter_samples(
        [a.get("id", SAMPLES[0]), SAMPLES[1]], dataset_id=a.get("dataset", DATASET), project_id=a.get("project_id")
    )
    return [result.error for result in await _drain(stream)]


async def _list_samples(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    listing = client.list_samples(
        dataset_id=a.get("dataset", DATASET), version_id=a.get("version"), project_id=a.get("project_id")
    )
    await _drain(listing)
    return []


async def _dataset(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    await client.get_dataset(dataset_id=a.get("dataset", DATASET), project_id=a.get("project_id"))
    return []


async def _dataset_labels(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    await client.get_dataset_labels(
        dataset_id=a.get("dataset", DATASET), version_id=a.get("version"), project_id=a.get("project_id")
    )
    return []


async def _list_datasets(client: ModelArtsClient, a: dict[str, Any]) -> list[Exception | None]:
    await _drain(client.list_datasets(project_id=a.get("project_id")))
    return []


V1_CALLS: dict[str, Driver] = {
    "get_image_info_by_id": _image_by_id,
    "get_image_info_by_ids": _images_by_ids,
    "iter_image_infos": _iter_images(None),
    "iter_image_infos(batch_size=2)": _iter_images(2),
    "get_image_infos": _image_list,
}
V2_CALLS: dict[str, Driver] = {
    "get_sample": _sample,
    "iter_samples": _iter_samples,
    "list_samples": _list_samples,
    "get_dataset": _dataset,
    "get_dataset_labels": _dataset_labels,
    "list_datasets": _list_datasets,
}
_MISSING_V2 = [name for name in V2_CALLS if not hasattr(ModelArtsClient, name)]


def calls() -> dict[str, Driver]:
    """Every public call this client has (the v2 ones only once they exist on `ModelArtsClient`)."""
    return {**V1_CALLS, **{name: drive for name, drive in V2_CALLS.items() if name not in _MISSING_V2}}


async def run_every_call(
    client: ModelArtsClient, arguments: dict[str, Any], on_call: Callable[[], None] = lambda: None
) -> list[str]:
    """Drive every call; the problems found: anything raised or returned that is not a `ModelArtsError`."""
    problems = []
    for name, drive in calls().items():
        on_call()
        try:
            async with asyncio.timeout(10):  # each call's deadline is 1 s (`_policy`)
                errors = await drive(client, arguments)
        except ModelArtsError:
            continue
        except TimeoutError:
            problems.append(f"{name} hung")
        except Exception as exc:
            problems.append(f"{name} raised {type(exc).__module__}.{type(exc).__qualname__}: {exc!r:.300}")
        else:
            problems += [
                f"{name} result: {error!r:.300}"
                for error in errors
                if not isinstance(error, (ModelArtsError, type(None)))
            ]
    return problems


# -- the valid service the hostile answers start from ------------------------------------------------------------


def _fake() -> FakeModelArts:
    fake = FakeModelArts(record=False)
    job = fake.add_job(JOB, "detection")
    for n in range(1, 4):
        job.add_image(f"img-{n}", [DetectionTag("car", (1, 2.5, 30, 40.25))], size=[64, 48, 3])
    fake.add_generated_dataset(DATASET, len(SAMPLES), kind="detection")
    return fake


FAKE = _fake()


def valid_reply(request: Request) -> FakeReply:
    return FAKE.handle(request.method, request.target, request.headers, request.body)


# -- hostile answers ---------------------------------------------------------------------------------------------

#: JSON nested 100,000 deep: the parser's RecursionError must not escape.
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
#: Raw JSON texts put in place of one node of a valid answer.
HOSTILE_JSON = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "9" * 5000,  # an int longer than Python parses by default
    "123456789012345678901234567890",
    "-0",
    "null",
    "true",
    '""',
    "[]",
    "{}",
    '"\\ud800"',
    '"\\u0000\\n\\r"',
    DEEP_ARRAY,
    DEEP_OBJECT,
    "[" * 900 + "]" * 900,  # deep, yet within what the parser takes
    '"' + "x" * 200_000 + '"',
]


class Raw(NamedTuple):
    """Whatever bytes, then hang up."""

    data: bytes

    def handler(self, _valid: FakeReply) -> Handler:
        return raw(self.data)


class Reply(NamedTuple):
    """A well-framed answer with this status and body (None: the valid body) and extra headers."""

    status: int
    body: bytes | None
    headers: tuple[tuple[str, str], ...] = ()

    def handler(self, valid: FakeReply) -> Handler:
        body = valid.body if self.body is None else self.body
        headers = {"Content-Type": "application/json", **dict(self.headers)}
        if self.status < 200:
            # An interim answer, then hang up. (Then stalling instead is a deadline test: aiohttp does not re-arm
            # its read timeout after an interim answer, so only the call's deadline ends that wait.)
            return raw(head(self.status, headers.items()) + body)
        return answer(self.status, body, headers)


class Mutated(NamedTuple):
    """The valid answer with its `node`-th JSON node (depth first, modulo their count) replaced by `text`."""

    node: int
    text: str

    def handler(self, valid: FakeReply) -> Handler:
        return answer(valid.status, _replace_node(valid.body, self.node, self.text), dict(valid.headers))


class Framed(NamedTuple):
    """The valid answer, badly framed or encoded."""

    how: str

    def handler(self, valid: FakeReply) -> Handler:
        body, status = valid.body, valid.status
        json_type = [("Content-Type", "application/json")]
        if self.how == "truncated":
            return raw(head(status, [*json_type, ("Content-Length", str(len(body) + 50))]) + body)
        if self.how == "content-length-too-short":
            return raw(head(status, [*json_type, ("Content-Length", str(max(0, len(body) - 5)))]) + body, close=False)
        if self.how == "two-content-lengths":
            return raw(head(status, [("Content-Length", str(len(body))), ("Content-Length", "3")]) + body)
        if self.how == "no-length-then-close":
            return raw(head(status, json_type) + body)
        if self.how == "chunked-garbage":
            return raw(head(status, [("Transfer-Encoding", "chunked")]) + b"zz\r\n" + body)
        if self.how == "chunked-and-content-length":
            framing = [("Transfer-Encoding", "chunked"), ("Content-Length", "5")]
            return raw(head(status, framing) + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        if self.how == "interim-103-then-answer":
            return raw(head(103, [("Link", "</x>")]) + head(status, [("Content-Length", str(len(body)))]) + body)
        if self.how == "100-continue-then-close":
            return raw(head(100, []))
        if self.how == "http-1.0-no-length":
            return raw(b"HTTP/1.0 200 OK\r\n\r\n" + body)
        encoded = {
            "gzip-garbage": (b"\x1f\x8b\x08\x00" + body[:20], "gzip"),
            "gzip-cut-off": (gzipped(body)[:-12], "gzip"),
            "gzip-said-twice": (gzipped(body), "gzip, gzip"),
            "deflate-garbage": (b"\x78\x9c" + body[:20], "deflate"),
            "gzip-valid-but-said-deflate": (gzipped(body), "deflate"),
            "unknown-encoding": (body, "zstd"),
        }[self.how]
        return answer(status, encoded[0], {"Content-Encoding": encoded[1]})


FRAMINGS = [
    "truncated",
    "content-length-too-short",
    "two-content-lengths",
    "no-length-then-close",
    "chunked-garbage",
    "chunked-and-content-length",
    "interim-103-then-answer",
    "100-continue-then-close",
    "http-1.0-no-length",
    "gzip-garbage",
    "gzip-cut-off",
    "gzip-said-twice",
    "deflate-garbage",
    "gzip-valid-but-said-deflate",
    "unknown-encoding",
]
STATUSES = [101, 102, 199, 204, 205, 299, 301, 302, 304, 307, 399, 418, 451, 499, 599, 600, 999]
ODD_HEADERS = [
    ("Retry-After", "nan"),
    ("Retry-After", "inf"),
    ("Retry-After", "-5"),
    ("Retry-After", "1e308"),
    ("Retry-After", "99999999999999999999999"),
    ("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ("Retry-After", "Mon, 99 Foo 2015"),
    ("X-Request-Id", "\u00ff\u00fe"),
    ("Content-Type", "text/html; charset=klingon"),
    ("Location", "http://169.254.169.254/"),
]


def _replace_node(body: bytes, index: int, text: str) -> bytes:
    data = json.loads(body)
    nodes: list[tuple[Any, Any]] = []  # (container, key) of every node below the root

    def walk(value: Any) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            nodes.append((value, key))
            walk(child)

    walk(data)
    marker = "\u2603hostile\u2603"
    if not nodes:
        return text.encode()
    container, key = nodes[index % len(nodes)]
    container[key] = marker
    return json.dumps(data).replace(json.dumps(marker), text).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)

hostilities = st.one_of(
    st.builds(Raw, st.binary(max_size=64)),
    st.builds(Raw, st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 ", b"\r\n\r\n", b"HTTP/2 200\r\n\r\n{}"])),
    st.builds(Reply, st.sampled_from([200, 400, 404, 429, 500, 503]), st.binary(max_size=64)),
    st.builds(Reply, st.sampled_from([200, 400, 500]), st.sampled_from([t.encode() for t in HOSTILE_JSON])),
    st.builds(Reply, st.sampled_from(STATUSES), st.none() | st.just(b"")),
    st.builds(Reply, st.sampled_from([200, 429, 503]), st.none(), st.tuples(st.sampled_from(ODD_HEADERS))),
    st.builds(Mutated, st.integers(0, 200), st.sampled_from(HOSTILE_JSON)),
    st.builds(Mutated, st.integers(0, 200), json_values.map(json.dumps)),
    st.builds(Framed, st.sampled_from(FRAMINGS)),
)


class Script:
    """What the server does to each request of the current call: the drawn hostilities in turn, then repeating."""

    def __init__(self) -> None:
        self.hostile: list[Any] = []
        self._next = 0

    def restart(self) -> None:
        self._next = 0

    def __call__(self, request: Request) -> Handler:
        hostility = self.hostile[self._next % len(self.hostile)]
        self._next += 1
        return hostility.handler(valid_reply(request))


def _policy() -> RetryPolicy:
    async def no_wait(_seconds: float) -> None:
        pass

    # A short deadline: an answer that stalls ends each call in about a second, whatever the sender's timeouts do.
    return RetryPolicy(max_attempts=2, deadline=1.0, sleep=no_wait)


# Bounded and reproducible: the same examples on every CI run, no example database written.
BOUNDED = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `Retry-After` pauses a whole bulk run, up to `MAX_PAUSE` (60 s), by design; drawn answers ask for that
    often, so the pause is cut here to keep each example short (how long a pause lasts is not what is tested)."""
    monkeypatch.setattr(modelarts_async._bulk._pacing, "MAX_PAUSE", 0.05)


@BOUNDED
@given(hostile=st.lists(hostilities, min_size=1, max_size=3))
async def test_hostile_answers_raise_only_modelarts_errors(
    server: HostileServer, sender: str, hostile: list[Any], short_pauses: None
) -> None:
    script = Script()
    script.hostile = hostile
    server.route(script)
    async with make_client(sender, server.url, retry=_policy(), timeout=0.5) as client:
        problems = await run_every_call(client, {}, script.restart)
    assert not problems, problems


#: The hostile JSON the issue names; the drawn examples above try the rest.
LISTED_JSON = ["NaN", "Infinity", "-Infinity", "1e400", "9" * 5000, '"\\ud800"', DEEP_ARRAY, DEEP_OBJECT]
PINNED = {
    **{f"framing-{how}": Framed(how) for how in FRAMINGS},
    **{f"status-{status}": Reply(status, None) for status in STATUSES},
    **{f"mutated-{text[:12]}": Mutated(5, text) for text in LISTED_JSON},
    "random-bytes": Raw(bytes(range(256))),
}


@pytest.mark.parametrize("hostile", list(PINNED.values()), ids=list(PINNED))
async def test_each_listed_hostile_answer_raises_only_modelarts_errors(
    server: HostileServer, sender: str, hostile: Any, short_pauses: None
) -> None:
    """Every kind of hostile answer the issue lists, pinned on every sender (the drawn examples above vary)."""
    script = Script()
    script.hostile = [hostile]
    server.route(script)
    async with make_client(sender, server.url, retry=_policy(), timeout=0.5) as client:
        problems = await run_every_call(client, {}, script.restart)
    assert not problems, problems


@pytest.mark.parametrize("name", [*V1_CALLS, *V2_CALLS])
@pytest.mark.parametrize(
    "hostile",
    [Reply(200, DEEP_ARRAY.encode()), Reply(200, DEEP_OBJECT.encode())] + [Mutated(n, DEEP_ARRAY) for n in (0, 3, 7)],
    ids=["deep-array", "deep-object", "deep-node-0", "deep-node-3", "deep-node-7"],
)
async def test_json_nested_100k_deep_is_a_modelarts_error_on_every_call(
    server: HostileServer, name: str, hostile: Any
) -> None:
    """Pinned, not drawn: the RecursionError of the issue, on each call by name."""
    if name in _MISSING_V2:
        pytest.skip(f"ModelArtsClient has no {name} yet")
    script = Script()
    script.hostile = [hostile]
    server.route(script)
    async with make_client("aiohttp", server.url, retry=_policy()) as client:
        try:
            errors = await calls()[name](client, {})
        except ModelArtsError:
            errors = []
    assert all(isinstance(error, (ModelArtsError, type(None))) for error in errors), errors


# -- hostile arguments -------------------------------------------------------------------------------------------

HOSTILE_IDS = [
    "",
    ".",
    "..",
    "/",
    "a/b",
    "../../v2/x",
    "a?b=c",
    "a#b",
    "%2e%2e",
    "a\\b",
    " padded ",
    "\udcff",
    "\ud800x",
    "img\x00",
    "img\n",
    "img\r\nX-Injected: 1",
    "\x85",
    "\u00e9t\u00e9",
    "\u65e5\u672c",
    "x" * 10_000,
    5,
    5.0,
    None,
    b"img-1",
    ["img-1"],
    object(),
]


ARGUMENTS = ["id", "job", "dataset", "project_id", "version"]


@pytest.mark.parametrize("where", ARGUMENTS)
async def test_each_listed_hostile_argument_raises_only_modelarts_errors(server: HostileServer, where: str) -> None:
    """Every hostile value the issue lists, in each argument of every call. Arguments are checked before any
    sender runs, so one sender does; the one argument that reaches a header (the project id, with AK/SK) is tested
    on every sender below, and the drawn arguments run on every sender too."""
    server.route(lambda request: answer(*_as_answer(valid_reply(request))))
    async with make_client("aiohttp", server.url, retry=_policy()) as client:
        problems = []
        for value in HOSTILE_IDS:
            found = await run_every_call(client, {where: value})
            problems += [f"{where}={value!r:.40}: {problem}" for problem in found]
    assert not problems, problems


@pytest.mark.parametrize(
    "call",
    [
        lambda c: _drain(c.list_samples(dataset_id=DATASET, version_id="v\udcff")),
        lambda c: c.get_dataset_labels(dataset_id=DATASET, version_id="v\udcff"),
        lambda c: _drain(c.list_samples(dataset_id=DATASET, label_name="car\udcff")),
        lambda c: _drain(c.list_datasets(search_content="demo\udcff")),
    ],
    ids=["list_samples(version_id)", "get_dataset_labels(version_id)", "list_samples(label_name)", "list_datasets"],
)
async def test_a_lone_surrogate_in_a_v2_query_value_is_invalid_argument(
    server: HostileServer, call: Callable[[ModelArtsClient], Awaitable[object]]
) -> None:
    if _MISSING_V2:
        pytest.skip(f"ModelArtsClient has no {', '.join(_MISSING_V2)} yet")
    server.route(lambda request: answer(*_as_answer(valid_reply(request))))
    async with make_client("aiohttp", server.url) as client:
        with pytest.raises(InvalidArgumentError):
            await call(client)


@BOUNDED
@given(
    value=st.text(max_size=12) | st.integers() | st.binary(max_size=8) | st.characters(codec=None),
    where=st.sampled_from(ARGUMENTS),
)
async def test_drawn_arguments_raise_only_modelarts_errors(
    server: HostileServer, sender: str, value: Any, where: str
) -> None:
    server.route(lambda request: answer(*_as_answer(valid_reply(request))))
    async with make_client(sender, server.url, retry=_policy()) as client:
        problems = await run_every_call(client, {where: value})
    assert not problems, problems


def _as_answer(reply: FakeReply) -> tuple[int, bytes, dict[str, str]]:
    return reply.status, reply.body, dict(reply.headers)


@pytest.mark.parametrize("ids", ["img-1", b"img-1", None, 5, 5.0], ids=repr)
async def test_a_bulk_call_given_no_iterable_of_ids_raises_invalid_argument(server: HostileServer, ids: Any) -> None:
    async with make_client("aiohttp", server.url) as client:
        with pytest.raises(InvalidArgumentError):
            await _drain(client.iter_image_infos(ids, data_annotation_id=JOB))
        with pytest.raises(InvalidArgumentError):
            await client.get_image_infos(ids, data_annotation_id=JOB)
        if hasattr(client, "iter_samples"):
            with pytest.raises(InvalidArgumentError):
                await _drain(client.iter_samples(ids, dataset_id=DATASET))


@pytest.mark.parametrize("project_id", ["projet-\u00e9t\u00e9", "\u65e5\u672c", "p\udcff"], ids=repr)
async def test_a_non_ascii_project_id_with_aksk_is_invalid_argument_on_every_sender(
    server: HostileServer, sender: str, project_id: str
) -> None:
    """The project travels in X-Project-Id (a header: ASCII only) when AKSKAuth has none of its own."""
    auth = user_auth(sender, AKSKAuth, "AKPROJECT0123456789X", "skProjectSecret0123456789")
    async with make_client(sender, server.url, auth=auth, project_id=project_id) as client:
        problems = await run_every_call(client, {})
        assert not problems, problems
        with pytest.raises(InvalidArgumentError):
            await client.get_image_info_by_id(data_annotation_id=JOB, image_id="img-1")
    assert not server.requests


# -- closing the client under calls in flight ----------------------------------------------------------------------


async def _stall(_request: Request, _writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


@pytest.mark.parametrize("max_attempts", [1, 4])
async def test_closing_the_client_under_calls_in_flight_raises_client_state_error(
    server: HostileServer, sender: str, max_attempts: int
) -> None:
    server.script(_stall)
    client = make_client(sender, server.url, retry=RetryPolicy(max_attempts=max_attempts))
    async with client:
        single = [
            asyncio.create_task(client.get_image_info_by_id(data_annotation_id=JOB, image_id=f"img-{n}"))
            for n in range(3)
        ]
        bulk = [asyncio.create_task(client.get_image_infos(["a", "b"], data_annotation_id=JOB))]
        expected = 5
        if not _MISSING_V2:
            bulk.append(asyncio.create_task(_drain(client.iter_samples(SAMPLES[:2], dataset_id=DATASET))))
            bulk.append(asyncio.create_task(_drain(client.list_samples(dataset_id=DATASET))))
            expected += 3
        await server.wait_for_requests(expected)
        await client.aclose()
        outcomes = await asyncio.wait_for(asyncio.gather(*single, *bulk, return_exceptions=True), 10)
    for outcome in outcomes:
        assert _is_client_state_error(outcome), repr(outcome)


def _is_client_state_error(outcome: Any) -> bool:
    from modelarts_async import ClientStateError

    if isinstance(outcome, list):  # a bulk run: the run raises it, or each result carries it
        return all(isinstance(getattr(result, "error", None), ClientStateError) for result in outcome)
    return isinstance(outcome, ClientStateError)


async def test_a_bulk_stream_of_a_closed_client_raises_client_state_error(server: HostileServer, sender: str) -> None:
    from modelarts_async import ClientStateError

    client = make_client(sender, server.url)
    await client.aclose()
    with pytest.raises(ClientStateError):
        await _drain(client.iter_image_infos(["a"], data_annotation_id=JOB))
    with pytest.raises(ClientStateError):
        await client.get_image_info_by_id(data_annotation_id=JOB, image_id="a")
