"""The v2 family for the command: the samples of a dataset, listed by id (`SamplesById`) or all (`DatasetSamples`).

Every line is a sample as the service sent it (`unstructure_sample`), keyed by `sample_id`:

    --dataset-id DS --ids FILE   client.iter_samples() ──▶ _export.export_ids       (one line per id, errors too)
    --dataset-id DS              client.list_samples() ──▶ _listing.export_listing (every sample once)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any, Literal, NamedTuple, Self

from .._bulk._stats import BulkStats
from .._client import ModelArtsClient
from .._exceptions import InvalidArgumentError
from .._v2._calls import SampleListing
from .._v2._converter import unstructure_sample
from .._v2._models import Sample, SampleResult
from ._errors import UsageError
from ._export import Outcome, ResultOutcomes
from ._jsonl_file import Identity
from ._reach import FailureAdvice, PlainAdvice

__all__ = ["DatasetSamples", "SampleFilters", "SamplesById", "sample_record"]

#: What the meta file records as the selection of an export's samples (`samples`).
EVERY_SAMPLE = "every sample"
LISTED_SAMPLES = "the samples in --ids"


class SampleFilters(NamedTuple):
    """The filters of a whole-dataset export, passed to `list_samples` as given (None: not given)."""

    label_name: str | None = None
    label_type: int | None = None
    sample_state: str | None = None
    sample_type: int | None = None
    version_id: str | None = None
    order: Literal["asc", "desc"] | None = None

    @property
    def given(self) -> list[str]:
        """The options of the filters that were given, as the command line spells them."""
        return [_option(name) for name, value in self._asdict().items() if value is not None]

    @property
    def identity(self) -> list[Identity]:
        return [
            Identity(name, _option(name), name.replace("_", " ") + " filter", None if value is None else str(value))
            for name, value in self._asdict().items()
        ]


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def sample_record(sample_id: str, sample: Sample) -> dict[str, Any]:
    """The line for `sample`: the service's JSON, keyed by the id that was asked for (a resume finds the line by
    it). When the service answered with another id, the line keeps that one as `server_sample_id`."""
    record = unstructure_sample(sample)
    server_id = record.pop("sample_id", sample_id)
    if server_id == sample_id:
        return {"sample_id": sample_id, **record}
    return {"sample_id": sample_id, "server_sample_id": server_id, **record}


def _identity(client: ModelArtsClient, dataset_id: str, selection: str) -> list[Identity]:
    return [
        Identity("endpoint", "--endpoint", "endpoint", client.endpoint),
        Identity("project_id", "--project-id", "project", client.project_id or ""),
        Identity("dataset_id", "--dataset-id", "dataset", dataset_id),
        Identity("samples", "--ids", "selection of samples", selection),
    ]


class SamplesById:
    """The samples of a dataset whose ids a file lists, through `ModelArtsClient.iter_samples()`: a `RecordSource`."""

    key_field = "sample_id"

    def __init__(
        self,
        client: ModelArtsClient,
        dataset_id: str,
        *,
        concurrency: int,
        rate_limit: float | None = None,
        advice: FailureAdvice | None = None,
    ) -> None:
        self.client, self.dataset_id = client, dataset_id
        self.concurrency, self.rate_limit = concurrency, rate_limit
        self.advice: FailureAdvice = advice or PlainAdvice()
        #: v2 checks the dataset itself: a missing one stops the export at its first id.
        self.stop_after_not_found: int | None = None

    @property
    def identity(self) -> Sequence[Identity]:
        return _identity(self.client, self.dataset_id, LISTED_SAMPLES)

    def outcomes(self, ids: Iterator[str]) -> ResultOutcomes[SampleResult]:
        try:
            stream = self.client.iter_samples(
                ids, dataset_id=self.dataset_id, concurrency=self.concurrency, rate_limit=self.rate_limit
            )
        except InvalidArgumentError as exc:
            raise UsageError(str(exc)) from None
        return ResultOutcomes(stream, _sample_outcome)

    async def aclose(self) -> None:
        await self.client.aclose()


def _sample_outcome(result: SampleResult) -> Outcome:
    if result.error is not None or result.sample is None:
        return Outcome(result.sample_id, None, result.error or ValueError("no sample and no error"))
    return Outcome(result.sample_id, sample_record(result.sample_id, result.sample), None)


class DatasetSamples:
    """Every sample of a dataset (matching the filters), through `ModelArtsClient.list_samples()`: a
    `ListingSource` for `_listing.export_listing`."""

    key_field = "sample_id"
    noun = "samples"

    def __init__(
        self,
        client: ModelArtsClient,
        dataset_id: str,
        filters: SampleFilters,
        *,
        pages_in_flight: int,
        rate_limit: float | None = None,
        advice: FailureAdvice | None = None,
    ) -> None:
        self.client, self.dataset_id, self.filters = client, dataset_id, filters
        self.pages_in_flight, self.rate_limit = pages_in_flight, rate_limit
        self.advice: FailureAdvice = advice or PlainAdvice()

    @property
    def identity(self) -> Sequence[Identity]:
        return [*_identity(self.client, self.dataset_id, EVERY_SAMPLE), *self.filters.identity]

    def listing(self) -> SampleRecords:
        try:
            listing = self.client.list_samples(
                dataset_id=self.dataset_id,
                **self.filters._asdict(),
                pages_in_flight=self.pages_in_flight,
                rate_limit=self.rate_limit,
            )
        except InvalidArgumentError as exc:
            raise UsageError(str(exc)) from None
        return SampleRecords(listing, self.pages_in_flight)

    async def aclose(self) -> None:
        await self.client.aclose()


class SampleRecords:
    """A `SampleListing` as the listing export reads it: `Outcome`s, `BulkStats` for the progress line, the count."""

    def __init__(self, listing: SampleListing, pages_in_flight: int) -> None:
        self._listing, self._pages_in_flight = listing, pages_in_flight

    @property
    def expected(self) -> int | None:
        """The number of samples the service counted (on the first page), None before it arrived."""
        return self._listing.stats.expected

    @property
    def stats(self) -> BulkStats:
        listed = self._listing.stats
        return BulkStats(
            done=listed.yielded,
            ok=listed.yielded,
            failed=0,
            in_flight=listed.in_flight,
            concurrency=self._pages_in_flight,
            attempts=listed.pages,
            throttled=0,
            elapsed=listed.elapsed,
        )

    async def __aenter__(self) -> Self:
        await self._listing.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._listing.__aexit__(exc_type, exc, tb)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Outcome:
        sample = await self._listing.__anext__()
        return Outcome(sample.sample_id, sample_record(sample.sample_id, sample), None)
