"""Sampled mode (docs/method.md §2–3): MLE and SELBO trained from shots only, as on hardware.

Every quantity the optimiser sees is estimated from bitstrings measured on the
circuit at the current angles and at the parameter-shifted angles θ ± (π/2)·e_k
(exact for RY, whose generator has eigenvalues ±1/2, and valid per angle because
each angle appears in exactly one gate):

- likelihood term: Ê[LL] = mean of LL[σ] over N_qc shots; its gradient
  ∂J/∂θ_k = (Ê_{q_k+}[LL] − Ê_{q_k−}[LL]) / 2, each shifted mean from its own shots;
- MMD²_h(q, uniform), kernel k = exp(−d_H/h): the **unbiased** U-statistic over
  N_qc circuit shots x and m uniform prior samples y,
  MMD²_u = Σ_{i≠j} k(x_i,x_j)/(N(N−1)) + Σ_{i≠j} k(y_i,y_j)/(m(m−1)) − 2 Σ_{i,j} k(x_i,y_j)/(N m);
  its gradient by the parameter-shift rule for sampled MMD (Liu & Wang, PRA 98,
  062324, 2018): ∂MMD²/∂θ_k = E_{x~q_k+,y~q}[k] − E_{x~q_k−,y~q}[k]
  − E_{x~q_k+,y~p}[k] + E_{x~q_k−,y~p}[k], each expectation estimated by the mean
  over the shifted circuit's shots of Σ_y k(x, y)/|y| with y the *unshifted*
  circuit's shots (resp. the prior samples). Shifted and unshifted shots are
  independent, so every product is unbiased and so is the gradient.

Why unbiased: Adam averages gradients over steps, so a biased gradient (e.g. the
V-statistic, whose bias 1/N·(1 − E_q[k]) differs between q_k+ and q_k−) would
move the fixed point; an unbiased one only adds noise. The U-statistic value is
reported (``objective_est``) but never used by the optimiser. Both are unbiased
for every N_qc, m ≥ 2 (tested against the exact engine).

Cost: kernel sums over a sample never loop over pairs of shots. Shots are
histogrammed and K·c is computed once with the Kronecker structure of K
(O(n·2^n), ``dense``), after which each shifted circuit's term is a lookup-and-sum,
O(N_qc); when 2^n is large compared with the distinct bitstrings seen, pairs of
*distinct* bitstrings are summed instead (``pairwise``, O(U_x·U_y·n)). Both give
the same numbers (to rounding) as the naive O(S²) double sum.

For the uniform prior Σ_y k(x,y)/m has expectation c = ((1+a)/2)^n for every x
(a = e^(−1/h)), so the two prior terms of the gradient cancel in expectation;
sampling them (as the paper's estimator does) only adds zero-mean noise. That is
the default, for fidelity. ``prior_samples=None`` ("exact" m) uses the closed
forms instead: E_{x,y}k = E_{y,y'}k = c, so MMD²_u = Σ_{i≠j} k(x_i,x_j)/(N(N−1)) − c
and the prior terms of the gradient vanish (the m ablation's limit).

ELBO has no sampled mode: it needs H[q], which shots do not give.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from qhnet.engine.circuit import born, check_layers, check_n_qubits, check_thetas, init_angles
from qhnet.engine.objectives import check_objective, kernel_apply, uniform_self_similarity
from qhnet.training.checkpoint import Checkpoint, fingerprint, run_checkpoint_path
from qhnet.training.exact import TRAJECTORY_COLUMNS, RunResult, records_fn
from qhnet.training.optimisers import adam_ascent, adam_init
from qhnet.validation import check_int, check_number, check_seeds, check_table

SAMPLED_OBJECTIVES = ("mle", "selbo")

#: Trajectory columns of a sampled run: the exact-engine columns of exact mode
#: plus the shot estimates the optimiser saw at that step.
SAMPLED_TRAJECTORY_COLUMNS = TRAJECTORY_COLUMNS + ("objective_est", "ell_est", "mmd2_est")

SHIFT = math.pi / 2

#: Tag of the per-step shot stream, so that default_rng([seed, _STREAM, step])
#: never coincides with default_rng(seed) used for the initial angles
#: (numpy's SeedSequence pads with zeros: [s, 0] and s give the same stream).
_STREAM = 0x5A3D


def check_sampled_objective(objective: str, lam=None, h=None) -> str:
    """Like ``objectives.check_objective`` but only for objectives that shots can train."""
    if objective == "elbo":
        raise ValueError(
            "objective 'elbo' is not available in sampled mode: it needs the entropy H[q], "
            "which needs every probability (simulation only). Use 'selbo' (the MMD surrogate) "
            "in sampled mode, or mode 'exact' for 'elbo'."
        )
    if objective not in SAMPLED_OBJECTIVES:
        raise ValueError(
            f"objective must be one of {', '.join(map(repr, SAMPLED_OBJECTIVES))} in sampled "
            f"mode; got {objective!r}"
        )
    return check_objective(objective, lam, h)


def step_rng(seed: int, step: int) -> np.random.Generator:
    """The generator of one step of one run: fresh shot noise every step, reproducibly."""
    return np.random.default_rng([int(seed), _STREAM, int(step)])


def _check_shots(shots, name: str = "shots", minimum: int = 1) -> int:
    return check_int(shots, name, minimum=minimum)


# --------------------------------------------------------------------------- #
# shot sources
# --------------------------------------------------------------------------- #


@runtime_checkable
class ShotSource(Protocol):
    """Anything that measures the ansatz: ``sample(thetas, shots, rng)``.

    ``thetas`` has shape (B, layers, n); the result has shape (B, shots), int64
    basis indices (wire 0 most significant), row b measured on circuit b. All
    randomness comes from ``rng`` (a numpy Generator), so a seeded call repeats.
    """

    def sample(self, thetas, shots: int, rng: np.random.Generator) -> np.ndarray: ...


@lru_cache(maxsize=1)
def _batch_probabilities():
    """Compiled θ-batch → Born probabilities; jit caches one executable per shape."""
    return jax.jit(jax.vmap(born))


def batch_probabilities(thetas) -> np.ndarray:
    """Exact probabilities of a batch of circuits, shape (B, 2^n) (exact engine)."""
    thetas = check_thetas(thetas)
    check_n_qubits(thetas.shape[2])
    return np.asarray(_batch_probabilities()(jnp.asarray(thetas)))


def sample_from_probabilities(p, shots: int, rng: np.random.Generator) -> np.ndarray:
    """i.i.d. draws from each row of ``p`` (B, K) by inverse CDF, like ``rng.choice``.

    The histogram of each row is multinomial(shots, p_b). One cumulative sum for
    the batch and one binary search per shot; the uniforms are sorted first
    (binary searches of sorted keys are 3× faster), so each row comes out sorted:
    shots are exchangeable, their order carries no information.
    """
    p = np.asarray(p, dtype=np.float64)
    shots = _check_shots(shots)
    cdf = np.cumsum(p, axis=1)
    u = np.sort(rng.random((p.shape[0], shots)), axis=1) * cdf[:, -1:]
    out = np.empty((p.shape[0], shots), dtype=np.int64)
    for b in range(p.shape[0]):
        out[b] = np.searchsorted(cdf[b], u[b], side="right")
    return np.minimum(out, p.shape[1] - 1, out=out)  # u·total rounding up to total


class SimulatedShots:
    """Shots from the exact engine: Born probabilities of each circuit, then sampling.

    For sweeps: identical in distribution to an ideal device, orders of magnitude
    faster. Probabilities come from ``circuit.state`` (vmapped over the batch,
    compiled once per batch shape); the shots from ``rng``.
    """

    name = "simulated"

    def sample(self, thetas, shots: int, rng: np.random.Generator) -> np.ndarray:
        return sample_from_probabilities(batch_probabilities(thetas), shots, rng)

    def __repr__(self) -> str:
        return "SimulatedShots()"


# --------------------------------------------------------------------------- #
# kernel sums over samples
# --------------------------------------------------------------------------- #


class KernelSums:
    """x ↦ Σ_{y ∈ ref} k(x, y) for a fixed sample ``ref`` of basis indices.

    ``dense``: histogram c of ``ref`` and K·c once (O(n·2^n)), then a lookup per
    query. ``pairwise``: kernel between distinct query and distinct reference
    bitstrings (O(U_q·U_ref·n)). ``auto`` picks the cheaper for ``queries``
    expected query shots.
    """

    def __init__(self, ref, n: int, h: float, *, method: str = "auto", queries: int = 0):
        ref = np.asarray(ref, dtype=np.int64).reshape(-1)
        self.n, self.h, self.size = n, float(h), ref.shape[0]
        self.a = math.exp(-1.0 / h)
        self._uniq, self._counts = np.unique(ref, return_counts=True)
        if method == "auto":
            u = self._uniq.shape[0]
            method = "dense" if n * 2**n <= u * (u + queries) else "pairwise"
        if method not in ("dense", "pairwise"):
            raise ValueError(f"method must be one of 'auto', 'dense', 'pairwise'; got {method!r}")
        self.method = method
        if method == "dense":
            c = np.zeros(2**n)
            c[self._uniq] = self._counts
            self._dense = kernel_apply(c, h)

    def __call__(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        if self.method == "dense":
            return self._dense[x]
        uq, inv = np.unique(x.reshape(-1), return_inverse=True)
        out = np.empty(uq.shape[0])
        chunk = max(1, 2**22 // max(1, self._uniq.shape[0]))
        for s in range(0, uq.shape[0], chunk):
            d = np.bitwise_count(uq[s : s + chunk, None] ^ self._uniq[None, :])
            out[s : s + chunk] = (self.a ** d.astype(np.float64)) @ self._counts
        return out[inv].reshape(x.shape)

    def self_sum(self) -> float:
        """Σ_{i≠j} k(ref_i, ref_j): all ordered pairs of distinct shots (k(σ,σ) = 1)."""
        if self.method == "dense":
            total = float(self._counts @ self._dense[self._uniq])
        else:
            total = float(self._counts @ self(self._uniq))
        return total - self.size


def mmd2_u(x, y, n: int, h: float, *, method: str = "auto") -> float:
    """Unbiased U-statistic of MMD²_h between samples ``x`` (circuit) and ``y`` (prior)."""
    x = np.asarray(x, dtype=np.int64).reshape(-1)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError("mmd2_u needs at least 2 samples in x and in y")
    kx = KernelSums(x, n, h, method=method, queries=y.shape[0])
    ky = KernelSums(y, n, h, method=method)
    N, m = x.shape[0], y.shape[0]
    return (
        kx.self_sum() / (N * (N - 1))
        + ky.self_sum() / (m * (m - 1))
        - 2.0 * float(kx(y).sum()) / (N * m)
    )


# --------------------------------------------------------------------------- #
# estimates of the objective and its gradient
# --------------------------------------------------------------------------- #


@dataclass
class Estimate:
    """Shot estimates at one θ: Ĵ, Ê[LL], MMD²_u (NaN for MLE) and dĴ/dθ (or None)."""

    objective: float
    ell: float
    mmd2: float
    grad: np.ndarray | None


def shifted_angles(theta) -> np.ndarray:
    """θ, then θ + (π/2)e_k for every angle k, then θ − (π/2)e_k: shape (1 + 2P, layers, n)."""
    theta = np.asarray(theta, dtype=np.float64)
    P = theta.size
    eye = np.eye(P).reshape(P, *theta.shape) * SHIFT
    return np.concatenate([theta[None], theta[None] + eye, theta[None] - eye])


def estimate(
    theta,
    ll,
    objective: str = "mle",
    *,
    lam: float | None = None,
    h: float | None = None,
    shots: int = 1000,
    prior_samples: int | None = 1000,
    source: ShotSource | None = None,
    rng: np.random.Generator,
    grad: bool = True,
    method: str = "auto",
) -> Estimate:
    """Shot estimates of J(θ) and (if ``grad``) its parameter-shift gradient.

    One ``source.sample`` call measures the unshifted and the 2P shifted circuits
    (``shots`` each); for SELBO ``prior_samples`` uniform bitstrings are then drawn
    from ``rng`` (None: the prior's terms in closed form, no samples). ``ll`` is
    the cost table (length 2^n).
    """
    objective = check_sampled_objective(objective, lam, h)
    ll = np.asarray(ll, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    n = theta.shape[-1]
    if ll.shape != (2**n,):
        raise ValueError(f"ll must have length 2^{n} = {2**n} for {n} qubits; got {ll.shape}")
    if objective == "selbo":
        shots = _check_shots(shots, "shots", 2)
        if prior_samples is not None:
            prior_samples = _check_shots(prior_samples, "prior_samples", 2)
    source = SimulatedShots() if source is None else source
    thetas = shifted_angles(theta) if grad else theta[None]
    idx = source.sample(thetas, shots, rng)
    P = theta.size
    ell = float(ll[idx[0]].mean())
    if objective == "mle":
        g = None
        if grad:
            f = ll[idx[1:]].mean(axis=1)
            g = ((f[:P] - f[P:]) / 2.0).reshape(theta.shape)
        return Estimate(ell, ell, float("nan"), g)

    if prior_samples is None:  # the uniform prior's kernel means in closed form
        c = float(uniform_self_similarity(n, h))
        kx = KernelSums(idx[0], n, h, method=method, queries=2 * P * shots if grad else 0)
        mmd2 = kx.self_sum() / (shots * (shots - 1)) - c
        g = None
        if grad:
            f = ll[idx[1:]] / 2.0 - lam * kx(idx[1:]) / shots
            fm = f.mean(axis=1)
            g = (fm[:P] - fm[P:]).reshape(theta.shape)
        return Estimate(ell - lam * mmd2, ell, mmd2, g)
    m = prior_samples
    y = rng.integers(0, 2**n, size=m, dtype=np.int64)
    kx = KernelSums(idx[0], n, h, method=method, queries=m + (2 * P * shots if grad else 0))
    ky = KernelSums(y, n, h, method=method, queries=2 * P * shots if grad else 0)
    mmd2 = (
        kx.self_sum() / (shots * (shots - 1))
        + ky.self_sum() / (m * (m - 1))
        - 2.0 * float(kx(y).sum()) / (shots * m)
    )
    g = None
    if grad:
        x = idx[1:]
        # per-shot contribution: LL/2 − λ·(k̄_q(x) − k̄_p(x)); + shifts minus − shifts
        f = ll[x] / 2.0 - lam * (kx(x) / shots - ky(x) / m)
        fm = f.mean(axis=1)
        g = (fm[:P] - fm[P:]).reshape(theta.shape)
    return Estimate(ell - lam * mmd2, ell, mmd2, g)


# --------------------------------------------------------------------------- #
# training
# --------------------------------------------------------------------------- #


def train_sampled(
    ll,
    objective: str = "mle",
    *,
    lam: float | None = None,
    h: float | None = None,
    layers: int = 1,
    lr: float = 0.05,
    max_steps: int = 3000,
    seeds=(0,),
    shots: int = 1000,
    prior_samples: int | None = 1000,
    source: ShotSource | None = None,
    record_every: int = 10,
    acc_train=None,
    acc_test=None,
    theta0: np.ndarray | None = None,
    method: str = "auto",
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 10,
) -> list[RunResult]:
    """Train one circuit per seed from shots only; same ``RunResult`` as ``training.train``.

    Adam ascent (``qhnet.training.optimisers``) on the parameter-shift gradient
    estimate, for exactly ``max_steps`` steps: there is no convergence test,
    because the objective estimate is noisy and a change-over-window test would
    fire (or not) on shot noise (``steps == max_steps``, ``converged`` False).
    Step s of run ``seed`` draws all its shots from ``step_rng(seed, s)``.

    The optimiser only ever sees shots. The trajectory's ``TRAJECTORY_COLUMNS``
    (and ``RunResult.objective``) are computed afterwards by the exact engine at
    the recorded angles, i.e. the values of the *ideal* circuit at those angles
    (for a noisy device, not what the device realises); the shot estimates the
    optimiser saw at those steps are added as ``objective_est``, ``ell_est``,
    ``mmd2_est`` (the last point's from one extra unshifted measurement).

    Checkpoints: with ``checkpoint_dir``, each seed's state (θ, Adam's moments and
    step count, the next step, the angles and estimates so far) is written
    atomically to ``checkpoint.run_checkpoint_path(checkpoint_dir, seed)`` every
    ``checkpoint_every`` steps and when the seed's run is complete; a call with the
    same arguments resumes each seed from its checkpoint (a finished seed is not
    run again). The shot stream needs no saved state: step s always draws from
    ``step_rng(seed, s)``, so a resumed run ends bit-identical to an uninterrupted
    one on any seeded source. A checkpoint written under other arguments (another
    table, λ, shot count, source, ...) is ignored. The caller removes the files
    once the outputs are written (``checkpoint.remove_run_checkpoints``).
    """
    objective = check_sampled_objective(objective, lam, h)
    ll = check_table(ll)
    n = check_n_qubits(ll.shape[0].bit_length() - 1)
    layers = check_layers(layers)
    lr = check_number(lr, "lr", minimum=0, include_min=False)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    shots = _check_shots(shots, "shots", 2)
    if objective == "selbo" and prior_samples is not None:
        prior_samples = check_int(prior_samples, "prior_samples", minimum=2)
    seeds = check_seeds(seeds)
    checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
    if theta0 is not None and len(seeds) != 1:
        raise ValueError("theta0 can only be given with a single seed")
    source = SimulatedShots() if source is None else source
    if not isinstance(source, ShotSource):
        raise ValueError(f"source must have a sample(thetas, shots, rng) method; got {source!r}")
    zeros = np.zeros_like(ll)
    acc_train = zeros if acc_train is None else check_table(acc_train, "acc_train", n)
    acc_test = zeros if acc_test is None else check_table(acc_test, "acc_test", n)
    lam_ = 0.0 if lam is None else float(lam)
    h_ = 1.0 if h is None else float(h)
    kw = dict(
        lam=lam_, h=h_, shots=shots, prior_samples=prior_samples, source=source, method=method
    )
    keep = np.unique(np.r_[np.arange(0, max_steps, record_every), max_steps])
    records = records_fn(objective, n, layers)

    describe = dict(
        objective=objective,
        lam=lam_,
        h=h_,
        layers=layers,
        lr=lr,
        max_steps=max_steps,
        shots=shots,
        prior_samples=prior_samples,
        method=method,
        ll=ll,
        source=repr(source),
        theta0=None if theta0 is None else np.asarray(theta0, dtype=float),
    )

    results = []
    for seed in seeds:
        th0 = init_angles(n, layers, seed) if theta0 is None else np.asarray(theta0, dtype=float)
        if th0.shape != (layers, n):
            raise ValueError(f"theta0 must have shape ({layers}, {n}); got {th0.shape}")
        ckpt = Checkpoint(
            None if checkpoint_dir is None else run_checkpoint_path(checkpoint_dir, seed),
            fingerprint({**describe, "seed": seed}),
        )
        theta = th0.copy()
        m, v, _ = adam_init(theta)
        path = np.empty((max_steps + 1, layers, n))
        est = np.full((max_steps + 1, 3), np.nan)
        start = 0
        saved = ckpt.load()
        if saved is not None:
            arrays, meta = saved
            start = int(meta["next_step"])
            theta, m, v = arrays["theta"], arrays["m"], arrays["v"]
            path[: arrays["path"].shape[0]] = arrays["path"]
            est[: arrays["est"].shape[0]] = arrays["est"]
            print(f"seed {seed}: resumed from checkpoint at step {start} ({ckpt.path})")

        for step in range(start, max_steps):
            e = estimate(theta, ll, objective, rng=step_rng(seed, step), **kw)
            path[step] = theta
            est[step] = (e.objective, e.ell, e.mmd2)
            theta, m, v, _ = adam_ascent(theta, e.grad, m, v, step, lr)
            if ckpt.enabled and (step + 1) % checkpoint_every == 0 and step + 1 < max_steps:
                _save(ckpt, seed, step + 1, theta, m, v, path, est)
        if start <= max_steps:
            path[max_steps] = theta
            e = estimate(theta, ll, objective, rng=step_rng(seed, max_steps), grad=False, **kw)
            est[max_steps] = (e.objective, e.ell, e.mmd2)
            if ckpt.enabled:
                _save(ckpt, seed, max_steps + 1, theta, m, v, path, est)  # this seed is done
        recs = np.asarray(
            records(
                jnp.asarray(path[keep]),
                jnp.asarray(ll),
                jnp.asarray(acc_train),
                jnp.asarray(acc_test),
                jnp.float64(lam_),
                jnp.float64(h_),
            )
        )
        traj = {"step": keep}
        for k, col in enumerate(TRAJECTORY_COLUMNS[1:]):
            traj[col] = recs[:, k]
        for k, col in enumerate(SAMPLED_TRAJECTORY_COLUMNS[len(TRAJECTORY_COLUMNS) :]):
            traj[col] = est[keep, k]
        results.append(
            RunResult(
                seed=seed,
                theta0=th0,
                theta=theta,
                steps=max_steps,
                converged=False,
                objective=float(traj["objective"][-1]),
                trajectory=traj,
            )
        )
    return results


def _save(ckpt: Checkpoint, seed: int, next_step: int, theta, m, v, path, est) -> None:
    """One seed's state before step ``next_step`` (also Adam's step count)."""
    ckpt.save(
        {"theta": theta, "m": m, "v": v, "path": path[:next_step], "est": est[:next_step]},
        # the shot stream of step s is step_rng(seed, s): nothing else to save
        {"next_step": next_step, "rng": {"seed": seed, "stream": _STREAM}},
    )
