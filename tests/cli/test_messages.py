"""What the command says when it cannot go on: a job that does not exist, an endpoint it cannot reach, an option
it does not know. Each message leads with what to do."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
from cli_run import IDS, JOB, PROJECT, Served, connection, export_args, exported_ids, names_in, run_cli

from modelarts_async import NotFoundError, RequestTimeoutError, TransportError
from modelarts_async._cli._reach import describe_failure, reach_failure
from modelarts_async.testing import FakeModelArts, generated_image_ids

NOT_FOUND = (
    "modelarts-async: error: the first 100 ids were all not found: is --data-annotation-id right? --keep-going "
    "exports anyway"
)

# ---------------------------------------------------------------------------------------------------------------------
# Item 10: a v1 export against a job that does not exist.


async def test_an_export_of_a_job_that_does_not_exist_stops_after_100_ids(tmp_path: Path) -> None:
    fake = FakeModelArts(project_id=PROJECT)  # no job at all
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    ids.write_text("\n".join(generated_image_ids(1000, seed=3)))
    async with fake.serve() as url:
        run = await run_cli(*export_args(url, ids, out, "--concurrency", "4", "-q"))
        assert run.code == 1
        assert run.stderr.strip().splitlines() == [NOT_FOUND]  # one line, and no advice to resume
        assert len(fake.requests) < 150  # stopped: not 1,000 requests
        assert names_in(tmp_path) == ["ids.txt"]  # and nothing written

        kept_going = await run_cli(*export_args(url, ids, out, "--keep-going", "--concurrency", "16", "-q"))
    assert kept_going.code == 2
    assert len(exported_ids(out)) == 1000


async def test_a_job_whose_first_ids_are_missing_but_one_exists_exports_them_all(
    served: Served, tmp_path: Path
) -> None:
    ids, out = tmp_path / "ids.txt", tmp_path / "out.jsonl"
    missing = [f"missing-{n}" for n in range(150)]
    ids.write_text("\n".join([*missing[:99], IDS[0], *missing[99:]]))
    run = await run_cli(*export_args(served.url, ids, out, "--concurrency", "1"))
    assert run.code == 2, run.stderr
    assert sorted(exported_ids(out)) == sorted([*missing, IDS[0]])


# ---------------------------------------------------------------------------------------------------------------------
# Item 12: an endpoint the command cannot reach.


async def test_an_unknown_host_says_the_dns_lookup_failed_and_what_to_check(tmp_path: Path) -> None:
    for args in (
        ["datasets", "--endpoint", "https://nosuch.invalid", "--project-id", PROJECT],
        [
            "export",
            "--endpoint",
            "https://nosuch.invalid",
            "--project-id",
            PROJECT,
            "--dataset-id",
            "DS",
            "--out",
            str(tmp_path / "o.jsonl"),
        ],
        export_args("https://nosuch.invalid", "-", tmp_path / "o.jsonl"),
    ):
        run = await run_cli(*args, stdin=b"a\nb\n")
        assert run.code == 1, run.stderr
        [error] = [line for line in run.stderr.splitlines() if "error:" in line]
        assert error.startswith(
            "modelarts-async: error: cannot reach https://nosuch.invalid: DNS lookup failed (check --endpoint or "
            "MODELARTS_ENDPOINT)"
        ), error
        assert "--resume" not in run.stderr  # nothing was written: nothing to resume
    assert names_in(tmp_path) == []


async def test_a_refused_connection_and_a_tls_failure_are_named(served: Served, unused_tcp_port: int) -> None:
    refused = await run_cli("get", *connection(f"http://127.0.0.1:{unused_tcp_port}"), "--data-annotation-id", JOB, "x")
    assert refused.code == 1  # as an export would: the endpoint is wrong, not the id
    assert (
        f"error: cannot reach http://127.0.0.1:{unused_tcp_port}: the connection was refused (check" in refused.stderr
    )
    versions = await run_cli("versions", *connection(f"http://127.0.0.1:{unused_tcp_port}"), "--dataset-id", "DS")
    assert versions.code == 1  # every command words it alike
    assert f"error: cannot reach http://127.0.0.1:{unused_tcp_port}: the connection was refused" in versions.stderr
    tls_url = served.url.replace("http://", "https://")  # the fake speaks plain HTTP: the handshake fails
    tls = await run_cli("get", *connection(tls_url), "--data-annotation-id", JOB, IDS[0])
    assert tls.code == 1
    assert f"error: cannot reach {tls_url}: the TLS handshake failed (check --endpoint" in tls.stderr


def test_a_connect_timeout_is_a_failure_to_reach_and_a_read_timeout_is_not() -> None:
    assert (
        reach_failure(RequestTimeoutError("connect timeout for GET /x", phase="connect")) == "the connection timed out"
    )
    assert reach_failure(RequestTimeoutError("read timeout for GET /x", phase="read")) is None


# ---------------------------------------------------------------------------------------------------------------------
# Item 12: options.


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (["--dataset-name", "x"], "unknown option --dataset-name (did you mean --dataset-id?)"),
        (["--dataset", "x"], "unknown option --dataset (did you mean --dataset-id?)"),
        (["--dataset=x"], "unknown option --dataset (did you mean --dataset-id?)"),
        (["--conc", "4"], "unknown option --conc (did you mean --concurrency?)"),
        (["--label-name=--dataset-nam"], "--label-name filters a whole dataset"),  # a value, not an option
    ],
)
async def test_a_mistyped_or_abbreviated_option_is_named(tmp_path: Path, typed: list[str], said: str) -> None:
    args = ["export", "--endpoint", "http://127.0.0.1:9", "--project-id", PROJECT, "--out", str(tmp_path / "o.jsonl")]
    if typed[0].startswith(("--conc", "--label-name")):
        args += ["--dataset-id", "DS", "--ids", "-"]
    run = await run_cli(*args, *typed)
    assert run.code == 1
    assert run.stderr.splitlines()[-1].startswith(f"modelarts-async export: error: {said}")
    assert names_in(tmp_path) == []


async def test_short_options_still_combine() -> None:
    run = await run_cli(
        "get", "-vv", "--endpoint", "http://127.0.0.1:9", "--project-id", PROJECT, "--dataset-id", "d", "s"
    )
    assert "unknown option" not in run.stderr


def chained(error: TransportError, cause: BaseException) -> TransportError:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (chained(TransportError("ConnectError for GET /x"), socket.gaierror(-2, "nope")), "DNS lookup failed"),
        (TransportError("ClientConnectorDNSError for GET /x: [Name or service not known]"), "DNS lookup failed"),
        (chained(TransportError("ConnectError for GET /x"), ConnectionRefusedError()), "the connection was refused"),
        (
            TransportError("connection refused or unreachable for GET /x: ssl:default [Connect call failed]"),
            "the connection was refused",
        ),
        (
            chained(TransportError("ConnectError for GET /x"), ssl.SSLCertVerificationError()),
            "the TLS handshake failed",
        ),
        (TransportError("the server closed the connection without a full answer to GET /x"), None),
        (NotFoundError("no such image", status_code=404), None),
    ],
)
def test_failures_to_reach_are_told_by_their_cause_or_their_words(error: Exception, reason: str | None) -> None:
    assert reach_failure(error) == reason
    described = describe_failure(error, "https://h.example")
    assert (
        described.startswith(f"cannot reach https://h.example: {reason} (check") if reason else described == str(error)
    )
