"""`python -m modelarts_async.testing serve --port 0`: run the fake on 127.0.0.1 and print its URL on stdout.

`python -m modelarts_async.testing ids --images 1000 > ids.txt` prints the ids of the images `serve` generates
with the same `--images` and `--seed`, for `modelarts-async export --ids ids.txt`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from ._datasets import DEMO_DATASET_ID
from ._fake import FakeModelArts, Faults, generated_image_ids

#: Job ids of the generated data set: the same images, labelled by a classification and a detection job.
CLASSIFICATION_JOB = "demo-classification"
DETECTION_JOB = "demo-detection"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m modelarts_async.testing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a fake ModelArts until interrupted",
        description="Serve a fake ModelArts on HOST:PORT and print its URL; the image ids it knows are printed by "
        "`python -m modelarts_async.testing ids` with the same --images and --seed.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    serve.add_argument("--project-id", default=None, help="accept only this project (default: any)")
    serve.add_argument(
        "--images",
        type=int,
        default=1000,
        help=f"generated images in jobs {CLASSIFICATION_JOB!r} and {DETECTION_JOB!r}, and samples in the v2 "
        f"detection dataset {DEMO_DATASET_ID!r} (default: 1000)",
    )
    serve.add_argument(
        "--offset-mode",
        choices=("page", "record"),
        default="page",
        help="how v2 lists read offset: a page index (records offset*limit...) or a record offset (default: page)",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed of the generated ids and tags, and of the faults")
    ids = commands.add_parser(
        "ids",
        help="print the image ids `serve` generates (same --images and --seed), one per line",
        description="Print the ids of the generated images, one per line: the images of the jobs "
        f"{CLASSIFICATION_JOB!r} and {DETECTION_JOB!r} that `serve` answers for, given the same options.",
    )
    ids.add_argument("--images", type=int, default=1000, help="how many (default: 1000, as serve)")
    ids.add_argument("--seed", type=int, default=0, help="seed of the generated ids (default: 0, as serve)")
    serve.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    serve.add_argument("--p-503", type=float, default=0.0, help="probability of an HTTP 503")
    serve.add_argument("--p-429", type=float, default=0.0, help="probability of an HTTP 429 with Retry-After")
    serve.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of the 429s (seconds)")
    serve.add_argument("--p-drop", type=float, default=0.0, help="probability of closing without an answer")
    serve.add_argument("--p-malformed", type=float, default=0.0, help="probability of a body that is not JSON")
    serve.add_argument(
        "--image-url-ttl", type=float, default=3600.0, help="seconds a sample's source URL stays valid (default 3600)"
    )
    serve.add_argument("--image-padding", type=int, default=0, help="bytes added to each served PNG (default 0)")
    return parser


def build_fake(args: argparse.Namespace) -> FakeModelArts:
    """The fake a `serve` command line describes, with its generated jobs and dataset."""
    faults = Faults(
        latency=args.latency,
        p_503=args.p_503,
        p_429=args.p_429,
        retry_after=args.retry_after,
        p_drop=args.p_drop,
        p_malformed=args.p_malformed,
        seed=args.seed,
    )
    # A long-running server would hold every request in memory if it recorded them.
    fake = FakeModelArts(
        project_id=args.project_id,
        faults=faults,
        record=False,
        offset_mode=args.offset_mode,
        image_url_ttl=args.image_url_ttl,
        image_padding=args.image_padding,
    )
    image_ids = generated_image_ids(args.images, seed=args.seed)
    fake.add_generated_job(CLASSIFICATION_JOB, "classification", image_ids, seed=args.seed)
    fake.add_generated_job(DETECTION_JOB, "detection", image_ids, seed=args.seed)
    fake.add_generated_dataset(DEMO_DATASET_ID, args.images, seed=args.seed, kind="detection")
    return fake


async def serve_until_stopped(fake: FakeModelArts, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with fake.serve(host, port) as url:
        print(url, flush=True)
        await stop.wait()


def print_ids(count: int, seed: int) -> int:
    try:
        sys.stdout.writelines(f"{image_id}\n" for image_id in generated_image_ids(count, seed=seed))
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted; send what is still buffered nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ids":
        if args.images < 0:
            print("error: --images must be at least 0", file=sys.stderr)
            return 1
        return print_ids(args.images, args.seed)
    try:
        fake = build_fake(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(serve_until_stopped(fake, args.host, args.port))
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
