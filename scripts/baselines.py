"""Classical baselines on one dataset: mean-field VI, simulated annealing, straight-through.

One row per (method, seed), each evaluated by the same ``evaluate`` as the
circuit's runs (a point estimate is the distribution that puts all its mass on
one network), so accuracies, the optimum hit and the gaps compare directly:

- ``mean_field_mle`` / ``mean_field_elbo_lam<λ>``: the ``product`` ansatz (a
  product of Bernoullis) trained by ``qhnet.training.train`` with the sweep's
  optimiser, stopping rule and likelihood scale, at its best iterate;
- ``annealing``: simulated annealing on the enumeration table, at the best
  network it visited;
- ``straight_through``: clipped straight-through training on the data, at the
  best network it visited;
- ``exhaustive``: the enumeration's optimum (the ceiling; one row).

``likelihood_evaluations`` counts training-set log-likelihoods of single
networks: the exact methods read the enumeration (2^n of them), annealing one per
proposal, straight-through one forward pass per step.

Example (by hand)::

    python scripts/baselines.py --dataset results/datasets/moons.parquet \\
        --table results/enumeration/moons.npz --seeds 0 1 2 --optimizer lbfgs \\
        --likelihood sum --lams 0 1 --annealing-steps 20000 --t-start 0.1 --t-end 1e-4 \\
        --ste-steps 2000 --ste-lr 0.01 --out /tmp/baselines.parquet
"""

import time

import numpy as np
import pandas as pd

from qhnet.analysis.evaluation import evaluate
from qhnet.cli import StepParser, existing_file, integer, number, output_file
from qhnet.engine.circuit import probabilities
from qhnet.experiments.sweep import objective_arm
from qhnet.io import write_frame
from qhnet.model.binn import (
    LIKELIHOODS,
    global_optimum,
    load_table,
    predictive_matrix,
    scale_likelihood,
)
from qhnet.model.datasets import load_dataset
from qhnet.training import train
from qhnet.training.baselines import simulated_annealing, straight_through
from qhnet.training.optimisers import OPTIMIZERS


def _step(step: int | None) -> float:
    return np.nan if step is None else step


def parser() -> StepParser:
    ap = StepParser(__doc__)
    ap.add_argument("--dataset", required=True, type=existing_file, help="dataset Parquet file")
    ap.add_argument("--table", required=True, type=existing_file, help="enumeration table (.npz)")
    ap.add_argument("--seeds", type=integer(0), nargs="+", required=True, help="seeds (distinct)")
    ap.add_argument("--optimizer", choices=OPTIMIZERS, required=True, help="mean-field optimiser")
    ap.add_argument("--likelihood", choices=LIKELIHOODS, required=True, help="likelihood scale")
    ap.add_argument(
        "--lams", type=number(0), nargs="+", required=True, help="mean-field λ (0: MLE)"
    )
    ap.add_argument("--annealing-steps", type=integer(1), required=True, help="SA proposals")
    ap.add_argument(
        "--t-start", type=number(0, include_min=False), required=True, help="SA start T / range"
    )
    ap.add_argument(
        "--t-end", type=number(0, include_min=False), required=True, help="SA final T / range"
    )
    ap.add_argument("--ste-steps", type=integer(1), required=True, help="straight-through steps")
    ap.add_argument(
        "--ste-lr", type=number(0, include_min=False), required=True, help="straight-through lr"
    )
    ap.add_argument("--out", required=True, type=output_file, help="output: one row per run")
    return ap


def main(argv=None) -> int:
    ap = parser()
    a = ap.parse_args(argv)
    if a.t_end > a.t_start:
        ap.error(f"--t-end must be at most --t-start ({a.t_start:g}); got {a.t_end:g}")
    table, ds = load_table(a.table), load_dataset(a.dataset)
    opt = global_optimum(table)
    # float64 once: each q @ P is then one BLAS product (same bits)
    P_tr = predictive_matrix(ds.X_train, table.hidden).astype(np.float64)
    P_te = predictive_matrix(ds.X_test, table.hidden).astype(np.float64)

    def metrics(q):
        return evaluate(
            q, table, P_train=P_tr, P_test=P_te, y_train=ds.y_train, y_test=ds.y_test, optimum=opt
        )

    def point(index):
        q = np.zeros(2**table.n)
        q[index] = 1.0
        return metrics(q)

    rows = []
    base = {"dataset": ds.name, "n_qubits": table.n, "n_train": len(ds.y_train)}
    ll = ap.check(scale_likelihood, table.ll_train, a.likelihood, len(ds.y_train))
    for lam in a.lams:
        method = f"mean_field_{objective_arm(lam)}"
        t0 = time.perf_counter()
        runs = train(
            ll,
            "mle" if lam == 0 else "elbo",
            lam=None if lam == 0 else lam,
            optimizer=a.optimizer,
            ansatz="product",
            layers=1,
            seeds=a.seeds,
            optimum=opt["indices"],
        )
        per_run = (time.perf_counter() - t0) / len(runs)
        for r in runs:
            q = np.asarray(probabilities(r.theta_best, "product"))
            rows.append(
                {
                    **base,
                    "method": method,
                    "lam": lam,
                    "seed": r.seed,
                    "steps": r.steps,
                    "likelihood_evaluations": 2**table.n,
                    "steps_to_optimum": np.nan
                    if r.steps_to_optimum is None
                    else r.steps_to_optimum,
                    "seconds": r.seconds if np.isfinite(r.seconds) else per_run,
                    **metrics(q),
                }
            )
    for method, fn in (
        (
            "annealing",
            lambda: simulated_annealing(
                table.ll_train,
                a.seeds,
                steps=a.annealing_steps,
                t_start=a.t_start,
                t_end=a.t_end,
                optimum=opt["indices"],
            ),
        ),
        (
            "straight_through",
            lambda: straight_through(
                ds.X_train,
                ds.y_train,
                table.hidden,
                a.seeds,
                steps=a.ste_steps,
                lr=a.ste_lr,
                optimum=opt["indices"],
            ),
        ),
    ):
        t0 = time.perf_counter()
        runs = fn()
        per_run = (time.perf_counter() - t0) / len(runs)
        for r in runs:
            rows.append(
                {
                    **base,
                    "method": method,
                    "lam": np.nan,
                    "seed": r.seed,
                    "steps": r.steps,
                    "likelihood_evaluations": r.evaluations,
                    "steps_to_optimum": np.nan
                    if r.steps_to_optimum is None
                    else r.steps_to_optimum,
                    "seconds": per_run,
                    **point(r.best_index),
                }
            )
    rows.append(
        {
            **base,
            "method": "exhaustive",
            "lam": np.nan,
            "seed": -1,
            "steps": 2**table.n,
            "likelihood_evaluations": 2**table.n,
            "steps_to_optimum": np.nan,
            "seconds": np.nan,
            **point(int(opt["indices"][0])),
        }
    )
    write_frame(pd.DataFrame(rows), a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
