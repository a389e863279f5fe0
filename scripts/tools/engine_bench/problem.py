"""The problem every path of the benchmark solves, and J written the obvious way."""

from __future__ import annotations

import math

import numpy as np

from qhnet.engine.objectives import reference_bandwidth

LAM = 1.0
LR = 0.05
TABLE_SEED = 2024
THETA_SEED = 7


def bandwidth(n: int) -> float:
    """The SELBO bandwidth of every benchmark row: the paper's h = n/4."""
    return reference_bandwidth(n)


def random_table(n: int) -> np.ndarray:
    """A fixed random cost table (LL-like: −60…−10 nats)."""
    return -np.random.default_rng([TABLE_SEED, n]).uniform(10.0, 60.0, 2**n)


def _kernel_apply(xp, q, a: float, n: int):
    """(K q) for the Kronecker-product kernel, one qubit at a time, written out."""
    v = q
    for i in range(n):
        x = xp.reshape(v, (2**i, 2, 2 ** (n - 1 - i)))
        v = xp.reshape(xp.stack([x[:, 0] + a * x[:, 1], a * x[:, 0] + x[:, 1]], axis=1), (-1,))
    return v


def plain_objective(xp, q, ll, objective: str, lam, h, n: int):
    """J(q) written the obvious way (used by every non-qhnet path; xp = jnp or autograd np)."""
    value = xp.dot(q, ll)
    if objective == "elbo":
        return value - lam * xp.sum(q * xp.log(xp.maximum(q, 1e-300)))
    a = xp.exp(-1.0 / h)
    return value - lam * (xp.dot(q, _kernel_apply(xp, q, a, n)) - ((1.0 + a) / 2.0) ** n)


def plain_objective_np(q, ll, objective: str, lam, h, n: int):
    """(J, dJ/dq) in NumPy, for the lightning chain rule."""
    if objective == "elbo":
        logq = np.log(np.maximum(q, 1e-300))
        return float(q @ ll - lam * (q @ logq)), ll - lam * (logq + 1.0)
    a = math.exp(-1.0 / h)
    v = _kernel_apply(np, q, a, n)
    return float(q @ ll - lam * (q @ v - ((1.0 + a) / 2.0) ** n)), ll - 2.0 * lam * v
