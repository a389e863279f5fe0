"""Verdict per paper claim (supported / refuted / cannot tell) with its numbers."""

import pandas as pd

from qhnet.analysis.stats import claims
from qhnet.cli import StepParser, existing_file, integer, output_file
from qhnet.io import write_frame
from qhnet.training.optimisers import OPTIMIZERS


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--runs", required=True, type=existing_file, help="runs.parquet")
    ap.add_argument("--variance", required=True, type=existing_file, help="variance.csv")
    ap.add_argument("--landscape", required=True, type=existing_file, help="landscape.csv")
    ap.add_argument("--noise", type=existing_file, help="noise.csv (when the study ran)")
    ap.add_argument("--n-boot", type=integer(100), required=True, help="bootstrap resamples")
    ap.add_argument("--seed", type=integer(0), required=True, help="bootstrap seed")
    ap.add_argument(
        "--optimizer",
        required=True,
        choices=OPTIMIZERS,
        help="the optimiser whose exact runs decide claims 1-5",
    )
    ap.add_argument("--out", required=True, type=output_file, help="output: claims.csv")
    a = ap.parse_args(argv)
    noise = pd.read_csv(a.noise) if a.noise else None
    table = claims(
        pd.read_parquet(a.runs),
        pd.read_csv(a.variance),
        pd.read_csv(a.landscape),
        noise,
        n_boot=a.n_boot,
        seed=a.seed,
        optimizer=a.optimizer,
    )
    write_frame(table, a.out)
    with pd.option_context("display.max_colwidth", 200, "display.width", 200):
        print(table)


if __name__ == "__main__":
    main()
