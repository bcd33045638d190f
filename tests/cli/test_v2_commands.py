"""The v2 commands end to end: `export --dataset-id` (a whole dataset, or `--ids`), `get --dataset-id`, `datasets`,
`demo --api v2`; subprocesses against the fake on 127.0.0.1."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import unicodedata
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs

import aiolimiter
import pytest
from cli_run import PROJECT, connection, names_in, read_lines, run_cli

from modelarts_async._cli._main import build_parser, check_args, dataset_table, main
from modelarts_async._v2._models import Dataset
from modelarts_async.testing import (
    DEMO_DATASET_ID,
    FakeModelArts,
    FakeReply,
    RecordedRequest,
    box_label,
    classification_label,
)

DS = "WxCREuCkBSAlQr9xrde"
SAMPLES = 250  # three pages of 100


class Served(NamedTuple):
    fake: FakeModelArts
    url: str


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    """A generated detection dataset of 250 samples, and a small classification dataset with a Chinese name."""
    fake = FakeModelArts(project_id=PROJECT)
    fake.add_generated_dataset(DS, SAMPLES, seed=3)
    small = fake.add_dataset("Small000000000000001", name="猫和狗", dataset_type=0)
    small.add_sample("s-cat", [classification_label("cat")])
    small.add_sample("s-dog", [classification_label("dog")])
    async with fake.serve() as url:
        yield Served(fake, url)


def export_dataset(url: str, out: Path, *extra: str, dataset_id: str = DS) -> list[str]:
    return ["export", *connection(url), "--dataset-id", dataset_id, "--out", str(out), *extra]


def service_json(fake: FakeModelArts, sample_id: str, dataset_id: str = DS) -> dict[str, Any]:
    """The sample as the fake's one-sample endpoint answers it."""
    reply = fake.handle("GET", f"/v2/{PROJECT}/datasets/{dataset_id}/data-annotations/samples/{sample_id}", {}, b"")
    assert reply.status == 200
    data: dict[str, Any] = json.loads(reply.body)
    return data


def sample_ids(out: Path) -> list[str]:
    return [line["sample_id"] for line in read_lines(out)]


def list_queries(fake: FakeModelArts) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in fake.requests if r.path.endswith("/data-annotations/samples")]


# ---------------------------------------------------------------------------------------------------------------------
# export --dataset-id: a whole dataset


async def test_a_whole_dataset_is_exported_once_per_sample_in_the_services_shape(
    served: Served, tmp_path: Path
) -> None:
    out = tmp_path / "samples.jsonl"
    run = await run_cli(*export_dataset(served.url, out))
    assert run.code == 0, run.stderr
    lines = read_lines(out)
    assert sorted(sample_ids(out)) == sorted(served.fake.datasets[DS].sample_ids)  # type: ignore[type-var]
    assert all(line == service_json(served.fake, line["sample_id"]) for line in lines)  # type: ignore[arg-type]
    assert all(next(iter(line)) == "sample_id" for line in lines)
    assert f"{SAMPLES} ok, 0 failed" in run.stderr
    meta = json.loads((tmp_path / "samples.jsonl.meta.json").read_text())
    assert (meta["dataset_id"], meta["samples"], meta["label_name"]) == (DS, "every sample", None)
    assert "--version-id" not in run.stderr  # nothing changed while it was listed


async def test_filters_go_to_the_service_as_given(served: Served, tmp_path: Path) -> None:
    served.fake.datasets[DS].publish_version("v1")
    out = tmp_path / "cars.jsonl"
    filters = ["--label-name", "car", "--label-type", "1", "--sample-state", "__ALL__", "--sample-type", "0"]
    filters += ["--version-id", "v1", "--order", "asc"]
    run = await run_cli(*export_dataset(served.url, out, *filters))
    assert run.code == 0, run.stderr
    queries = list_queries(served.fake)
    assert queries
    expected = {"label_name": ["car"], "label_type": ["1"], "sample_state": ["__ALL__"], "sample_type": ["0"]}
    expected |= {"version_id": ["v1"], "order": ["asc"]}
    assert all(query.items() >= expected.items() for query in queries)
    assert lines_have_label(read_lines(out), "car")
    meta = json.loads((tmp_path / "cars.jsonl.meta.json").read_text())
    assert (meta["label_name"], meta["label_type"], meta["version_id"], meta["order"]) == ("car", "1", "v1", "asc")


def lines_have_label(lines: list[dict[str, Any]], name: str) -> bool:
    return bool(lines) and all(any(label["name"] == name for label in line["labels"]) for line in lines)


@pytest.mark.parametrize(
    ("first", "then", "option"),
    [
        (["--label-name", "car"], ["--label-name", "dog"], "--label-name"),
        (["--label-name", "car"], [], "--label-name"),
        ([], ["--order", "asc"], "--order"),
        ([], ["--ids", "-"], "--ids"),
    ],
)
async def test_resume_with_other_filters_is_refused_naming_the_option(
    served: Served, tmp_path: Path, first: list[str], then: list[str], option: str
) -> None:
    out = tmp_path / "out.jsonl"
    assert (await run_cli(*export_dataset(served.url, out, *first))).code == 0
    before = out.read_bytes()
    run = await run_cli(*export_dataset(served.url, out, "--resume", *then), stdin=b"x\n")
    assert run.code == 1, run.stderr
    assert "was exported with another" in run.stderr
    assert f"({option})" in run.stderr
    assert out.read_bytes() == before


async def test_resume_lists_again_and_writes_only_the_missing_samples(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert (await run_cli(*export_dataset(served.url, out))).code == 0
    kept = out.read_bytes().splitlines(keepends=True)[:100]
    out.write_bytes(b"".join(kept) + kept[100 - 1][:40])  # 100 whole lines and a torn one
    served.fake.datasets[DS].add_sample("late-sample", [box_label("car", (1, 2, 3, 4))])
    served.fake.requests.clear()

    run = await run_cli(*export_dataset(served.url, out, "--resume"))
    assert run.code == 0, run.stderr
    assert "cut a truncated last line" in run.stderr
    assert "resume: 100 samples already in" in run.stderr
    assert f"{SAMPLES + 1 - 100} ok, 0 failed" in run.stderr
    exported = sample_ids(out)
    assert len(exported) == len(set(exported)) == SAMPLES + 1
    assert set(exported) == set(served.fake.datasets[DS].sample_ids)

    again = await run_cli(*export_dataset(served.url, out, "--resume"))
    assert again.code == 0, again.stderr
    assert "0 samples in" in again.stderr
    assert len(read_lines(out)) == SAMPLES + 1


async def test_a_dataset_that_changes_while_listed_prints_one_line_recommending_version_id(
    served: Served, tmp_path: Path
) -> None:
    async def add_a_sample_after_the_first_page(request: RecordedRequest) -> FakeReply | None:
        if served.fake.request_count == 1:
            served.fake.datasets[DS].add_sample("newcomer", [], sample_time=1)  # oldest: shifts desc pages
        return None

    served.fake.on_request = add_a_sample_after_the_first_page
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_dataset(served.url, out, "--concurrency", "1"))
    assert run.code == 0, run.stderr
    [line] = [line for line in run.stderr.splitlines() if "--version-id" in line]
    assert line.startswith("warning: ")
    assert "version_id=" not in run.stderr  # advice in the command's terms, not Python's
    assert len(sample_ids(out)) == len(set(sample_ids(out)))
    quiet = await run_cli(*export_dataset(served.url, tmp_path / "q.jsonl", "-q"))
    assert (quiet.code, quiet.stderr) == (0, "")


async def test_an_unknown_dataset_fails_with_1_and_says_which(served: Served, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("a\nb\n")
    for extra in ([], ["--ids", str(ids)]):
        out = tmp_path / f"out{len(extra)}.jsonl"
        run = await run_cli(*export_dataset(served.url, out, *extra, dataset_id="NoSuchDataset"))
        assert run.code == 1, run.stderr
        assert "dataset 'NoSuchDataset' not found" in run.stderr
        assert "ModelArts.4352" in run.stderr
        assert "Traceback" not in run.stderr
        assert names_in(tmp_path) == ["ids.txt"]  # a failed start leaves no output, sidecar or lock


async def test_a_whole_dataset_to_standard_output(served: Served, tmp_path: Path) -> None:
    run = await run_cli(*export_dataset(served.url, Path("-"), dataset_id="Small000000000000001"), cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert sorted(json.loads(line)["sample_id"] for line in run.stdout.splitlines()) == ["s-cat", "s-dog"]
    assert names_in(tmp_path) == []


# ---------------------------------------------------------------------------------------------------------------------
# export --dataset-id --ids: listed samples


async def test_listed_samples_are_exported_with_error_lines_for_bad_ids(served: Served, tmp_path: Path) -> None:
    good = served.fake.datasets[DS].sample_ids[:20]
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join([*good, "unknown-sample", "bad/id", good[0], ""]) + "\n")
    out = tmp_path / "out.jsonl"
    run = await run_cli(*export_dataset(served.url, out, "--ids", str(ids), "--concurrency", "4"))
    assert run.code == 2, run.stderr
    by_id = {line["sample_id"]: line for line in read_lines(out)}
    assert len(by_id) == len(read_lines(out)) == 22
    assert by_id["unknown-sample"]["error"]["type"] == "NotFoundError"  # type: ignore[index]
    assert by_id["unknown-sample"]["error"]["error_code"] == "ModelArts.4420"  # type: ignore[index]
    assert by_id["bad/id"]["error"]["type"] == "InvalidArgumentError"  # type: ignore[index]
    assert all(by_id[sample_id] == service_json(served.fake, sample_id) for sample_id in good)
    assert "2 failed" in run.stderr

    served.fake.datasets[DS].add_sample("unknown-sample", [])
    resumed = await run_cli(*export_dataset(served.url, out, "--ids", str(ids), "--resume"))
    assert resumed.code == 2, resumed.stderr  # bad/id fails every time
    assert "resume: 20 of 22 ids already in" in resumed.stderr
    assert {line["sample_id"] for line in read_lines(out) if "error" in line} == {"bad/id"}
    assert len(read_lines(out)) == 22


# ---------------------------------------------------------------------------------------------------------------------
# get --dataset-id


async def test_get_prints_one_sample_as_the_service_sent_it(served: Served) -> None:
    sample_id = served.fake.datasets[DS].sample_ids[7]
    run = await run_cli("get", *connection(served.url), "--dataset-id", DS, sample_id)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout) == service_json(served.fake, sample_id)
    assert len(run.stdout.splitlines()) == 1


@pytest.mark.parametrize(
    ("dataset_id", "sample_id", "code", "message"),
    [
        (DS, "unknown-sample", 2, f"sample 'unknown-sample' of dataset '{DS}' not found"),
        ("NoSuchDataset", "s-cat", 1, "dataset 'NoSuchDataset' not found"),
        (DS, "bad/id", 1, "sample_id 'bad/id' contains '/'"),
    ],
)
async def test_get_of_a_bad_sample_or_dataset_fails_with_a_message(
    served: Served, dataset_id: str, sample_id: str, code: int, message: str
) -> None:
    run = await run_cli("get", *connection(served.url), "--dataset-id", dataset_id, sample_id)
    assert run.code == code, run.stderr
    assert message in run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr


# ---------------------------------------------------------------------------------------------------------------------
# datasets


async def test_datasets_prints_an_aligned_table(served: Served) -> None:
    run = await run_cli("datasets", *connection(served.url))
    assert run.code == 0, run.stderr
    header, *rows = run.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "TYPE", "SAMPLES", "ANNOTATED"]
    assert len(rows) == 2
    by_id = {row.split()[0]: row for row in rows}
    assert by_id[DS].split()[-2] == str(SAMPLES)
    assert by_id["Small000000000000001"].split() == [
        "Small000000000000001",
        "猫和狗",
        "image",
        "classification",
        "2",
        "2",
    ]
    assert "object detection" in by_id[DS]
    # The counts end in the column where their headers end, a wide (CJK) name counted as two columns a character.
    assert all(display_width(row) == display_width(header) for row in rows)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


async def test_datasets_json_prints_one_object_per_line(served: Served) -> None:
    run = await run_cli("datasets", *connection(served.url), "--json")
    assert run.code == 0, run.stderr
    datasets = [json.loads(line) for line in run.stdout.splitlines()]
    assert sorted(d["dataset_id"] for d in datasets) == sorted([DS, "Small000000000000001"])
    assert {d["dataset_id"]: d["total_sample_count"] for d in datasets}[DS] == SAMPLES


def test_the_table_aligns_wide_names_and_shows_unknown_types_as_numbers() -> None:
    table = dataset_table(
        [
            Dataset("a", dataset_name="数据集", dataset_type=1, total_sample_count=5, annotated_sample_count=1),
            Dataset("bb", dataset_name="tab\tname", dataset_type=777, total_sample_count=12345),
        ]
    )
    header, first, second = table.splitlines()
    assert display_width(first) == display_width(header)
    assert second.split() == ["bb", "tab", "name", "777", "12345"]


async def test_datasets_with_rejected_credentials_fails_with_1(served: Served) -> None:
    served.fake.token = "required"
    run = await run_cli("datasets", *connection(served.url))
    assert run.code == 1
    assert "APIG.0301" in run.stderr
    assert "no credentials were sent" in run.stderr
    assert run.stdout == ""


async def test_no_secret_in_any_output(tmp_path: Path) -> None:
    secret = "SK-very-secret-0123456789abcdef"
    fake = FakeModelArts(project_id=PROJECT, aksk=("AK-FAKE", secret), record=False)
    fake.add_generated_dataset(DS, 30, seed=1)
    env = {"HUAWEICLOUD_SDK_AK": "AK-FAKE", "HUAWEICLOUD_SDK_SK": secret}
    async with fake.serve() as url:
        runs = [
            await run_cli("datasets", *connection(url), "-vv", env=env),
            await run_cli(*export_dataset(url, tmp_path / "o.jsonl", "-vv"), env=env),
            await run_cli("get", *connection(url), "--dataset-id", DS, "missing", "-vv", env=env),
            await run_cli("datasets", *connection(url), env={**env, "HUAWEICLOUD_SDK_SK": secret + "-wrong"}),
        ]
    assert [run.code for run in runs] == [0, 0, 2, 1]
    for run in runs:
        assert secret not in run.stdout + run.stderr
    assert secret not in (tmp_path / "o.jsonl").read_text() + (tmp_path / "o.jsonl.meta.json").read_text()


# ---------------------------------------------------------------------------------------------------------------------
# demo --api v2, usage errors, --rate-limit


async def test_demo_api_v2_exports_the_demo_dataset(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    run = await run_cli("demo", "--api", "v2", "--images", "300", "--out", str(out))
    assert run.code == 0, run.stderr
    assert "samples/s" in run.stdout
    assert "one JSON object per sample" in run.stdout
    lines = read_lines(out)
    assert len({line["sample_id"] for line in lines}) == len(lines) == 300
    assert any(line["labels"] for line in lines)
    assert names_in(tmp_path) == ["demo.jsonl"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["export", "--dataset-id", "d", "--ids", "-", "--out", "o", "--label-name", "x"], id="filter+ids"),
        pytest.param(["export", "--data-annotation-id", "1", "--ids", "-", "--out", "o", "--order", "asc"], id="v1"),
        pytest.param(["export", "--dataset-id", "d", "--out", "o", "--batch-size", "5"], id="batch"),
        pytest.param(["export", "--data-annotation-id", "1", "--out", "o"], id="v1 without ids"),
        pytest.param(["export", "--data-annotation-id", "1", "--dataset-id", "d", "--out", "o"], id="both"),
        pytest.param(["export", "--dataset-id", "d", "--out", "o", "--label-type", "x"], id="label type"),
        pytest.param(["export", "--dataset-id", "d", "--out", "o", "--order", "up"], id="order"),
        pytest.param(["get", "--dataset-id", "d"], id="get without id"),
        pytest.param(["get", "s1"], id="get without source"),
        pytest.param(["demo", "--api", "v2", "--kind", "detection"], id="demo kind"),
        pytest.param(["demo", "--api", "v3"], id="demo api"),
    ],
)
async def test_usage_errors_exit_1_with_the_usage(args: list[str]) -> None:
    run = await run_cli(*args)
    assert run.code == 1
    assert run.stderr.startswith("usage: modelarts-async")
    assert "error: " in run.stderr
    assert "Traceback" not in run.stderr


@pytest.fixture
def demo_server() -> Iterator[str]:
    """`python -m modelarts_async.testing serve` with a demo dataset of 350 samples: its URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "modelarts_async.testing", "serve", "--port", "0", "--images", "350"],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().decode().strip()
    finally:
        server.terminate()
        server.wait()
        assert server.stdout is not None
        server.stdout.close()


def test_rate_limit_paces_every_page_request(
    demo_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process, to count what the limiter let through (no clock involved): one token per page request."""
    tokens = 0
    acquire = aiolimiter.AsyncLimiter.acquire

    async def counted(self: aiolimiter.AsyncLimiter, amount: float = 1) -> None:
        nonlocal tokens
        tokens += 1
        await acquire(self, amount)

    monkeypatch.setattr(aiolimiter.AsyncLimiter, "acquire", counted)
    out = tmp_path / "out.jsonl"
    code = main([*export_dataset(demo_server, out, "--rate-limit", "1000", dataset_id=DEMO_DATASET_ID)])
    assert code == 0, capsys.readouterr().err
    assert len(read_lines(out)) == 350
    # Page 0, the offset probe (which is page 1), pages 2 and 3: four requests, four tokens.
    assert "; 4 HTTP requests" in capsys.readouterr().err
    assert tokens == 4


def readme_commands() -> list[str]:
    """The `modelarts-async ...` lines of the bash blocks of the README's command-line section (continuations
    joined, comments and pipes left out)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Export labels from the command line", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].split("|", 1)[0].strip()
            if line.startswith("modelarts-async "):
                commands.append(line)
    return commands


def test_the_readmes_commands_parse() -> None:
    """Every command the README shows names options that exist and go together."""
    commands = readme_commands()
    assert any("--dataset-id" in command for command in commands)
    assert any(command.startswith("modelarts-async datasets") for command in commands)
    for command in commands:
        args = build_parser().parse_args(shlex.split(command)[1:])
        check_args(args)
