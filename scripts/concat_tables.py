"""Concatenate per-dataset CSV tables into one (atomically)."""

import pandas as pd

from qhnet.cli import StepParser, existing_file, output_file
from qhnet.io import write_frame


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--out", required=True, type=output_file, help="output CSV")
    ap.add_argument("tables", nargs="+", type=existing_file, help="CSV tables to concatenate")
    a = ap.parse_args(argv)
    table = pd.concat([pd.read_csv(p) for p in a.tables], ignore_index=True)
    write_frame(table, a.out)
    print(f"{len(table)} rows from {len(a.tables)} files -> {a.out}")


if __name__ == "__main__":
    main()
