"""Exact-mode training: Adam ascent on J(θ) with a stated convergence test.

One compiled step function per (objective, n, layers) serves every seed, λ, h,
learning rate and table, because those are traced arguments; the steps run in
chunks inside ``jax.lax.scan`` so Python is touched once per chunk, not per step.

Convergence (METHOD §5): after ``min_steps``, a run stops at the first chunk end
where the objective changed by at most ``tol`` nats over the last
``window`` = ⌈window_frac·max_steps⌉ steps; otherwise it stops at ``max_steps``.
The number of steps used and whether the test fired are recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qhnet.engine.circuit import born, check_layers, check_n_qubits, init_angles
from qhnet.engine.objectives import (
    check_objective,
    mmd2_uniform,
    objective_terms,
    objective_value,
    reference_bandwidth,
)
from qhnet.training.optimisers import adam_ascent, adam_init
from qhnet.validation import check_int, check_number, check_seeds, check_table

TRAJECTORY_COLUMNS = ("step", "objective", "ell", "entropy", "mmd2_ref", "acc_train", "acc_test")


@dataclass
class RunResult:
    """One training run: start and end angles, steps used and its trajectory."""

    seed: int
    theta0: np.ndarray
    theta: np.ndarray
    steps: int
    converged: bool
    objective: float
    trajectory: dict[str, np.ndarray] = field(repr=False)


@lru_cache(maxsize=64)
def _chunk_fn(objective: str, n: int, layers: int, chunk: int):
    """Compiled: ``chunk`` Adam steps from (θ, m, v, t); returns J and θ per step.

    Only what the gradient needs is computed per step; the other trajectory
    columns are computed afterwards at the recorded steps (``records_fn``).
    """

    grad_fn = jax.value_and_grad(
        lambda theta, ll, lam, h: objective_value(theta, ll, objective, lam, h)
    )

    def run(theta, m, v, t, ll, lam, h, lr):
        def step(carry, _):
            theta, m, v, t = carry
            j, g = grad_fn(theta, ll, lam, h)
            new, m, v, t = adam_ascent(theta, g, m, v, t, lr, jnp)
            return (new, m, v, t), (j, theta)

        (theta, m, v, t), (js, thetas) = jax.lax.scan(step, (theta, m, v, t), None, length=chunk)
        return theta, m, v, t, js, thetas

    return jax.jit(run)


@lru_cache(maxsize=64)
def records_fn(objective: str, n: int, layers: int):
    """Compiled: trajectory columns for a batch of angles (J, E[LL], H, MMD²_ref, accs)."""

    def one(theta, ll, acc_train, acc_test, lam, h):
        q = born(theta)
        j, ell, ent = objective_terms(q, ll, objective, lam, h)
        mmd_ref = mmd2_uniform(q, reference_bandwidth(n))
        return jnp.stack([j, ell, ent, mmd_ref, q @ acc_train, q @ acc_test])

    return jax.jit(lambda thetas, *a: jax.lax.map(lambda t: one(t, *a), thetas, batch_size=16))


def train(
    ll,
    objective: str = "mle",
    *,
    lam: float | None = None,
    h: float | None = None,
    layers: int = 1,
    lr: float = 0.05,
    max_steps: int = 3000,
    seeds=(0,),
    min_steps: int = 500,
    window_frac: float = 0.1,
    tol: float = 1e-4,
    record_every: int = 10,
    acc_train=None,
    acc_test=None,
    theta0: np.ndarray | None = None,
) -> list[RunResult]:
    """Train one circuit per seed on the cost table ``ll`` and return the runs.

    ``acc_train`` / ``acc_test`` (tables of length 2^n) are only used for the
    expected accuracies in the trajectory; zeros if omitted. ``theta0`` (shape
    (layers, n)) replaces the seeded initial angles, for a single seed.
    """
    ll = check_table(ll)
    n = check_n_qubits(ll.shape[0].bit_length() - 1)
    check_objective(objective, lam, h)
    layers = check_layers(layers)
    lr = check_number(lr, "lr", minimum=0, include_min=False)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    min_steps = check_int(min_steps, "min_steps", minimum=0)
    record_every = check_int(record_every, "record_every", minimum=1)
    window_frac = check_number(window_frac, "window_frac", minimum=0, include_min=False, maximum=1)
    tol = check_number(tol, "tol", minimum=0)
    seeds = check_seeds(seeds)
    zeros = np.zeros_like(ll)
    acc_train = zeros if acc_train is None else check_table(acc_train, "acc_train", n)
    acc_test = zeros if acc_test is None else check_table(acc_test, "acc_test", n)

    window = max(1, math.ceil(window_frac * max_steps))
    chunk = max(1, min(window, 100))
    fn = _chunk_fn(objective, n, layers, chunk)
    records = records_fn(objective, n, layers)
    lam_, h_ = jnp.float64(0.0 if lam is None else lam), jnp.float64(1.0 if h is None else h)
    ll_j = jnp.asarray(ll)
    if theta0 is not None and len(seeds) != 1:
        raise ValueError("theta0 can only be given with a single seed")

    results = []
    for seed in seeds:
        th0 = init_angles(n, layers, seed) if theta0 is None else np.asarray(theta0, dtype=float)
        if th0.shape != (layers, n):
            raise ValueError(f"theta0 must have shape ({layers}, {n}); got {th0.shape}")
        theta = jnp.asarray(th0)
        m, v, t = adam_init(theta, jnp)
        t = jnp.float64(t)
        objs, thetas = [], []
        steps = 0
        converged = False
        while steps < max_steps:
            theta, m, v, t, js, ths = fn(theta, m, v, t, ll_j, lam_, h_, jnp.float64(lr))
            objs.append(np.asarray(js))
            thetas.append(np.asarray(ths))
            steps += chunk
            if steps >= max(min_steps, window + 1):
                obj = np.concatenate(objs)
                if abs(obj[-1] - obj[-1 - window]) <= tol:
                    converged = True
                    break
        # angles before each step 0..steps-1, then the final angles
        path = np.concatenate([np.concatenate(thetas), np.asarray(theta)[None]])
        keep = np.unique(np.r_[np.arange(0, steps, record_every), steps])
        recs = np.asarray(
            records(
                jnp.asarray(path[keep]),
                ll_j,
                jnp.asarray(acc_train),
                jnp.asarray(acc_test),
                lam_,
                h_,
            )
        )
        traj = {"step": keep}
        for k, col in enumerate(TRAJECTORY_COLUMNS[1:]):
            traj[col] = recs[:, k]
        results.append(
            RunResult(
                seed=seed,
                theta0=th0,
                theta=np.asarray(theta),
                steps=steps,
                converged=converged,
                objective=float(traj["objective"][-1]),
                trajectory=traj,
            )
        )
    return results
