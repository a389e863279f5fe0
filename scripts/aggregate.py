"""Gather every run into tidy tables and compute the spread statistics."""

import pandas as pd

from qhnet.analysis.stats import variance_table
from qhnet.cli import StepParser, existing_file, integer, output_file
from qhnet.io import write_frame


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument(
        "--metrics", nargs="+", required=True, type=existing_file, help="per-batch metrics"
    )
    ap.add_argument(
        "--trajectories", nargs="+", required=True, type=existing_file, help="per-batch curves"
    )
    ap.add_argument("--runs-out", required=True, type=output_file, help="output: runs.parquet")
    ap.add_argument("--runs-csv", required=True, type=output_file, help="output: runs.csv")
    ap.add_argument(
        "--trajectories-out", required=True, type=output_file, help="output: trajectories"
    )
    ap.add_argument("--variance-out", required=True, type=output_file, help="output: spreads")
    ap.add_argument("--n-boot", type=integer(100), required=True, help="bootstrap resamples")
    ap.add_argument("--seed", type=integer(0), required=True, help="bootstrap seed")
    a = ap.parse_args(argv)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    runs = runs.sort_values(
        ["dataset", "mode", "objective", "lam", "h", "seed"], na_position="first"
    )
    write_frame(runs, a.runs_out)
    write_frame(runs.drop(columns=["theta"]), a.runs_csv)
    traj = pd.concat([pd.read_parquet(p) for p in a.trajectories], ignore_index=True)
    write_frame(traj, a.trajectories_out)
    var = variance_table(runs, n_boot=a.n_boot, seed=a.seed)
    write_frame(var, a.variance_out)
    print(f"{len(runs)} runs, {len(var)} variance rows")


if __name__ == "__main__":
    main()
