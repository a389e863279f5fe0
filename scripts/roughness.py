"""Roughness of many landscape slices per dataset, paired across objectives (claim 2)."""

import pandas as pd

from qhnet.cli import StepParser, existing_file, integer, number, output_file
from qhnet.experiments.landscape import roughness_study, trained_angles
from qhnet.experiments.sweep import arm_from_name
from qhnet.io import write_frame
from qhnet.model.binn import load_table


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--dataset", required=True, help="dataset name (for the table rows)")
    ap.add_argument("--table", required=True, type=existing_file, help="enumeration table")
    ap.add_argument("--arms", nargs="+", required=True, help="arm names (mle first, …)")
    ap.add_argument(
        "--metrics", nargs="+", required=True, type=existing_file, help="metrics of those arms"
    )
    ap.add_argument(
        "--seeds", nargs="+", type=integer(0), required=True, help="seeds whose angles centre"
    )
    ap.add_argument("--directions", type=integer(1), required=True, help="direction pairs per seed")
    ap.add_argument(
        "--span", type=number(0, include_min=False), required=True, help="α, β ∈ [-span, span]"
    )
    ap.add_argument("--resolution", type=integer(3), required=True, help="grid points per axis")
    ap.add_argument(
        "--direction-seed", type=integer(0), required=True, help="base seed of the directions"
    )
    ap.add_argument("--out", required=True, type=output_file, help="output roughness CSV")
    a = ap.parse_args(argv)
    table = load_table(a.table)
    arms = [ap.check(arm_from_name, name, table.n).as_dict() for name in a.arms]
    if "mle" not in a.arms:
        ap.error("--arms must include mle (the slices are also centred on MLE's angles)")
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    thetas = {
        (arm["arm"], seed): ap.check(trained_angles, runs, arm["arm"], seed)
        for arm in arms
        for seed in a.seeds
    }
    rows = roughness_study(
        thetas,
        arms,
        table.ll_train,
        seeds=a.seeds,
        directions=a.directions,
        span=a.span,
        resolution=a.resolution,
        direction_seed=a.direction_seed,
    )
    out = pd.DataFrame(rows)
    out.insert(0, "dataset", a.dataset)
    write_frame(out, a.out)
    summary = out.groupby(["centre", "arm"])["rel_mean_abs_laplacian"].median()
    print(summary.round(3))


if __name__ == "__main__":
    main()
