"""The SELBO ablation's table: each (m, N_qc) setting of sampled SELBO against exact SELBO.

Reads the training outputs of the sampled arm at its own setting, of its exact
twin's group and of the ablation, and writes ``selbo_ablation.csv``
(``qhnet.analysis.ablation.sampled_ablation_table``).
"""

import pandas as pd

from qhnet.analysis.ablation import sampled_ablation_table, sampled_ablation_text
from qhnet.cli import StepParser, add_verdict_options, existing_file, output_file, verdict_settings
from qhnet.io import write_frame


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument(
        "--metrics",
        nargs="+",
        required=True,
        type=existing_file,
        help="metrics of the sampled arm, its exact twin's group and the ablation",
    )
    add_verdict_options(ap)
    ap.add_argument("--out", required=True, type=output_file, help="output: selbo_ablation.csv")
    a = ap.parse_args(argv)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    table = ap.check(sampled_ablation_table, runs, verdict_settings(a))
    write_frame(table, a.out)
    print(sampled_ablation_text(table))


if __name__ == "__main__":
    main()
