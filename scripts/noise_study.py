"""Sample trained circuits on qiskit.aer with fake IBM noise models (and noiselessly).

For the first ``--runs-per-arm`` seeds of each named arm, draws ``--shots`` BiNNs
per backend (all circuits in one SamplerV2 job per backend, transpiled once to the
backend's target) and reports their mean test accuracy beside the exact value
Σ_σ q(σ)·acc[σ] and, with ``--mitigation``, the readout-mitigated value. Qiskit is
imported only here, not in the exact-mode training jobs.
"""

import argparse
import json

import numpy as np
import pandas as pd

from qhnet.cli import StepParser, existing_file, integer, output_file
from qhnet.experiments.noise import noise_study
from qhnet.io import write_frame
from qhnet.model.binn import load_table


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--table", required=True, type=existing_file, help="enumeration table")
    ap.add_argument(
        "--metrics", nargs="+", required=True, type=existing_file, help="metrics of trained runs"
    )
    ap.add_argument("--arms", nargs="+", required=True, help="arms whose circuits to sample")
    ap.add_argument(
        "--runs-per-arm", type=integer(1), required=True, help="first seeds per arm to sample"
    )
    ap.add_argument("--backends", nargs="+", required=True, help="fake backends' noise models")
    ap.add_argument("--shots", type=integer(2), required=True, help="shots per circuit")
    ap.add_argument("--seed", type=integer(0), required=True, help="seed of the shots")
    ap.add_argument(
        "--mitigation",
        action=argparse.BooleanOptionalAction,
        required=True,
        help="add readout-mitigated accuracies (calibration circuits in the same job)",
    )
    ap.add_argument("--out", required=True, type=output_file, help="output CSV")
    a = ap.parse_args(argv)
    table = load_table(a.table)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    runs = runs[runs["arm"].isin(a.arms)].sort_values(["arm", "seed"])
    chosen = runs.groupby("arm", sort=True).head(a.runs_per_arm).reset_index(drop=True)
    thetas = [np.asarray(json.loads(t)) for t in chosen["theta"]]
    rows = noise_study(
        thetas,
        table.acc_test,
        backends=[None, *a.backends],
        shots=a.shots,
        seed=a.seed,
        mitigation=a.mitigation,
    )
    out = pd.DataFrame(rows)
    meta = chosen[["dataset", "arm", "objective", "lam", "h", "seed"]].reset_index(drop=True)
    out = meta.iloc[out["run"]].reset_index(drop=True).join(out.drop(columns=["run"]))
    out = out.rename(
        columns={
            "source": "backend",
            "acc_sampled": "acc_test_sampled",
            "acc_exact": "acc_test_exact",
            "acc_mitigated": "acc_test_mitigated",
        }
    )
    out["backend"] = out["backend"].replace({"ideal": "noiseless"})
    write_frame(out, a.out)
    print(out.groupby(["arm", "backend"])[["acc_test_sampled", "acc_test_exact"]].mean().round(4))


if __name__ == "__main__":
    main()
