"""`export --format F --out DIR [--images]`, `convert` and `versions` end to end: subprocesses against the fake on
127.0.0.1, each format checked by its own tool's reader (PyYAML, pycocotools, ElementTree)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from cli_run import PROJECT, connection, run_cli
from pycocotools.coco import COCO

from modelarts_async.testing import FakeModelArts, FakeReply, RecordedRequest

DS = "WxCREuCkBSAlQr9xrde"
SAMPLES = 120
AK, SK, TOKEN = "AKFOLDERTEST0000001", "SKfolder-secret-0123456789", "tkFOLDER-security-token-0123"
CREDENTIALS = {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK, "HUAWEICLOUD_SDK_SECURITY_TOKEN": TOKEN}


class Served(NamedTuple):
    fake: FakeModelArts
    url: str


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    """A generated detection dataset (boxes, polygons, circles, lines, points...) served over real HTTP."""
    fake = FakeModelArts(project_id=PROJECT)
    fake.add_generated_dataset(DS, SAMPLES, seed=5)
    async with fake.serve() as url:
        yield Served(fake, url)


def folder_export(url: str, out: Path, *extra: str) -> list[str]:
    return ["export", *connection(url), "--dataset-id", DS, "--out", str(out), *extra]


@pytest.mark.slow
async def test_yolo_with_images_is_a_training_folder_and_no_credential_reaches_the_image_host(
    served: Served, tmp_path: Path
) -> None:
    out = tmp_path / "cars"
    args = folder_export(served.url, out, "--format", "yolo", "--images", "--split", "train=0.8,val=0.2")
    run = await run_cli(*args, "--allow-lossy", env=CREDENTIALS)
    assert run.code == 0, run.stderr
    assert "warning" not in run.stderr  # the counts agree with the fake's statistics
    assert f"images {SAMPLES:,} in" in run.stderr

    data = yaml.safe_load((out / "data.yaml").read_text())
    assert (data["train"], data["val"]) == ("images/train", "images/val")
    names = [label["name"] for label in json.loads((out / "labels.json").read_text())]
    assert list(data["names"].values()) == names
    labels = sorted((out / "labels").glob("*/*.txt"))
    images = sorted((out / "images").glob("*/*.png"))
    assert len(labels) == len(images) == SAMPLES
    assert [p.stem for p in labels] == [p.stem for p in images]
    assert [p.parent.name for p in labels] == [p.parent.name for p in images]  # the same split
    for path in labels:
        for line in path.read_text().splitlines():
            klass, *coords = line.split()
            assert 0 <= int(klass) < len(names)
            assert all(0.0 <= float(value) <= 1.0 for value in coords)

    assert len(served.fake.image_requests) == SAMPLES
    for request in served.fake.image_requests:
        sent = " ".join(f"{name}: {value}" for name, value in request.headers.items())
        assert "authorization" not in request.headers
        assert "x-sdk-date" not in request.headers
        for secret in (AK, SK, TOKEN, PROJECT):
            assert secret not in sent
    for path in out.rglob("*"):
        if path.is_file() and path.suffix != ".png":
            assert TOKEN not in path.read_text(errors="replace")

    # A rerun finishes what was left and fetches no image it already has.
    run = await run_cli(*args, "--allow-lossy", "--resume", env=CREDENTIALS)
    assert run.code == 0, run.stderr
    assert len(served.fake.image_requests) == SAMPLES


async def test_a_lossy_format_exits_2_and_lists_every_label_it_left_out(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "coco"
    run = await run_cli(*folder_export(served.url, out, "--format", "coco"))
    assert run.code == 2
    assert "--allow-lossy accepts that" in run.stderr
    skipped = [json.loads(line) for line in (out / "skipped.jsonl").read_text().splitlines()]
    assert skipped
    assert {item["shape"] for item in skipped} <= {"circle", "line", "point", "polyline", "dashed"}

    coco = COCO(str(out / "annotations" / "train.json"))
    assert len(coco.getImgIds()) == SAMPLES
    fetched = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    holdable = sum(
        1
        for sample in fetched
        for label in sample.get("labels") or []
        if label.get("property", {}).get("@modelarts:shape") in ("bndbox", "polygon")
    )
    assert len(coco.getAnnIds()) == holdable
    assert len(skipped) + holdable == sum(len(sample.get("labels") or []) for sample in fetched)


async def test_counts_that_disagree_with_the_service_are_one_warning_naming_both(
    served: Served, tmp_path: Path
) -> None:
    async def inflate_stats(request: RecordedRequest) -> FakeReply | None:
        if request.path.endswith("/data-annotations/stats"):
            body = {"sample_stats": {"total": SAMPLES + 7}, "label_stats": []}
            return FakeReply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        return None

    served.fake.on_request = inflate_stats
    run = await run_cli(*folder_export(served.url, tmp_path / "csv", "--format", "csv"))
    assert run.code == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning: samples")]
    assert len(warnings) == 1
    assert f"exported {SAMPLES:,}" in warnings[0]
    assert f"count {SAMPLES + 7:,}" in warnings[0]
    assert "--version-id" in warnings[0]


async def test_a_filtered_export_says_it_was_not_compared(served: Served, tmp_path: Path) -> None:
    run = await run_cli(*folder_export(served.url, tmp_path / "m", "--format", "manifest", "--sample-state", "ALL"))
    assert "not compared with the service's counts: it was filtered by --sample-state" in run.stderr


async def test_convert_is_offline_and_writes_voc_that_elementtree_reads(served: Served, tmp_path: Path) -> None:
    exported = tmp_path / "samples.jsonl"
    assert (await run_cli(*folder_export(served.url, exported))).code == 0
    requests = served.fake.request_count

    out = tmp_path / "voc"
    run = await run_cli("convert", str(exported), "--format", "voc", "--out", str(out), "--allow-lossy")
    assert run.code == 0, run.stderr
    assert served.fake.request_count == requests
    xmls = sorted((out / "Annotations").glob("*.xml"))
    assert len(xmls) == SAMPLES
    for path in xmls:
        root = ET.parse(path).getroot()
        assert root.findtext("folder")
        assert root.findtext("filename")
        assert int(root.findtext("size/width") or "") > 0

    refused = await run_cli("convert", str(exported), "--format", "voc", "--out", str(out), "--endpoint", "x")
    assert refused.code == 1
    assert "unknown option --endpoint" in refused.stderr


async def test_versions_prints_a_table_and_json(served: Served) -> None:
    served.fake.datasets[DS].publish_version("V1", version_name="V001")
    table = await run_cli("versions", *connection(served.url), "--dataset-id", DS)
    assert table.code == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "CURRENT"]
    assert row.split()[:4] == ["V1", "V001", "yes", str(SAMPLES)]
    lines = (await run_cli("versions", *connection(served.url), "--dataset-id", DS, "--json")).stdout.splitlines()
    assert [json.loads(line)["version_id"] for line in lines] == ["V1"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--images"], "--images is for a training folder"),
        (["--split", "train=0.8,val=0.2"], "--split is for a training folder"),  # JSONL has no splits: not ignored
        (["--seed", "7"], "--seed is for a training folder"),
        (["--format", "yolo", "--out", "-"], "writes a folder"),
        (["--format", "yolo", "--split", "train=0.8,val=x"], "the ratio of 'val' is not a number"),
        (["--format", "tiff"], "invalid choice: 'tiff'"),
    ],
)
async def test_folder_options_that_do_not_fit_are_usage_errors(
    served: Served, tmp_path: Path, extra: list[str], message: str
) -> None:
    run = await run_cli("export", *connection(served.url), "--dataset-id", DS, "--out", "x", *extra, cwd=tmp_path)
    assert run.code == 1
    assert message in run.stderr


async def test_images_need_the_v2_api(tmp_path: Path) -> None:
    args = ["--data-annotation-id", "282", "--ids", "ids.txt", "--format", "yolo", "--images", "--out", "x"]
    run = await run_cli("export", "--endpoint", "http://127.0.0.1:9", "--project-id", "p", *args, cwd=tmp_path)
    assert run.code == 1
    assert "--images needs --dataset-id" in run.stderr


@pytest.mark.slow
async def test_the_demo_writes_a_yolo_folder_with_images_offline(tmp_path: Path) -> None:
    run = await run_cli("demo", "--api", "v2", "--format", "yolo", "--images", "300", cwd=tmp_path)
    assert run.code == 0, run.stderr
    out = tmp_path / "modelarts-demo-yolo"
    assert yaml.safe_load((out / "data.yaml").read_text())["val"] == "images/val"
    assert len(list((out / "images").glob("*/*.png"))) == len(list((out / "labels").glob("*/*.txt"))) == 300


async def test_resume_with_another_split_is_refused_and_overwrite_starts_the_folder_again(
    served: Served, tmp_path: Path
) -> None:
    out = tmp_path / "y"
    first = folder_export(served.url, out, "--format", "yolo", "--images", "--allow-lossy")
    assert (await run_cli(*first)).code == 0
    other_split = [*first, "--split", "train=0.5,val=0.5"]
    refused = await run_cli(*other_split, "--resume")
    assert refused.code == 1
    assert "was made with other --split" in refused.stderr
    assert not (out / "labels" / "val").exists()

    assert (await run_cli(*other_split, "--overwrite")).code == 0
    images = {p.stem: p.parent.name for p in (out / "images").glob("*/*.png")}
    labels = {p.stem: p.parent.name for p in (out / "labels").glob("*/*.txt")}
    assert images == labels  # each sample in one split, its image beside its labels
    assert len(images) == SAMPLES
    assert set(images.values()) == {"train", "val"}


async def test_a_resume_removes_the_partial_downloads_a_killed_run_left(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "y"
    first = folder_export(served.url, out, "--format", "yolo", "--images", "--allow-lossy")
    assert (await run_cli(*first)).code == 0
    image = next((out / "images" / "train").glob("*.png"))
    left = image.with_name(f"{image.stem}.0badf00d.part")  # what PartFile names a download killed mid-way
    left.write_bytes(b"\x89PNG half an image")
    mine = out / "images" / "train" / "notes.part"  # not a name a download gets: someone else's file
    mine.write_text("keep me")

    resumed = await run_cli(*first, "--resume")
    assert resumed.code == 0, resumed.stderr
    assert not left.exists()
    assert mine.read_text() == "keep me"
    assert image.exists()


async def test_a_failed_start_leaves_no_folder_and_quiet_prints_nothing_on_success(
    served: Served, tmp_path: Path
) -> None:
    missing = await run_cli(
        *folder_export(served.url, tmp_path / "none", "--format", "csv"), "--dataset-id", "NoSuchDs"
    )
    assert missing.code == 1
    assert not (tmp_path / "none").exists()

    quiet = await run_cli(*folder_export(served.url, tmp_path / "q", "--format", "csv", "-q"))
    assert (quiet.code, quiet.stderr) == (0, "")


async def test_a_split_the_manifest_cannot_name_is_refused_before_anything_is_fetched(
    served: Served, tmp_path: Path
) -> None:
    run = await run_cli(*folder_export(served.url, tmp_path / "m", "--format", "manifest", "--split", "foo=1"))
    assert run.code == 1
    assert "a manifest has no usage for 'foo'" in run.stderr
    assert served.fake.request_count == 0


async def test_a_folder_it_did_not_make_keeps_what_it_held(served: Served, tmp_path: Path) -> None:
    mine = tmp_path / "labels" / "notes.txt"
    mine.parent.mkdir()
    mine.write_text("my own file")
    run = await run_cli(*folder_export(served.url, tmp_path, "--format", "csv"))
    assert run.code == 0, run.stderr
    assert mine.read_text() == "my own file"
