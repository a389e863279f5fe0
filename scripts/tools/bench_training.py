"""Benchmark of exact-mode training: which optimiser, ansatz and depth reach the optimum.

Sections (``--sections``; each writes ``<out>/training_<section>.csv``, and every
run also rewrites ``<out>/training.md``, the tables as markdown):

``optimisers``
    digits01 (mean BCE, the 17-qubit logistic-regression table): every ansatz ×
    depth × optimiser variant - Adam (lr 0.05, the paper-like one), optax
    L-BFGS (qhnet's ``lbfgs``) and scipy's L-BFGS-B on the same JAX
    value-and-grad (binncode's settings: gtol 1e-6, <= 500 iterations) - over
    ``--seeds`` starts: hit rate (E_q mean BCE within 1e-4 of the exhaustive
    optimum), mode hit rate (argmax q in the optimum set), median gap, median
    seconds per run (compilation excluded), median iterations and evaluations.
``defaults``
    ``qhnet.training.train``'s defaults against Adam at lr 0.05 (same ansatz and
    depth) on every dataset (digits01, digits38, gaussian, moons, ring; mean BCE).
``stopping``
    the default optimiser on digits01 under several (rtol, gtol), and Adam under
    the old rule (an absolute 1e-4 change of J over the window, i.e.
    rtol = 1e-4 / range, gtol = 0): hit rate against steps and seconds.
``recompile``
    one process, runs of different lengths (different stopping steps and
    budgets in one bucket, other λ and lr): the number of compiled executables and
    the compile time of the first call against the later ones.
``checkpoint``
    the cost of checkpointing every k steps (seconds per run against k = 0).

Time is wall-clock on one core (the process is pinned to ``--cpu``; XLA's
Eigen kernels on one thread, see ``qhnet.engine._jax``). The machine may be
shared: compare rows of one run (ratios), and rerun a suspicious number.

    python scripts/tools/bench_training.py --sections optimisers defaults --seeds 20
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
DATASETS = ("digits01", "digits38", "gaussian", "moons", "ring")
HIT_TOL = 1e-4


def tables(names, n_train=100, n_test=1000):
    """Enumeration tables (mean log-likelihood, optimum indices) of the named datasets."""
    from qhnet.experiments.sweep import dataset_hidden
    from qhnet.model.binn import enumerate_tables, global_optimum, scale_likelihood
    from qhnet.model.datasets import make_dataset

    out = {}
    for name in names:
        ds = make_dataset(name, n_train, n_test, 0)
        t = enumerate_tables(ds, dataset_hidden({"hidden": 3, "digits_hidden": 0}, name))
        opt = global_optimum(t)
        out[name] = {
            "ll": scale_likelihood(t.ll_train, "mean", len(ds.y_train)),
            "optimum": opt["indices"],
            "n": t.n,
            "optimum_bce": -opt["best_ll"] / len(ds.y_train),
            "optimum_acc_test": opt["acc_test"],
        }
    return out


def _score(theta, ansatz, tab):
    from qhnet.engine.circuit import probabilities

    q = np.asarray(probabilities(theta, ansatz))
    gap = float(tab["ll"].max() - q @ tab["ll"])
    return gap, bool(np.isin(int(np.argmax(q)), tab["optimum"]))


def run_qhnet(tab, ansatz, layers, seeds, **kw):
    """Per-run rows of ``qhnet.training.train`` (gap and mode at the best iterate)."""
    from qhnet.training import train

    rows = []
    for r in train(
        tab["ll"], "mle", ansatz=ansatz, layers=layers, seeds=seeds, optimum=tab["optimum"], **kw
    ):
        gap, mode = _score(r.theta_best, ansatz, tab)
        rows.append(
            dict(
                seed=r.seed,
                gap=gap,
                mode_hit=mode,
                seconds=r.seconds,
                steps=r.steps,
                evaluations=np.nan,
                steps_to_optimum=np.nan if r.steps_to_optimum is None else r.steps_to_optimum,
                seconds_to_optimum=r.seconds_to_optimum,
                stop_reason=r.stop_reason,
                compile_seconds=r.compile_seconds,
            )
        )
    return rows


def run_scipy(tab, ansatz, layers, seeds, gtol=1e-6, maxiter=500, memory=10):
    """scipy.optimize L-BFGS-B on the engine's compiled value-and-grad of −J."""
    import jax.numpy as jnp
    from scipy.optimize import minimize

    from qhnet.engine.circuit import init_angles
    from qhnet.engine.objectives import value_and_grad_fn

    vg = value_and_grad_fn("mle", ansatz)
    ll = jnp.asarray(tab["ll"])
    rows = []
    for seed in seeds:
        th0 = init_angles(tab["n"], layers, seed, ansatz=ansatz)
        shape = th0.shape

        def fun(x, shape=shape):
            j, g = vg(jnp.asarray(x.reshape(shape)), ll, 0.0, 1.0)
            return -float(j), -np.asarray(g, dtype=np.float64).ravel()

        fun(th0.ravel())  # compile outside the timing
        t0 = time.perf_counter()
        res = minimize(
            fun,
            th0.ravel(),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": maxiter, "gtol": gtol, "maxcor": memory},
        )
        seconds = time.perf_counter() - t0
        gap, mode = _score(res.x.reshape(shape), ansatz, tab)
        rows.append(
            dict(
                seed=seed,
                gap=gap,
                mode_hit=mode,
                seconds=seconds,
                steps=res.nit,
                evaluations=res.nfev,
                steps_to_optimum=np.nan,
                seconds_to_optimum=np.nan,
                stop_reason="scipy:" + str(res.status),
                compile_seconds=np.nan,
            )
        )
    return rows


def summarise(rows, **cell):
    df = pd.DataFrame(rows)
    hit = df["gap"] <= HIT_TOL
    return {
        **cell,
        "starts": len(df),
        "hit_rate": float(hit.mean()),
        "mode_hit_rate": float(df["mode_hit"].mean()),
        "median_gap_bce": float(df["gap"].median()),
        "median_seconds": float(df["seconds"].median()),
        "max_seconds": float(df["seconds"].max()),
        "median_steps": float(df["steps"].median()),
        "median_evaluations": float(df["evaluations"].median()),
        "median_steps_to_optimum": float(df["steps_to_optimum"].median()),
        "median_seconds_to_optimum": float(df["seconds_to_optimum"].median()),
        "stop_reasons": " ".join(
            f"{k}:{v}" for k, v in df["stop_reason"].value_counts().sort_index().items()
        ),
    }


VARIANTS = {
    "adam_lr0.05": lambda tab, a, L, s: run_qhnet(tab, a, L, s, optimizer="adam", lr=0.05),
    "lbfgs_optax": lambda tab, a, L, s: run_qhnet(tab, a, L, s, optimizer="lbfgs"),
    "lbfgs_scipy": lambda tab, a, L, s: run_scipy(tab, a, L, s),
}


def section_optimisers(args, log):
    from qhnet.engine.circuit import ANSATZE

    tab = tables(["digits01"])["digits01"]
    out = []
    for ansatz in args.ansatze or ANSATZE:
        for layers in args.layers:
            for name, fn in VARIANTS.items():
                row = summarise(
                    fn(tab, ansatz, layers, args.seeds),
                    dataset="digits01",
                    ansatz=ansatz,
                    layers=layers,
                    variant=name,
                    optimum_bce=tab["optimum_bce"],
                )
                log(row)
                out.append(row)
    return out


def section_defaults(args, log):
    from qhnet.training.exact import DEFAULTS

    out = []
    for name, tab in tables(DATASETS).items():
        for variant, kw in (
            ("default", {}),
            ("adam_lr0.05", {"optimizer": "adam", "lr": 0.05}),
        ):
            kw = {"ansatz": DEFAULTS["ansatz"], "layers": DEFAULTS["layers"], **kw}
            rows = run_qhnet(tab, seeds=args.seeds, **kw)
            row = summarise(
                rows,
                dataset=name,
                variant=variant,
                optimizer=kw.get("optimizer", DEFAULTS["optimizer"]),
                ansatz=kw["ansatz"],
                layers=kw["layers"],
                optimum_bce=tab["optimum_bce"],
                optimum_acc_test=tab["optimum_acc_test"],
            )
            log(row)
            out.append(row)
    return out


def section_stopping(args, log):
    from qhnet.training.exact import DEFAULTS

    tab = tables(["digits01"])["digits01"]
    R = float(np.ptp(tab["ll"]))
    cases = [(DEFAULTS["optimizer"], r, g) for r, g in ((1e-6, 1e-6), (1e-8, 1e-8), (1e-10, 1e-10))]
    cases += [("adam", 1e-8, 1e-8), ("adam", 1e-4 / R, 0.0)]
    out = []
    for optimizer, rtol, gtol in cases:
        rows = run_qhnet(
            tab,
            DEFAULTS["ansatz"],
            DEFAULTS["layers"],
            args.seeds,
            optimizer=optimizer,
            rtol=rtol,
            gtol=gtol,
        )
        label = (
            "old rule (|dJ| <= 1e-4 absolute)" if gtol == 0.0 else f"rtol {rtol:g}, gtol {gtol:g}"
        )
        row = summarise(rows, optimizer=optimizer, rule=label, rtol=rtol, gtol=gtol)
        log(row)
        out.append(row)
    return out


def section_recompile(args, log):
    from qhnet.training import train
    from qhnet.training.exact import DEFAULTS, _program

    tab = tables(["digits01"])["digits01"]
    ansatz, layers = DEFAULTS["ansatz"], DEFAULTS["layers"]
    out = []
    for optimizer, budgets in (("adam", (3000, 2600, 2100)), ("lbfgs", (500, 400, 300))):
        _, advance, _ = _program("mle", ansatz, optimizer, DEFAULTS["memory"])
        for call, (max_steps, lam) in enumerate(zip(budgets, (0.0, 0.01, 0.1), strict=True)):
            t0 = time.perf_counter()
            runs = train(
                tab["ll"],
                "elbo" if lam else "mle",
                lam=lam or None,
                optimizer=optimizer,
                ansatz=ansatz,
                layers=layers,
                max_steps=max_steps,
                seeds=args.seeds[:5],
            )
            wall = time.perf_counter() - t0
            row = dict(
                optimizer=optimizer,
                call=call,
                objective="elbo" if lam else "mle",
                max_steps=max_steps,
                run_lengths=" ".join(str(r.steps) for r in runs),
                distinct_lengths=len({r.steps for r in runs}),
                compile_seconds=runs[0].compile_seconds,
                median_run_seconds=float(np.median([r.seconds for r in runs])),
                wall_seconds=wall,
                executables_mle=advance._cache_size(),
            )
            log(row)
            out.append(row)
    return out


def section_checkpoint(args, log):
    import tempfile

    from qhnet.training.exact import DEFAULTS

    tab = tables(["digits01"])["digits01"]
    out = []
    for optimizer in ("adam", DEFAULTS["optimizer"]):
        base = None
        for every in (0, 200, 50):
            with tempfile.TemporaryDirectory() as tmp:
                rows = run_qhnet(
                    tab,
                    DEFAULTS["ansatz"],
                    DEFAULTS["layers"],
                    args.seeds[:5],
                    optimizer=optimizer,
                    checkpoint_dir=tmp if every else None,
                    checkpoint_every=every,
                )
            sec = float(np.median([r["seconds"] for r in rows]))
            base = sec if base is None else base
            row = dict(optimizer=optimizer, checkpoint_every=every, median_seconds=sec)
            row["ratio_to_none"] = sec / base
            log(row)
            out.append(row)
    return out


SECTIONS = {
    "optimisers": section_optimisers,
    "defaults": section_defaults,
    "stopping": section_stopping,
    "recompile": section_recompile,
    "checkpoint": section_checkpoint,
}


def write_markdown(out: Path) -> None:
    parts = [
        "# Training benchmark (generated by scripts/tools/bench_training.py)",
        "",
        "Do not edit: rerun the script. Times are wall-clock seconds on one core "
        "of a shared machine; compare rows of one table.",
    ]
    for name in SECTIONS:
        path = out / f"training_{name}.csv"
        if path.is_file():
            df = pd.read_csv(path)
            parts += ["", f"## {name}", "", df.to_markdown(index=False, floatfmt=".4g")]
    from qhnet.io import atomic_path

    with atomic_path(out / "training.md") as tmp:
        tmp.write_text("\n".join(parts) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sections", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    ap.add_argument("--seeds", type=int, default=20, help="random starts per cell")
    ap.add_argument("--layers", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--ansatze", nargs="+", default=None, help="default: every ansatz")
    ap.add_argument("--cpu", type=int, default=0, help="pin to this CPU (-1: do not pin)")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks")
    args = ap.parse_args(argv)
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    import qhnet.engine._jax  # noqa: F401  (XLA set-up before anything imports jax)

    args.seeds = list(range(args.seeds))
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sections:

        def log(row, name=name):
            print(name, {k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()})

        from qhnet.io import write_frame

        rows = SECTIONS[name](args, log)
        write_frame(pd.DataFrame(rows), args.out / f"training_{name}.csv")
    write_markdown(args.out)


if __name__ == "__main__":
    main()
