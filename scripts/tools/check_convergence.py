"""Check the convergence test: early-stopped runs vs the same runs given the full budget.

For each dataset and seed, trains MLE (the slowest objective to settle) once with
the config's stopping rule and once with rtol = gtol = 0 (all ``max_steps``), and
reports how much the final E_q[LL] and test accuracy moved after the stop.

    python scripts/check_convergence.py --config config/config.yaml --out results/convergence.csv
"""

import argparse

import numpy as np
import pandas as pd
import yaml

from qhnet.engine.circuit import probabilities
from qhnet.io import write_frame
from qhnet.model.binn import enumerate_tables
from qhnet.model.datasets import make_dataset
from qhnet.training import train


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--config", default="config/config.yaml")
    ap.add_argument("--objective", default="mle")
    ap.add_argument("--lam", type=float, default=None)
    ap.add_argument("--optimizer", default="adam", choices=["adam", "lbfgs"])
    ap.add_argument("--out", default="results/convergence.csv")
    a = ap.parse_args(argv)
    cfg = yaml.safe_load(open(a.config))
    tr, d = cfg["training"], cfg["data"]
    rows = []
    for name in cfg["datasets"]:
        ds = make_dataset(name, d["n_train"], d["n_test"], d["seed"], standardize=d["standardize"])
        table = enumerate_tables(ds, cfg["model"]["hidden"])
        budget = tr["lbfgs"] if a.optimizer == "lbfgs" else tr
        common = dict(
            lam=a.lam,
            optimizer=a.optimizer,
            layers=cfg["model"]["layers"],
            lr=tr["lr"],
            max_steps=budget["max_steps"],
            seeds=cfg["seeds"],
            window_frac=tr["window_frac"],
        )
        early = train(
            table.ll_train,
            a.objective,
            min_steps=budget["min_steps"],
            rtol=tr["rtol"],
            gtol=tr["gtol"],
            **common,
        )
        full = train(
            table.ll_train, a.objective, min_steps=budget["max_steps"], rtol=0.0, gtol=0.0, **common
        )
        for e, f in zip(early, full, strict=True):
            qe, qf = np.asarray(probabilities(e.theta)), np.asarray(probabilities(f.theta))
            rows.append(
                {
                    "dataset": name,
                    "seed": e.seed,
                    "steps_early": e.steps,
                    "steps_full": f.steps,
                    "ell_early": qe @ table.ll_train,
                    "ell_full": qf @ table.ll_train,
                    "acc_test_early": qe @ table.acc_test,
                    "acc_test_full": qf @ table.acc_test,
                }
            )
    df = pd.DataFrame(rows)
    df["ell_gain_after_stop"] = df["ell_full"] - df["ell_early"]
    df["acc_change_after_stop"] = df["acc_test_full"] - df["acc_test_early"]
    write_frame(df, a.out)
    print(
        df.groupby("dataset")[["steps_early", "ell_gain_after_stop", "acc_change_after_stop"]]
        .agg(["mean", "max"])
        .round(4)
        .to_string()
    )


if __name__ == "__main__":
    main()
