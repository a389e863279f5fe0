"""Enumerate all 2^n BiNNs on a dataset once: LL, accuracy and constant-classifier tables."""

import time

from qhnet.cli import StepParser, existing_file, integer, output_file
from qhnet.model.binn import enumerate_tables, global_optimum, save_table
from qhnet.model.datasets import load_dataset


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--dataset", required=True, type=existing_file, help="dataset Parquet file")
    ap.add_argument(
        "--hidden", type=integer(0), required=True, help="hidden units H (0: logistic regression)"
    )
    ap.add_argument("--out", required=True, type=output_file, help="output table (.npz)")
    a = ap.parse_args(argv)
    t0 = time.time()
    table = ap.check(enumerate_tables, load_dataset(a.dataset), hidden=a.hidden)
    save_table(table, a.out)
    opt = global_optimum(table)
    print(
        f"2^{table.n} BiNNs in {time.time() - t0:.1f} s; best train LL {opt['best_ll']:.3f} "
        f"({opt['n_tied']} tied), test accuracy {opt['acc_test']:.3f} -> {a.out}"
    )


if __name__ == "__main__":
    main()
