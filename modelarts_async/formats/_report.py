"""What a writer did with each sample (`AddResult`, `Skip`) and with all of them (`WriteSummary`).

A writer never drops a label without saying so: a label it could not write is a `Skip` with the reason, either
lossy (`invalid=False`: the format has no place for that shape) or invalid (`invalid=True`: the data is wrong).
A sample it could not write at all is an `AddResult` with `error` set.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen

from .._v2._models import FrozenDict

__all__ = ["AddResult", "Skip", "WriteSummary"]


def _frozen_counts(value: Mapping[str, int]) -> Mapping[str, int]:
    return FrozenDict(sorted(value.items()))


@frozen
class Skip:
    """One label (or a whole non-image sample, `label=None`) that was not written, and why.

    `shape` is the label's shape, `"classification"` for a label without one, or `"text sample"` (`"audio
    sample"`, ...) for a sample that is not an image. `invalid` is True when the data was wrong (a box outside the
    image, a bad name), False when the format simply cannot hold it (a lossy skip).
    """

    sample_id: str
    label: str | None
    shape: str
    why: str
    invalid: bool = False


@frozen
class AddResult:
    """What one `add` wrote: `written` annotations, the labels it `skipped`, or the `error` that kept the whole
    sample out (then nothing of it was written).

    `kept` is False when the sample is not in the output: after an `error`, or when the format has no place for
    the whole sample (a text sample in an image format: one `Skip` with `label=None` says so).
    """

    sample_id: str
    written: int = 0
    skipped: tuple[Skip, ...] = ()
    error: str | None = None
    kept: bool = True

    @property
    def ok(self) -> bool:
        """True when the sample was written (possibly with skipped labels)."""
        return self.error is None


@frozen
class WriteSummary:
    """What a writer wrote in all: counts of samples, annotations, errors, and skipped labels per shape.

    `skipped` counts lossy skips (shapes the format cannot hold), `invalid` counts labels skipped for bad data;
    both are keyed by shape. `failed` says whether anything went wrong, `lossy` whether anything was left out.
    """

    format: str
    samples: int = 0
    annotations: int = 0
    errors: int = 0
    skipped: Mapping[str, int] = field(factory=FrozenDict, converter=_frozen_counts)
    invalid: Mapping[str, int] = field(factory=FrozenDict, converter=_frozen_counts)
    #: Samples written per split.
    splits: Mapping[str, int] = field(factory=FrozenDict, converter=_frozen_counts)

    @property
    def failed(self) -> bool:
        """True when a sample could not be written or a label was skipped for bad data."""
        return self.errors > 0 or bool(self.invalid)

    @property
    def lossy(self) -> bool:
        """True when a label was left out because the format cannot hold its shape."""
        return bool(self.skipped)


class Tally:
    """Adds up `AddResult`s into a `WriteSummary` (the only state a writer keeps across samples)."""

    def __init__(self, format_name: str) -> None:
        self.format_name = format_name
        self.samples = self.annotations = self.errors = 0
        self.skipped: dict[str, int] = {}
        self.invalid: dict[str, int] = {}
        self.splits: dict[str, int] = {}

    def count(self, result: AddResult, split: str) -> AddResult:
        """Count `result` (written to `split`) and hand it back."""
        if result.error is not None:
            self.errors += 1
            return result
        if result.kept:
            self.samples += 1
            self.annotations += result.written
            self.splits[split] = self.splits.get(split, 0) + 1
        for skip in result.skipped:
            counts = self.invalid if skip.invalid else self.skipped
            counts[skip.shape] = counts.get(skip.shape, 0) + 1
        return result

    def summary(self) -> WriteSummary:
        return WriteSummary(
            self.format_name, self.samples, self.annotations, self.errors, self.skipped, self.invalid, self.splits
        )
