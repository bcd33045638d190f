"""The v2 dataset calls: one sample, many samples by id, every sample of a dataset, datasets and their labels.

These are plain functions of a `Pipeline`, like `_v1/_calls.py` for v1: the client's methods are a typed,
documented facade over them. Lists go through `_pager.Listing`; samples by id through the bulk engine (`_stream`),
one `GET` per id, since the service has no batch endpoint for samples.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, TypeVar
from urllib.parse import quote, urlencode

from .._bulk._pacing import Pacer, RatePacer
from .._bulk._stream import Fetchers, ResultStream
from .._exceptions import InvalidArgumentError, NotFoundError
from .._paths import dataset_labels_path, dataset_path, datasets_path, path_segment, sample_path, samples_path
from .._pipeline import Pipeline, Reply
from .._service import is_api_missing, is_dataset_missing, is_version_missing
from ._converter import (
    check_count,
    structure_dataset,
    structure_dataset_labels,
    structure_dataset_page,
    structure_sample,
    structure_sample_page,
)
from ._listing import Listing
from ._models import Dataset, DatasetLabel, Sample, SampleResult
from ._offsets import OffsetMode, check_offset_mode
from ._pager import FetchPage, check_pages_in_flight

__all__ = [
    "DatasetListing",
    "SampleListing",
    "SampleResultStream",
    "get_dataset",
    "get_dataset_labels",
    "get_sample",
    "list_datasets",
    "list_samples",
    "query_string",
    "sample_fetchers",
]

R = TypeVar("R")
QueryValue = str | int | bool | None
_Value = TypeVar("_Value")
Order = Literal["asc", "desc"]

_STABLE_HINT = "For a stable snapshot, list a published version: list_samples(..., version_id=...)"
_VERSION_HINT = "A published version should not change: if this repeats, report it with the request ids"
_DATASETS_HINT = "Datasets were created or deleted meanwhile: list again for a complete picture"
_LABELS_HINT = "Labels were added or removed meanwhile: read them again for a complete picture"


class SampleResultStream(ResultStream[SampleResult]):
    """The async iterator of `SampleResult`s that `ModelArtsClient.iter_samples()` returns: one per input id.

    Use it in `async with` so that leaving the block early (``break``, an exception) cancels the requests in
    flight and waits for them before going on. `stats` is readable at any time.

    Example::

        async with client.iter_samples(sample_ids, dataset_id="WxCREuCkBSAlQr9xrde") as results:
            async for result in results:
                print(result.sample_id, result.sample.label_names if result.ok else result.error)
    """


class SampleListing(Listing[Sample]):
    """The async iterator of every `Sample` of a dataset that `ModelArtsClient.list_samples()` returns.

    Each sample comes once (deduplicated by id), in the service's order, read a few pages ahead. Use it in
    `async with` so that leaving the block early cancels the pages in flight; check `stats.changed` after the
    run (True when the dataset changed while it was listed).

    Example::

        async with client.list_samples(dataset_id="WxCREuCkBSAlQr9xrde") as samples:
            async for sample in samples:
                print(sample.sample_id, sample.label_names)
        print(samples.stats)
    """


class DatasetListing(Listing[Dataset]):
    """The async iterator of every `Dataset` of a project that `ModelArtsClient.list_datasets()` returns.

    Example::

        datasets = [dataset async for dataset in client.list_datasets()]
    """


def query_string(params: Mapping[str, QueryValue]) -> str:
    """`?a=1&b=x%2Fy` from the parameters that are not None, sorted by name (so equal calls send equal URLs).

    Values are percent-encoded whole (`/`, `&`, `=`, `+` and spaces included); booleans are sent as true/false.
    """
    pairs = sorted((name, _text(name, value)) for name, value in params.items() if value is not None)
    return "?" + urlencode(pairs, quote_via=quote) if pairs else ""


def _text(name: str, value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError(
                f"{name} {text!r} is not valid text (it holds a lone surrogate, e.g. from a file name not in UTF-8)"
            ) from None
    return text


# -- errors ------------------------------------------------------------------------------------------------------


def _named(error: NotFoundError, subject: str) -> NotFoundError:
    """A copy of `error` whose message opens with what was not found; its type and every attribute are kept."""
    if is_api_missing(error.error_code):
        return error  # the gateway has no such API: not about this dataset or sample
    named = copy.copy(error)  # ModelArtsError.__reduce__: same class, same attributes
    named.args = (f"{subject} not found: {str(error).removeprefix('not found: ')}", *error.args[1:])
    return named


def _subject(
    error: NotFoundError, dataset_id: str, *, sample_id: str | None = None, version_id: str | None = None
) -> str:
    """What was missing, by the error code when it says, else what the call asked for."""
    dataset = f"dataset {dataset_id!r}"
    if is_dataset_missing(error.error_code):
        return dataset
    if is_version_missing(error.error_code) and version_id is not None:
        return f"version {version_id!r} of {dataset}"
    if sample_id is not None:
        return f"sample {sample_id!r} of {dataset}"
    if version_id is not None:
        return f"{dataset} (version {version_id!r})"
    return dataset


async def _call(
    pipeline: Pipeline,
    target: str,
    structure: Callable[[Reply], _Value],
    project_id: str,
    dataset_id: str | None,
    *,
    pacer: Pacer | None = None,
    sample_id: str | None = None,
    version_id: str | None = None,
) -> _Value:
    """`GET target` and `structure` the answer (`Pipeline.fetch`: every error is scrubbed of credentials); a
    not-found error names the dataset, sample or version the call asked for."""
    try:
        return await pipeline.fetch("GET", target, structure, pacer=pacer, project_id=project_id)
    except NotFoundError as error:
        if dataset_id is None:
            raise
        raise _named(error, _subject(error, dataset_id, sample_id=sample_id, version_id=version_id)) from None


def _counted(
    page: tuple[int | None, list[R]], reply: Reply, count_key: str, what: str, offset: int | None = None
) -> tuple[int | None, list[R]]:
    """`page` once its count is checked (`check_count`): the pager plans its requests by it."""
    count, records = page
    status_code, request_id = reply.status_code, reply.request_id
    return check_count(count, count_key, what, status_code=status_code, request_id=request_id, offset=offset), records


# -- arguments ---------------------------------------------------------------------------------------------------


def _optional_str(name: str, value: object) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise InvalidArgumentError(f"{name} must be a non-empty str or None, got {value!r}")


def _optional_int(name: str, value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise InvalidArgumentError(f"{name} must be an int or None, got {value!r}")


def _rate(name: str, value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf:
        return value
    raise InvalidArgumentError(f"{name} must be a positive number of requests per second, got {value!r}")


def _choice(name: str, value: object, choices: Sequence[str]) -> str | None:
    if value is None or (isinstance(value, str) and value in choices):
        return value
    raise InvalidArgumentError(f"{name} must be {' or '.join(map(repr, choices))} or None, got {value!r}")


# -- one sample, and many by id ----------------------------------------------------------------------------------


async def get_sample(
    pipeline: Pipeline, project_id: str, dataset_id: str, sample_id: str, pacer: Pacer | None = None
) -> Sample:
    """`GET .../datasets/{dataset_id}/data-annotations/samples/{sample_id}` structured into a `Sample`."""
    path = sample_path(project_id, dataset_id, sample_id)

    def structure(reply: Reply) -> Sample:
        return structure_sample(
            reply.data, requested_sample_id=sample_id, status_code=reply.status_code, request_id=reply.request_id
        )

    return await _call(pipeline, path, structure, project_id, dataset_id, pacer=pacer, sample_id=sample_id)


def sample_fetchers(pipeline: Pipeline, project_id: str, dataset_id: str) -> Fetchers[Sample, SampleResult]:
    """How a bulk run fetches samples of one dataset: one `GET` per id (there is no batch endpoint)."""
    samples_path(project_id, dataset_id)  # validates both ids once for the whole run

    async def one(sample_id: str, pacer: Pacer) -> Sample:
        return await get_sample(pipeline, project_id, dataset_id, sample_id, pacer)

    return Fetchers(one=one, result=SampleResult, check_key=lambda key: path_segment("sample_id", key))


# -- lists -------------------------------------------------------------------------------------------------------


def _sample_id(sample: Sample) -> str:
    return sample.sample_id


def _dataset_id(dataset: Dataset) -> str:
    return dataset.dataset_id


def _label_key(label: DatasetLabel) -> str:
    # A label is its name and type; `\x1f` cannot appear in either as JSON text the service sends.
    return f"{label.name}\x1f{label.type}"


def list_samples(
    pipeline: Pipeline,
    project_id: str,
    dataset_id: str,
    *,
    label_name: str | None = None,
    label_type: int | None = None,
    sample_state: str | None = None,
    sample_type: int | None = None,
    version_id: str | None = None,
    order: Order | None = None,
    pages_in_flight: int,
    offset_mode: OffsetMode,
    on_start: Callable[[], None],
    rate_limit: float | None = None,
) -> SampleListing:
    """Every sample of a dataset (matching the filters), each once; every argument is checked here, at the call."""
    path = samples_path(project_id, dataset_id)
    filters: dict[str, QueryValue] = {
        "label_name": _optional_str("label_name", label_name),
        "label_type": _optional_int("label_type", label_type),
        "sample_state": _optional_str("sample_state", sample_state),
        "sample_type": _optional_int("sample_type", sample_type),
        "version_id": _optional_str("version_id", version_id),
        "order": _choice("order", order, ("asc", "desc")),
    }
    pacer = None if rate_limit is None else RatePacer(_rate("rate_limit", rate_limit))

    async def fetch(offset: int, limit: int) -> tuple[int | None, list[Sample]]:
        target = path + query_string({**filters, "offset": offset, "limit": limit})

        def structure(reply: Reply) -> tuple[int | None, list[Sample]]:
            page = structure_sample_page(
                reply.data, status_code=reply.status_code, request_id=reply.request_id, offset=offset
            )
            return _counted(page, reply, "sample_count", "sample page", offset)

        return await _call(pipeline, target, structure, project_id, dataset_id, pacer=pacer, version_id=version_id)

    what = f"samples of dataset {dataset_id!r}" + ("" if version_id is None else f" (version {version_id!r})")
    return SampleListing(
        fetch,
        _sample_id,
        what=what,
        stable_hint=_STABLE_HINT if version_id is None else _VERSION_HINT,
        pages_in_flight=check_pages_in_flight(pages_in_flight),
        offset_mode=check_offset_mode(offset_mode),
        on_start=on_start,
    )


def list_datasets(
    pipeline: Pipeline,
    project_id: str,
    *,
    dataset_type: int | None = None,
    search_content: str | None = None,
    with_labels: bool = False,
    sort_by: Literal["create_time", "dataset_name"] | None = None,
    order: Order | None = None,
    pages_in_flight: int,
    offset_mode: OffsetMode,
    on_start: Callable[[], None],
) -> DatasetListing:
    """Every dataset of a project (matching the filters), each once; arguments are checked at the call."""
    path = datasets_path(project_id)
    if not isinstance(with_labels, bool):
        raise InvalidArgumentError(f"with_labels must be True or False, got {with_labels!r}")
    filters: dict[str, QueryValue] = {
        "dataset_type": _optional_int("dataset_type", dataset_type),
        "search_content": _optional_str("search_content", search_content),
        "with_labels": True if with_labels else None,
        "sort_by": _choice("sort_by", sort_by, ("create_time", "dataset_name")),
        "order": _choice("order", order, ("asc", "desc")),
    }

    async def fetch(offset: int, limit: int) -> tuple[int | None, list[Dataset]]:
        target = path + query_string({**filters, "offset": offset, "limit": limit})

        def structure(reply: Reply) -> tuple[int | None, list[Dataset]]:
            page = structure_dataset_page(
                reply.data, status_code=reply.status_code, request_id=reply.request_id, offset=offset
            )
            return _counted(page, reply, "total_number", "dataset page", offset)

        return await _call(pipeline, target, structure, project_id, None)

    return DatasetListing(
        fetch,
        _dataset_id,
        what=f"datasets of project {project_id!r}",
        stable_hint=_DATASETS_HINT,
        pages_in_flight=check_pages_in_flight(pages_in_flight),
        offset_mode=check_offset_mode(offset_mode),
        on_start=on_start,
    )


async def get_dataset(pipeline: Pipeline, project_id: str, dataset_id: str) -> Dataset:
    """`GET /v2/{project_id}/datasets/{dataset_id}` structured into a `Dataset`."""

    def structure(reply: Reply) -> Dataset:
        return structure_dataset(
            reply.data, requested_dataset_id=dataset_id, status_code=reply.status_code, request_id=reply.request_id
        )

    return await _call(pipeline, dataset_path(project_id, dataset_id), structure, project_id, dataset_id)


async def get_dataset_labels(
    pipeline: Pipeline, project_id: str, dataset_id: str, version_id: str | None = None
) -> tuple[DatasetLabel, ...]:
    """Every label of a dataset: one call, and paging (`Listing`) only when the answer says there are more."""
    path = dataset_labels_path(project_id, dataset_id)
    version_id = _optional_str("version_id", version_id)
    params: dict[str, QueryValue] = {"version_id": version_id}
    first = _label_page(None)
    total, labels = await _call(
        pipeline, path + query_string(params), first, project_id, dataset_id, version_id=version_id
    )
    if total is None or total <= len(labels):
        return tuple(labels)

    async def fetch(offset: int, limit: int) -> tuple[int | None, list[DatasetLabel]]:
        target = path + query_string({**params, "offset": offset, "limit": limit})
        return await _call(pipeline, target, _label_page(offset), project_id, dataset_id, version_id=version_id)

    paged: FetchPage[DatasetLabel] = fetch
    async with Listing(
        paged,
        _label_key,
        what=f"labels of dataset {dataset_id!r}",
        stable_hint=_LABELS_HINT,
        pages_in_flight=1,
        offset_mode="auto",
        on_start=lambda: None,
    ) as listing:
        return tuple([label async for label in listing])


def _label_page(offset: int | None) -> Callable[[Reply], tuple[int | None, list[DatasetLabel]]]:
    """How to structure a label list answer, the page at `offset` (None: the first call, which names none)."""

    def structure(reply: Reply) -> tuple[int | None, list[DatasetLabel]]:
        page = structure_dataset_labels(
            reply.data, status_code=reply.status_code, request_id=reply.request_id, offset=offset
        )
        return _counted(page, reply, "total_number", "label page", offset)

    return structure
