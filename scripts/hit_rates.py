"""Summarise the trainability study: hit rates per dataset, optimiser, ansatz and depth."""

import pandas as pd

from qhnet.analysis.trainability import hit_rate_table
from qhnet.cli import StepParser, existing_file, number, output_file
from qhnet.io import write_frame


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument(
        "--metrics", nargs="+", required=True, type=existing_file, help="per-cell run metrics"
    )
    ap.add_argument(
        "--hit-tol",
        type=number(0, include_min=False),
        required=True,
        help="a start hits when its mean BCE is within this of the optimum's",
    )
    ap.add_argument("--out", required=True, type=output_file, help="output: hit_rates.csv")
    a = ap.parse_args(argv)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    table = ap.check(hit_rate_table, runs, a.hit_tol)
    write_frame(table, a.out)
    for r in table.itertuples():
        print(
            f"{r.dataset} {r.optimizer} {r.ansatz} L{r.layers}: hit rate {r.hit_rate:.2f}, "
            f"mode in optimum {r.mode_hit_rate:.2f} ({r.n_seeds} starts)"
        )


if __name__ == "__main__":
    main()
