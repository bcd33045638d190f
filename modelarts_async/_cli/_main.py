"""The `modelarts-async` command: `get` one image's labels or one sample, `export` many to JSONL (resumable), list
`datasets`, run a `demo`.

Exit codes: 0 all ids succeeded, 2 some ids failed (their lines say why), 1 a usage or configuration error or a
failure that stops the whole run (rejected credentials, an output that cannot be written), 130 interrupted.

    main ─▶ parser ─▶ _connection (the client) ─▶ _export (plan, run an export of ids) ─▶ _jsonl_file / _ids_file
                                              └▶ _listing (a whole dataset)          ─▶ / _progress
    v1 source: _export.ImageLabels; v2 sources: _samples (SamplesById, DatasetSamples)

The command owns standard error: `capture_logging` routes every log line through the same `Console` as the
progress line, at the level `-q`/`-v` chose.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
import unicodedata
from typing import NoReturn

from .._exceptions import InvalidArgumentError, ModelArtsError
from .._loop import fastest_event_loop
from .._v2._converter import unstructure_dataset
from .._v2._models import Dataset
from .._v2._pager import DEFAULT_PAGES_IN_FLIGHT
from .._version import __version__
from ._connection import CliClient, add_connection_options, cli_advice, make_client
from ._errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, StopExport, UsageError
from ._export import STDOUT, ExportSettings, ImageLabels, export_ids, image_record, stops_export
from ._jsonl_file import encode_line
from ._listing import export_listing
from ._progress import Console, ConsoleHandler, capture_logging, release_logging
from ._samples import DatasetSamples, SampleFilters, SamplesById, sample_record

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
    """argparse, but a usage error exits with 1: the command's 2 means "some ids failed"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


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
    _add_filter_options(exp)
    exp.set_defaults(usage=exp)

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
        "--images", type=_positive_int, default=10_000, help="generated images, or samples (default: 10000)"
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
        "--progress-interval", type=_positive_float, default=10.0, help="seconds between plain progress lines"
    )


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
            console.line(f"modelarts-async: error: {exc}")
            hint = connection.failure_hint(exc)
            if hint:
                console.line(hint)
            return EXIT_USAGE if stops_export(exc) else EXIT_SOME_FAILED
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
    whole_dataset = args.dataset_id is not None and args.ids is None
    concurrency = args.concurrency or (DEFAULT_PAGES_IN_FLIGHT if whole_dataset else DEFAULT_CONCURRENCY)
    connection = make_client(args, max_connections=max(100, concurrency))
    client, hint = connection.client, connection.failure_hint
    settings = ExportSettings(
        ids=args.ids or "",
        out=args.out,
        resume=args.resume,
        overwrite=args.overwrite,
        retry_failed=args.retry_failed,
        progress_interval=args.progress_interval,
        quiet=args.quiet,
    )
    retries = lambda: handler.retries  # noqa: E731
    if whole_dataset:
        samples = DatasetSamples(
            client,
            args.dataset_id,
            _sample_filters(args),
            pages_in_flight=concurrency,
            rate_limit=args.rate_limit,
            failure_hint=hint,
        )
        return export_listing(samples, settings, console, retries=retries)
    if args.dataset_id is not None:
        by_id = SamplesById(
            client, args.dataset_id, concurrency=concurrency, rate_limit=args.rate_limit, failure_hint=hint
        )
        return export_ids(by_id, settings, console, retries=retries)
    images = ImageLabels(
        client,
        args.data_annotation_id,
        concurrency=concurrency,
        rate_limit=args.rate_limit,
        batch_size=args.batch_size,
        failure_hint=hint,
    )
    return export_ids(images, settings, console, retries=retries)


def run_datasets(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    connection = make_client(args)
    try:
        datasets = asyncio.run(_datasets(connection))
    except InvalidArgumentError as exc:
        raise UsageError(cli_advice(str(exc))) from None
    except ModelArtsError as exc:
        hint = connection.failure_hint(exc)
        raise StopExport(str(exc), *([hint] if hint else [])) from None
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
    widths = [max(_width(row[column]) for row in rows) for column in range(5)]
    lines = []
    for row in rows:
        cells = [_pad(text, widths[n], right=n >= 3) for n, text in enumerate(row)]
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


_COMMANDS = {"get": run_get, "export": run_export, "datasets": run_datasets, "demo": run_demo}


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`) and return its exit code."""
    args = build_parser().parse_args(argv)
    check_args(args)
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
        console.line("interrupted: lines written so far are complete; rerun with --resume to continue")
        return EXIT_INTERRUPTED
    finally:
        release_logging(handler)
