#!/usr/bin/env python
"""Benchmark: qhnet's engines against plain PennyLane, one thread, medians and ratios.

Run ``make benchmark`` (= ``.venv/bin/python scripts/benchmark.py``); ``--quick``
is a short run for the smoke test. Writes ``<out>/benchmark.csv`` (one row per
measurement) and ``<out>/benchmark.md`` (the machine, the targets and the tables).

Sections (issue 5):

exact
    value + gradient of the exact ELBO (λ = 1) and SELBO (λ = 1, h = n/4) on a
    random cost table, for n ∈ {8, …, 16} and layers ∈ {1, 2}, by
    ``qhnet`` (``training.value_and_grad_fn``), ``reference`` (a minimal JAX
    statevector written here: naive RY, one gather per CNOT: the arithmetic
    limit of the obvious code), ``pl_autograd`` (default.qubit, backprop,
    autograd), ``pl_jax`` (default.qubit, backprop, ``jax.jit``; compile time
    reported apart) and ``lightning_adjoint`` (lightning.qubit: probabilities,
    then the adjoint gradient of ⟨diag(w)⟩ as a SparseHamiltonian with
    w = dJ/dq held fixed, which is dJ/dθ by the chain rule; both costs counted).
    All paths are timed round-robin in the same process, so the ratios see the
    same machine load; every path's value and gradient are compared with
    qhnet's (``max_dev``). A (path, n) whose single call exceeds ``--cap`` s is
    skipped, and so are its larger n.
sampled
    one SELBO step from shots (n = 14, layers = 1, N_qc = m = 100 and 1000):
    ``qhnet_sampled`` (``sampled.estimate``: shots from the exact engine,
    histogram kernel sums), ``qhnet_sampled_dq`` (the same estimator on
    default.qubit shots) and ``plain_sampled`` (default.qubit with
    ``qml.set_shots``, one QNode call per circuit for the 2P + 1 parameter-shifted
    circuits, O(S²) pairwise kernel sums). ``max_dev``: the plain O(S²) estimator
    against qhnet's on the same shots.
run
    a whole 500-step Adam run of the exact ELBO at n = 14, layers = 1, process
    start to result (a subprocess per path: interpreter, imports, compilation,
    500 steps); qhnet via ``training.train`` with a cold (fresh) and then a warm
    persistent compilation cache. Capped at ``--run-cap`` s per path.

Time is wall-clock on one thread: BLAS/OpenMP are limited to one thread, XLA
runs single-threaded (``qhnet.engine._jax``), and the process (and its subprocesses)
is pinned to one CPU (``--cpu``). The persistent JAX cache is off in the main
process, so the compile times are cold.
"""

from __future__ import annotations

import os
import sys

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("QHNET_JAX_CACHE", "off")  # cold compile times; --_run sets its own

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as _dt  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

EXACT_PATHS = ("qhnet", "reference", "pl_autograd", "pl_jax", "lightning_adjoint")
SAMPLED_PATHS = ("qhnet_sampled", "qhnet_sampled_dq", "plain_sampled")
RUN_PATHS = (
    "qhnet_cold",
    "qhnet_warm",
    "reference",
    "pl_autograd",
    "pl_jax",
    "lightning_adjoint",
)
COLUMNS = (
    "section",
    "path",
    "objective",
    "n",
    "layers",
    "shots",
    "steps",
    "status",
    "median_s",
    "q25_s",
    "q75_s",
    "samples",
    "calls",
    "compile_s",
    "max_dev",
    "ratio_to_qhnet",
    "note",
)
LAM = 1.0
LR = 0.05
TABLE_SEED = 2024
THETA_SEED = 7


# --------------------------------------------------------------------------- #
# problem set-up shared by all paths
# --------------------------------------------------------------------------- #


def bandwidth(n: int) -> float:
    return n / 4.0


def random_table(n: int) -> np.ndarray:
    """A fixed random cost table (LL-like: −60…−10 nats)."""
    return -np.random.default_rng([TABLE_SEED, n]).uniform(10.0, 60.0, 2**n)


def cnot_pairs(n: int) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]


def plain_objective(xp, q, ll, objective: str, lam, h, n: int):
    """J(q) written the obvious way (used by every non-qhnet path; xp = jnp or autograd np)."""
    value = xp.dot(q, ll)
    if objective == "elbo":
        return value - lam * xp.sum(q * xp.log(xp.maximum(q, 1e-300)))
    a = xp.exp(-1.0 / h)
    v = q
    for i in range(n):
        x = xp.reshape(v, (2**i, 2, 2 ** (n - 1 - i)))
        v = xp.reshape(xp.stack([x[:, 0] + a * x[:, 1], a * x[:, 0] + x[:, 1]], axis=1), (-1,))
    return value - lam * (xp.dot(q, v) - ((1.0 + a) / 2.0) ** n)


def plain_objective_np(q, ll, objective: str, lam, h, n: int):
    """(J, dJ/dq) in NumPy, for the lightning chain rule."""
    if objective == "elbo":
        logq = np.log(np.maximum(q, 1e-300))
        return float(q @ ll - lam * (q @ logq)), ll - lam * (logq + 1.0)
    a = math.exp(-1.0 / h)
    v = q
    for i in range(n):
        x = v.reshape(2**i, 2, 2 ** (n - 1 - i))
        v = np.stack([x[:, 0] + a * x[:, 1], a * x[:, 0] + x[:, 1]], axis=1).reshape(-1)
    return float(q @ ll - lam * (q @ v - ((1.0 + a) / 2.0) ** n)), ll - 2.0 * lam * v


# --------------------------------------------------------------------------- #
# exact-mode paths: each builder returns step(theta) -> (J, dJ/dθ as numpy)
# --------------------------------------------------------------------------- #


def build_qhnet(objective, n, layers, ll):
    import jax
    import jax.numpy as jnp

    from qhnet.engine.objectives import value_and_grad_fn

    fn = value_and_grad_fn(objective)
    ll_j, lam, h = jnp.asarray(ll), jnp.float64(LAM), jnp.float64(bandwidth(n))

    def step(theta):
        return jax.block_until_ready(fn(theta, ll_j, lam, h))

    return step, (lambda th: jnp.asarray(th)), (lambda out: (float(out[0]), np.asarray(out[1])))


def build_reference(objective, n, layers, ll):
    """Minimal JAX statevector: one 2×2 mix per qubit, one gather per CNOT, no tricks."""
    import jax
    import jax.numpy as jnp

    idx = np.arange(2**n)
    gathers = [
        jnp.asarray(idx ^ (((idx >> (n - 1 - c)) & 1) << (n - 1 - t))) for c, t in cnot_pairs(n)
    ]

    def amplitudes(theta):
        psi = jnp.zeros(2**n).at[0].set(1.0)
        for layer in range(layers):
            for i in range(n):
                c, s = jnp.cos(theta[layer, i] / 2), jnp.sin(theta[layer, i] / 2)
                x = psi.reshape(2**i, 2, -1)
                psi = jnp.stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1]], 1)
                psi = psi.reshape(-1)
            for g in gathers:
                psi = psi[g]
        return psi

    def value(theta, ll, lam, h):
        psi = amplitudes(theta)
        return plain_objective(jnp, psi * psi, ll, objective, lam, h, n)

    fn = jax.jit(jax.value_and_grad(value))
    ll_j, lam, h = jnp.asarray(ll), jnp.float64(LAM), jnp.float64(bandwidth(n))

    def step(theta):
        return jax.block_until_ready(fn(theta, ll_j, lam, h))

    return step, (lambda th: jnp.asarray(th)), (lambda out: (float(out[0]), np.asarray(out[1])))


def build_pl_autograd(objective, n, layers, ll):
    import pennylane as qml
    from autograd import value_and_grad
    from pennylane import numpy as pnp

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="autograd", diff_method="backprop")
    def probs(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.probs(wires=range(n))

    h = bandwidth(n)
    fn = value_and_grad(lambda t: plain_objective(pnp, probs(t), ll, objective, LAM, h, n))

    def step(theta):
        return fn(theta)

    return (
        step,
        (lambda th: pnp.array(th, requires_grad=True)),
        (lambda out: (float(out[0]), np.asarray(out[1]))),
    )


def build_pl_jax(objective, n, layers, ll):
    import jax
    import jax.numpy as jnp
    import pennylane as qml

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="jax", diff_method="backprop")
    def probs(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.probs(wires=range(n))

    def value(theta, ll, lam, h):
        return plain_objective(jnp, probs(theta), ll, objective, lam, h, n)

    fn = jax.jit(jax.value_and_grad(value))  # λ, h, table traced (cacheable)
    ll_j, lam, h = jnp.asarray(ll), jnp.float64(LAM), jnp.float64(bandwidth(n))

    def step(theta):
        return jax.block_until_ready(fn(theta, ll_j, lam, h))

    return step, (lambda th: jnp.asarray(th)), (lambda out: (float(out[0]), np.asarray(out[1])))


def build_lightning_adjoint(objective, n, layers, ll):
    import pennylane as qml
    import scipy.sparse as sp
    from pennylane import numpy as pnp

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("lightning.qubit", wires=n)

    @qml.qnode(dev, diff_method=None)
    def probs(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.probs(wires=range(n))

    @qml.qnode(dev, diff_method="adjoint")
    def energy(theta, ham):
        apply_ansatz(theta, wires=range(n))
        return qml.expval(ham)

    grad = qml.grad(energy, argnums=0)
    h = bandwidth(n)

    def step(theta):
        q = np.asarray(probs(theta))
        value, w = plain_objective_np(q, ll, objective, LAM, h, n)
        ham = qml.SparseHamiltonian(sp.diags(w, format="csr"), wires=range(n))
        return value, grad(theta, ham)

    return (
        step,
        (lambda th: pnp.array(th, requires_grad=True)),
        (lambda out: (float(out[0]), np.asarray(out[1]))),
    )


BUILDERS = {
    "qhnet": build_qhnet,
    "reference": build_reference,
    "pl_autograd": build_pl_autograd,
    "pl_jax": build_pl_jax,
    "lightning_adjoint": build_lightning_adjoint,
}
JIT_PATHS = {"qhnet", "reference", "pl_jax"}


# --------------------------------------------------------------------------- #
# timing
# --------------------------------------------------------------------------- #


def quartiles(xs) -> tuple[float, float, float]:
    q25, q50, q75 = np.percentile(np.asarray(xs, dtype=float), [25, 50, 75])
    return float(q50), float(q25), float(q75)


def round_robin(calls: dict, rounds: int, target: float) -> dict:
    """Time each ``calls[name]()`` in turn, ``rounds`` times; per-call seconds per sample.

    A sample is ``k`` back-to-back calls with k chosen so that a sample lasts
    about ``target`` seconds (fast paths are not timed one call at a time). The
    start rotates every round so that no path always follows the same one.
    """
    ks = {}
    for name, fn in calls.items():
        once = math.inf
        for _ in range(3):
            t = time.perf_counter()
            fn()
            once = min(once, time.perf_counter() - t)
            if once > target:
                break
        ks[name] = max(1, min(10_000, int(target / max(once, 1e-7))))
    samples = {name: [] for name in calls}
    names = list(calls)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn, k = calls[name], ks[name]
            t = time.perf_counter()
            for _ in range(k):
                fn()
            samples[name].append((time.perf_counter() - t) / k)
    return {name: (samples[name], ks[name] * rounds) for name in names}


def row(**kw) -> dict:
    out = {c: "" for c in COLUMNS}
    out.update({k: v for k, v in kw.items() if v is not None})
    return out


def fmt_float(x) -> str:
    return "" if x is None or x == "" else f"{x:.6g}"


# --------------------------------------------------------------------------- #
# section: exact step
# --------------------------------------------------------------------------- #


def exact_section(
    ns, layer_list, objectives, paths, rounds, target, cap, log, exclude=None, compile_cap=90.0
):
    """Rows of the exact section; ``exclude(path, n, layers, objective)`` → reason to skip."""
    from qhnet.engine.circuit import init_angles

    rows = []
    skip: dict[tuple, str] = {}  # (path, layers, objective) -> reason, for larger n
    for layers in layer_list:
        for objective in objectives:
            for n in ns:
                ll = random_table(n)
                theta0 = init_angles(n, layers, THETA_SEED)
                built, compile_s, results, status, firsts = {}, {}, {}, {}, {}
                for path in paths:
                    key = (path, layers, objective)
                    reason = exclude(path, n, layers, objective) if exclude else None
                    if key in skip or reason:
                        status[path] = ("skipped", skip.get(key, reason))
                        continue
                    try:
                        step, prep, unpack = BUILDERS[path](objective, n, layers, ll)
                        theta = prep(theta0)
                        t = time.perf_counter()
                        out = step(theta)
                        first = time.perf_counter() - t
                        t = time.perf_counter()
                        out = step(theta)
                        once = time.perf_counter() - t
                    except Exception as exc:  # a path that fails is recorded, not fatal
                        status[path] = ("failed", f"{type(exc).__name__}: {exc}"[:300])
                        log(f"  {path} n={n} L={layers} {objective}: FAILED {exc!r}")
                        continue
                    results[path] = unpack(out)
                    firsts[path] = first
                    if path in JIT_PATHS:
                        compile_s[path] = max(0.0, first - once)
                        if compile_s[path] > compile_cap:
                            skip[key] = (
                                f"compiling at n={n} took {compile_s[path]:.0f} s "
                                f"(> {compile_cap:g} s)"
                            )
                    if once > cap:
                        reason = f"single call {once:.2f} s > cap {cap:g} s"
                        status[path] = ("skipped", reason)
                        skip[key] = f"a call at n={n} took {once:.2f} s (> cap {cap:g} s)"
                        continue
                    built[path] = (step, theta)
                ref = results.get("qhnet")
                timings = round_robin(
                    {p: (lambda s=s, th=th: s(th)) for p, (s, th) in built.items()},
                    rounds,
                    target,
                )
                med = {p: quartiles(timings[p][0])[0] for p in timings}
                for path in paths:
                    dev = None
                    if ref is not None and path in results:
                        v, g = results[path]
                        dev = max(abs(v - ref[0]), float(np.max(np.abs(g - ref[1]))))
                    if path in timings:
                        m, q25, q75 = quartiles(timings[path][0])
                        st, note = "ok", ""
                        if dev is not None and not dev <= 1e-8:
                            st, note = "disagrees", f"max deviation {dev:.2e} > 1e-8"
                        rows.append(
                            row(
                                section="exact",
                                path=path,
                                objective=objective,
                                n=n,
                                layers=layers,
                                status=st,
                                median_s=m,
                                q25_s=q25,
                                q75_s=q75,
                                samples=len(timings[path][0]),
                                calls=timings[path][1],
                                compile_s=compile_s.get(path),
                                max_dev=dev,
                                ratio_to_qhnet=(m / med["qhnet"]) if "qhnet" in med else None,
                                note=note,
                            )
                        )
                    else:
                        st, note = status.get(path, ("skipped", "not run"))
                        rows.append(
                            row(
                                section="exact",
                                path=path,
                                objective=objective,
                                n=n,
                                layers=layers,
                                status=st,
                                compile_s=compile_s.get(path),
                                max_dev=dev,
                                note=note,
                            )
                        )
                log(
                    f"exact n={n} L={layers} {objective}: "
                    + ", ".join(f"{p} {1e3 * med[p]:.3g} ms" for p in med)
                    + " (first calls: "
                    + ", ".join(f"{p} {t:.2f} s" for p, t in firsts.items())
                    + ")"
                )
    return rows


# --------------------------------------------------------------------------- #
# section: sampled SELBO step
# --------------------------------------------------------------------------- #


class FixedShots:
    """A shot source that returns given shots (to compare two estimators on the same data)."""

    def __init__(self, idx):
        self.idx = idx

    def sample(self, thetas, shots, rng):
        return self.idx


def shifted_angles(theta: np.ndarray) -> np.ndarray:
    P = theta.size
    eye = np.eye(P).reshape(P, *theta.shape) * (math.pi / 2)
    return np.concatenate([theta[None], theta[None] + eye, theta[None] - eye])


def pairwise_sums(x: np.ndarray, y: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """Σ_j k(x_i, y_j) for every i, by the O(|x|·|y|) double loop (vectorised)."""
    return powers[np.bitwise_count(x[:, None] ^ y[None, :])].sum(axis=1)


def plain_sampled_estimator(idx, y, ll, lam, h, n):
    """SELBO estimate and parameter-shift gradient from shots, O(S²) kernel sums."""
    powers = np.exp(-np.arange(n + 1) / h)
    x0, N, m = idx[0], idx.shape[1], y.shape[0]
    kxx = pairwise_sums(x0, x0, powers).sum() - N
    kyy = pairwise_sums(y, y, powers).sum() - m
    kxy = pairwise_sums(x0, y, powers).sum()
    mmd2 = kxx / (N * (N - 1)) + kyy / (m * (m - 1)) - 2.0 * kxy / (N * m)
    P = (idx.shape[0] - 1) // 2
    fm = np.empty(2 * P)
    for k in range(2 * P):
        x = idx[1 + k]
        f = ll[x] / 2.0 - lam * (pairwise_sums(x, x0, powers) / N - pairwise_sums(x, y, powers) / m)
        fm[k] = f.mean()
    return float(ll[x0].mean() - lam * mmd2), fm[:P] - fm[P:]


def build_plain_sampled(n, layers, ll, shots, prior):
    import pennylane as qml

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("default.qubit", wires=n, seed=12345)

    @qml.set_shots(shots)
    @qml.qnode(dev)
    def circuit(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.sample(wires=range(n))

    weights = np.int64(1) << np.arange(n - 1, -1, -1, dtype=np.int64)
    h = bandwidth(n)

    def step(theta, rng):
        idx = np.stack(
            [np.asarray(circuit(t)).astype(np.int64) @ weights for t in shifted_angles(theta)]
        )
        y = rng.integers(0, 2**n, size=prior, dtype=np.int64)
        value, grad = plain_sampled_estimator(idx, y, ll, LAM, h, n)
        return value, grad.reshape(theta.shape), idx

    return step


def sampled_section(n, layers, shot_list, rounds, target, log) -> list[dict]:
    from qhnet.engine.circuit import init_angles

    try:
        from qhnet.training import sampled
    except ImportError as exc:
        sampled = None
        missing = f"qhnet.training.sampled not importable: {exc}"
    else:
        missing = (
            None if hasattr(sampled, "estimate") else "qhnet.training.sampled has no estimate()"
        )
    rows = []
    ll = random_table(n)
    theta = init_angles(n, layers, THETA_SEED)
    h = bandwidth(n)
    for shots in shot_list:
        prior = shots
        calls, dev, notes = {}, None, {}
        if missing is None:
            kw = dict(lam=LAM, h=h, shots=shots, prior_samples=prior)
            rng_q = np.random.default_rng(1)
            calls["qhnet_sampled"] = lambda rng=rng_q, kw=kw: sampled.estimate(
                theta, ll, "selbo", rng=rng, **kw
            )
            from qhnet.devices.shots import DeviceShots

            dq = DeviceShots("default.qubit")
            rng_d = np.random.default_rng(2)
            calls["qhnet_sampled_dq"] = lambda rng=rng_d, kw=kw, dq=dq: sampled.estimate(
                theta, ll, "selbo", rng=rng, source=dq, **kw
            )
        plain = build_plain_sampled(n, layers, ll, shots, prior)
        rng_p = np.random.default_rng(3)
        calls["plain_sampled"] = lambda plain=plain, rng=rng_p: plain(theta, rng)
        if missing is None:  # the two estimators on the same shots and prior samples
            v_p, g_p, idx = plain(theta, np.random.default_rng(99))
            e = sampled.estimate(
                theta,
                ll,
                "selbo",
                lam=LAM,
                h=h,
                shots=shots,
                prior_samples=prior,
                source=FixedShots(idx),
                rng=np.random.default_rng(99),
            )
            dev = max(abs(e.objective - v_p), float(np.max(np.abs(e.grad - g_p))))
        timings = round_robin(calls, rounds, target)
        med = {p: quartiles(timings[p][0])[0] for p in timings}
        for path in SAMPLED_PATHS:
            common = dict(section="sampled", path=path, objective="selbo", n=n, layers=layers)
            common["shots"] = shots
            if path in timings:
                m, q25, q75 = quartiles(timings[path][0])
                st = "ok"
                if dev is not None and not dev <= 1e-8:
                    st = "disagrees"
                rows.append(
                    row(
                        **common,
                        status=st,
                        median_s=m,
                        q25_s=q25,
                        q75_s=q75,
                        samples=len(timings[path][0]),
                        calls=timings[path][1],
                        max_dev=dev if path == "plain_sampled" else None,
                        ratio_to_qhnet=(m / med["qhnet_sampled"])
                        if "qhnet_sampled" in med
                        else None,
                        note=notes.get(path, f"prior samples m = {prior}"),
                    )
                )
            else:
                rows.append(row(**common, status="not available", note=missing))
        log(f"sampled n={n} N_qc={shots}: " + ", ".join(f"{p} {1e3 * med[p]:.3g} ms" for p in med))
    return rows


# --------------------------------------------------------------------------- #
# section: whole runs, one subprocess per path
# --------------------------------------------------------------------------- #


def child_run(path: str, n: int, layers: int, steps: int) -> dict:
    """Body of ``--_run``: one whole run; prints timings (the parent measures the wall)."""
    t0 = time.perf_counter()
    if path == "qhnet":
        from qhnet.training import train

        t_import = time.perf_counter() - t0
        res = train(
            random_table(n),
            "elbo",
            lam=LAM,
            layers=layers,
            lr=LR,
            max_steps=steps,
            min_steps=steps,
            optimizer="adam",
            rtol=0.0,
            gtol=0.0,
            seeds=(0,),
        )[0]
        return dict(
            objective=res.objective,
            steps=res.steps,
            t_import=t_import,
            t_after_import=time.perf_counter() - t0 - t_import,
        )
    from qhnet.engine.circuit import init_angles
    from qhnet.training.optimisers import ADAM_B1, ADAM_B2, ADAM_EPS

    step, prep, unpack = BUILDERS[path]("elbo", n, layers, random_table(n))
    t_import = time.perf_counter() - t0
    theta = init_angles(n, layers, 0)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    t_first = None
    for t in range(1, steps + 1):
        _, g = unpack(step(prep(theta)))
        if t_first is None:
            t_first = time.perf_counter() - t0 - t_import
        m = ADAM_B1 * m + (1 - ADAM_B1) * g
        v = ADAM_B2 * v + (1 - ADAM_B2) * g * g
        theta = theta + LR * (m / (1 - ADAM_B1**t)) / (np.sqrt(v / (1 - ADAM_B2**t)) + ADAM_EPS)
    objective, _ = unpack(step(prep(theta)))
    return dict(
        objective=objective,
        steps=steps,
        t_import=t_import,
        t_first_step=t_first,
        t_after_import=time.perf_counter() - t0 - t_import,
    )


def run_section(n, layers, steps, paths, cap, log, exclude=None) -> list[dict]:
    cache = tempfile.mkdtemp(prefix="qhnet-bench-jax-")
    try:
        rows = _run_section(n, layers, steps, paths, cap, log, exclude, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    order = {p: i for i, p in enumerate(paths)}
    return sorted(rows, key=lambda r: order[r["path"]])


def _run_section(n, layers, steps, paths, cap, log, exclude, cache) -> list[dict]:
    rows, results = [], {}
    for path in paths:
        reason = exclude(path) if exclude else None
        if reason:
            rows.append(
                row(
                    section="run",
                    path=path,
                    objective="elbo",
                    n=n,
                    layers=layers,
                    steps=steps,
                    status="skipped",
                    note=reason,
                )
            )
            continue
        child = "qhnet" if path.startswith("qhnet") else path
        env = dict(os.environ)
        env["QHNET_JAX_CACHE"] = cache if child == "qhnet" else "off"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_run", child]
        cmd += ["--n", str(n), "--layers", str(layers), "--steps", str(steps)]
        t = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cap)
        except subprocess.TimeoutExpired:
            wall = time.perf_counter() - t
            rows.append(
                row(
                    section="run",
                    path=path,
                    objective="elbo",
                    n=n,
                    layers=layers,
                    steps=steps,
                    status="timeout",
                    note=f"stopped after {wall:.0f} s (cap {cap:g} s)",
                )
            )
            log(f"run {path}: timeout")
            continue
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            rows.append(
                row(
                    section="run",
                    path=path,
                    objective="elbo",
                    n=n,
                    layers=layers,
                    steps=steps,
                    status="failed",
                    note=proc.stderr.strip().splitlines()[-1][:300] if proc.stderr else "",
                )
            )
            log(f"run {path}: FAILED\n{proc.stderr[-2000:]}")
            continue
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        results[path] = (wall, info)
        log(f"run {path}: {wall:.2f} s {info}")
    base = results.get("qhnet_cold", results.get("qhnet_warm"))
    for path, (wall, info) in results.items():
        parts = [f"import {info['t_import']:.2f} s", f"after import {info['t_after_import']:.2f} s"]
        if info.get("t_first_step") is not None:
            parts.insert(1, f"first step {info['t_first_step']:.2f} s")
        parts.append(f"final J {info['objective']:.10g}")
        dev = abs(info["objective"] - base[1]["objective"]) if base else None
        rows.append(
            row(
                section="run",
                path=path,
                objective="elbo",
                n=n,
                layers=layers,
                steps=info["steps"],
                status="ok",
                median_s=wall,
                samples=1,
                calls=1,
                max_dev=dev,
                ratio_to_qhnet=(wall / results["qhnet_warm"][0])
                if "qhnet_warm" in results
                else None,
                note="; ".join(parts),
            )
        )
    return rows


# --------------------------------------------------------------------------- #
# reporting
# --------------------------------------------------------------------------- #


def machine_info(cpu) -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for mod in ("jax", "jaxlib", "pennylane", "pennylane_lightning", "numpy", "scipy"):
        try:
            versions[mod] = version(mod.replace("_", "-"))
        except PackageNotFoundError:
            versions[mod] = "n/a"
    return dict(
        cpu=model,
        cores=os.cpu_count(),
        pinned=cpu,
        date=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        python=platform.python_version(),
        platform=platform.platform(),
        load_start=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        **versions,
    )


def ms(x) -> str:
    if x in ("", None):
        return "–"
    x = 1e3 * float(x)
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def write_markdown(path: Path, rows: list[dict], info: dict, args) -> None:
    out = ["# qhnet benchmark", ""]
    out.append(
        f"Generated by `scripts/benchmark.py{' --quick' if args.quick else ''}` on "
        f"{info['date']}. Median wall time over round-robin samples, one thread "
        f"(pinned to CPU {info['pinned']}); ratios are computed from medians measured in the "
        "same run. The machine may be shared: compare ratios, not absolute times."
    )
    out += ["", "## Machine", ""]
    out.append(f"- CPU: {info['cpu']} ({info['cores']} logical cores visible)")
    out.append(f"- Python {info['python']}, {info['platform']}")
    out.append(
        "- "
        + ", ".join(
            f"{k} {info[k]}"
            for k in ("jax", "jaxlib", "pennylane", "pennylane_lightning", "numpy", "scipy")
        )
    )
    out.append(f"- load average at start: {info['load_start']}; at end: {info['load_end']}")

    exact = [r for r in rows if r["section"] == "exact"]
    sampled = [r for r in rows if r["section"] == "sampled"]
    runs = [r for r in rows if r["section"] == "run"]

    def get(rs, **kw):
        for r in rs:
            if all(str(r[k]) == str(v) for k, v in kw.items()):
                return r
        return None

    # targets
    out += ["", "## Targets", ""]
    n_t = 14 if not args.quick else max(args_ns(args))
    out.append("| target | measured | met |")
    out.append("|---|---|---|")
    for layers in args_layers(args):
        for objective in ("elbo", "selbo"):
            q = get(exact, path="qhnet", n=n_t, layers=layers, objective=objective)
            for other, goal, label in (
                ("reference", 1.5, "within 1.5× of the reference kernel"),
                ("pl_autograd", 50.0, "≥ 50× faster than default.qubit autograd"),
            ):
                o = get(exact, path=other, n=n_t, layers=layers, objective=objective)
                if q is None or o is None or o["median_s"] in ("", None):
                    continue
                ratio = float(o["median_s"]) / float(q["median_s"])
                if other == "reference":
                    met = 1.0 / ratio <= goal
                    meas = f"qhnet / reference = {1 / ratio:.3g}"
                else:
                    met = ratio >= goal
                    meas = f"autograd / qhnet = {ratio:.3g}"
                out.append(
                    f"| exact {objective.upper()} step, n = {n_t}, layers = {layers}: {label} "
                    f"| {meas} ({ms(q['median_s'])} ms vs {ms(o['median_s'])} ms) "
                    f"| {'yes' if met else 'NO'} |"
                )
    for r in sampled:
        if r["path"] == "qhnet_sampled" and r["status"] == "ok" and int(r["shots"]) == 1000:
            met = float(r["median_s"]) <= 0.020
            out.append(
                f"| sampled SELBO step, n = {r['n']}, layers = {r['layers']}, N_qc = 1000: "
                f"≤ 20 ms | {ms(r['median_s'])} ms | {'yes' if met else 'NO'} |"
            )
    if not any(r["path"] == "qhnet_sampled" and r["status"] == "ok" for r in sampled):
        out.append("| sampled SELBO step ≤ 20 ms | qhnet sampled mode not available | – |")

    # exact tables
    if exact:
        out += ["", "## Exact step: value + gradient (ms, median)", ""]
        out.append(
            "ELBO with λ = 1 and SELBO with λ = 1, h = n/4, on a random table. "
            "`qhnet ×` columns: how many times faster qhnet is (same-run medians). "
            "`max dev`: largest |ΔJ| or |Δ∂J/∂θ| of any path against qhnet. "
            "`compile`: first call minus a later one (cold cache, one thread)."
        )
        out.append("")
        head = ["objective", "layers", "n"] + [p for p in EXACT_PATHS]
        head += ["qhnet × reference", "qhnet × pl_autograd", "max dev"]
        head += ["compile (s): qhnet", "reference", "pl_jax"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        keys = sorted(
            {(r["objective"], int(r["layers"]), int(r["n"])) for r in exact},
            key=lambda k: (k[0], k[1], k[2]),
        )
        for objective, layers, n in keys:
            cells = [objective.upper(), str(layers), str(n)]
            rs = {
                p: get(exact, path=p, objective=objective, layers=layers, n=n) for p in EXACT_PATHS
            }
            for p in EXACT_PATHS:
                r = rs[p]
                if r is None:
                    cells.append("–")
                elif r["status"] in ("ok", "disagrees"):
                    cells.append(ms(r["median_s"]))
                else:
                    cells.append(r["status"])
            q = rs["qhnet"]
            for p in ("reference", "pl_autograd"):
                r = rs[p]
                if q and r and r["median_s"] not in ("", None) and q["median_s"] not in ("", None):
                    cells.append(f"{float(r['median_s']) / float(q['median_s']):.3g}")
                else:
                    cells.append("–")
            devs = [
                float(r["max_dev"]) for r in rs.values() if r and r["max_dev"] not in ("", None)
            ]
            cells.append(f"{max(devs):.1e}" if devs else "–")
            for p in ("qhnet", "reference", "pl_jax"):
                r = rs[p]
                ok = r and r["compile_s"] not in ("", None)
                cells.append(f"{float(r['compile_s']):.1f}" if ok else "–")
            out.append("| " + " | ".join(cells) + " |")
        skipped = [r for r in exact if r["status"] not in ("ok",)]
        if skipped:
            out += ["", "Not timed:", ""]
            for r in skipped:
                out.append(
                    f"- {r['path']}, {r['objective']}, n = {r['n']}, layers = {r['layers']}: "
                    f"{r['status']} ({r['note']})"
                )

    if sampled:
        out += ["", "## Sampled SELBO step (ms, median)", ""]
        out.append(
            "One step = shots of the 2P + 1 parameter-shifted circuits, the SELBO estimate "
            "and its parameter-shift gradient (N_qc shots per circuit, m = N_qc prior samples). "
            "`qhnet_sampled`: exact-engine shots + histogram kernel sums; "
            "`qhnet_sampled_dq`: the same estimator on default.qubit shots; "
            "`plain_sampled`: default.qubit shots + O(S²) pairwise kernel sums. "
            "`max dev`: plain vs qhnet estimator on identical shots."
        )
        out.append("")
        out.append(
            "| n | layers | N_qc | " + " | ".join(SAMPLED_PATHS) + " | plain / qhnet | max dev |"
        )
        out.append("|" + "---|" * (len(SAMPLED_PATHS) + 5))
        for shots in sorted({int(r["shots"]) for r in sampled}):
            rs = {p: get(sampled, path=p, shots=shots) for p in SAMPLED_PATHS}
            any_r = next(r for r in rs.values() if r)
            cells = [str(any_r["n"]), str(any_r["layers"]), str(shots)]
            for p in SAMPLED_PATHS:
                r = rs[p]
                cells.append(
                    ms(r["median_s"]) if r and r["status"] == "ok" else (r["status"] if r else "–")
                )
            r = rs["plain_sampled"]
            cells.append(
                f"{float(r['ratio_to_qhnet']):.3g}" if r and r["ratio_to_qhnet"] != "" else "–"
            )
            cells.append(f"{float(r['max_dev']):.1e}" if r and r["max_dev"] != "" else "–")
            out.append("| " + " | ".join(cells) + " |")

    if runs:
        r0 = runs[0]
        out += [
            "",
            f"## Whole run: {r0['steps']} Adam steps of the exact ELBO, process start to result",
            "",
        ]
        out.append(
            f"n = {r0['n']}, layers = {r0['layers']}, one subprocess per path (interpreter, "
            "imports, compilation and every step). qhnet: `training.train(..., optimizer='adam', "
            "rtol=0, gtol=0)` with a "
            "fresh persistent JAX cache (cold), then again with that cache (warm); the others: "
            "a Python Adam loop around the path's step. `max dev`: |ΔJ_final| against qhnet."
        )
        out.append("")
        out.append("| path | wall (s) | × qhnet warm | details | max dev |")
        out.append("|---|---|---|---|---|")
        for r in runs:
            if r["status"] == "ok":
                ratio = f"{float(r['ratio_to_qhnet']):.3g}" if r["ratio_to_qhnet"] != "" else "–"
                dev = f"{float(r['max_dev']):.1e}" if r["max_dev"] != "" else "–"
                out.append(
                    f"| {r['path']} | {float(r['median_s']):.2f} | {ratio} | {r['note']} | {dev} |"
                )
            else:
                out.append(f"| {r['path']} | {r['status']} | – | {r['note']} | – |")
    out.append("")
    path.write_text("\n".join(out))


def args_ns(args):
    return [8, 10] if args.quick else [8, 10, 12, 14, 16]


def args_layers(args):
    return [1] if args.quick else [1, 2]


# --------------------------------------------------------------------------- #
# main
# --------------------------------------------------------------------------- #


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="short run (n ∈ {8, 10}, layers 1, few samples)"
    )
    p.add_argument("--out", default=str(ROOT / "results" / "benchmarks"), help="output directory")
    p.add_argument(
        "--sections", default="exact,sampled,run", help="comma-separated: exact, sampled, run"
    )
    p.add_argument("--rounds", type=int, default=None, help="timing samples per path")
    p.add_argument("--cap", type=float, default=2.0, help="skip a (path, n) slower than this (s)")
    p.add_argument("--run-cap", type=float, default=300.0, help="cap per whole run (s)")
    p.add_argument(
        "--compile-cap",
        type=float,
        default=90.0,
        help="after a compile slower than this (s), skip the path at larger n",
    )
    p.add_argument("--cpu", type=int, default=None, help="CPU to pin to (-1: do not pin)")
    p.add_argument("--_run", dest="child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=14, help=argparse.SUPPRESS)
    p.add_argument("--layers", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=500, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")

    if args.child:  # subprocess of the run section
        print(json.dumps(child_run(args.child, args.n, args.layers, args.steps)))
        return 0

    cpu = args.cpu
    if cpu is None:
        cpu = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else -1
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    unknown = sections - {"exact", "sampled", "run"}
    if unknown:
        p.error(f"unknown sections: {', '.join(sorted(unknown))}")
    rounds = args.rounds or (3 if args.quick else 15)
    target = 0.005 if args.quick else 0.05
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:7.1f} s] {msg}", flush=True)

    import qhnet.engine._jax  # noqa: F401  (XLA on one thread before anything imports jax)

    info = machine_info(cpu)
    rows: list[dict] = []
    if "exact" in sections:

        def exclude(path, n, layers, objective):
            # each pl_jax compile takes ~10 s: in a quick run, one exercises the path
            if args.quick and path == "pl_jax" and (n, layers, objective) != (8, 1, "elbo"):
                return "quick run: one pl_jax configuration only (compiles take ~10 s each)"
            return None

        rows += exact_section(
            args_ns(args),
            args_layers(args),
            ("elbo", "selbo"),
            EXACT_PATHS,
            rounds,
            target,
            args.cap,
            log,
            exclude,
            args.compile_cap,
        )
    if "sampled" in sections:
        rows += sampled_section(
            8 if args.quick else 14,
            1,
            (100,) if args.quick else (100, 1000),
            rounds,
            target,
            log,
        )
    if "run" in sections:
        rows += run_section(
            8 if args.quick else 14,
            1,
            20 if args.quick else 500,
            RUN_PATHS,
            args.run_cap,
            log,
            lambda path: (
                "quick run: PennyLane paths are exercised by the exact section"
                if args.quick and path.startswith(("pl_", "lightning"))
                else None
            ),
        )
    info["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with open(out_dir / "benchmark.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: fmt_float(v) if isinstance(v, float) else v for k, v in r.items()})
    write_markdown(out_dir / "benchmark.md", rows, info, args)
    log(f"wrote {out_dir / 'benchmark.csv'} and {out_dir / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
