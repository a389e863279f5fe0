"""Train one arm (objective, λ, h) on one dataset for a batch of seeds.

Writes one metrics row per seed (with the final angles, for landscapes and the
noise study) and the trajectories. One process trains the whole batch, so
imports and compilation are paid once.
"""

import argparse
import json
import time

import numpy as np
import pandas as pd

from qhnet.binn import global_optimum, load_table, predictive_matrix
from qhnet.circuit import probabilities
from qhnet.datasets import load_dataset
from qhnet.evaluation import evaluate
from qhnet.io import write_frame
from qhnet.training import train


def run_rows(
    arm: dict, results, table, ds, elapsed: float
) -> tuple[list[dict], list[pd.DataFrame]]:
    """Metrics rows and trajectory frames for finished runs of one arm."""
    opt = global_optimum(table)
    P_tr = predictive_matrix(ds.X_train, table.hidden)
    P_te = predictive_matrix(ds.X_test, table.hidden)
    rows, trajs = [], []
    for run in results:
        q = np.asarray(probabilities(run.theta))
        m = evaluate(
            q, table, P_train=P_tr, P_test=P_te, y_train=ds.y_train, y_test=ds.y_test, optimum=opt
        )
        rows.append(
            {
                "dataset": ds.name,
                **arm,
                "layers": run.theta.shape[0],
                "n_qubits": table.n,
                "seed": run.seed,
                "steps": run.steps,
                "converged": run.converged,
                "objective_value": run.objective,
                **m,
                "seconds": elapsed / len(results),
                "theta": json.dumps(np.asarray(run.theta).tolist()),
            }
        )
        t = pd.DataFrame(run.trajectory).rename(columns={"objective": "objective_value"})
        t.insert(0, "seed", run.seed)
        for col in ("h", "lam", "objective", "mode", "arm"):
            t.insert(0, col, arm[col])
        t.insert(0, "dataset", ds.name)
        trajs.append(t)
    return rows, trajs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--arm", required=True, help="JSON of sweep.Arm")
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--training", required=True, help="JSON of the config's training section")
    ap.add_argument("--device", default=None, help="JSON of the config's device section (sampled)")
    ap.add_argument("--metrics", required=True)
    ap.add_argument("--trajectory", required=True)
    a = ap.parse_args(argv)
    arm = json.loads(a.arm)
    tr = json.loads(a.training)
    ds = load_dataset(a.dataset)
    table = load_table(a.table)
    t0 = time.time()
    common = dict(
        lam=arm["lam"],
        h=arm["h"],
        layers=a.layers,
        lr=tr["lr"],
        max_steps=tr["max_steps"],
        record_every=tr["record_every"],
        seeds=a.seeds,
        acc_train=table.acc_train,
        acc_test=table.acc_test,
    )
    if arm["mode"] == "exact":
        results = train(
            table.ll_train,
            arm["objective"],
            min_steps=tr["min_steps"],
            window_frac=tr["window_frac"],
            tol=tr["tol"],
            **common,
        )
    else:
        from qhnet.sampled import DeviceShots, SimulatedShots, train_sampled

        dev = json.loads(a.device) if a.device else {"name": "simulated"}
        if dev["name"] == "simulated":
            source = SimulatedShots()
        else:
            source = DeviceShots(dev["name"], noise=dev.get("noise"), backend=dev.get("backend"))
        results = train_sampled(
            table.ll_train,
            arm["objective"],
            shots=tr["shots"],
            prior_samples=tr["prior_samples"],
            source=source,
            **common,
        )
    rows, trajs = run_rows(arm, results, table, ds, time.time() - t0)
    write_frame(pd.DataFrame(rows), a.metrics)
    write_frame(pd.concat(trajs, ignore_index=True), a.trajectory)
    for r in rows:
        print(
            f"{ds.name} {arm['arm']} seed {r['seed']}: {r['steps']} steps, "
            f"converged={r['converged']}, test acc (expected) {r['acc_test_expected']:.3f}"
        )


if __name__ == "__main__":
    main()
