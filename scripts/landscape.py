"""2-D slices of −J around trained angles for MLE, ELBO and SELBO on one dataset."""

import argparse
import json

import numpy as np
import pandas as pd

from qhnet.binn import load_table
from qhnet.io import atomic_path, write_frame
from qhnet.landscape import landscape

ROUGHNESS = ("n_local_minima", "mean_abs_laplacian", "rel_mean_abs_laplacian", "loss_range")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", required=True, help="dataset name (for the table rows)")
    ap.add_argument("--table", required=True)
    ap.add_argument("--arms", required=True, help="JSON list of sweep.Arm dicts (mle, elbo, selbo)")
    ap.add_argument(
        "--metrics", nargs="+", required=True, help="metrics files holding the arms' runs"
    )
    ap.add_argument("--seed", type=int, required=True, help="training seed at the slice centre")
    ap.add_argument("--span", type=float, required=True)
    ap.add_argument("--resolution", type=int, required=True)
    ap.add_argument("--direction-seed", type=int, required=True)
    ap.add_argument("--out", required=True, help=".npz with the grids")
    ap.add_argument("--csv", required=True, help="roughness table")
    a = ap.parse_args(argv)
    table = load_table(a.table)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    arrays, meta, rows = {}, {}, []
    for arm in json.loads(a.arms):
        row = runs[(runs["arm"] == arm["arm"]) & (runs["seed"] == a.seed)]
        if len(row) != 1:
            raise ValueError(f"no run of arm {arm['arm']!r} with seed {a.seed} in {a.metrics}")
        theta = np.asarray(json.loads(row["theta"].iloc[0]))
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
