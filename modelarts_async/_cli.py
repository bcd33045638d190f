"""The `modelarts-async` command: `get` one image's labels, `export` many to JSONL (resumable), run a `demo`.

Exit codes: 0 all ids succeeded, 2 some ids failed (their lines say why), 1 a usage or configuration error or a
failure that stops the whole run (rejected credentials, an output that cannot be written), 130 interrupted.

    main ─▶ parser ─▶ _cli_connection (the client) ─▶ _cli_export (plan, run) ─▶ _jsonl / _idset / _progress

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
from typing import NoReturn

from ._cli_connection import CliClient, add_connection_options, cli_advice, make_client
from ._cli_errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, StopExport, UsageError
from ._cli_export import STDOUT, ExportSettings, ImageLabels, export_ids, image_record, stops_export
from ._exceptions import InvalidArgumentError, ModelArtsError
from ._jsonl import encode_line
from ._progress import Console, ConsoleHandler, capture_logging, release_logging
from ._version import __version__

__all__ = ["main"]

DEMO_OUT = "modelarts-demo.jsonl"
_DEMO_PREVIEW_LINES = 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with 1: the command's 2 means "some ids failed"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="modelarts-async",
        description="Get image labels from Huawei Cloud ModelArts' data-annotation API.",
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

    get = commands.add_parser("get", parents=[connection, output], help="print one image's labels as JSON")
    get.add_argument("--data-annotation-id", required=True, help="annotation job id")
    get.add_argument("image_id", metavar="IMAGE_ID")

    exp = commands.add_parser("export", parents=[connection, output], help="export many images' labels to JSON lines")
    exp.add_argument("--data-annotation-id", required=True, help="annotation job id")
    _add_export_options(exp)

    demo = commands.add_parser(
        "demo",
        parents=[output],
        help="export from the bundled offline fake server (no credentials needed) and print the throughput",
    )
    demo.add_argument("--images", type=_positive_int, default=10_000, help="generated images (default: 10000)")
    demo.add_argument("--kind", choices=["classification", "detection"], default="classification")
    demo.add_argument("--latency", type=_non_negative_float, default=0.0, help="the fake's seconds per answer")
    demo.add_argument("--concurrency", type=_positive_int, default=64, help="requests in flight (default: 64)")
    demo.add_argument("--batch-size", type=_positive_int, default=None, help="ids per batch call (default: single)")
    demo.add_argument(
        "--out",
        default=DEMO_OUT,
        metavar="FILE.jsonl",
        help=f"where the labels go, replaced if it exists; '-': standard output (default: ./{DEMO_OUT})",
    )
    demo.add_argument("--progress-interval", type=_positive_float, default=10.0, help=argparse.SUPPRESS)
    return parser


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ids", required=True, metavar="FILE", help="file of image ids, one per line ('-': stdin)")
    parser.add_argument(
        "--out", required=True, metavar="FILE.jsonl", help="output: one JSON line per id ('-': standard output)"
    )
    parser.add_argument("--concurrency", type=_positive_int, default=32, help="requests in flight (default: 32)")
    parser.add_argument(
        "--rate-limit",
        type=_positive_float,
        default=None,
        metavar="R",
        help="at most R HTTP requests per second, retries included; a batch call is one request (default: no limit)",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="ask for N ids per call of the batch endpoint (tags/show) instead of one call per id (default: single)",
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
            info = await client.get_image_info_by_id(data_annotation_id=args.data_annotation_id, image_id=args.image_id)
        except InvalidArgumentError as exc:
            raise UsageError(cli_advice(str(exc))) from None
        except ModelArtsError as exc:
            console.line(f"modelarts-async: error: {exc}")
            hint = connection.failure_hint(exc)
            if hint:
                console.line(hint)
            return EXIT_USAGE if stops_export(exc) else EXIT_SOME_FAILED
    try:
        sys.stdout.flush()
        os.write(sys.stdout.fileno(), encode_line(image_record(args.image_id, info)))
    except OSError as exc:
        raise StopExport(f"cannot write standard output: {exc.strerror or exc}") from None
    return EXIT_OK


def run_export(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    connection = make_client(args, max_connections=max(100, args.concurrency))
    source = ImageLabels(
        connection.client,
        args.data_annotation_id,
        concurrency=args.concurrency,
        rate_limit=args.rate_limit,
        batch_size=args.batch_size,
        failure_hint=connection.failure_hint,
    )
    settings = ExportSettings(
        ids=args.ids,
        out=args.out,
        resume=args.resume,
        overwrite=args.overwrite,
        retry_failed=args.retry_failed,
        progress_interval=args.progress_interval,
        quiet=args.quiet,
    )
    return export_ids(source, settings, console, retries=lambda: handler.retries)


def run_demo(args: argparse.Namespace, console: Console, handler: ConsoleHandler) -> int:
    from ._client import ModelArtsClient
    from .testing import generated_image_ids
    from .testing.__main__ import CLASSIFICATION_JOB, DETECTION_JOB

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
            console.line(f"demo: fake ModelArts with {args.images:,} images at {url} (a separate process)")
        job = CLASSIFICATION_JOB if args.kind == "classification" else DETECTION_JOB
        client = ModelArtsClient(url, project_id="demo", max_connections=args.concurrency)
        source = ImageLabels(client, job, concurrency=args.concurrency, batch_size=args.batch_size)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="modelarts-demo-ids-") as ids:
            ids.writelines(f"{image_id}\n" for image_id in generated_image_ids(args.images))
            ids.flush()
            settings = ExportSettings(
                ids=ids.name,
                out=args.out,
                overwrite=True,
                progress_interval=args.progress_interval,
                quiet=args.quiet,
                keep_identity=False,
            )
            started = time.perf_counter()
            code = export_ids(source, settings, console, retries=lambda: handler.retries)
            elapsed = time.perf_counter() - started
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
    throughput = f"throughput: {args.images / elapsed:,.0f} images/s ({args.images:,} images in {elapsed:.2f} s)"
    if args.out == STDOUT:
        console.line(throughput)  # standard output holds the JSON lines only
    else:
        _print_preview(args.out)
        print(throughput, flush=True)
    return code


def _fake_options(args: argparse.Namespace) -> list[str]:
    return ["--images", str(args.images), "--latency", str(args.latency)]


def _first_line(server: subprocess.Popen[bytes], *, timeout: float) -> str:
    """The server's first line (its URL), or "" when it ended or said nothing within `timeout` seconds."""
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], timeout)
    return server.stdout.readline().decode().strip() if ready else ""


def _print_preview(path: str) -> None:
    with open(path, encoding="utf-8", errors="replace") as file:
        head = list(itertools.islice(file, _DEMO_PREVIEW_LINES))
    print(f"{path} (first {len(head)} lines; one JSON object per image):")
    for line in head:
        print("  " + (line if len(line) <= 200 else line[:197] + "...").rstrip("\n"))


_COMMANDS = {"get": run_get, "export": run_export, "demo": run_demo}


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`) and return its exit code."""
    args = build_parser().parse_args(argv)
    console = Console(sys.stderr, interactive=sys.stderr.isatty())
    show = logging.ERROR if args.quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    handler = capture_logging(console, show)
    try:
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
