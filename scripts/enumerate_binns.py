"""Enumerate all 2^n BiNNs on a dataset once: LL, accuracy and constant-classifier tables."""

import argparse
import time

from qhnet.binn import enumerate_tables, global_optimum, save_table
from qhnet.datasets import load_dataset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", required=True, help="dataset Parquet file")
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--out", required=True, help="output .npz")
    a = ap.parse_args(argv)
    t0 = time.time()
    table = enumerate_tables(load_dataset(a.dataset), hidden=a.hidden)
    save_table(table, a.out)
    opt = global_optimum(table)
    print(
        f"2^{table.n} BiNNs in {time.time() - t0:.1f} s; best train LL {opt['best_ll']:.3f} "
        f"({opt['n_tied']} tied), test accuracy {opt['acc_test']:.3f} -> {a.out}"
    )


if __name__ == "__main__":
    main()
