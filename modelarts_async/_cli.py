"""The `modelarts-async` command: `get` one image's labels, `export` many to JSONL (resumable), run a `demo`.

Exit codes: 0 all ids succeeded, 2 some ids failed (their lines say why), 1 a usage or configuration error or a
failure that stops the whole run (rejected credentials), 130 interrupted.

Export writes each line whole, in one `write` call on an unbuffered file, as results complete: a kill, even SIGKILL,
leaves complete lines and at most one truncated last line. `--resume` cuts that line off and skips the ids already
in the file, so after any number of kills and resumes every id appears exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from ._converter import unstructure_image_info
from ._exceptions import (
    APIError,
    AuthenticationError,
    ConfigError,
    InvalidArgumentError,
    ModelArtsError,
    PermissionDeniedError,
)
from ._models import BulkStats, ImageInfo
from ._service import is_api_missing

if TYPE_CHECKING:
    from ._client import ModelArtsClient

__all__ = ["main"]

EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A problem with the command line, the input files or the configuration: exit 1 with this message."""


class StopExport(Exception):
    """A failure that would repeat for every id (rejected credentials, a missing API): stop, exit 1."""


# ---------------------------------------------------------------------------------------------------------------------
# Input and resume: pure functions over lines and files, tested on their own.


def iter_ids(lines: Iterable[str]) -> Iterator[str]:
    """The ids in an ids file: one per line, surrounding whitespace and blank lines ignored."""
    for line in lines:
        image_id = line.strip()
        if image_id:
            yield image_id


def unique(ids: Iterable[str], skip: set[str]) -> list[str]:
    """`ids` in first-seen order without repeats and without those in `skip` (exported once, each id once)."""
    seen = set(skip)
    out = []
    for image_id in ids:
        if image_id not in seen:
            seen.add(image_id)
            out.append(image_id)
    return out


def drain(ids: list[str]) -> Iterator[str]:
    """Hand out `ids` front to back, dropping the list's hold on each one: memory shrinks as the run goes."""
    ids.reverse()
    while ids:
        yield ids.pop()


class ResumeState(NamedTuple):
    """What an existing export holds: the ids already written, and how many bytes of a torn last line were cut."""

    done: set[str]
    repaired_bytes: int


def read_export(path: str) -> ResumeState:
    """Read an export to resume it, cutting off a truncated last line; raise `UsageError` for a damaged file.

    Only the last line can be torn (every write appends one whole line); a bad line elsewhere means someone
    edited the file, and guessing would break the exactly-once promise.
    """
    try:
        with open(path, "rb") as file:
            content = file.read()
    except FileNotFoundError:
        return ResumeState(set(), 0)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    done: set[str] = set()
    keep = len(content)
    lines = content.split(b"\n")
    tail = lines.pop()  # the bytes after the last newline: b"" for a file that ends with a whole line
    for number, line in enumerate(lines, start=1):
        image_id = _exported_id(line)
        if image_id is None:
            raise UsageError(f"{path} line {number} is not an export line; fix or remove it before resuming")
        done.add(image_id)
    repaired = 0
    if tail:
        image_id = _exported_id(tail)
        if image_id is None:
            keep -= len(tail)
            repaired = len(tail)
        else:
            done.add(image_id)
    with open(path, "r+b") as file:
        if repaired:
            file.truncate(keep)
        elif tail:  # a whole JSON line that lost only its newline
            file.seek(0, os.SEEK_END)
            file.write(b"\n")
    return ResumeState(done, repaired)


def _exported_id(line: bytes) -> str | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    image_id = data.get("image_id") if isinstance(data, dict) else None
    return image_id if isinstance(image_id, str) else None


# ---------------------------------------------------------------------------------------------------------------------
# Output lines and the writer.


def success_line(info: ImageInfo) -> dict[str, Any]:
    """`{"image_id": ..., "tags": [...], "size": [...]}`: the wire object, as the service sent it."""
    return unstructure_image_info(info)


def error_line(image_id: str, error: BaseException) -> dict[str, Any]:
    """`{"image_id": ..., "error": {"type", "error_code", "message", "request_id"}}` for a failed id."""
    return {
        "image_id": image_id,
        "error": {
            "type": type(error).__name__,
            "error_code": getattr(error, "error_code", None),
            "message": str(error),
            "request_id": getattr(error, "request_id", None),
        },
    }


class JsonlWriter:
    """Appends JSON lines, each in one write to an unbuffered file: no line is ever half in a buffer.

    A write of a ~200-byte line to a local file costs a few microseconds, short enough to do on the event loop.
    """

    def __init__(self, path: str, *, append: bool) -> None:
        self._file = open(path, "ab" if append else "wb", buffering=0)  # noqa: SIM115 (closed by close())

    def write(self, record: dict[str, Any]) -> None:
        view = memoryview((json.dumps(record, ensure_ascii=False) + "\n").encode())
        while view:  # a regular file takes the whole line at once; loop in case a write is ever partial
            view = view[self._file.write(view) or 0 :]

    def close(self) -> None:
        self._file.close()


# ---------------------------------------------------------------------------------------------------------------------
# Progress on stderr.


class Progress:
    """Counts results and shows them: a redrawn status line on a terminal, a plain line every `interval` otherwise."""

    def __init__(
        self,
        stream: IO[str],
        total: int,
        *,
        interactive: bool,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream, self.total, self.interactive = stream, total, interactive
        self.interval = 0.1 if interactive else interval
        self.clock = clock
        self.started = self._last = clock()
        self.ok = self.failed = 0
        self.errors: dict[str, int] = {}
        #: The bulk run's counters (requests, throttling, current concurrency), once a run has started.
        self.stats: Callable[[], BulkStats] | None = None

    @property
    def done(self) -> int:
        return self.ok + self.failed

    def add(self, error: BaseException | None) -> None:
        if error is None:
            self.ok += 1
        else:
            self.failed += 1
            name = type(error).__name__
            self.errors[name] = self.errors.get(name, 0) + 1
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            stats = self.stats() if self.stats is not None else None
            self._show(status_line(self.done, self.total, self.failed, now - self.started, stats))

    def _show(self, line: str) -> None:
        if self.interactive:
            self.stream.write(f"\r\x1b[K{line}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def summary(self) -> str:
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = f"{self.done:,} ids in {elapsed:.1f} s ({rate:,.0f} ids/s): {self.ok:,} ok, {self.failed:,} failed"
        if self.errors:
            text += " (" + ", ".join(f"{name} {count}" for name, count in sorted(self.errors.items())) + ")"
        if self.stats is not None:
            stats = self.stats()
            text += f"; {stats.attempts:,} HTTP requests"
            if stats.throttled:
                text += f", {stats.throttled:,} throttled"
        return text

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def status_line(done: int, total: int, failed: int, elapsed: float, stats: BulkStats | None = None) -> str:
    """`1,200/5,000  24%  [#####...............]  812 ids/s  ETA 4s  failed 3`, then throttling if any.

    After throttling: `throttled 12  in flight 8/16` (the run halves its concurrency on each burst of throttling
    and grows it back; a steady low number says `--rate-limit` would waste fewer requests).
    """
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{done:,}/{total:,}"]
    if total:
        share = done / total
        filled = int(share * 20)
        parts += [f"{share:4.0%}", "[" + "#" * filled + "." * (20 - filled) + "]"]
    parts.append(f"{rate:,.0f} ids/s")
    if total and rate > 0:
        parts.append(f"ETA {_duration((total - done) / rate)}")
    parts.append(f"failed {failed:,}")
    if stats is not None and stats.throttled:
        parts += [f"throttled {stats.throttled:,}", f"in flight {stats.in_flight}/{stats.concurrency}"]
    return "  ".join(parts)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


# ---------------------------------------------------------------------------------------------------------------------
# The export run.


class ExportOptions(NamedTuple):
    data_annotation_id: str
    concurrency: int
    rate_limit: float | None
    batch_size: int | None


async def export(
    client: ModelArtsClient, ids: Iterable[str], writer: JsonlWriter, progress: Progress, options: ExportOptions
) -> None:
    """Fetch every id's labels through the bulk helper and write one line per id as its result arrives.

    Invalid ids come back as error results (no request is sent for them). A failure every id would share raises
    `StopExport` before its id is written; leaving the stream cancels the requests in flight.
    """
    try:
        stream = client.iter_image_infos(
            ids,
            data_annotation_id=options.data_annotation_id,
            concurrency=options.concurrency,
            rate_limit=options.rate_limit,
            batch_size=options.batch_size,
        )
    except InvalidArgumentError as exc:
        raise UsageError(str(exc)) from exc
    progress.stats = lambda: stream.stats
    async with stream as results:
        async for result in results:
            error = result.error
            if error is None and result.info is not None:
                writer.write(success_line(result.info))
            else:
                error = error or ValueError(f"no labels and no error for {result.image_id!r}")
                if _stops_export(error):
                    raise StopExport(str(error)) from error
                writer.write(error_line(result.image_id, error))
            progress.add(error)


def _stops_export(error: BaseException) -> bool:
    """Failures that every other id would hit too: continuing would only repeat them (and may lock the key)."""
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return True
    return isinstance(error, APIError) and is_api_missing(error.error_code)


# ---------------------------------------------------------------------------------------------------------------------
# Commands.


CONNECTION_HELP = """\
With --context (or --config), the client comes from that context of the config file (format: README,
"Authentication"); otherwise from the environment: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK
(+ HUAWEICLOUD_SDK_SECURITY_TOKEN), HUAWEICLOUD_SDK_PROJECT_ID, and MODELARTS_ENDPOINT or HUAWEICLOUD_SDK_REGION.
Environment variables override the file; --endpoint and --project-id override both. Without credentials,
requests are sent unsigned, and only to an endpoint you name (--endpoint or MODELARTS_ENDPOINT): a private
gateway or the offline fake (python -m modelarts_async.testing serve), never a region's public endpoint."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelarts-async",
        description="Get image labels from Huawei Cloud ModelArts' data-annotation API.",
        epilog="exit codes: 0 all ids succeeded, 2 some ids failed, 1 usage, configuration or credentials, "
        "130 interrupted",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    connection = argparse.ArgumentParser(add_help=False)
    group = connection.add_argument_group("connection", CONNECTION_HELP)
    group.add_argument(
        "--endpoint", help="base URL, e.g. https://modelarts.cn-north-4.myhuaweicloud.com (default: MODELARTS_ENDPOINT)"
    )
    group.add_argument("--project-id", help="project id (default: HUAWEICLOUD_SDK_PROJECT_ID)")
    group.add_argument("--context", metavar="NAME", help="use this context of the config file")
    group.add_argument(
        "--config",
        metavar="FILE",
        help="the config file (default: MODELARTS_CONFIG, else ~/.modelarts/config.json); alone: its 'default' context",
    )

    get = commands.add_parser("get", parents=[connection], help="print one image's labels as JSON")
    get.add_argument("--data-annotation-id", required=True, help="annotation job id")
    get.add_argument("image_id", metavar="IMAGE_ID")

    exp = commands.add_parser("export", parents=[connection], help="export many images' labels to JSON lines")
    exp.add_argument("--data-annotation-id", required=True, help="annotation job id")
    _add_export_options(exp)

    demo = commands.add_parser(
        "demo", help="export from the bundled offline fake server (no credentials needed) and print the throughput"
    )
    demo.add_argument("--images", type=_positive_int, default=10_000, help="generated images (default: 10000)")
    demo.add_argument("--kind", choices=["classification", "detection"], default="classification")
    demo.add_argument("--latency", type=float, default=0.0, help="the fake's seconds per answer (default: 0)")
    demo.add_argument("--concurrency", type=_positive_int, default=64, help="requests in flight (default: 64)")
    demo.add_argument("--batch-size", type=_positive_int, default=None, help="ids per batch call (default: single)")
    demo.add_argument("--out", default=None, help="keep the JSONL here (default: a temporary file)")
    demo.add_argument("--progress-interval", type=float, default=10.0, help=argparse.SUPPRESS)
    return parser


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ids", required=True, metavar="FILE", help="file of image ids, one per line ('-': stdin)")
    parser.add_argument("--out", required=True, metavar="FILE.jsonl", help="output: one JSON line per id")
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
    mode.add_argument("--resume", action="store_true", help="continue an interrupted export into --out")
    mode.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
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
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def make_client(args: argparse.Namespace, *, max_connections: int = 100) -> ModelArtsClient:
    """A client as `CONNECTION_HELP` says; `UsageError` with what to do when the settings cannot give one."""
    explicit: dict[str, Any] = {"endpoint": args.endpoint, "project_id": args.project_id}
    try:
        if args.context is not None or args.config is not None:
            from ._client import create_client

            return create_client(args.context or "default", args.config, max_connections=max_connections, **explicit)
        return _client_from_env(args, max_connections)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _client_from_env(args: argparse.Namespace, max_connections: int) -> ModelArtsClient:
    from ._client import ModelArtsClient
    from ._config import ENV_NAMES

    env = {key: os.environ.get(name) for key, name in ENV_NAMES.items()}
    endpoint = args.endpoint or env["endpoint"]
    if not endpoint and not env["region"]:
        raise UsageError(
            "no endpoint: pass --endpoint URL, set MODELARTS_ENDPOINT or HUAWEICLOUD_SDK_REGION, or use --context NAME "
            "for a config file (try `modelarts-async demo` to see the tool work offline)"
        )
    if not (args.project_id or env["project_id"]):
        raise UsageError("no project id: pass --project-id or set HUAWEICLOUD_SDK_PROJECT_ID")
    if env["ak"] or env["sk"] or env["security_token"]:
        return ModelArtsClient.from_env(
            endpoint=args.endpoint, project_id=args.project_id, max_connections=max_connections
        )
    if not endpoint:
        raise UsageError(
            "no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or use --context NAME; unsigned requests "
            "go only to an endpoint you name with --endpoint or MODELARTS_ENDPOINT"
        )
    try:
        return ModelArtsClient(
            endpoint, project_id=args.project_id or env["project_id"], max_connections=max_connections
        )
    except InvalidArgumentError as exc:
        raise UsageError(str(exc)) from exc


def _failure_hint(client: ModelArtsClient, error: BaseException) -> str | None:
    """What to try when the service refused a request we sent without credentials."""
    if isinstance(error, AuthenticationError) and client._auth is None:
        return "no credentials were sent: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or use --context NAME"
    return None


async def run_get(args: argparse.Namespace) -> int:
    async with make_client(args) as client:
        try:
            info = await client.get_image_info_by_id(data_annotation_id=args.data_annotation_id, image_id=args.image_id)
        except InvalidArgumentError as exc:
            raise UsageError(str(exc)) from exc
        except ModelArtsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            hint = _failure_hint(client, exc)
            if hint:
                print(hint, file=sys.stderr)
            return EXIT_USAGE if _stops_export(exc) else EXIT_SOME_FAILED
    print(json.dumps(success_line(info), ensure_ascii=False))
    return EXIT_OK


def read_ids(path: str, skip: set[str]) -> list[str]:
    """The distinct ids of an ids file (or stdin for '-') not in `skip`, read before the run to know the total.

    Memory: the distinct ids are held (dropping repeats needs them anyway), then handed out with `drain()`.
    """
    try:
        if path == "-":
            return unique(iter_ids(sys.stdin), skip)
        with open(path, encoding="utf-8") as file:
            return unique(iter_ids(file), skip)
    except OSError as exc:
        raise UsageError(f"cannot read ids from {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text: {exc}") from exc


def prepare_output(path: str, *, resume: bool, overwrite: bool) -> ResumeState:
    """Check that `path` may be written; for `--resume`, repair it and return the ids it already holds."""
    if resume:
        state = read_export(path)
        if state.repaired_bytes:
            print(f"resume: cut a truncated last line ({state.repaired_bytes} bytes) off {path}", file=sys.stderr)
        return state
    if not overwrite and os.path.exists(path) and os.path.getsize(path) > 0:
        raise UsageError(f"{path} exists: pass --resume to continue that export, or --overwrite to replace it")
    return ResumeState(set(), 0)


def ids_to_export(args: argparse.Namespace) -> list[str]:
    """The ids still to export: for `--resume`, those not yet in `--out` (after repairing a torn last line)."""
    done = prepare_output(args.out, resume=args.resume, overwrite=args.overwrite).done
    ids = read_ids(args.ids, done)
    if done:
        print(f"resume: {len(done):,} ids already in {args.out}, {len(ids):,} to go", file=sys.stderr)
    return ids


async def run_export(args: argparse.Namespace) -> int:
    ids = ids_to_export(args)  # the set of ids already exported is dropped here, before the run
    options = ExportOptions(args.data_annotation_id, args.concurrency, args.rate_limit, args.batch_size)
    async with make_client(args, max_connections=max(100, args.concurrency)) as client:
        return await export_to_file(client, ids, args.out, options, append=args.resume, interval=args.progress_interval)


async def export_to_file(
    client: ModelArtsClient, ids: list[str], out: str, options: ExportOptions, *, append: bool, interval: float
) -> int:
    """Run an export into `out`, showing progress and a summary on stderr; return the exit code.

    `ids` is emptied as the ids are handed to the run (see `drain`).
    """
    try:
        writer = JsonlWriter(out, append=append)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from exc
    progress = Progress(sys.stderr, len(ids), interactive=sys.stderr.isatty(), interval=interval)
    try:
        await export(client, drain(ids), writer, progress, options)
    except StopExport as exc:
        progress.close()
        print(f"modelarts-async: error: stopped after {progress.done:,} ids: {exc}", file=sys.stderr)
        hint = _failure_hint(client, exc.__cause__ or exc)
        if hint:
            print(hint, file=sys.stderr)
        print("(ids not yet written are exported by a rerun with --resume)", file=sys.stderr)
        return EXIT_USAGE
    finally:
        writer.close()
    progress.close()
    print(f"exported {progress.summary()} -> {out}", file=sys.stderr)
    return EXIT_SOME_FAILED if progress.failed else EXIT_OK


async def run_demo(args: argparse.Namespace) -> int:
    import tempfile

    from ._client import ModelArtsClient
    from .testing import generated_image_ids
    from .testing.__main__ import CLASSIFICATION_JOB, DETECTION_JOB

    server = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "modelarts_async.testing", "serve", "--port", "0"],
        *["--images", str(args.images), "--latency", str(args.latency)],
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        url = (await asyncio.wait_for(server.stdout.readline(), timeout=60)).decode().strip()
        if not url:
            raise UsageError("the fake server did not start")
        print(f"demo: fake ModelArts with {args.images:,} images at {url} (a separate process)", file=sys.stderr)
        ids = generated_image_ids(args.images)
        count = len(ids)  # export_to_file hands the list out and empties it
        job = CLASSIFICATION_JOB if args.kind == "classification" else DETECTION_JOB
        options = ExportOptions(job, args.concurrency, None, args.batch_size)
        with tempfile.TemporaryDirectory() as scratch:
            out = args.out or os.path.join(scratch, "labels.jsonl")
            async with ModelArtsClient(url, project_id="demo", max_connections=args.concurrency) as client:
                started = time.perf_counter()
                code = await export_to_file(client, ids, out, options, append=False, interval=args.progress_interval)
                elapsed = time.perf_counter() - started
        print(f"throughput: {count / elapsed:,.0f} images/s ({count:,} images in {elapsed:.2f} s)")
        return code
    finally:
        if server.returncode is None:
            server.terminate()
        await server.wait()


_COMMANDS = {"get": run_get, "export": run_export, "demo": run_demo}


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`) and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_COMMANDS[args.command](args))
    except UsageError as exc:
        print(f"modelarts-async: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted: lines written so far are complete; rerun with --resume to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
