"""Draw one dataset (train + test) and write it as Parquet with its parameters."""

import argparse

from qhnet.cli import StepParser, integer, output_file
from qhnet.model.datasets import DATASETS, make_dataset, save_dataset


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--name", required=True, choices=DATASETS, help="which dataset")
    ap.add_argument("--n-train", type=integer(2), required=True, help="training points")
    ap.add_argument("--n-test", type=integer(1), required=True, help="test points")
    ap.add_argument("--seed", type=integer(0), required=True, help="seed of the draw")
    ap.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        required=True,
        help="standardise both splits with the training mean and std",
    )
    ap.add_argument("--out", required=True, type=output_file, help="output Parquet file")
    a = ap.parse_args(argv)
    ds = make_dataset(a.name, a.n_train, a.n_test, a.seed, standardize=a.standardize)
    save_dataset(ds, a.out)
    print(f"{a.name}: {len(ds.y_train)} train, {len(ds.y_test)} test -> {a.out}")


if __name__ == "__main__":
    main()
