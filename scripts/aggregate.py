"""Gather every run into tidy tables and compute the variance statistics."""

import argparse

import pandas as pd

from qhnet.io import write_frame
from qhnet.stats import variance_table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--metrics", nargs="+", required=True)
    ap.add_argument("--trajectories", nargs="+", required=True)
    ap.add_argument("--runs-out", required=True, help="runs.parquet")
    ap.add_argument("--runs-csv", required=True)
    ap.add_argument("--trajectories-out", required=True)
    ap.add_argument("--variance-out", required=True)
    ap.add_argument("--n-boot", type=int, default=2000)
    a = ap.parse_args(argv)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    runs = runs.sort_values(
        ["dataset", "mode", "objective", "lam", "h", "seed"], na_position="first"
    )
    write_frame(runs, a.runs_out)
    write_frame(runs.drop(columns=["theta"]), a.runs_csv)
    traj = pd.concat([pd.read_parquet(p) for p in a.trajectories], ignore_index=True)
    write_frame(traj, a.trajectories_out)
    var = variance_table(runs, n_boot=a.n_boot, seed=0)
    write_frame(var, a.variance_out)
    print(f"{len(runs)} runs, {len(var)} variance rows")


if __name__ == "__main__":
    main()
