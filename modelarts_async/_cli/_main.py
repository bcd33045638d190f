"""The `modelarts-async` command: `get` one image's labels or one sample, `export` many to JSONL (resumable), list
`datasets`, run a `demo`.

Exit codes: 0 all ids succeeded, 2 some ids failed (their lines say why), 1 a usage or configuration error or a
failure that stops the whole run (rejected credentials, an output that cannot be written), 130 interrupted.

    main ─▶ parser ─▶ _connection: the client, and how failures are worded (_reach)
      │
      ├─▶ _export.export_ids ........ an ids file (_ids_file; --shard: _shard) ──┐
      └─▶ _listing.export_listing ... every sample of a dataset ─────────────────┴─▶ _output.ExportOutput: check,
                                                                                     lock (_lock), resume and repair
    sources: _export.ImageLabels (v1); _samples.SamplesById, DatasetSamples (v2)     (_jsonl_file), sidecar, write,
    progress line and counts: _progress                                              finish, report

Both exports hand the output's whole life to one `ExportOutput`; they read ids and run the fetching, nothing else.

The command owns standard error: `capture_logging` routes every log line through the same `Console` as the
progress line, at the level `-q`/`-v` chose.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import itertools
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from typing import Any, NoReturn

from .._config import DEFAULT_PAGES_IN_FLIGHT
from .._exceptions import InvalidArgumentError, ModelArtsError
from .._loop import fastest_event_loop
from .._v2._converter import unstructure_dataset
from .._v2._models import Dataset
from .._v2._stats_converter import unstructure_version
from .._v2._versions import DatasetVersion
from .._version import __version__
from ..formats import ConvertSummary, convert_jsonl, parse_splits
from ..formats._convert import read_label_names
from ..formats._manifest import USAGES as MANIFEST_USAGES
from ._connection import CliClient, add_connection_options, cli_advice, make_client
from ._errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, StopExport, UsageError
from ._export import NOT_FOUND_LIMIT, ImageLabels, export_ids, image_record, stops_export
from ._folder import (
    FOLDER_FORMATS,
    FolderSettings,
    ImageCounts,
    check_counts,
    check_folder,
    count_samples,
    fetch_extras,
    finish_folder,
    folder_files,
    folder_settings,
    lock_folder,
    reset_folder,
    write_format,
)
from ._jsonl_file import encode_line
from ._listing import export_listing
from ._progress import Console, ConsoleHandler, capture_logging, release_logging
from ._reach import is_reach_failure
from ._samples import DatasetSamples, SampleFilters, SamplesById, sample_record
from ._settings import STDOUT, ExportSettings
from ._shard import parse_shard

__all__ = ["main"]

DEMO_OUT = "modelarts-demo.jsonl"
_DEMO_PREVIEW_LINES = 3
#: Requests in flight by default: an export of ids (v1 or v2), and the demo of v1.
DEFAULT_CONCURRENCY, DEMO_CONCURRENCY = 32, 64
#: `dataset_type` as the console names it (API_V2.md); other numbers are shown as they are.
DATASET_TYPES = {
    0: "image classification",
    1: "object detection",
    3: "image segmentation",
    100: "text classification",
    101: "named entity recognition",
    102: "text triplet",
    200: "sound classification",
    201: "speech content",
    202: "speech paragraph",
    400: "table",
    600: "video",
    900: "free format",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with 1 (the command's 2 means "some ids failed"), an option is never
    abbreviated (`--dataset` is not `--dataset-id`: a later option could make it ambiguous), and a mistyped option
    is named ("unknown option --dataset-name")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "allow_abbrev": False})

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        argv = list(sys.argv[1:] if args is None else args)
        command = self._command_parser(argv)
        unknown = _first_unknown_option(command or self, argv)
        if unknown is not None:  # before argparse, which would first complain of a required option "missing"
            (command or self).error(_unknown(unknown, command or self))
        parsed, extras = self.parse_known_args(argv, namespace)
        if extras:
            self.error(_unknown(extras[0], self))
        return parsed

    def _command_parser(self, argv: list[str]) -> argparse.ArgumentParser | None:
        """The parser of the command `argv` names (its first word that is a command), if any."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                commands: dict[str, argparse.ArgumentParser] = action.choices
                return next((commands[word] for word in argv if word in commands), None)
        return None

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _first_unknown_option(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """The first `--option` in `argv` that `parser` does not know (an option's value is never taken for one)."""
    known = {name: action for action in parser._actions for name in action.option_strings}
    takes_value = False
    for word in argv:
        if takes_value:
            takes_value = False
            continue
        if word == "--":
            return None
        if not word.startswith("--"):
            continue
        name, equals, _ = word.partition("=")
        action = known.get(name)
        if action is None:
            return name
        takes_value = not equals and action.nargs != 0
    return None


def _unknown(word: str, parser: argparse.ArgumentParser) -> str:
    """What to say of an argument the command does not take: the option it abbreviates or resembles, if any."""
    if not word.startswith("-"):
        return f"unexpected argument {word!r}"
    option = word.partition("=")[0]
    known = [name for action in parser._actions for name in action.option_strings if name.startswith("--")]
    close = [name for name in known if name.startswith(option)][:1] or difflib.get_close_matches(option, known, n=1)
    return f"unknown option {option}" + (f" (did you mean {close[0]}?)" if close else "")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="modelarts-async",
        description="Get labels from Huawei Cloud ModelArts: images of an annotation job (the v1 API, "
        "--data-annotation-id) or samples of a dataset (the v2 API, --dataset-id; use it where v1 answers APIG.0101).",
        epilog="exit codes: 0 all ids succeeded, 2 some ids failed, 1 usage, configuration, credentials or an "
        "unwritable output, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    output = _Parser(add_help=False)
    verbosity = output.add_argument_group("output").add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", help="print errors only: no progress, no summary, no warnings"
    )
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="also print each retry (-v) and each HTTP attempt (-vv); by default retries are counted in the "
        "progress line and only warnings are printed",
    )
    connection = _Parser(add_help=False)
    add_connection_options(connection)

    get = commands.add_parser(
        "get", parents=[connection, output], help="print one image's labels or one sample of a dataset as JSON"
    )
    _add_source_options(get, v1="annotation job id (v1 API): ID is an image id", v2="dataset id: ID is a sample id")
    get.add_argument("id", metavar="ID", help="the image id (--data-annotation-id) or sample id (--dataset-id)")
    get.set_defaults(usage=get)

    exp = commands.add_parser(
        "export",
        parents=[connection, output],
        help="export labels to JSON lines: the images or samples a file lists, or every sample of a dataset",
    )
    _add_source_options(
        exp,
        v1="annotation job id (v1 API): export the images that --ids lists",
        v2="dataset id (v2 API): export the samples that --ids lists or, without --ids, every sample",
    )
    _add_export_options(exp)
    _add_format_options(exp, export=True)
    _add_filter_options(exp)
    exp.set_defaults(usage=exp)

    convert = commands.add_parser(
        "convert",
        parents=[output],
        help="turn an existing JSONL export into a training format, offline (no connection, no request)",
    )
    convert.add_argument("file", metavar="FILE", help="a JSONL export (v2 samples, or v1 image infos)")
    convert.add_argument("--out", required=True, metavar="DIR", help="the folder to write (created if missing)")
    _add_format_options(convert, export=False)
    convert.add_argument(
        "--labels",
        metavar="FILE",
        help="the label order (class ids): a JSON list of names or one name per line (default: the labels.json "
        "beside FILE, else the names in order of first appearance)",
    )
    convert.add_argument(
        "--images-from", metavar="DIR", help="downloaded images ({sample_id}.ext), read for sizes the samples lack"
    )
    convert.set_defaults(usage=convert)

    versions = commands.add_parser(
        "versions", parents=[connection, output], help="list the published versions (snapshots) of a dataset"
    )
    versions.add_argument("--dataset-id", metavar="DS", required=True, help="the dataset")
    versions.add_argument("--json", action="store_true", help="one JSON object per version and line")

    datasets = commands.add_parser(
        "datasets", parents=[connection, output], help="list the datasets of the project (id, name, type, counts)"
    )
    datasets.add_argument(
        "--json", action="store_true", help="one JSON object per dataset and line (the service's own shape)"
    )

    demo = commands.add_parser(
        "demo",
        parents=[output],
        help="export from the bundled offline fake server (no credentials needed) and print the throughput",
    )
    demo.add_argument(
        "--api",
        choices=["v1", "v2"],
        default="v1",
        help="v1: images of an annotation job by id (the default); v2: every sample of a detection dataset",
    )
    demo.add_argument(
        "--images",
        type=_positive_int,
        nargs="?",
        const=10_000,
        default=10_000,
        metavar="N",
        help="generated images, or samples (default: 10000); with --format their image files are downloaded too",
    )
    demo.add_argument("--kind", choices=["classification", "detection"], default=None, help="v1: the job's kind")
    demo.add_argument("--latency", type=_non_negative_float, default=0.0, help="the fake's seconds per answer")
    demo.add_argument(
        "--concurrency",
        type=_positive_int,
        default=None,
        help=f"requests in flight (default: {DEMO_CONCURRENCY}; v2: {DEFAULT_PAGES_IN_FLIGHT} page requests)",
    )
    demo.add_argument("--batch-size", type=_positive_int, default=None, help="v1: ids per batch call (default: single)")
    demo.add_argument(
        "--out",
        default=DEMO_OUT,
        metavar="FILE.jsonl",
        help=f"where the labels go, replaced if it exists; '-': standard output (default: ./{DEMO_OUT})",
    )
    demo.add_argument(
        "--format",
        choices=FOLDER_FORMATS,
        default=None,
        help="--api v2: write a training folder (--out DIR, default ./modelarts-demo-FORMAT) with the images",
    )
    demo.add_argument("--progress-interval", type=_positive_float, default=10.0, help=argparse.SUPPRESS)
    demo.set_defaults(usage=demo)
    return parser


def _add_source_options(parser: argparse.ArgumentParser, *, v1: str, v2: str) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data-annotation-id", metavar="JOB", help=v1)
    source.add_argument("--dataset-id", metavar="DS", help=v2)


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ids",
        metavar="FILE",
        help="file of image or sample ids, one per line ('-': stdin); required with --data-annotation-id",
    )
    parser.add_argument(
        "--out", required=True, metavar="FILE.jsonl", help="output: one JSON line per id ('-': standard output)"
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=None,
        help=f"requests in flight (default: {DEFAULT_CONCURRENCY}; a whole dataset: {DEFAULT_PAGES_IN_FLIGHT} page "
        "requests of 100 samples)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive_float,
        default=None,
        metavar="R",
        help="at most R HTTP requests per second, retries included; a batch call or a page of a dataset is one "
        "request (default: no limit)",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="v1: ask for N ids per call of the batch endpoint (tags/show) instead of one call per id (default: "
        "single)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--resume",
        action="store_true",
        help="continue the export in --out: fetch the ids it lacks and retry those that failed",
    )
    mode.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument(
        "--no-retry-failed",
        dest="retry_failed",
        action="store_false",
        help="with --resume: keep the error lines already in --out instead of retrying those ids",
    )
    parser.add_argument(
        "--shard",
        type=parse_shard,
        metavar="I/N",
        help="with --ids: export only the ids whose stable hash falls in shard I of N (1/4 ... 4/4), for N processes "
        "each writing its own --out; together they hold every id once",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help=f"v1: export even when the first {NOT_FOUND_LIMIT} ids are all not found (by default that stops the "
        "export: the --data-annotation-id is most likely wrong)",
    )
    parser.add_argument(
        "--progress-interval", type=_positive_float, default=10.0, help="seconds between plain progress lines"
    )


def _add_format_options(parser: argparse.ArgumentParser, *, export: bool) -> None:
    group = parser.add_argument_group("training formats")
    formats = ("jsonl", *FOLDER_FORMATS) if export else FOLDER_FORMATS
    group.add_argument(
        "--format",
        choices=formats,
        default="jsonl" if export else None,
        required=not export,
        help="jsonl: the service's JSON, one line per sample (default); any other: --out is a folder holding "
        "samples.jsonl (resumable), labels.json and the format's files"
        if export
        else "the format to write",
    )
    if export:
        group.add_argument(
            "--images", action="store_true", help="with --format: download every sample's image into the folder"
        )
    # Defaults None, so that check_args can tell them given (they mean nothing for JSONL); see _folder_defaults.
    group.add_argument(
        "--split",
        type=_splits,
        metavar="NAME=R,...",
        help="assign samples to splits by a stable hash of their id, e.g. train=0.8,val=0.2 (default: all train)",
    )
    group.add_argument("--seed", type=int, help="the split's hash seed (default: 0)")
    group.add_argument(
        "--allow-lossy",
        action="store_true",
        help="exit 0 although labels the format cannot hold were left out (skipped.jsonl lists them); failures "
        "still exit 2",
    )


def _splits(text: str) -> dict[str, float]:
    try:
        return parse_splits(text)
    except InvalidArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    filters = parser.add_argument_group(
        "dataset filters", "with --dataset-id and no --ids: passed to the service's list of samples as given"
    )
    filters.add_argument("--label-name", metavar="NAME", help="samples with a label of this name")
    filters.add_argument("--label-type", type=int, metavar="N", help="samples with a label of this type (1: detection)")
    filters.add_argument(
        "--sample-state",
        metavar="STATE",
        help="__ALL__ labelled, __NONE__ unlabelled, __AUTO_ANNOTATION__ to be confirmed, or a sample_status",
    )
    filters.add_argument(
        "--sample-type", type=int, metavar="N", help="0 image, 1 text, 2 audio, 4 table, 6 video, 9 free format"
    )
    filters.add_argument(
        "--version-id", metavar="VERSION", help="a published version of the dataset: a snapshot that does not change"
    )
    filters.add_argument("--order", choices=["asc", "desc"], help="the service's order (its default: desc)")


def _folder_defaults(args: argparse.Namespace) -> None:
    """What not giving `--split` or `--seed` means (every sample in train, seed 0), once check_args has seen them."""
    if hasattr(args, "split"):
        args.split = {"train": 1.0} if args.split is None else args.split
        args.seed = 0 if args.seed is None else args.seed


def _sample_filters(args: argparse.Namespace) -> SampleFilters:
    return SampleFilters(*(getattr(args, name) for name in SampleFilters._fields))


def check_args(args: argparse.Namespace) -> None:
    """Usage errors argparse cannot see: options that do not go together (exit 1 with the command's usage)."""
    parser: argparse.ArgumentParser | None = getattr(args, "usage", None)
    if parser is None:
        return
    if args.command == "export":
        filters = _sample_filters(args).given
        if args.dataset_id is None and args.ids is None:
            parser.error("export --data-annotation-id needs --ids FILE (the image ids)")
        if filters and (args.dataset_id is None or args.ids is not None):
            parser.error(f"{filters[0]} filters a whole dataset: use it with --dataset-id and without --ids")
        if args.dataset_id is not None and args.batch_size is not None:
            parser.error("--batch-size is for --data-annotation-id: the v2 API has no batch endpoint for samples")
        if args.shard is not None and args.ids is None:
            parser.error("--shard splits an ids file: use it with --ids (a whole dataset is listed by one process)")
        if args.format == "jsonl":
            folder_only = (
                (args.images, "--images"),
                (args.allow_lossy, "--allow-lossy"),
                (args.split is not None, "--split"),
                (args.seed is not None, "--seed"),
            )
            for given, option in folder_only:
                if given:
                    parser.error(f"{option} is for a training folder: add --format coco|yolo|voc|manifest|csv")
        elif args.out == STDOUT:
            parser.error(f"--format {args.format} writes a folder: --out DIR, not standard output")
        elif args.format == "manifest" and (unknown := sorted(set(args.split or ()) - set(MANIFEST_USAGES))):
            parser.error(f"--split: a manifest has no usage for {unknown[0]!r}; use {', '.join(MANIFEST_USAGES)}")
        elif args.images and args.dataset_id is None:
            parser.error("--images needs --dataset-id: the v1 API gives no image URLs")
    elif args.command == "demo" and args.format is not None and args.api != "v2":
        parser.error("--format is for --api v2: the v1 demo's images have no image files")
    elif args.command == "demo" and args.format is not None and args.out == STDOUT:
        parser.error(f"--format {args.format} writes a folder: --out DIR, not standard output")
    elif args.command == "demo" and args.api == "v2":
        for given, option in ((args.kind, "--kind"), (args.batch_size, "--batch-size")):
            if given is not None:
                parser.error(f"{option} is for --api v1: the v2 demo exports a detection dataset page by page")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number more than 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of at least 0, got {text}")
    return value


# ---------------------------------------------------------------------------------------------------------------------
# Commands: each returns its exit code, or raises UsageError / StopExport.


def run_get(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    return asyncio.run(_get(make_client(args), args, console))


async def _get(connection: CliClient, args: argparse.Namespace, console: Console) -> int:
    async with connection.client as client:
        try:
            if args.dataset_id is not None:
                sample = await client.get_sample(dataset_id=args.dataset_id, sample_id=args.id)
                record = sample_record(args.id, sample)
            else:
                info = await client.get_image_info_by_id(data_annotation_id=args.data_annotation_id, image_id=args.id)
                record = image_record(args.id, info)
        except InvalidArgumentError as exc:
            raise UsageError(cli_advice(str(exc))) from None
        except ModelArtsError as exc:
            console.line(f"modelarts-async: error: {connection.describe(exc)}")
            hint = connection.failure_hint(exc)
            if hint:
                console.line(hint)
            return EXIT_USAGE if stops_export(exc) or is_reach_failure(exc) else EXIT_SOME_FAILED
    _write_stdout(encode_line(record))
    return EXIT_OK


def _write_stdout(data: bytes) -> None:
    try:
        sys.stdout.flush()
        view = memoryview(data)
        while view:
            view = view[os.write(sys.stdout.fileno(), view) :]
    except OSError as exc:
        raise StopExport(f"cannot write standard output: {exc.strerror or exc}") from None


def run_export(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    if args.format == "jsonl":
        return _export_lines(args, console, handler, args.out)
    return _export_folder(args, console, handler)


def _export_folder(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    """`--format F --out DIR`: the export into DIR/samples.jsonl, then labels, images and the format from it."""
    settings = folder_settings(args, concurrency=args.concurrency or DEFAULT_CONCURRENCY)
    created = not os.path.isdir(settings.out_dir)
    try:
        os.makedirs(settings.out_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out {settings.out_dir}: {exc.strerror or exc}") from None
    samples_file, _ = folder_files(settings.out_dir)
    lock = lock_folder(settings.out_dir)
    try:
        check_folder(settings, resume=args.resume)
        try:
            code = _export_lines(args, console, handler, samples_file)
        finally:
            if created and not os.path.exists(samples_file):  # a failed start leaves nothing behind
                lock.release()
                shutil.rmtree(settings.out_dir, ignore_errors=True)
        if code not in (EXIT_OK, EXIT_SOME_FAILED):
            return code
        reset_folder(settings, overwrite=args.overwrite)
        images, warnings = ImageCounts(), list[str]()
        if args.dataset_id is not None:  # v1 has no label list, no image URLs and no counts to check against
            images, warnings = asyncio.run(_after_export(args, settings, samples_file))
        summary = _write_format(samples_file, settings)
        for warning in warnings:
            console.line(warning)
        return finish_folder(settings, code, summary, images, console, quiet=args.quiet)
    finally:
        lock.release()


def _write_format(samples_file: str, settings: FolderSettings) -> ConvertSummary:
    try:
        return write_format(samples_file, settings)
    except InvalidArgumentError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise StopExport(
            f"cannot write the {settings.fmt} files in {settings.out_dir}: {exc.strerror or exc}"
        ) from None


async def _after_export(
    args: argparse.Namespace, settings: FolderSettings, samples_file: str
) -> tuple[ImageCounts, list[str]]:
    """labels.json, the images, and the export checked against the service's own counts."""
    connection = make_client(args, max_connections=max(100, settings.concurrency))
    async with connection.client as client:
        try:
            images = await fetch_extras(client, args.dataset_id, settings, version_id=args.version_id)
            filters = _sample_filters(args)._replace(version_id=None, order=None).given
            if args.ids is not None or filters:
                why = "it exported the ids of --ids" if args.ids is not None else f"it was filtered by {filters[0]}"
                return images, [f"note: not compared with the service's counts: {why}"]
            counts = await asyncio.to_thread(count_samples, samples_file)
            return images, await check_counts(client, args.dataset_id, args.version_id, counts)
        except ModelArtsError as exc:
            raise connection.stop(exc) from None


def _export_lines(args: argparse.Namespace, console: Console, handler: ConsoleHandler, out: str) -> int:
    """The export of JSON lines into `out`: the images or samples of an ids file, or every sample of a dataset."""
    whole_dataset = args.dataset_id is not None and args.ids is None
    concurrency = args.concurrency or (DEFAULT_PAGES_IN_FLIGHT if whole_dataset else DEFAULT_CONCURRENCY)
    connection = make_client(args, max_connections=max(100, concurrency))
    client = connection.client
    settings = ExportSettings(
        ids=args.ids or "",
        out=out,
        resume=args.resume,
        overwrite=args.overwrite,
        retry_failed=args.retry_failed,
        progress_interval=args.progress_interval,
        quiet=args.quiet,
        shard=args.shard,
    )
    retries = lambda: handler.retries  # noqa: E731
    if whole_dataset:
        samples = DatasetSamples(
            client,
            args.dataset_id,
            _sample_filters(args),
            pages_in_flight=concurrency,
            rate_limit=args.rate_limit,
            advice=connection,
        )
        return export_listing(samples, settings, console, retries=retries)
    if args.dataset_id is not None:
        by_id = SamplesById(
            client, args.dataset_id, concurrency=concurrency, rate_limit=args.rate_limit, advice=connection
        )
        return export_ids(by_id, settings, console, retries=retries)
    images = ImageLabels(
        client,
        args.data_annotation_id,
        concurrency=concurrency,
        rate_limit=args.rate_limit,
        batch_size=args.batch_size,
        advice=connection,
        stop_after_not_found=None if args.keep_going else NOT_FOUND_LIMIT,
    )
    return export_ids(images, settings, console, retries=retries)


def run_convert(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    """`convert FILE --format F --out DIR`: offline, from an existing export; no connection option, no request."""
    settings = folder_settings(args, concurrency=1)
    try:
        os.makedirs(settings.out_dir, exist_ok=True)
        lock = lock_folder(settings.out_dir)
    except OSError as exc:
        raise UsageError(f"cannot create --out {settings.out_dir}: {exc.strerror or exc}") from None
    try:
        summary = _convert(args)
    except InvalidArgumentError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise StopExport(f"cannot convert {args.file}: {exc.strerror or exc}") from None
    finally:
        lock.release()
    return finish_folder(settings, EXIT_OK, summary, ImageCounts(), console, quiet=args.quiet)


def _convert(args: argparse.Namespace) -> ConvertSummary:
    return convert_jsonl(
        args.file,
        args.format,
        args.out,
        labels=read_label_names(args.labels) if args.labels else None,
        images_from=args.images_from,
        splits=args.split,
        seed=args.seed,
        allow_lossy=args.allow_lossy,
    )


def run_versions(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    connection = make_client(args)
    try:
        versions = asyncio.run(_versions(connection, args.dataset_id))
    except InvalidArgumentError as exc:
        raise UsageError(cli_advice(str(exc))) from None
    except ModelArtsError as exc:
        raise connection.stop(exc) from None
    if args.json:
        _write_stdout(b"".join(encode_line(unstructure_version(version)) for version in versions))
    else:
        _write_stdout(version_table(versions).encode())
    return EXIT_OK


async def _versions(connection: CliClient, dataset_id: str) -> list[DatasetVersion]:
    async with connection.client as client, client.list_versions(dataset_id=dataset_id) as listing:
        return [version async for version in listing]


def version_table(versions: list[DatasetVersion]) -> str:
    """The versions as an aligned table: id, name, current, total and annotated samples, creation time (UTC)."""
    rows = [("ID", "NAME", "CURRENT", "SAMPLES", "ANNOTATED", "CREATED")]
    for version in versions:
        created = version.create_time
        rows.append(
            (
                _cell(version.version_id),
                _cell(version.version_name or ""),
                "yes" if version.is_current else "",
                _count(version.total_sample_count),
                _count(version.annotated_sample_count),
                "" if created is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(created / 1000)),
            )
        )
    return _table(rows, right_from=3, right_to=5)


def run_datasets(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    connection = make_client(args)
    try:
        datasets = asyncio.run(_datasets(connection))
    except InvalidArgumentError as exc:
        raise UsageError(cli_advice(str(exc))) from None
    except ModelArtsError as exc:
        raise connection.stop(exc) from None
    if args.json:
        _write_stdout(b"".join(encode_line(unstructure_dataset(dataset)) for dataset in datasets))
    else:
        _write_stdout(dataset_table(datasets).encode())
    return EXIT_OK


async def _datasets(connection: CliClient) -> list[Dataset]:
    async with connection.client as client, client.list_datasets() as listing:
        return [dataset async for dataset in listing]


def dataset_table(datasets: list[Dataset]) -> str:
    """The datasets as an aligned table with a header: id, name, type, total and annotated samples."""
    rows = [("ID", "NAME", "TYPE", "SAMPLES", "ANNOTATED")]
    for dataset in datasets:
        kind = dataset.dataset_type
        rows.append(
            (
                _cell(dataset.dataset_id),
                _cell(dataset.dataset_name or ""),
                "" if kind is None else DATASET_TYPES.get(kind, str(kind)),
                _count(dataset.total_sample_count),
                _count(dataset.annotated_sample_count),
            )
        )
    return _table(rows, right_from=3, right_to=5)


def _table(rows: Sequence[tuple[str, ...]], *, right_from: int, right_to: int) -> str:
    """`rows` aligned in columns; the columns from `right_from` up to `right_to` (numbers) aligned right."""
    widths = [max(_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [_pad(text, widths[n], right=right_from <= n < right_to) for n, text in enumerate(row)]
        lines.append("  ".join(cells).rstrip() + "\n")
    return "".join(lines)


def _cell(text: str) -> str:
    """`text` on one line: a name with a tab or newline would break the table."""
    return " ".join(text.split()) if not text.isprintable() or "  " in text else text


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def _width(text: str) -> int:
    """Columns `text` takes on a terminal: CJK (wide) characters take two; dataset names are often Chinese."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def run_demo(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    from .._client import ModelArtsClient
    from ..testing import DEMO_DATASET_ID, generated_image_ids
    from ..testing.__main__ import CLASSIFICATION_JOB, DETECTION_JOB

    v2 = args.api == "v2"
    concurrency = args.concurrency or (DEFAULT_PAGES_IN_FLIGHT if v2 else DEMO_CONCURRENCY)
    noun = "samples" if v2 else "images"

    server = subprocess.Popen(
        [sys.executable, "-m", "modelarts_async.testing", "serve", "--port", "0", *_fake_options(args)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        url = _first_line(server, timeout=60.0)
        if not url:
            raise UsageError("the fake server did not start")
        if not args.quiet:
            what = f"dataset {DEMO_DATASET_ID} of {args.images:,} samples" if v2 else f"{args.images:,} images"
            console.line(f"demo: fake ModelArts with {what} at {url} (a separate process)")
        client = ModelArtsClient(url, project_id="demo", max_connections=max(concurrency, 8))
        settings = ExportSettings(
            out=args.out,
            overwrite=True,
            progress_interval=args.progress_interval,
            quiet=args.quiet,
            keep_identity=False,
        )
        started = time.perf_counter()
        if args.format is not None:
            code = _demo_folder(args, url, console, handler)
            elapsed = time.perf_counter() - started
            console.line(f"demo: {args.images:,} samples with their images in {elapsed:.2f} s")
            return code
        if v2:
            samples = DatasetSamples(client, DEMO_DATASET_ID, SampleFilters(), pages_in_flight=concurrency)
            code = export_listing(samples, settings, console, retries=lambda: handler.retries)
        else:
            job = DETECTION_JOB if args.kind == "detection" else CLASSIFICATION_JOB
            images = ImageLabels(client, job, concurrency=concurrency, batch_size=args.batch_size)
            with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="modelarts-demo-ids-") as ids:
                ids.writelines(f"{image_id}\n" for image_id in generated_image_ids(args.images))
                ids.flush()
                started = time.perf_counter()
                code = export_ids(images, settings._replace(ids=ids.name), console, retries=lambda: handler.retries)
        elapsed = time.perf_counter() - started
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
    throughput = f"throughput: {args.images / elapsed:,.0f} {noun}/s ({args.images:,} {noun} in {elapsed:.2f} s)"
    if args.out == STDOUT:
        console.line(throughput)  # standard output holds the JSON lines only
    else:
        _print_preview(args.out, noun.removesuffix("s"))
        print(throughput, flush=True)
    return code


def _demo_folder(args: argparse.Namespace, url: str, console: Console, handler: ConsoleHandler) -> int:
    """The demo's training folder: the same `export --format F --images` a user runs, against the fake."""
    from ..testing import DEMO_DATASET_ID

    out = args.out if args.out != DEMO_OUT else f"modelarts-demo-{args.format}"
    command = ["export", "--endpoint", url, "--project-id", "demo", "--dataset-id", DEMO_DATASET_ID]
    command += ["--format", args.format, "--images", "--out", out, "--overwrite", "--split", "train=0.8,val=0.2"]
    command += ["--allow-lossy", "--progress-interval", str(args.progress_interval), *(["-q"] if args.quiet else [])]
    export_args = build_parser().parse_args(command)
    _folder_defaults(export_args)
    return _export_folder(export_args, console, handler)


def _fake_options(args: argparse.Namespace) -> list[str]:
    return ["--images", str(args.images), "--latency", str(args.latency)]


def _first_line(server: subprocess.Popen[bytes], *, timeout: float) -> str:
    """The server's first line (its URL), or "" when it ended or said nothing within `timeout` seconds."""
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], timeout)
    return server.stdout.readline().decode().strip() if ready else ""


def _print_preview(path: str, noun: str) -> None:
    with open(path, encoding="utf-8", errors="replace") as file:
        head = list(itertools.islice(file, _DEMO_PREVIEW_LINES))
    print(f"{path} (first {len(head)} lines; one JSON object per {noun}):")
    for line in head:
        print("  " + (line if len(line) <= 200 else line[:197] + "...").rstrip("\n"))


_COMMANDS = {
    "get": run_get,
    "export": run_export,
    "convert": run_convert,
    "datasets": run_datasets,
    "versions": run_versions,
    "demo": run_demo,
}


def _interrupted(args: argparse.Namespace) -> str:
    """What Ctrl-C left, and how to go on: only an export to a file or folder can be resumed."""
    if args.command == "export" and args.out != STDOUT:
        return "interrupted: lines written so far are complete; rerun with --resume to continue"
    if args.command == "export":
        return "interrupted: the lines printed so far are complete"
    if args.command == "convert":
        return "interrupted: the folder is incomplete; run the same convert again to write it whole"
    return "interrupted"


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`) and return its exit code."""
    args = build_parser().parse_args(argv)
    check_args(args)
    _folder_defaults(args)
    console = Console(sys.stderr, interactive=sys.stderr.isatty())
    show = logging.ERROR if args.quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    handler = capture_logging(console, show, cli_advice)
    try:
        with fastest_event_loop():  # uvloop when installed (issue 20)
            return _COMMANDS[args.command](args, console, handler)
    except UsageError as exc:
        console.line(f"modelarts-async: error: {exc}")
        return EXIT_USAGE
    except StopExport as exc:
        console.line(f"modelarts-async: error: {exc}")
        for hint in exc.hints:
            console.line(hint)
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.clear_status()
        console.line(_interrupted(args))
        return EXIT_INTERRUPTED
    finally:
        release_logging(handler)
