"""2-D slices of the loss −J around trained angles, and numbers for roughness.

The slice is θ(α, β) = θ* + α·d₁ + β·d₂ with d₁, d₂ Gaussian random directions
rescaled to ‖θ*‖ (so α = 1 moves as far as θ* is from the origin; docs/method.md §6, claim 2).
"Smoother" is compared with numbers, not only pictures: the count of strict
local minima on the grid, the mean absolute discrete Laplacian (curvature per
unit² of α, β), and the same divided by the loss range (scale-free, because
λ·H changes the loss's scale).
"""

from __future__ import annotations

import json
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qhnet.engine.circuit import check_layers, check_n_qubits
from qhnet.engine.objectives import check_objective, objective_value
from qhnet.validation import check_int, check_number, check_random_state, check_table


def random_directions(theta: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian directions, each rescaled to the norm of ``theta``."""
    rng = check_random_state(seed)
    norm = np.linalg.norm(theta)
    dirs = []
    for _ in range(2):
        d = rng.standard_normal(theta.shape)
        dirs.append(d * (norm / np.linalg.norm(d)))
    return dirs[0], dirs[1]


@lru_cache(maxsize=32)
def _grid_fn(objective: str, n: int, layers: int):
    def loss(theta, ll, lam, h):
        return -objective_value(theta, ll, objective, lam, h)

    return jax.jit(
        lambda thetas, ll, lam, h: jax.lax.map(lambda t: loss(t, ll, lam, h), thetas, batch_size=64)
    )


def landscape(
    theta,
    ll,
    objective: str = "mle",
    *,
    lam: float | None = None,
    h: float | None = None,
    span: float = 1.0,
    resolution: int = 41,
    seed: int = 0,
) -> dict:
    """−J on a ``resolution`` × ``resolution`` grid of α, β ∈ [−span, span].

    Returns alphas, betas, loss (shape (res, res), indexed [i_alpha, i_beta]),
    the two directions and ``roughness(loss, spacing)``.
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 2:
        raise ValueError(f"theta must have shape (layers, n_qubits); got {theta.shape}")
    layers, n = theta.shape
    check_layers(layers)
    check_n_qubits(n)
    ll = check_table(ll, "ll", n)
    check_objective(objective, lam, h)
    span = check_number(span, "span", minimum=0, include_min=False)
    resolution = check_int(resolution, "resolution", minimum=3)
    d1, d2 = random_directions(theta, seed)
    alphas = np.linspace(-span, span, resolution)
    betas = np.linspace(-span, span, resolution)
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    grid = theta[None] + A.reshape(-1, 1, 1) * d1[None] + B.reshape(-1, 1, 1) * d2[None]
    fn = _grid_fn(objective, n, layers)
    loss = np.asarray(
        fn(
            jnp.asarray(grid),
            jnp.asarray(ll),
            jnp.float64(0.0 if lam is None else lam),
            jnp.float64(1.0 if h is None else h),
        )
    ).reshape(resolution, resolution)
    spacing = alphas[1] - alphas[0]
    return {
        "alphas": alphas,
        "betas": betas,
        "loss": loss,
        "d1": d1,
        "d2": d2,
        **roughness(loss, spacing),
    }


def strict_local_minima(loss: np.ndarray) -> int:
    """Interior grid points strictly below all 8 neighbours."""
    c = loss[1:-1, 1:-1]
    is_min = np.ones_like(c, dtype=bool)
    r, k = loss.shape
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di == dj == 0:
                continue
            is_min &= c < loss[1 + di : r - 1 + di, 1 + dj : k - 1 + dj]
    return int(is_min.sum())


def roughness(loss: np.ndarray, spacing: float = 1.0) -> dict:
    """Numbers that say how rough a gridded loss surface is (lower = smoother)."""
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 2 or min(loss.shape) < 3:
        raise ValueError(f"loss must be a 2-D grid of at least 3 × 3; got shape {loss.shape}")
    lap = (
        loss[2:, 1:-1] + loss[:-2, 1:-1] + loss[1:-1, 2:] + loss[1:-1, :-2] - 4 * loss[1:-1, 1:-1]
    ) / spacing**2
    span = float(loss.max() - loss.min())
    mean_abs_lap = float(np.abs(lap).mean())
    return {
        "n_local_minima": strict_local_minima(loss),
        "mean_abs_laplacian": mean_abs_lap,
        "rel_mean_abs_laplacian": mean_abs_lap / span if span > 0 else 0.0,
        "loss_range": span,
    }


def trained_angles(runs, arm: str, seed: int) -> np.ndarray:
    """The final angles of the one run of ``arm`` with ``seed`` in a metrics table.

    Raises
    ------
    ValueError
        If the table holds no such run, or more than one.
    """
    row = runs[(runs["arm"] == arm) & (runs["seed"] == seed)]
    if len(row) != 1:
        raise ValueError(
            f"need one run of arm {arm!r} with seed {seed} in the metrics; got {len(row)}"
        )
    return np.asarray(json.loads(row["theta"].iloc[0]), dtype=float)


def roughness_study(
    thetas: dict,
    arms: list[dict],
    ll,
    *,
    seeds,
    directions: int,
    span: float,
    resolution: int,
    direction_seed: int = 0,
) -> list[dict]:
    """Roughness of many slices, paired across objectives (docs/verdicts.md, claim 2).

    For each seed and each of ``directions`` random direction pairs, every arm is
    sliced along the *same* pair twice: centred on its own trained angles
    (``centre = "own"``) and on MLE's angles for that seed (``centre = "mle"``;
    for MLE both are one slice, reported under both centres). Direction pair k of
    seed s is drawn with seed ``direction_seed + 1000·s + k``.

    Parameters
    ----------
    thetas : dict
        ``(arm name, seed) → angles`` of shape (layers, n); must hold "mle".
    arms : list of dict
        ``{"arm", "objective", "lam", "h"}`` for each arm to slice (MLE included).
    ll : array
        Train log-likelihood of every BiNN (the enumeration table's ``ll_train``).

    Returns
    -------
    list of dict
        One row per (seed, direction, centre, arm) with ``roughness``'s numbers.
    """
    directions = check_int(directions, "directions", minimum=1)
    rows = []
    for seed in seeds:
        if ("mle", seed) not in thetas:
            raise ValueError(f"thetas must hold MLE's angles for seed {seed}")
        for k in range(directions):
            dseed = int(direction_seed) + 1000 * int(seed) + k
            for arm in arms:
                own = thetas[(arm["arm"], seed)]
                out = None
                for centre, theta in (("own", own), ("mle", thetas[("mle", seed)])):
                    if out is None or arm["arm"] != "mle":  # MLE's two centres: one slice
                        out = landscape(
                            theta,
                            ll,
                            arm["objective"],
                            lam=arm["lam"],
                            h=arm["h"],
                            span=span,
                            resolution=resolution,
                            seed=dseed,
                        )
                    rows.append(
                        {
                            **{k2: arm[k2] for k2 in ("arm", "objective", "lam", "h")},
                            "seed": int(seed),
                            "direction": k,
                            "centre": centre,
                            **{k2: out[k2] for k2 in ROUGHNESS},
                        }
                    )
    return rows


ROUGHNESS = ("n_local_minima", "mean_abs_laplacian", "rel_mean_abs_laplacian", "loss_range")
