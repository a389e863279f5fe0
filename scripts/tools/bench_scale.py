"""The scale targets, measured: a 266-qubit SELBO step and a 42-bit training run, on one core.

    taskset -c 0 .venv/bin/python scripts/tools/bench_scale.py [--out docs/benchmarks]

Targets (docs/method.md §9):

- one sampled SELBO step at 266 qubits (the digits 64 → 4 → 1 BiNN), one layer,
  N_qc = 1000 shots per circuit, m = 1000 prior samples, simulated shots, all
  2P + 1 = 533 circuits (the parameter-shift estimator): ≤ 1 s;
- the 42-bit gaussian run (2 → 10 → 1, SELBO, 1000 steps at N_qc = 1000): ≤ 2 min.

Each is timed after one warm-up call (compilation excluded). The 266-qubit step is
also split into its parts (sampling the 533 circuits, the likelihood of the distinct
bitstrings, the kernel sums of the MMD), and compared in the same run with the
plain approach where one exists (the likelihood of every shot without
de-duplication) and with the score-function estimator (one circuit's shots).
The shift estimator's 42-bit run is timed over ``--shift-steps`` steps and scaled
to 1000 (stated as such in the table).

Writes ``OUT/scale.csv`` (case, variant, seconds, repeats, note) and
``OUT/scale.json`` (machine, commit, settings).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd

from qhnet.engine.ansatze import init_angles
from qhnet.model.binn import network_scores
from qhnet.model.datasets import make_dataset
from qhnet.training import scaled

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_bench.timing import cpu_model  # noqa: E402


def _time(fn, repeats: int, warm: bool = True) -> float:
    if warm:
        fn()  # warm-up: compilation
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def _aer_sampler(theta, shots: int):
    """One circuit's shots from qiskit-aer's matrix-product-state simulator."""
    from qiskit_aer import AerSimulator

    from qhnet.devices.primitives import qiskit_ansatz

    n = theta.shape[-1]
    sim = AerSimulator(method="matrix_product_state", max_parallel_threads=1, seed_simulator=0)
    # RY, CX and measurements only: Aer runs the circuit as built (its transpiler target
    # stops at 63 qubits)
    qc = qiskit_ansatz("ry_chain", n, 1).assign_parameters(theta.reshape(-1))
    return lambda: sim.run(qc, shots=shots, memory=True).result().get_memory()


def step_266(shots: int, m: int, repeats: int) -> list[dict]:
    data = make_dataset("digits01_8x8", n_train=100, n_test=100, seed=0)
    lik = scaled.Likelihood(data.X_train, data.y_train, 4)
    n = lik.n
    theta = init_angles(n, 1, 0)
    h = n / 4
    kw = dict(lam=10.0, h=h, shots=shots, prior_samples=m)
    rows = []

    def shift():
        scaled.estimate_scaled(theta, lik, "selbo", gradient="shift", **kw)

    def score():
        scaled.estimate_scaled(theta, lik, "selbo", gradient="score", **kw)

    P = theta.size
    eye = np.eye(P).reshape(P, *theta.shape) * scaled.SHIFT
    thetas = jnp.asarray(np.concatenate([theta[None], theta[None] + eye, theta[None] - eye]))
    sampler = scaled._sampler("ry_chain", 1, n, shots)
    keys = scaled._keys(0, 0, len(thetas))
    bits = np.asarray(sampler(thetas, keys)[0])
    flat = bits.reshape(-1, n)
    x0 = scaled.pack(bits[0])
    xs = scaled.pack(flat[shots:])
    y = scaled.pack(np.random.default_rng(0).integers(0, 2, (m, n), dtype=np.uint8))
    distinct = int(np.unique(scaled.pack(flat), axis=0).shape[0])
    case = f"SELBO step, {n} qubits, N_qc {shots}, m {m}"
    one = scaled._sampler("ry_chain", 1, n, shots)
    aer = _aer_sampler(theta, shots)
    # the sampler is compiled above; NumPy parts need no warm-up
    parts = {
        "  sampling the 2P+1 circuits (MPS)": (
            lambda: np.asarray(sampler(thetas, keys)[0]),
            1,
        ),
        f"  likelihood of the {distinct} distinct bitstrings": (lambda: lik(bits), 1),
        "  likelihood of every shot, no de-duplication (plain)": (
            lambda: network_scores(flat, data.X_train, data.y_train, 4),
            1,
        ),
        "  kernel sums: shifted shots × unshifted shots": (
            lambda: scaled.kernel_means(xs, x0, h),
            1,
        ),
        "  kernel sums: shifted shots × prior samples": (
            lambda: scaled.kernel_means(xs, y, h),
            1,
        ),
        "one circuit's shots: qhnet's MPS (JAX)": (
            lambda: np.asarray(one(jnp.asarray(theta[None]), keys[:1])[0]),
            repeats,
        ),
        "one circuit's shots: Aer matrix_product_state (the library)": (aer, repeats),
        "shift estimator, all 2P+1 circuits (total)": (shift, 1),
        "score estimator, one circuit (total)": (score, repeats),
    }
    for variant, (fn, reps) in parts.items():
        s = _time(fn, reps, warm=variant.startswith(("score", "one circuit")))
        rows.append(dict(case=case, variant=variant, seconds=s, repeats=reps, note=""))
        print(f"{variant}: {s:.3f} s", flush=True)
    return rows


def run_42(shots: int, steps: int, shift_steps: int) -> list[dict]:
    data = make_dataset("gaussian", n_train=100, n_test=100, seed=0)
    train = scaled.Likelihood(data.X_train, data.y_train, 10)
    n = train.n
    case = f"gaussian run, {n} bits, SELBO, N_qc {shots}, {steps} steps"
    kw = dict(lam=10.0, h=n / 4, shots=shots, record_every=steps)
    rows = []
    scaled.train_scaled(train, "selbo", max_steps=2, gradient="score", **kw)  # compile
    t = time.perf_counter()
    scaled.train_scaled(train, "selbo", max_steps=steps, gradient="score", **kw)
    s = time.perf_counter() - t
    rows.append(dict(case=case, variant="score estimator", seconds=s, repeats=1, note="measured"))
    print(f"42-bit score run: {s:.1f} s", flush=True)
    scaled.train_scaled(train, "selbo", max_steps=2, gradient="shift", **kw)  # compile
    t = time.perf_counter()
    scaled.train_scaled(train, "selbo", max_steps=shift_steps, gradient="shift", **kw)
    s = (time.perf_counter() - t) * steps / shift_steps
    rows.append(
        dict(case=case, variant="shift estimator", seconds=s, repeats=1,
             note=f"{shift_steps} steps timed, scaled to {steps}")
    )  # fmt: skip
    print(f"42-bit shift run (scaled): {s:.1f} s", flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks"), help="output folder")
    ap.add_argument("--shots", type=int, default=1000, help="N_qc")
    ap.add_argument("--prior-samples", type=int, default=1000, help="m")
    ap.add_argument("--steps", type=int, default=1000, help="steps of the 42-bit run")
    ap.add_argument("--shift-steps", type=int, default=10, help="shift steps timed at 42 bits")
    ap.add_argument("--repeats", type=int, default=5, help="repeats of the cheap timings")
    a = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    t0 = time.perf_counter()
    rows = step_266(a.shots, a.prior_samples, a.repeats)
    rows += run_42(a.shots, a.steps, a.shift_steps)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "scale.csv", index=False)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    info = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": f"{cpu_model(platform.processor() or platform.machine())}, "
        f"Python {platform.python_version()}",
        "cpus": len(os.sched_getaffinity(0)),
        "settings": vars(a),
        "targets": {"step_266_seconds": 1.0, "run_42_seconds": 120.0},
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    (out / "scale.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {out / 'scale.csv'} and {out / 'scale.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
