"""Where a finished run's time went: CPU, wall and memory per rule, and the training jobs' overhead.

    python scripts/tools/pipeline_profile.py RESULTS [--out FILE.csv]

Reads the time/memory record Snakemake keeps for every job
(``RESULTS/benchmarks/<rule>/….tsv``, the ``benchmark:`` of each rule) and, for
the training jobs (``train``, ``train_sampled``, ``trainability``), the per-run
seconds their metrics record (the training loop alone, compilation excluded)
and the compile time of each arm's first run. Per rule it prints the jobs, the CPU
and wall seconds summed over jobs, the largest peak memory, and for training
jobs the share of their wall time spent outside the training loops (start-up,
imports, compilation, evaluation, writing): the part that batching more
configurations into one job would cut. ``--out`` writes the table as CSV.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from qhnet.io import write_frame  # noqa: E402

#: Rules whose jobs write per-run metrics next to their outputs (rule → metrics folder).
TRAINING_RULES = {
    "train": "runs",
    "train_sampled": "runs",
    "trainability": "trainability",
    "robust_train": "cells",  # the robustness study (config/robustness.yaml)
}


def job_records(results: Path) -> pd.DataFrame:
    """One row per job: rule, the job's key (its path below the rule), and its TSV record."""
    rows = []
    root = results / "benchmarks"
    for tsv in sorted(root.rglob("*.tsv")):
        rel = tsv.relative_to(root)
        rule = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        rec = pd.read_csv(tsv, sep="\t").iloc[-1]  # the last attempt
        key = str(rel.with_suffix("")).split("/", 1)[1] if len(rel.parts) > 1 else ""
        rows.append(
            {
                "rule": rule,
                "job": key,
                "wall_s": float(rec["s"]),
                "cpu_s": float(rec["cpu_time"]),
                "max_rss_mb": float(rec["max_rss"]),
            }
        )
    if not rows:
        raise SystemExit(f"error: no job records under {root}: is {results} a finished run?")
    return pd.DataFrame(rows)


def training_seconds(results: Path, rule: str, job: str) -> tuple[float, float]:
    """(Σ run seconds, compile seconds) of one training job's metrics; NaN if absent."""
    if rule == "train_sampled":  # runs/{dataset}/adam/{arm}/{batch}: sampled runs use Adam
        dataset, rest = job.split("/", 1)
        job = f"{dataset}/adam/{rest}"
    path = results / TRAINING_RULES[rule] / f"{job}.metrics.parquet"
    if not path.is_file():
        return float("nan"), float("nan")
    m = pd.read_parquet(path, columns=["arm", "seconds", "compile_seconds"])
    # each arm's first run records its train() call's compilation (a cache hit for a
    # later arm of the same objective costs milliseconds)
    return float(m["seconds"].sum()), float(m.groupby("arm")["compile_seconds"].first().sum())


def profile(results: Path) -> pd.DataFrame:
    """The per-rule table (see the module docstring), largest CPU first."""
    jobs = job_records(results)
    loops, compiles = [], []
    for r in jobs.itertuples():
        if r.rule in TRAINING_RULES:
            loop, comp = training_seconds(results, r.rule, r.job)
        else:
            loop, comp = float("nan"), float("nan")
        loops.append(loop)
        compiles.append(comp)
    jobs = jobs.assign(loop_s=loops, compile_s=compiles)
    out = (
        jobs.groupby("rule")
        .agg(
            jobs=("job", "size"),
            cpu_s=("cpu_s", "sum"),
            wall_s=("wall_s", "sum"),
            max_rss_mb=("max_rss_mb", "max"),
            loop_s=("loop_s", lambda x: x.sum(min_count=1)),
            compile_s=("compile_s", lambda x: x.sum(min_count=1)),
        )
        .reset_index()
    )
    out["outside_loop_frac"] = 1.0 - out["loop_s"] / out["wall_s"]
    out["compile_frac"] = out["compile_s"] / out["wall_s"]
    return out.sort_values("cpu_s", ascending=False, ignore_index=True)


def markdown(table: pd.DataFrame) -> str:
    lines = [
        "| rule | jobs | CPU (s) | wall, summed (s) | peak memory (MB) "
        "| outside the training loops | compilation |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def pct(x):
        return "–" if pd.isna(x) else f"{x:.0%}"

    for r in table.itertuples():
        lines.append(
            f"| {r.rule} | {r.jobs} | {r.cpu_s:.0f} | {r.wall_s:.0f} | {r.max_rss_mb:.0f} | "
            f"{pct(r.outside_loop_frac)} | {pct(r.compile_frac)} |"
        )
    total = table[["cpu_s", "wall_s"]].sum()
    lines.append(
        f"| all | {table['jobs'].sum()} | {total.cpu_s:.0f} | {total.wall_s:.0f} | "
        f"{table['max_rss_mb'].max():.0f} | | |"
    )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("results", type=Path, help="the results directory of a finished run")
    ap.add_argument("--out", type=Path, help="write the table as CSV here")
    a = ap.parse_args(argv)
    if not a.results.is_dir():
        ap.error(f"{a.results} is not a directory")
    table = profile(a.results)
    if a.out:
        write_frame(table, a.out)
    print(markdown(table), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
