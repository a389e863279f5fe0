"""Decide each paper claim (supported / refuted / cannot tell) as typed records: claims.csv."""

import pandas as pd

from qhnet.analysis.claims import claims, claims_by_optimizer
from qhnet.cli import StepParser, add_verdict_options, existing_file, output_file, verdict_settings
from qhnet.io import write_frame
from qhnet.training.optimisers import OPTIMIZERS


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--runs", required=True, type=existing_file, help="runs.parquet")
    ap.add_argument(
        "--roughness", required=True, type=existing_file, help="roughness.csv (claim 2)"
    )
    ap.add_argument("--noise", type=existing_file, help="noise.csv (when the study ran)")
    ap.add_argument(
        "--optimizer",
        required=True,
        choices=OPTIMIZERS,
        help="the optimiser whose exact runs decide claims 1-6",
    )
    add_verdict_options(ap)
    ap.add_argument("--out", required=True, type=output_file, help="output: claims.csv")
    ap.add_argument(
        "--by-optimizer",
        nargs="+",
        choices=OPTIMIZERS,
        help="also decide claims 1, 3-6 under each of these optimisers (into --by-optimizer-out)",
    )
    ap.add_argument("--by-optimizer-out", type=output_file, help="output: claims_by_optimizer.csv")
    a = ap.parse_args(argv)
    if bool(a.by_optimizer) != bool(a.by_optimizer_out):
        ap.error("--by-optimizer and --by-optimizer-out go together")
    settings = verdict_settings(a)
    noise = pd.read_csv(a.noise) if a.noise else None
    runs = pd.read_parquet(a.runs)
    table = claims(runs, pd.read_csv(a.roughness), noise, settings, optimizer=a.optimizer)
    if a.by_optimizer:
        write_frame(
            ap.check(claims_by_optimizer, runs, a.by_optimizer, settings), a.by_optimizer_out
        )
    write_frame(table, a.out)
    top = table[table["level"] != "comparison"]
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(top[["claim", "dataset", "comparison", "estimate", "p_value", "verdict"]])


if __name__ == "__main__":
    main()
