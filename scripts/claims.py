"""Decide each paper claim (supported / refuted / cannot tell) as typed records: claims.csv."""

from dataclasses import fields

import pandas as pd

from qhnet.analysis.claims import Settings, claims, claims_by_optimizer
from qhnet.cli import StepParser, existing_file, integer, number, output_file
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
    ap.add_argument(
        "--alpha",
        type=number(0, include_min=False, maximum=0.5),
        required=True,
        help="level of every one-sided test (after Holm in a family)",
    )
    helps = {
        "accuracy_margin": "δ for differences in test accuracy",
        "std_margin": "claim 1: std reductions by less than this fraction do not count",
        "rate_margin": "claim 6: hit-rate gains smaller than this do not count",
        "roughness_margin": "claim 2: roughness reductions by less than this do not count",
    }
    for key, text in helps.items():
        ap.add_argument(
            f"--{key.replace('_', '-')}", type=number(0, maximum=1), required=True, help=text
        )
    ap.add_argument(
        "--nats",
        type=number(0),
        required=True,
        help="claim 6: a mode within this of the best train log-likelihood has reached it",
    )
    ap.add_argument(
        "--min-pairs", type=integer(3), required=True, help="fewer seed pairs decide nothing"
    )
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
    settings = Settings(**{f.name: getattr(a, f.name) for f in fields(Settings)})
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
