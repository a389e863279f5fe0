"""Sample trained circuits on qiskit.aer with fake IBM noise models (and noiselessly).

For the first ``--runs-per-arm`` seeds of each named arm, draws ``--shots`` BiNNs
per backend and reports their mean test accuracy beside the exact value
Σ_σ q(σ)·acc[σ]. Qiskit is imported only here, not in the training jobs.
"""

import argparse
import json

import numpy as np
import pandas as pd

from qhnet.binn import load_table
from qhnet.devices import noise_study
from qhnet.io import write_frame


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--table", required=True)
    ap.add_argument("--metrics", nargs="+", required=True)
    ap.add_argument("--arms", nargs="+", required=True)
    ap.add_argument("--runs-per-arm", type=int, required=True)
    ap.add_argument("--backends", nargs="+", required=True)
    ap.add_argument("--shots", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    table = load_table(a.table)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    runs = runs[runs["arm"].isin(a.arms)].sort_values(["arm", "seed"])
    chosen = runs.groupby("arm", sort=True).head(a.runs_per_arm).reset_index(drop=True)
    thetas = [np.asarray(json.loads(t)) for t in chosen["theta"]]
    rows = noise_study(
        thetas, table.acc_test, backends=[None, *a.backends], shots=a.shots, seed=a.seed
    )
    out = pd.DataFrame(rows)
    meta = chosen[["dataset", "arm", "objective", "lam", "h", "seed"]].reset_index(drop=True)
    out = meta.iloc[out["run"]].reset_index(drop=True).join(out.drop(columns=["run"]))
    out = out.rename(
        columns={
            "source": "backend",
            "acc_sampled": "acc_test_sampled",
            "acc_exact": "acc_test_exact",
        }
    )
    out["backend"] = out["backend"].replace({"ideal": "noiseless"})
    write_frame(out, a.out)
    print(out.groupby(["arm", "backend"])[["acc_test_sampled", "acc_test_exact"]].mean().round(4))


if __name__ == "__main__":
    main()
