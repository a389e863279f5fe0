"""Train arms (objective, λ, h) with one optimiser on one dataset for a batch of seeds.

Writes one metrics row per arm and seed (evaluated at the best iterate by the
objective; its angles, and the last ones, for landscapes and the noise study)
and the trajectories. One process trains every arm and seed it is given, so
imports, compilation (arms of one objective share one executable: λ and h are
traced) and the predictive matrices are paid once; each arm's numbers are the
same as when it is trained alone. Runs (both modes) checkpoint into
``--checkpoint-dir/<arm>/``; a rerun resumes from there, and the folder is
removed once the outputs are written. Every option is required: the pipeline
passes each value from the configuration, so nothing here has a hidden default.

Example (by hand, after the pipeline made the dataset and its table)::

    python scripts/train.py --dataset results/datasets/moons.parquet \\
        --table results/enumeration/moons.npz --arms elbo_lam1 elbo_lam3 --seeds 0 1 \\
        --optimizer lbfgs --ansatz ry_chain --layers 1 --likelihood sum --lr 0.05 \\
        --memory 10 --max-steps 500 --min-steps 0 --window-frac 0.1 --rtol 1e-8 \\
        --gtol 1e-8 --record-every 10 --checkpoint-dir /tmp/ck --checkpoint-every 200 \\
        --metrics /tmp/m.parquet --trajectory /tmp/t.parquet
"""

import contextlib
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from qhnet.analysis.evaluation import evaluate
from qhnet.cli import (
    StepParser,
    exact_or,
    existing_file,
    integer,
    number,
    optional,
    output_file,
)
from qhnet.devices.catalog import (
    EXECUTION_MODES,
    SHOT_SOURCES,
    budget_problem,
    format_plan,
    sampled_plan,
)
from qhnet.engine.ansatze import angle_shape
from qhnet.engine.circuit import probabilities
from qhnet.experiments.sweep import arm_from_name
from qhnet.io import write_frame
from qhnet.model.binn import (
    LIKELIHOODS,
    accuracy_table,
    global_optimum,
    load_table,
    predictive_matrix,
    scale_likelihood,
)
from qhnet.model.datasets import load_dataset
from qhnet.training import train
from qhnet.training.checkpoint import remove_run_checkpoints
from qhnet.training.optimisers import OPTIMIZERS


def _nan(x):
    return float("nan") if x is None else x


def run_rows(
    arm: dict, results, table, ds, elapsed: float, setting: dict, predictive, acc_val=None
) -> tuple[list[dict], list[pd.DataFrame]]:
    """Metrics rows and trajectory frames for finished runs of one arm.

    Each run is evaluated at its best iterate by the objective (the last one in
    sampled mode); ``setting`` holds the optimizer, ansatz, layers and likelihood,
    ``predictive`` the (train, test) predictive matrices of every BiNN and
    ``acc_val`` every BiNN's accuracy on the validation split (None without one:
    ``acc_val_expected`` is then NaN).
    """
    opt = global_optimum(table)
    P_tr, P_te = predictive
    rows, trajs = [], []
    for run in results:
        theta = run.theta if run.theta_best is None else run.theta_best
        q = np.asarray(probabilities(theta, setting["ansatz"]))
        m = evaluate(
            q, table, P_train=P_tr, P_test=P_te, y_train=ds.y_train, y_test=ds.y_test, optimum=opt
        )
        best = run.objective if run.theta_best is None else run.best_objective
        rows.append(
            {
                "dataset": ds.name,
                **arm,
                **setting,
                "n_qubits": table.n,
                "n_train": len(ds.y_train),
                "seed": run.seed,
                "steps": run.steps,
                "converged": run.converged,
                "stop_reason": run.stop_reason,
                "objective_value": best,
                "best_objective": best,
                "best_step": run.best_step if run.theta_best is not None else run.steps,
                "objective_last": run.objective,
                "steps_to_optimum": _nan(run.steps_to_optimum),
                "seconds_to_optimum": run.seconds_to_optimum,
                "optimum_acc_test": opt["acc_test"],
                **m,
                "acc_val_expected": math.nan if acc_val is None else float(q @ acc_val),
                "seconds": run.seconds if np.isfinite(run.seconds) else elapsed / len(results),
                "compile_seconds": run.compile_seconds,
                "resumed": run.resumed,
                "theta": json.dumps(np.asarray(theta).tolist()),
                "theta_last": json.dumps(np.asarray(run.theta).tolist()),
            }
        )
        t = pd.DataFrame(run.trajectory).rename(columns={"objective": "objective_value"})
        t.insert(0, "seed", run.seed)
        for col in ("likelihood", "layers", "ansatz", "optimizer"):
            t.insert(0, col, setting[col])
        for col in ("h", "lam", "objective", "mode", "arm"):
            t.insert(0, col, arm[col])
        t.insert(0, "dataset", ds.name)
        trajs.append(t)
    return rows, trajs


def parser() -> StepParser:
    ap = StepParser(__doc__)
    io = ap.add_argument_group("inputs and outputs")
    io.add_argument("--dataset", required=True, type=existing_file, help="dataset Parquet file")
    io.add_argument("--table", required=True, type=existing_file, help="enumeration table (.npz)")
    io.add_argument("--metrics", required=True, type=output_file, help="output: one row per seed")
    io.add_argument("--trajectory", required=True, type=output_file, help="output: training curves")
    arm = ap.add_argument_group("what to train")
    arm.add_argument(
        "--arms",
        nargs="+",
        required=True,
        help="arm names, all of one mode: mle, elbo_lam<λ>, selbo_lam<λ>_h<h> (h a number, "
        "sqrtn or n4); '-sampled' after the objective trains from shots "
        "(e.g. selbo-sampled_lam10_hn4); _lin<λ_end> or _exp<λ_end> after the λ anneals it "
        "(exact mode, e.g. elbo_lam1000_exp0.1)",
    )
    arm.add_argument(
        "--seeds", type=integer(0), nargs="+", required=True, help="initialisation seeds (distinct)"
    )
    arm.add_argument("--ansatz", required=True, help="circuit (qhnet.engine.circuit.ANSATZE)")
    arm.add_argument("--layers", type=integer(1), required=True, help="circuit depth")
    arm.add_argument(
        "--likelihood",
        choices=LIKELIHOODS,
        required=True,
        help="train on the summed log-likelihood or on its mean over the training points",
    )
    opt = ap.add_argument_group("optimiser (both modes)")
    opt.add_argument(
        "--optimizer", choices=OPTIMIZERS, required=True, help="adam or lbfgs (exact mode only)"
    )
    opt.add_argument(
        "--lr", type=number(0, include_min=False), required=True, help="Adam learning rate"
    )
    opt.add_argument("--max-steps", type=integer(1), required=True, help="step budget per run")
    opt.add_argument(
        "--record-every", type=integer(1), required=True, help="trajectory sampling interval"
    )
    ex = ap.add_argument_group("stopping rule (exact mode only)")
    ex.add_argument("--memory", type=integer(1), help="L-BFGS history length")
    ex.add_argument(
        "--anneal-frac",
        type=number(0, include_min=False, maximum=1, include_max=False),
        help="λ schedules: the fraction of --max-steps over which λ is annealed",
    )
    ex.add_argument("--min-steps", type=integer(0), help="no stop before this step")
    ex.add_argument(
        "--window-frac",
        type=number(0, include_min=False, maximum=1),
        help="the rtol window as a fraction of --max-steps",
    )
    ex.add_argument(
        "--rtol",
        type=number(0),
        help="converged when J moved by <= rtol x (table range) over the window",
    )
    ex.add_argument(
        "--gtol",
        type=number(0),
        help="converged when max |dJ/dθ| <= gtol x (table range)",
    )
    sa = ap.add_argument_group("shots (sampled mode only)")
    sa.add_argument("--shots", type=integer(2), help="N_qc: shots per (shifted) circuit and step")
    sa.add_argument(
        "--prior-samples",
        type=exact_or(integer(2)),
        help="m: uniform prior samples per step, or 'exact' (the prior's terms in closed form)",
    )
    sa.add_argument("--device", choices=SHOT_SOURCES, help="where the shots come from")
    sa.add_argument(
        "--noise", type=optional(str), default=None, help="qiskit.aer: fake backend noise model"
    )
    sa.add_argument(
        "--backend", type=optional(str), default=None, help="qiskit.remote: fake_* or ibm_* backend"
    )
    sa.add_argument(
        "--execution", choices=EXECUTION_MODES, help="qiskit.remote: Runtime execution mode"
    )
    sa.add_argument("--retries", type=integer(0), help="re-submissions of a failed job")
    sa.add_argument(
        "--max-jobs", type=integer(1), help="qiskit.remote: refuse a plan with more jobs"
    )
    sa.add_argument(
        "--max-shots", type=integer(1), help="qiskit.remote: refuse a plan with more shots"
    )
    ck = ap.add_argument_group("checkpoints (both modes)")
    ck.add_argument(
        "--checkpoint-dir",
        type=optional(str),
        default=None,
        help="folder of the runs' checkpoints (resumed from; removed once outputs are written)",
    )
    ck.add_argument(
        "--checkpoint-every",
        type=integer(0),
        help="steps between checkpoints (0: only when a seed finishes)",
    )
    return ap


def plan_or_refuse(ap, a, source, n: int) -> None:
    """Print the plan (and QPU estimate) before any job; refuse one above the caps."""
    from qhnet.devices.primitives import PrimitiveShots, qpu_seconds

    if not isinstance(source, PrimitiveShots):
        return
    t = source.prepare(n, a.layers)
    n_angles = math.prod(angle_shape(source.ansatz, n, a.layers))
    plan = sampled_plan(len(a.seeds), a.max_steps, n_angles, a.shots)
    print(format_plan(plan, qpu_seconds(t, source.target_backend(n), plan["shots"])), flush=True)
    if a.device == "qiskit.remote":
        problem = budget_problem(plan, a.max_jobs, a.max_shots)
        if problem:
            ap.error(f"--{problem[0].split('.')[1].replace('_', '-')}: {problem[1]}")


def arm_checkpoints(directory, arm: str):
    """An arm's checkpoint folder inside the job's (None without checkpoints)."""
    return None if directory is None else str(Path(directory) / arm)


def main(argv=None):
    ap = parser()
    a = ap.parse_args(argv)
    table = load_table(a.table)
    arms = [ap.check(arm_from_name, name, table.n).as_dict() for name in a.arms]
    if len(set(a.arms)) != len(a.arms):
        ap.error("--arms: must not repeat an arm")
    modes = sorted({arm["mode"] for arm in arms})
    if len(modes) > 1:
        ap.error(f"--arms: all arms must be of one mode; got {', '.join(modes)}")
    mode = modes[0]
    need = (
        ("memory", "min_steps", "window_frac", "rtol", "gtol", "checkpoint_dir", "checkpoint_every")
        if mode == "exact"
        else (
            "shots",
            "prior_samples",
            "device",
            "execution",
            "retries",
            "max_jobs",
            "max_shots",
            "checkpoint_every",
        )
    )
    missing = [f"--{k.replace('_', '-')}" for k in need if getattr(a, k) is None]
    if missing:
        ap.error(f"{mode} mode needs {', '.join(missing)}")
    if mode == "sampled":
        if len(arms) > 1:
            ap.error("--arms: sampled mode trains one arm per process (plan and caps are per arm)")
        if a.checkpoint_every == 0:
            ap.error("--checkpoint-every: sampled mode checkpoints every k >= 1 steps")
        if a.optimizer != "adam":
            ap.error("sampled mode trains with --optimizer adam")
        if a.ansatz != "ry_chain":
            ap.error("sampled mode trains the ry_chain ansatz only (--ansatz ry_chain)")
    ds = load_dataset(a.dataset)
    ll = ap.check(scale_likelihood, table.ll_train, a.likelihood, len(ds.y_train))
    setting = dict(optimizer=a.optimizer, ansatz=a.ansatz, layers=a.layers, likelihood=a.likelihood)
    if mode == "sampled":  # the shot counts are columns of a sampled run (the ablation's keys)
        setting.update(shots=a.shots, prior_samples=str(a.prior_samples))
    # once per process, shared by every arm; cast to float64 once, so that each run's
    # q @ P is one BLAS product with the same bits (a float64 @ float32 product would
    # cast P again for every run)
    predictive = tuple(
        predictive_matrix(X, table.hidden).astype(np.float64) for X in (ds.X_train, ds.X_test)
    )
    acc_val = accuracy_table(ds.X_val, ds.y_val, table.hidden) if len(ds.y_val) else None
    rows, trajs = [], []
    for arm in arms:
        t0 = time.time()
        results = _train_arm(ap, a, arm, table, ll)
        r, t = run_rows(arm, results, table, ds, time.time() - t0, setting, predictive, acc_val)
        rows += r
        trajs += t
        for row in r:
            print(
                f"{ds.name} {a.optimizer} {arm['arm']} seed {row['seed']}: {row['steps']} steps "
                f"({row['stop_reason']}), steps to optimum {row['steps_to_optimum']}, "
                f"test acc (expected) {row['acc_test_expected']:.3f}",
                flush=True,
            )
    write_frame(pd.DataFrame(rows), a.metrics)
    write_frame(pd.concat(trajs, ignore_index=True), a.trajectory)
    for arm in arms:
        remove_run_checkpoints(arm_checkpoints(a.checkpoint_dir, arm["arm"]), a.seeds)
    if a.checkpoint_dir is not None and Path(a.checkpoint_dir).is_dir():
        with contextlib.suppress(OSError):  # not empty: other seeds' checkpoints stay
            Path(a.checkpoint_dir).rmdir()


def _train_arm(ap, a, arm: dict, table, ll) -> list:
    """The runs of one arm for every seed (exact or from shots)."""
    common = dict(
        lam=arm["lam"],
        h=arm["h"],
        layers=a.layers,
        lr=a.lr,
        max_steps=a.max_steps,
        record_every=a.record_every,
        seeds=a.seeds,
        acc_train=table.acc_train,
        acc_test=table.acc_test,
        checkpoint_dir=arm_checkpoints(a.checkpoint_dir, arm["arm"]),
        checkpoint_every=a.checkpoint_every,
    )
    if arm["mode"] == "exact":
        if arm["schedule"] and a.anneal_frac is None:
            ap.error(f"--arms: {arm['arm']} anneals λ and needs --anneal-frac")
        sched = (
            dict(schedule=arm["schedule"], lam_end=arm["lam_end"], anneal_frac=a.anneal_frac)
            if arm["schedule"]
            else {}
        )
        return ap.check(
            train,
            ll,
            arm["objective"],
            optimizer=a.optimizer,
            ansatz=a.ansatz,
            memory=a.memory,
            min_steps=a.min_steps,
            window_frac=a.window_frac,
            rtol=a.rtol,
            gtol=a.gtol,
            optimum=global_optimum(table)["indices"],
            **sched,
            **common,
        )
    from qhnet.devices.shots import shot_source
    from qhnet.training.sampled import train_sampled

    source = ap.check(
        shot_source,
        a.device,
        noise=a.noise,
        backend=a.backend,
        execution=a.execution,
        retries=a.retries,
    )
    try:
        plan_or_refuse(ap, a, source, table.n)
        results = train_sampled(
            ll,
            arm["objective"],
            shots=a.shots,
            prior_samples=None if a.prior_samples == "exact" else a.prior_samples,
            source=source,
            **common,
        )
    finally:
        if hasattr(source, "close"):
            source.close()
    if hasattr(source, "jobs"):
        print(f"{a.device}: {len(source.jobs)} primitive job(s) submitted", flush=True)
    return results


if __name__ == "__main__":
    main()
