"""2-D slices of −J around trained angles for MLE, ELBO and SELBO on one dataset."""

import json

import numpy as np
import pandas as pd

from qhnet.cli import StepParser, existing_file, integer, number, output_file
from qhnet.experiments.landscape import landscape, trained_angles
from qhnet.experiments.sweep import arm_from_name
from qhnet.io import atomic_path, write_frame
from qhnet.model.binn import load_table

ROUGHNESS = ("n_local_minima", "mean_abs_laplacian", "rel_mean_abs_laplacian", "loss_range")


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--dataset", required=True, help="dataset name (for the table rows)")
    ap.add_argument("--table", required=True, type=existing_file, help="enumeration table")
    ap.add_argument("--arms", nargs="+", required=True, help="arm names (mle, elbo_…, selbo_…)")
    ap.add_argument(
        "--metrics",
        nargs="+",
        required=True,
        type=existing_file,
        help="metrics files holding the arms' runs",
    )
    ap.add_argument(
        "--seed", type=integer(0), required=True, help="training seed at the slice centre"
    )
    ap.add_argument(
        "--span", type=number(0, include_min=False), required=True, help="α, β ∈ [-span, span]"
    )
    ap.add_argument("--resolution", type=integer(3), required=True, help="grid points per axis")
    ap.add_argument(
        "--direction-seed", type=integer(0), required=True, help="seed of the two directions"
    )
    ap.add_argument("--out", required=True, type=output_file, help="output .npz with the grids")
    ap.add_argument("--csv", required=True, type=output_file, help="output roughness table")
    a = ap.parse_args(argv)
    table = load_table(a.table)
    arms = [ap.check(arm_from_name, name, table.n).as_dict() for name in a.arms]
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    arrays, meta, rows = {}, {}, []
    for arm in arms:
        theta = ap.check(trained_angles, runs, arm["arm"], a.seed)
        out = landscape(
            theta,
            table.ll_train,
            arm["objective"],
            lam=arm["lam"],
            h=arm["h"],
            span=a.span,
            resolution=a.resolution,
            seed=a.direction_seed,
        )
        obj = arm["objective"]
        arrays[f"{obj}_loss"] = out["loss"]
        arrays["alphas"], arrays["betas"] = out["alphas"], out["betas"]
        rough = {k: float(out[k]) for k in ROUGHNESS}
        meta[obj] = {"arm": arm["arm"], "lam": arm["lam"], "h": arm["h"], "seed": a.seed, **rough}
        rows.append(
            {
                "dataset": a.dataset,
                "objective": obj,
                "arm": arm["arm"],
                "lam": arm["lam"],
                "h": arm["h"],
                "seed": a.seed,
                **rough,
            }
        )
        print(f"{a.dataset} {arm['arm']}: {rough}")
    with atomic_path(a.out) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, meta=json.dumps(meta), **arrays)
    write_frame(pd.DataFrame(rows), a.csv)


if __name__ == "__main__":
    main()
