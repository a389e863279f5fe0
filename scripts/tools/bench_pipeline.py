"""The pipeline benchmark: a whole reproduction on a clean results directory, timed.

    python scripts/tools/bench_pipeline.py [--configfile config/config.yaml]
        [--cores 2] [--results DIR] [--out docs/benchmarks] [--name pipeline]

Runs the reproduction as ``make reproduce`` does (``snakemake --cores N
--configfile C``, then ``--report``) into ``--results`` (default: the config's;
it must not exist or be empty), with this checkout's interpreter and nothing on
PATH. Then it writes

- ``OUT/NAME.csv``: per rule, the jobs, CPU and wall seconds summed over
  jobs, the largest peak memory, and for training jobs the share of wall time
  outside the training loops and the compilation share
  (``pipeline_profile.profile``, from every job's ``benchmark:`` record);
- ``OUT/NAME_floor.csv``: the arithmetic floor of the exact-mode training,
  per (objective, ansatz, layers, n): the runs, their steps, the time of one
  objective value and gradient measured in this process after the run (median
  of repeated calls, one thread, as the jobs run), and steps × that time; a
  lower bound (an L-BFGS step may evaluate the objective more than once);
- ``OUT/NAME.json``: the wall seconds of the run and of the report, the
  floor, the cores, the machine, the commit and the config.

Use an idle machine: the wall time is the number the README quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_bench.timing import cpu_model  # noqa: E402
from pipeline_profile import profile  # noqa: E402

from qhnet.io import atomic_path, write_frame  # noqa: E402

#: Metrics folders of the exact-mode training rules (cells: the robustness study).
TRAINING_FOLDERS = ("runs", "trainability", "cells")


def snakemake(*args: str) -> float:
    """Run Snakemake from the checkout with this interpreter; its wall seconds."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True)
    return time.perf_counter() - t0


def step_seconds(objective: str, ansatz: str, layers: int, n: int, reps: int = 200) -> float:
    """Median seconds of one compiled objective value and gradient at this setting."""
    import jax

    from qhnet.engine.circuit import init_angles
    from qhnet.engine.objectives import value_and_grad_fn

    f = value_and_grad_fn(objective, ansatz)
    theta = jax.numpy.asarray(init_angles(n, layers, 0, ansatz=ansatz))
    ll = jax.numpy.asarray(np.random.default_rng(0).normal(size=2**n))
    args = (theta, ll, 1.0, max(n / 4, 1.0))
    jax.block_until_ready(f(*args))  # compile
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def floor_table(results: Path) -> pd.DataFrame:
    """The arithmetic floor of every exact-mode run under ``results`` (module docstring)."""
    cols = ["mode", "objective", "ansatz", "layers", "n_qubits", "steps"]
    paths = [p for f in TRAINING_FOLDERS for p in sorted((results / f).rglob("*.metrics.parquet"))]
    if not paths:
        raise SystemExit(f"error: no training metrics under {results}")
    runs = pd.concat([pd.read_parquet(p, columns=cols) for p in paths], ignore_index=True)
    runs = runs[runs["mode"] == "exact"]
    rows = []
    for (obj, ansatz, layers, n), g in runs.groupby(["objective", "ansatz", "layers", "n_qubits"]):
        t = step_seconds(obj, ansatz, int(layers), int(n))
        steps = int(g["steps"].sum())
        rows.append(
            dict(objective=obj, ansatz=ansatz, layers=int(layers), n_qubits=int(n), runs=len(g),
                 steps=steps, step_seconds=t, floor_seconds=steps * t)
        )  # fmt: skip
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--configfile", default="config/config.yaml", help="the configuration")
    ap.add_argument("--cores", type=int, default=2, help="snakemake --cores (default 2)")
    ap.add_argument("--results", help="results directory (default: the config's)")
    ap.add_argument("--out", type=Path, default=REPO / "docs/benchmarks", help="output folder")
    ap.add_argument(
        "--name", default="pipeline", help="stem of the output files (pipeline_robustness, …)"
    )
    a = ap.parse_args(argv)
    if a.cores < 1:
        ap.error(f"--cores must be >= 1; got {a.cores}")
    cfg_path = REPO / a.configfile
    if not cfg_path.is_file():
        ap.error(f"--configfile: {a.configfile} not found")
    results = a.results or yaml.safe_load(cfg_path.read_text())["results"]
    res = (REPO / results).resolve()
    if res.exists() and any(res.iterdir()):
        ap.error(f"--results: {res} is not empty; the benchmark needs a clean directory")
    over = ["--config", f"results={results}"]
    git = ["git", "-C", str(REPO)]
    status = [*git, "status", "--porcelain", "--untracked-files=no"]
    dirty = bool(subprocess.run(status, capture_output=True, text=True).stdout.strip())
    wall = snakemake("--cores", str(a.cores), "--configfile", a.configfile, *over)
    report = snakemake(
        "--cores", "1", "--configfile", a.configfile, *over, "--report", f"{results}/report.zip"
    )
    rules = profile(res)
    floor = floor_table(res)
    a.out.mkdir(parents=True, exist_ok=True)
    write_frame(rules, a.out / f"{a.name}.csv")
    write_frame(floor, a.out / f"{a.name}_floor.csv")
    meta = {
        "config": a.configfile,
        "cores": a.cores,
        "wall_seconds": round(wall, 1),
        "report_seconds": round(report, 1),
        "cpu_seconds": round(float(rules["cpu_s"].sum()), 1),
        "peak_job_mb": round(float(rules["max_rss_mb"].max()), 1),
        "floor_seconds": round(float(floor["floor_seconds"].sum()), 1),
        "exact_runs": int(floor["runs"].sum()),
        "jobs": int(rules["jobs"].sum()),
        "commit": subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "dirty": dirty,  # before the run
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores ({cpu_model(platform.machine())}), "
        f"Python {platform.python_version()}",
    }
    with atomic_path(a.out / f"{a.name}.json") as tmp:
        tmp.write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
