"""A training folder: `export --format F --out DIR` and `convert FILE --format F --out DIR`.

    export ─▶ DIR/samples.jsonl (the resumable export: the source of truth, exactly once, kill -9 and --resume)
          ─▶ DIR/labels.json (the dataset's label list, in order: the class ids)
          ─▶ DIR/images/ (--images: {split}/ for YOLO; present files are not fetched again)
          ─▶ the format's files, errors.jsonl, skipped.jsonl (rewritten whole from samples.jsonl on every run)
          ─▶ one summary, checked against the service's own counts

Each step after the export reads `samples.jsonl` a line at a time, so memory does not grow with the dataset, and a
rerun with `--resume` finishes whatever was left.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import IO, NamedTuple

from .._client import ModelArtsClient
from .._v2._converter import unstructure_dataset_label
from .._v2._image_files import is_part_file
from .._v2._models import Sample
from ..formats import ConvertSummary, assign_split, convert_jsonl
from ..formats._convert import exported_samples
from ._errors import EXIT_OK, EXIT_SOME_FAILED, UsageError
from ._jsonl_file import write_text_atomic
from ._lock import OutputLock
from ._progress import Console

__all__ = [
    "FOLDER_FORMATS",
    "FolderSettings",
    "ImageCounts",
    "check_counts",
    "check_folder",
    "count_samples",
    "fetch_extras",
    "finish_folder",
    "folder_files",
    "folder_settings",
    "lock_folder",
    "reset_folder",
    "write_format",
]

FOLDER_FORMATS = ("coco", "yolo", "voc", "manifest", "csv")
SAMPLES_FILE, LABELS_FILE, ERRORS_FILE, IMAGES_DIR = "samples.jsonl", "labels.json", "errors.jsonl", "images"
#: The folder's settings (format, split, seed), which `--resume` must repeat.
FOLDER_FILE = "folder.json"
#: What the format step writes, rebuilt whole from samples.jsonl on every run.
DERIVED = (
    "annotations",
    "labels",
    "Annotations",
    "ImageSets",
    "data.yaml",
    "dataset.manifest",
    "labels.csv",
    ERRORS_FILE,
    "skipped.jsonl",
)
_IMAGE_ERRORS = ".image-errors.jsonl"


class FolderSettings(NamedTuple):
    """The command line of a training folder (`--format`, `--out DIR`, `--images`, `--split`, ...)."""

    fmt: str
    out_dir: str
    splits: Mapping[str, float]
    seed: int = 0
    images: bool = False
    allow_lossy: bool = False
    concurrency: int = 32


class Counts(NamedTuple):
    """What an export fetched: samples, and labels per name (before any format left one out)."""

    samples: int
    labels: Mapping[str, int]


def folder_files(out_dir: str) -> tuple[str, str]:
    """The export's JSON lines inside the folder, and the folder's lock file."""
    return os.path.join(out_dir, SAMPLES_FILE), os.path.join(out_dir, ".folder.lock")


def lock_folder(out_dir: str) -> OutputLock:
    """Hold the folder for the whole run: a second export into it exits 1 naming this one's pid."""
    return OutputLock(folder_files(out_dir)[1], guarded=out_dir).acquire()


def check_folder(settings: FolderSettings, *, resume: bool) -> None:
    """Refuse `--resume` with another format, split or seed than the folder was made with: images already placed in
    splits would disagree with the labels written now."""
    made_with = _folder_identity(settings)
    recorded = _read_json(os.path.join(settings.out_dir, FOLDER_FILE))
    if resume and recorded is not None and recorded != made_with:
        changed = [f"--{key}" for key in made_with if recorded.get(key) != made_with[key]]
        raise UsageError(
            f"{settings.out_dir} was made with other {', '.join(changed) or 'settings'} ({_options(recorded)}): "
            "--resume with those, or --overwrite to start it again"
        )


def reset_folder(settings: FolderSettings, *, overwrite: bool) -> None:
    """After the export: the format's own files go (they are rebuilt whole from samples.jsonl, so none of an earlier
    run's is left to mislead), the images too under `--overwrite`, and the folder's settings are recorded.

    Only from a folder an earlier run made (it holds `folder.json`): `--out .` never deletes a `labels/` of yours."""
    identity = os.path.join(settings.out_dir, FOLDER_FILE)
    ours = os.path.exists(identity)
    for name in ((IMAGES_DIR,) * overwrite + DERIVED) * ours:
        path = os.path.join(settings.out_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    if ours:
        _remove_partial_images(os.path.join(settings.out_dir, IMAGES_DIR))
    write_text_atomic(identity, json.dumps(_folder_identity(settings)))


def _remove_partial_images(images_dir: str) -> None:
    """Delete the downloads in progress a killed run left among the images (`{name}.{8 hex}.part`; the whole image
    is fetched again). The folder's lock, held for the whole run, proves no other run of ours writes there now."""
    for directory, _subfolders, files in os.walk(images_dir):
        for name in files:
            if is_part_file(name):
                os.remove(os.path.join(directory, name))


def _folder_identity(settings: FolderSettings) -> dict[str, object]:
    return {"format": settings.fmt, "split": dict(settings.splits), "seed": settings.seed}


def _options(recorded: Mapping[str, object]) -> str:
    split = recorded.get("split")
    ratios = ",".join(f"{k}={v}" for k, v in split.items()) if isinstance(split, dict) else split
    return f"--format {recorded.get('format')} --split {ratios} --seed {recorded.get('seed')}"


def _read_json(path: str) -> dict[str, object] | None:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ---------------------------------------------------------------------------------------------------------------------
# After the export: labels, images, the format.


class ImageCounts(NamedTuple):
    """Images on disk after the run (fetched now or before), and images that failed (one error line each)."""

    ok: int = 0
    failed: int = 0


async def fetch_extras(
    client: ModelArtsClient, dataset_id: str, settings: FolderSettings, *, version_id: str | None = None
) -> ImageCounts:
    """`labels.json` (the version's, with `--version-id`: its class ids) and, with `--images`, the images."""
    labels = await client.get_dataset_labels(dataset_id=dataset_id, version_id=version_id)
    write_text_atomic(
        os.path.join(settings.out_dir, LABELS_FILE),
        json.dumps([unstructure_dataset_label(label) for label in labels], ensure_ascii=False, indent=1),
    )
    if not settings.images:
        return ImageCounts()
    counts = ImageCounts()
    # Local files a line at a time, like the export's own lines: short writes that a thread hop would only slow.
    with open(os.path.join(settings.out_dir, _IMAGE_ERRORS), "w", encoding="utf-8") as errors:  # noqa: ASYNC230
        for split, directory in _image_dirs(settings):
            samples = (sample for sample in _samples(settings.out_dir) if _split_of(sample, settings) == split)
            ok, failed = await _download(client, samples, directory, dataset_id, settings, errors)
            counts = ImageCounts(counts.ok + ok, counts.failed + failed)
    return counts


def _image_dirs(settings: FolderSettings) -> Iterator[tuple[str | None, str]]:
    """Where each split's images go: `images/{split}/` for YOLO, `images/` (all splits together) otherwise."""
    root = os.path.join(settings.out_dir, IMAGES_DIR)
    if settings.fmt == "yolo":
        for split in settings.splits:
            yield split, os.path.join(root, split)
    else:
        yield None, root


def _split_of(sample: Sample, settings: FolderSettings) -> str | None:
    """The split whose folder the image goes to: YOLO's, by the very rule the format step uses; None otherwise."""
    if settings.fmt != "yolo":
        return None
    return assign_split(sample.sample_id, settings.splits, seed=settings.seed)


async def _download(
    client: ModelArtsClient,
    samples: Iterator[Sample],
    directory: str,
    dataset_id: str,
    settings: FolderSettings,
    errors: IO[str],
) -> tuple[int, int]:
    ok = failed = 0
    async with client.download_images(
        samples, directory, dataset_id=dataset_id, concurrency=settings.concurrency
    ) as downloads:
        async for download in downloads:
            if download.error is not None:
                failed += 1
                record = {"sample_id": download.sample.sample_id, "error": f"image: {download.error}"}
                errors.write(json.dumps(record) + "\n")
            else:
                ok += 1
    return ok, failed


def write_format(samples_file: str, settings: FolderSettings) -> ConvertSummary:
    """The format's files from the export (and the images, when there are any), then the image errors appended."""
    images = os.path.join(settings.out_dir, IMAGES_DIR)
    summary = convert_jsonl(
        samples_file,
        settings.fmt,  # type: ignore[arg-type]  # one of FOLDER_FORMATS: argparse's choices
        settings.out_dir,
        images_from=images if os.path.isdir(images) else None,
        splits=dict(settings.splits),
        seed=settings.seed,
        allow_lossy=settings.allow_lossy,
    )
    _append_image_errors(settings.out_dir)
    return summary


def _append_image_errors(out_dir: str) -> None:
    pending = os.path.join(out_dir, _IMAGE_ERRORS)
    if not os.path.exists(pending):
        return
    with open(pending, encoding="utf-8") as source, open(os.path.join(out_dir, ERRORS_FILE), "a") as errors:
        for line in source:
            errors.write(line)
    os.remove(pending)


# ---------------------------------------------------------------------------------------------------------------------
# The summary and the check against the service's counts.


def count_samples(samples_file: str) -> Counts:
    """Samples in the export and labels per name, read a line at a time."""
    samples = 0
    labels: Counter[str] = Counter()
    for sample in exported_samples(samples_file):
        samples += 1
        labels.update(label.name for label in sample.labels if label.name is not None)
    return Counts(samples, dict(labels))


async def check_counts(client: ModelArtsClient, dataset_id: str, version_id: str | None, got: Counts) -> list[str]:
    """Warnings where the export disagrees with the service's own counts (the version's, with `--version-id`)."""
    if version_id is not None:
        version = await client.get_version(dataset_id=dataset_id, version_id=version_id)
        expected = {"samples": version.total_sample_count}
        source = f"version {version_id}"
    else:
        stats = await client.get_dataset_stats(dataset_id=dataset_id)
        per_name: Counter[str] = Counter()
        for label in stats.labels:  # one entry per name and type: a name may be both a class and a box
            if label.name is not None:
                per_name[label.name] += label.count or 0
        expected = {"samples": stats.total, **{f"labels {name!r}": count for name, count in per_name.items()}}
        source = "the dataset's statistics"
    fetched = {"samples": got.samples, **{f"labels {name!r}": count for name, count in got.labels.items()}}
    warnings = []
    for what, count in expected.items():
        if count is not None and fetched.get(what, 0) != count:
            hint = "" if version_id else "; export a published version (--version-id) for a snapshot"
            warnings.append(
                f"warning: {what}: exported {fetched.get(what, 0):,}, {source} count {count:,} "
                f"(the dataset changed during the export, or some samples failed){hint}"
            )
    return warnings


def finish_folder(
    settings: FolderSettings,
    export_code: int,
    summary: ConvertSummary,
    images: ImageCounts,
    console: Console,
    *,
    quiet: bool = False,
) -> int:
    """Print what the folder holds (errors only, when `quiet`) and return the exit code: 0 when everything was
    written, else 2."""
    clean = export_code == EXIT_OK and summary.ok and images.failed == 0
    if not quiet:
        _report(settings, summary, images, console)
    elif not clean:
        console.line(
            f"{settings.fmt}: not everything was written: errors.jsonl and skipped.jsonl in {settings.out_dir}"
        )
    return EXIT_OK if clean else EXIT_SOME_FAILED


def _report(settings: FolderSettings, summary: ConvertSummary, images: ImageCounts, console: Console) -> None:
    written = summary.written
    parts = [f"{settings.fmt}: {written.samples:,} samples, {written.annotations:,} annotations in {settings.out_dir}"]
    if written.splits:
        parts.append("splits " + ", ".join(f"{split} {count:,}" for split, count in written.splits.items()))
    if settings.images:
        parts.append(f"images {images.ok:,} in {os.path.join(settings.out_dir, IMAGES_DIR)}")
    console.line("; ".join(parts))
    failures = summary.failed_lines + summary.bad_lines + written.errors + images.failed
    if failures or written.invalid:
        invalid = sum(written.invalid.values())
        console.line(f"errors: {failures:,} samples or images, {invalid:,} invalid labels: errors.jsonl, skipped.jsonl")
    if written.skipped:
        shapes = ", ".join(f"{shape} {count:,}" for shape, count in written.skipped.items())
        what = "left out as --allow-lossy allows" if settings.allow_lossy else "left out (--allow-lossy accepts that)"
        console.line(f"{settings.fmt} cannot hold {shapes}: {what}; skipped.jsonl lists each")


# ---------------------------------------------------------------------------------------------------------------------
# Reading the export back.


def _samples(out_dir: str) -> Iterator[Sample]:
    return exported_samples(os.path.join(out_dir, SAMPLES_FILE))


def folder_settings(args: argparse.Namespace, *, concurrency: int) -> FolderSettings:
    """The folder options of `export` or `convert` as one value."""
    return FolderSettings(
        fmt=args.format,
        out_dir=args.out,
        splits=args.split,
        seed=args.seed,
        images=getattr(args, "images", False),
        allow_lossy=args.allow_lossy,
        concurrency=concurrency,
    )
