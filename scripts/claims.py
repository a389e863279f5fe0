"""Verdict per paper claim (supported / refuted / cannot tell) with its numbers."""

import argparse
import os

import pandas as pd

from qhnet.io import write_frame
from qhnet.stats import claims


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--variance", required=True)
    ap.add_argument("--landscape", required=True)
    ap.add_argument("--noise", default=None)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    noise = pd.read_csv(a.noise) if a.noise and os.path.exists(a.noise) else None
    table = claims(
        pd.read_parquet(a.runs), pd.read_csv(a.variance), pd.read_csv(a.landscape), noise
    )
    write_frame(table, a.out)
    with pd.option_context("display.max_colwidth", 200, "display.width", 200):
        print(table)


if __name__ == "__main__":
    main()
