"""Benchmark harness: our client against raw aiohttp, raw httpx (two transports) and a sequential sync loop.

Starts a minimal upstream (benchmarks/upstream.py) in its own process per upstream latency, runs every client cell in
a fresh subprocess (benchmarks/clients.py), and prints a markdown table of medians, a table of ratios against raw
aiohttp from the same run, the targets next to what was measured, and the server's own CPU per request.

    python benchmarks/run.py                 # the full matrix (a few minutes on 2 cores)
    python benchmarks/run.py --quick         # smoke run: tiny N, 1 repetition, C=16 only
    python benchmarks/run.py --only aiohttp,ours --reps 5 --n 5000

Everything talks to 127.0.0.1 only; every client run stops handing out ids after --deadline seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLIENTS = HERE / "clients.py"
CONVERTER = HERE / "converter.py"
UPSTREAM = HERE / "upstream.py"

LABELS = {
    "aiohttp": "raw aiohttp.ClientSession",
    "httpx": "raw httpx.AsyncClient (default transport)",
    "httpx-aiohttp": "raw httpx.AsyncClient over httpx-aiohttp",
    "ours": "modelarts_async single-call",
    "aiohttp-uvloop": "raw aiohttp.ClientSession on uvloop",
    "ours-uvloop": "modelarts_async single-call on uvloop",
    "ours-before": "modelarts_async single-call, --before tree",
    "ours-batch": "modelarts_async batch_size=100",
    "sync": "sync httpx.Client, sequential",
}
CELL_ROWS = list(LABELS)
EXTRA_ROWS = ["memory", "import", "converter"]
BATCH = 100


@dataclass
class Cell:
    latency_ms: int
    c: int
    row: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    def median(self, key: str) -> float | None:
        values = [v for run in self.runs if (v := _metric(run, key, self.latency_ms, self.c)) is not None]
        return statistics.median(values) if values else None


def _metric(run: dict[str, Any], key: str, latency_ms: int, c: int) -> float | None:
    images, requests, wall = run["images"], run["requests"], run["wall"]
    if key == "wall":
        return float(wall)
    if key == "images_per_s":
        return images / wall if wall > 0 else None
    if key == "cpu_us":
        return run["cpu"] / images * 1e6 if images else None
    if key == "efficiency":
        # Latency-bound ideal: each of the C workers keeps one request in flight for `latency` seconds.
        return (requests * latency_ms / 1000 / c) / wall if latency_ms and wall > 0 else None
    if key == "peak_rss_mb":
        return float(run["peak_rss_kb"] / 1024)
    if key == "server_us":
        served = run.get("server_requests", 0)
        return run["server_cpu"] / served * 1e6 if served else None
    raise KeyError(key)


# --- the upstream -------------------------------------------------------------------------------------------------


class Upstream:
    """One upstream process answering after `delay_ms`; closed (stdin EOF, then terminate) by `close()`."""

    def __init__(self, delay_ms: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(UPSTREAM), "--delay-ms", str(delay_ms), "--max-seconds", "1200"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"the upstream did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stats(self) -> dict[str, float]:
        with urllib.request.urlopen(self.base_url + "/_stats", timeout=10) as answer:  # loopback only
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(timeout=5)


# --- one client run -----------------------------------------------------------------------------------------------


#: Runs a script with another source tree first on sys.path (an editable install would win over PYTHONPATH).
_FROM_TREE = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv.pop(0); "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run_client(
    row: str, upstream: Upstream, n: int, c: int, deadline: float, rss_mark: int = 0, tree: Path | None = None
) -> dict[str, Any]:
    """One cell in a fresh process; `ours-before` runs `ours` with the package of `tree` (`--before`)."""
    before = upstream.stats()
    python = [sys.executable]
    if row == "ours-before":
        assert tree is not None
        python, row = [sys.executable, "-c", _FROM_TREE, str(tree)], "ours"
    command = [*python, str(CLIENTS), row, "--base-url", upstream.base_url, "--n", str(n), "--c", str(c)]
    command += ["--deadline", str(deadline), "--rss-mark", str(rss_mark)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=deadline + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{row} C={c} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    after = upstream.stats()
    result["server_cpu"] = after["cpu"] - before["cpu"]
    result["server_requests"] = after["requests"] - before["requests"]
    return result


def cell_n(row: str, latency_ms: int, c: int, args: argparse.Namespace) -> int:
    """Ids per run: enough work per cell to measure, scaled down for the slow rows so the whole run stays bounded.

    CPU-bound (0 ms): `--n` ids. Latency-bound: `--rounds` round trips per worker (ideal wall = rounds x latency).
    The httpx default transport gets a quarter (it is 10-25x slower); the batch row gets 100 ids per request and at
    least 4 batches per worker; the sync loop gets `--sync-n` (x10 at 0 ms).
    """
    if row == "sync":
        return int(args.sync_n if latency_ms else args.sync_n * 10)
    base = args.n if latency_ms == 0 else args.rounds * c
    if row == "httpx":
        return max(c, base // 4)
    if row == "ours-batch":
        return BATCH * max(base // 20, 4 * c)
    return int(base)


# --- import time and memory ---------------------------------------------------------------------------------------


def import_time(reps: int, tree: Path | None = None) -> dict[str, float]:
    """Median wall of `python -c 'import modelarts_async'` minus median of `python -c pass`, fresh interpreters;
    also the child's CPU time (user+sys), which a loaded machine inflates far less than the wall.

    The children may cache bytecode even where this shell sets PYTHONDONTWRITEBYTECODE (as this workplace does):
    an installed package has it (pip compiles on install), and compiling our ~40 modules on every import would
    add ~35 ms that no user pays. One untimed run of each command writes it; the repetitions are interleaved.
    """
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

    def timed(code: str) -> tuple[float, float]:
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return time.perf_counter() - t0, _children_cpu() - cpu0

    codes = {"bare": "pass", "deps": "import asyncio, httpx, attrs, cattrs", "ours": "import modelarts_async"}
    if tree is not None:
        codes["before"] = f"import sys; sys.path.insert(0, {str(tree)!r}); import modelarts_async"
    for code in codes.values():
        timed(code)  # writes the bytecode caches
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
    for _ in range(reps):
        for name, code in codes.items():
            runs[name].append(timed(code))
    wall = {name: statistics.median(w for w, _ in got) for name, got in runs.items()}
    cpu = {name: statistics.median(c for _, c in got) for name, got in runs.items()}
    extra: dict[str, float] = {}
    if tree is not None:
        extra = {"before_import_s": wall["before"] - wall["bare"], "before_import_cpu_s": cpu["before"] - cpu["bare"]}
    return {
        **extra,
        "bare_s": wall["bare"],
        "deps_s": wall["deps"] - wall["bare"],
        "with_import_s": wall["ours"],
        "import_s": wall["ours"] - wall["bare"],
        "import_cpu_s": cpu["ours"] - cpu["bare"],
        "deps_cpu_s": cpu["deps"] - cpu["bare"],
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def memory(upstream: Upstream, small: int, large: int, c: int, deadline: float) -> dict[str, Any]:
    """Current RSS of one bulk run after `small` ids and after `large` ids, both from one lazy generator."""
    result = run_client("ours-batch", upstream, large, c, deadline, rss_mark=small)
    mark = result.get("rss_at_mark_kb")
    result["growth_mb"] = (result["rss_end_kb"] - mark) / 1024 if mark else None
    return result


# --- tables -------------------------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def main_table(cells: list[Cell]) -> str:
    lines = [
        "| latency | C | client | N | wall s | images/s | client CPU µs/image | efficiency | peak RSS MB "
        "| server µs/req |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in cells:
        if not cell.runs:
            continue
        n = cell.runs[0]["n"]
        lines.append(
            f"| {cell.latency_ms} ms | {cell.c} | {LABELS[cell.row]} | {n} | {_fmt(cell.median('wall'), '.2f')} "
            f"| {_fmt(cell.median('images_per_s'), ',.0f')} | {_fmt(cell.median('cpu_us'), ',.0f')} "
            f"| {_fmt(cell.median('efficiency'), '.2f')} | {_fmt(cell.median('peak_rss_mb'), '.1f')} "
            f"| {_fmt(cell.median('server_us'), ',.0f')} |"
        )
    return "\n".join(lines)


def _find(cells: list[Cell], latency_ms: int, c: int, row: str) -> Cell | None:
    return next((x for x in cells if (x.latency_ms, x.c, x.row) == (latency_ms, c, row) and x.runs), None)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _baseline(row: str) -> str:
    """The raw aiohttp row a row is divided by: the one on the same event loop."""
    return "aiohttp-uvloop" if row.endswith("-uvloop") else "aiohttp"


def ratio_table(cells: list[Cell]) -> str:
    lines = [
        "| latency | C | client | images/s ÷ aiohttp | CPU/image ÷ aiohttp | efficiency | efficiency ÷ aiohttp's |",
        "|---|---|---|---|---|---|---|",
    ]
    for cell in cells:
        if not cell.runs:
            continue
        base = _find(cells, cell.latency_ms, cell.c, _baseline(cell.row))
        speed = _ratio(cell.median("images_per_s"), base.median("images_per_s")) if base else None
        cpu = _ratio(cell.median("cpu_us"), base.median("cpu_us")) if base else None
        efficiency = _ratio(cell.median("efficiency"), base.median("efficiency")) if base else None
        lines.append(
            f"| {cell.latency_ms} ms | {cell.c} | {LABELS[cell.row]} | {_fmt(speed, '.2f')} "
            f"| {_fmt(cpu, '.2f')}{_rep_range(cell, base, 'cpu_us')} "
            f"| {_fmt(cell.median('efficiency'), '.2f')} | {_fmt(efficiency, '.2f')}"
            f"{_rep_range(cell, base, 'efficiency')} |"
        )
    return "\n".join(lines)


def _rep_range(cell: Cell, base: Cell | None, key: str) -> str:
    """` (low-high)`: the range of the ratios of each repetition to the base row's same repetition (they ran one
    after the other), or nothing when there is one repetition or none to pair."""
    if base is None or base is cell or len(cell.runs) < 2 or len(cell.runs) != len(base.runs):
        return ""
    ratios = []
    for run, paired in zip(cell.runs, base.runs, strict=True):
        value, reference = _metric(run, key, cell.latency_ms, cell.c), _metric(paired, key, base.latency_ms, base.c)
        if value is not None and reference:
            ratios.append(value / reference)
    return f" ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else ""


def targets(
    cells: list[Cell],
    concurrencies: list[int],
    mem: dict[str, Any] | None,
    imp: dict[str, float] | None,
    conv: dict[str, Any] | None = None,
) -> str:
    rows: list[tuple[str, str, float | None, bool | None]] = []

    def check(name: str, goal: str, value: float | None, ok: bool | None) -> None:
        rows.append((name, goal, value, ok if value is not None else None))

    for c, most in ((64, 1.4), (256, 1.5)):  # issue 20
        ours0, raw0 = _find(cells, 0, c, "ours"), _find(cells, 0, c, "aiohttp")
        cpu_ratio = _ratio(ours0.median("cpu_us"), raw0.median("cpu_us")) if ours0 and raw0 else None
        check(
            f"single-call CPU/image ÷ raw aiohttp, 0 ms, C={c}",
            f"≤ {most}",
            cpu_ratio,
            cpu_ratio is not None and cpu_ratio <= most,
        )
    for row, goal in (("ours-uvloop", 0.95), ("ours", None)):
        ours50, raw50 = _find(cells, 50, 256, row), _find(cells, 50, 256, _baseline(row))
        eff = _ratio(ours50.median("efficiency"), raw50.median("efficiency")) if ours50 and raw50 else None
        loop = "uvloop" if row.endswith("-uvloop") else "the default loop"
        name = f"single-call efficiency ÷ raw aiohttp's, 50 ms, C=256, on {loop}"
        if goal is None:
            check(name, "— (no goal)", eff, True)
        else:
            check(name, f"≥ {goal}", eff, eff is not None and eff >= goal)
    for c, goal in ((64, 0.95), (256, 0.75)):
        cell = _find(cells, 50, c, "ours")
        eff = cell.median("efficiency") if cell else None
        check(f"single-call efficiency, 50 ms, C={c}", f"≥ {goal}", eff, eff is not None and eff >= goal)
    for latency in (0, 50):
        for c in concurrencies:
            batch, single = _find(cells, latency, c, "ours-batch"), _find(cells, latency, c, "ours")
            speed = _ratio(batch.median("images_per_s"), single.median("images_per_s")) if batch and single else None
            if speed is not None:
                check(f"batch ÷ single-call images/s, {latency} ms, C={c}", "≥ 20", speed, speed >= 20)
    growth = mem.get("growth_mb") if mem else None
    check("RSS growth from 20k to 200k ids (bulk)", "≤ 10 MB", growth, growth is not None and growth <= 10)
    seconds = imp["import_s"] if imp else None
    check("`import modelarts_async`", "≤ 0.13 s", seconds, seconds is not None and seconds <= 0.13)
    parse = _ratio(conv["list_samples_us"], conv["json_loads_us"]) if conv else None
    check("`list_samples` page CPU/sample ÷ `json.loads`", "≤ 2", parse, parse is not None and parse <= 2)
    lines = ["| target | goal | measured | verdict |", "|---|---|---|---|"]
    for name, goal, value, ok in rows:
        verdict = "not measured" if ok is None else ("met" if ok else "MISSED")
        if goal.startswith("—") and ok is not None:
            verdict = "—"
        lines.append(f"| {name} | {goal} | {_fmt(value, '.2f')} | {verdict} |")
    return "\n".join(lines)


def converter_costs(reps: int) -> dict[str, Any]:
    """`benchmarks/converter.py` in a fresh interpreter: µs per sample of a list page, `json.loads` and ours."""
    command = [sys.executable, str(CONVERTER), "--reps", str(reps)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- main ---------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny N, 1 repetition, C=16 only")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per cell (the table shows medians)")
    parser.add_argument("--n", type=int, default=1500, help="ids per cell at 0 ms (scaled per row, see README)")
    parser.add_argument("--rounds", type=int, default=40, help="round trips per worker in latency-bound cells")
    parser.add_argument("--sync-n", type=int, default=40, help="ids for the sync loop at 50 ms (x10 at 0 ms)")
    parser.add_argument("--concurrency", default="16,64,256", help="comma-separated C values")
    parser.add_argument("--latency", default="0,50", help="comma-separated upstream latencies in ms")
    parser.add_argument("--only", default="", help=f"comma-separated rows among {', '.join(CELL_ROWS + EXTRA_ROWS)}")
    parser.add_argument("--mem-ids", default="20000,200000", help="RSS is read after the first and the second count")
    parser.add_argument("--deadline", type=float, default=10.0, help="seconds after which a client run stops")
    parser.add_argument("--json", type=Path, help="also write every raw run to this file")
    parser.add_argument(
        "--before",
        type=Path,
        help="a directory holding an older modelarts_async package (e.g. `git archive TAG modelarts_async | tar -x "
        "-C DIR`): adds its single-call row and import time, interleaved with the current ones (a before/after)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.n, args.rounds, args.sync_n, args.concurrency = 1, 200, 8, 5, "16"
        args.mem_ids, args.deadline = "2000,20000", 5.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    only = [r for r in args.only.split(",") if r]
    unknown = set(only) - set(CELL_ROWS + EXTRA_ROWS)
    if unknown:
        raise SystemExit(f"unknown rows for --only: {', '.join(sorted(unknown))}")
    rows = [r for r in CELL_ROWS if (not only or r in only) and r != "ours-before"]
    if args.before is not None:
        if not (args.before / "modelarts_async" / "__init__.py").is_file():
            raise SystemExit(f"--before {args.before}: no modelarts_async package there")
        rows.insert(rows.index("ours") + 1 if "ours" in rows else len(rows), "ours-before")
    if not _has_uvloop() and any(r.endswith("-uvloop") for r in rows):
        print("uvloop is not installed (pip install -e '.[speed]'): skipping the uvloop rows", file=sys.stderr)
        rows = [r for r in rows if not r.endswith("-uvloop")]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    latencies = [int(x) for x in args.latency.split(",")]
    started = time.perf_counter()
    args.load_at_start = os.getloadavg()
    cells: list[Cell] = []
    mem: dict[str, Any] | None = None
    imp: dict[str, float] | None = None
    for latency in latencies:
        upstream = Upstream(latency)
        try:
            for c in concurrencies:
                row_cells = [Cell(latency, c, row) for row in rows if row != "sync"]
                for rep in range(args.reps):  # interleave rows so drift in the machine's load hits them alike
                    for cell in row_cells:
                        n = cell_n(cell.row, latency, c, args)
                        cell.runs.append(run_client(cell.row, upstream, n, c, args.deadline, tree=args.before))
                        _progress(cell, rep)
                cells += row_cells
            if "sync" in rows:
                cell = Cell(latency, 1, "sync")
                for rep in range(args.reps):
                    cell.runs.append(run_client("sync", upstream, cell_n("sync", latency, 1, args), 1, 20))
                    _progress(cell, rep)
                cells.append(cell)
            if latency == 0 and (not only or "memory" in only):
                small, large = (int(x) for x in args.mem_ids.split(","))
                mem = memory(upstream, small, large, 64, max(args.deadline, 60.0))
                print(f"  memory: {mem}", file=sys.stderr)
        finally:
            upstream.close()
    if not only or "import" in only:
        imp = import_time(3 if args.quick else 7, args.before)
    conv: dict[str, Any] | None = None
    if not only or "converter" in only:
        conv = converter_costs(1 if args.quick else 7)
    elapsed = time.perf_counter() - started
    print(report(args, cells, concurrencies, mem, imp, conv, elapsed))
    if args.json:
        raw = {"cells": [cell.__dict__ for cell in cells], "memory": mem, "import": imp, "converter": conv}
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


def _loads(averages: tuple[float, ...]) -> str:
    return ", ".join(f"{x:.2f}" for x in averages)


def _has_uvloop() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def _progress(cell: Cell, rep: int) -> None:
    run = cell.runs[-1]
    print(
        f"  {cell.latency_ms:>2} ms C={cell.c:<3} {cell.row:<13} rep {rep + 1}: {run['images']} images "
        f"in {run['wall']:.2f} s, {run['cpu'] / max(run['images'], 1) * 1e6:,.0f} µs CPU/image",
        file=sys.stderr,
        flush=True,
    )


def report(
    args: argparse.Namespace,
    cells: list[Cell],
    concurrencies: list[int],
    mem: dict[str, Any] | None,
    imp: dict[str, float] | None,
    conv: dict[str, Any] | None,
    elapsed: float,
) -> str:
    import modelarts_async

    modes = sorted({run["mode"] for cell in cells for run in cell.runs if "mode" in run})
    out = [
        f"## modelarts_async benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: nproc={os.cpu_count()}, Python {platform.python_version()} ({platform.machine()}), "
        f"modelarts_async {modelarts_async.__version__}; reps={args.reps} (medians), n={args.n}"
        f"{' (--quick)' if args.quick else ''}; whole run {elapsed:.0f} s.",
        "",
        f"Load average (1, 5, 15 min) at the start: {_loads(args.load_at_start)}; at the end: "
        f"{_loads(os.getloadavg())} (2 cores: above ~1, other processes shared the client's CPU).",
        "",
        *(f"- ours ran as: {mode}" for mode in modes),
        "",
        main_table(cells),
        "",
        "Ratios against raw aiohttp at the same latency and C (same run; in brackets, the range of the ratios of "
        "each repetition to raw aiohttp's run in the same repetition):",
        "",
        ratio_table(cells),
        "",
        "Targets:",
        "",
        targets(cells, concurrencies, mem, imp, conv),
    ]
    if mem:
        mark, end = mem.get("rss_at_mark_kb"), mem["rss_end_kb"]
        out += [
            "",
            f"Memory (bulk, batch_size={BATCH}, C=64, ids from a generator): RSS "
            f"{_fmt(mark / 1024 if mark else None, '.1f')} MB after {args.mem_ids.split(',')[0]} ids, "
            f"{end / 1024:.1f} MB after {mem['images']} ids; peak {mem['peak_rss_kb'] / 1024:.1f} MB.",
        ]
    if imp:
        out += [
            "",
            f"Import: `import modelarts_async` adds {imp['import_s'] * 1000:.0f} ms "
            f"({imp['with_import_s'] * 1000:.0f} ms vs {imp['bare_s'] * 1000:.0f} ms for `python -c pass`, medians "
            f"of fresh interpreters, bytecode cached as after `pip install`); its dependencies alone "
            f"(`import asyncio, httpx, attrs, cattrs`) add "
            f"{imp['deps_s'] * 1000:.0f} ms. In CPU time (user+sys of the child, less sensitive to load): "
            f"{imp['import_cpu_s'] * 1000:.0f} ms, dependencies alone {imp['deps_cpu_s'] * 1000:.0f} ms.",
        ]
        if "before_import_s" in imp:
            out[-1] += (
                f" The `--before` tree: {imp['before_import_s'] * 1000:.0f} ms wall, "
                f"{imp['before_import_cpu_s'] * 1000:.0f} ms CPU."
            )
    if conv:
        out += [
            "",
            f"List pages (`benchmarks/converter.py`, a page of {conv['samples_per_page']} detection samples with "
            f"{conv['labels_per_sample']:.1f} labels each, {conv['page_bytes']:,} bytes): `json.loads` "
            f"{conv['json_loads_us']:.1f} µs per sample, `json.loads` + the v2 converter (what `list_samples` does "
            f"per page) {conv['list_samples_us']:.1f} µs per sample "
            f"({conv['list_samples_us'] / conv['json_loads_us']:.2f}x); the same objects built with no check at all "
            f"(the floor for these models) {conv['no_checks_us']:.1f} µs "
            f"({conv['no_checks_us'] / conv['json_loads_us']:.2f}x).",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
