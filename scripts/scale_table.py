"""The scale study's tables: every run, and per problem and arm the accuracy, spread and cost.

Reads the arms' outputs of ``scripts/scale_train.py`` and writes
``scale_runs.csv`` (a row per run) and ``scale.csv``
(``qhnet.analysis.scale.scale_summary``).
"""

import pandas as pd

from qhnet.analysis.scale import scale_summary, scale_text
from qhnet.cli import StepParser, existing_file, output_file
from qhnet.io import write_frame


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--runs", nargs="+", required=True, type=existing_file, help="arm outputs")
    ap.add_argument("--runs-out", required=True, type=output_file, help="output: scale_runs.csv")
    ap.add_argument("--out", required=True, type=output_file, help="output: scale.csv")
    a = ap.parse_args(argv)
    runs = pd.concat([pd.read_parquet(p) for p in a.runs], ignore_index=True)
    summary = ap.check(scale_summary, runs)
    write_frame(runs, a.runs_out)
    write_frame(summary, a.out)
    print(scale_text(summary))


if __name__ == "__main__":
    main()
