"""Draw one dataset (train + test, optionally a validation split) and write it as Parquet."""

import argparse

from qhnet.cli import StepParser, integer, output_file
from qhnet.model.datasets import DATASETS, make_dataset, save_dataset


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--name", required=True, choices=DATASETS, help="which dataset")
    ap.add_argument("--n-train", type=integer(2), required=True, help="training points")
    ap.add_argument("--n-test", type=integer(1), required=True, help="test points")
    ap.add_argument(
        "--n-val", type=integer(0), default=0, help="validation points, drawn after the test ones"
    )
    ap.add_argument("--seed", type=integer(0), required=True, help="seed of the draw")
    ap.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        required=True,
        help="standardise both splits with the training mean and std",
    )
    ap.add_argument("--out", required=True, type=output_file, help="output Parquet file")
    a = ap.parse_args(argv)
    ds = ap.check(
        make_dataset, a.name, a.n_train, a.n_test, a.seed, standardize=a.standardize, n_val=a.n_val
    )
    save_dataset(ds, a.out)
    print(
        f"{a.name}: {len(ds.y_train)} train, {len(ds.y_test)} test, {len(ds.y_val)} validation "
        f"-> {a.out}"
    )


if __name__ == "__main__":
    main()
