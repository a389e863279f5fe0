"""Summarise the classical baselines beside the circuit's runs (tables/baselines.csv)."""

import pandas as pd

from qhnet.analysis.trainability import baseline_table
from qhnet.cli import StepParser, existing_file, output_file
from qhnet.io import write_frame


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument(
        "--baselines", nargs="+", required=True, type=existing_file, help="per-dataset baselines"
    )
    ap.add_argument(
        "--runs",
        nargs="+",
        required=True,
        type=existing_file,
        help="the circuit's run metrics of the arms to compare with (one optimiser)",
    )
    ap.add_argument("--out", required=True, type=output_file, help="output: baselines.csv")
    a = ap.parse_args(argv)
    base = pd.concat([pd.read_parquet(p) for p in a.baselines], ignore_index=True)
    runs = pd.concat([pd.read_parquet(p) for p in a.runs], ignore_index=True)
    table = ap.check(baseline_table, base, runs)
    write_frame(table, a.out)
    for r in table.itertuples():
        print(
            f"{r.dataset} {r.method}: optimum hit {r.hit_rate:.2f}, test accuracy (mode) "
            f"{r.mean_acc_test_mode:.3f} ± {r.std_acc_test_mode:.3f} ({r.n_seeds} seeds)"
        )


if __name__ == "__main__":
    main()
