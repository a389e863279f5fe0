"""Draw one dataset (train + test) and write it as Parquet with its parameters."""

import argparse

from qhnet.datasets import DATASETS, make_dataset, save_dataset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True, choices=DATASETS)
    ap.add_argument("--n-train", type=int, required=True)
    ap.add_argument("--n-test", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--no-standardize", action="store_true")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    ds = make_dataset(a.name, a.n_train, a.n_test, a.seed, standardize=not a.no_standardize)
    save_dataset(ds, a.out)
    print(f"{a.name}: {len(ds.y_train)} train, {len(ds.y_test)} test -> {a.out}")


if __name__ == "__main__":
    main()
