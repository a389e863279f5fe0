"""A small end-to-end example through the package: MLE vs ELBO on one dataset.

python scripts/example.py [--dataset gaussian] [--seeds 5] [--lam 1.0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from qhnet.analysis.evaluation import evaluate
from qhnet.engine.circuit import probabilities
from qhnet.model.binn import enumerate_tables, global_optimum, predictive_matrix
from qhnet.model.datasets import DATASETS, make_dataset
from qhnet.training import train


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--dataset", default="gaussian", choices=DATASETS)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=3000)
    args = ap.parse_args(argv)

    t0 = time.time()
    ds = make_dataset(args.dataset, n_train=100, n_test=1000, seed=0)
    table = enumerate_tables(ds, hidden=3)
    opt = global_optimum(table)
    P_tr, P_te = predictive_matrix(ds.X_train, 3), predictive_matrix(ds.X_test, 3)
    print(
        f"{args.dataset}: 2^{table.n} BiNNs enumerated; best train LL {opt['best_ll']:.2f} "
        f"({opt['n_tied']} tied), its test accuracy {opt['acc_test']:.3f}"
    )
    rows = []
    for objective, lam in (("mle", None), ("elbo", args.lam)):
        for run in train(
            table.ll_train,
            objective,
            lam=lam,
            max_steps=args.steps,
            seeds=range(args.seeds),
            acc_train=table.acc_train,
            acc_test=table.acc_test,
        ):
            m = evaluate(
                np.asarray(probabilities(run.theta)),
                table,
                P_train=P_tr,
                P_test=P_te,
                y_train=ds.y_train,
                y_test=ds.y_test,
                optimum=opt,
            )
            rows.append({"objective": objective, "seed": run.seed, "steps": run.steps, **m})
    df = pd.DataFrame(rows)
    cols = [
        "acc_test_expected",
        "acc_test_mode",
        "acc_test_bma",
        "entropy_frac",
        "mass_on_optimum",
        "ll_gap",
    ]
    summary = df.groupby("objective")[cols].agg(["mean", "std"]).T
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 120):
        print(summary)
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
