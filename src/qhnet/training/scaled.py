"""Sampled training without a table: BiNNs of hundreds of weights (docs/method.md §9).

The circuit is simulated as a matrix product state (``qhnet.engine.mps``), so it
can be sampled at any n, and the log-likelihood of each measured bitstring is a
forward pass of that BiNN on the training data (``binn.network_scores``),
evaluated once per *distinct* bitstring of a step (repeated shots cost nothing
extra). Nothing here reads an enumeration table.

Two gradient estimators (``GRADIENTS``):

``shift`` (hardware-faithful)
    The estimator of sampled mode (``qhnet.training.sampled``): shots of the
    circuit and of its 2P parameter-shifted circuits, likelihood means and the
    unbiased kernel sums of the MMD; only shots are used, as on a device.
``score`` (simulation only)
    The score function, ∇E_q[f] = E_q[f ∇log q], with the exact log q of each
    shot from the MPS and its derivative by automatic differentiation (one
    reverse pass over the shots). Per shot i of N the weight is

    - likelihood: LL_i − b_i, with b_i the mean LL of the *other* shots (a
      leave-one-out baseline, independent of shot i, so the estimate stays
      unbiased);
    - SELBO: −λ · 2 (Σ_{j≠i} k(x_i, x_j)/(N − 1) − k̄_p(x_i)), from
      ∇MMD² = 2 E_{x,x'~q}[k(x, x') ∇log q(x)] − 2 E_{x~q,y~p}[k(x, y) ∇log q(x)];
      k̄_p(x) = Σ_y k(x, y)/m over m uniform samples, or its closed form
      c = ((1 + e^{−1/h})/2)^n for every x (``prior_samples=None``);
    - ELBO: −λ (log q_i − mean of the other shots' log q), from
      ∇H = −E_q[log q ∇log q].

    It costs one circuit's shots per step instead of 2P + 1 circuits'. Both are
    tested unbiased against exact gradients at small n.

The entropy at scale is estimated from the shots with their exact log q,
Ĥ = −mean log q, reported with its standard error (``entropy_est``,
``entropy_se``); the exact H[q] needs all 2^n probabilities.

Reproducibility: step s of seed r draws from
``jax.random.fold_in(jax.random.fold_in(key(STREAM), r), s)`` (circuit shots) and
``sampled.step_rng(r, s)`` (prior samples), so a rerun repeats every number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qhnet.engine import mps as mpsmod
from qhnet.engine.ansatze import DEFAULT_ANSATZ, angle_shape, check_ansatz, init_angles
from qhnet.engine.objectives import uniform_self_similarity
from qhnet.model.binn import LIKELIHOODS, network_scores
from qhnet.model.layout import n_bits
from qhnet.training.optimisers import adam_ascent, adam_init
from qhnet.training.sampled import SHIFT, check_sampled_objective, step_rng
from qhnet.validation import check_choice, check_int, check_number, check_seeds

__all__ = [
    "GRADIENTS",
    "SCALED_OBJECTIVES",
    "Likelihood",
    "ScaledEstimate",
    "SCALED_TRAJECTORY_COLUMNS",
    "ScaledRun",
    "estimate_scaled",
    "kernel_means",
    "pack",
    "train_scaled",
]

GRADIENTS = ("shift", "score")
SCALED_OBJECTIVES = ("mle", "selbo", "elbo")
_STREAM = 0x5CA1


def pack(bits) -> np.ndarray:
    """(…, n) 0/1 bits as (…, ⌈n/64⌉) uint64 words (zero-padded), for Hamming distances."""
    bits = np.asarray(bits, dtype=np.uint8)
    n = bits.shape[-1]
    words = -(-n // 64)
    padded = np.zeros((*bits.shape[:-1], words * 64), np.uint8)
    padded[..., :n] = bits
    return np.packbits(padded, axis=-1).view(np.uint64)


def kernel_means(queries, ref, h: float, *, exclude_self: bool = False) -> np.ndarray:
    """Σ_{y ∈ ref} exp(−d_H(x, y)/h) / |ref| for every packed query x (no 2^n table).

    ``queries`` (Q, w) and ``ref`` (R, w) are :func:`pack`'ed bitstrings.
    ``exclude_self``: ``queries`` is ``ref`` and the pair (i, i) is left out
    (the U-statistic's Σ_{j≠i} k(x_i, x_j)/(R − 1)). Distinct reference rows are
    summed once, with their counts; queries in chunks of about 2^22 pairs.
    """
    queries = np.asarray(queries, np.uint64)
    ref = np.asarray(ref, np.uint64)
    uniq, counts = np.unique(ref, axis=0, return_counts=True)
    # k = a^d for every possible distance d, looked up instead of raised to a power
    powers = math.exp(-1.0 / float(h)) ** np.arange(64 * queries.shape[1] + 1, dtype=np.float64)
    counts = counts.astype(np.float64)
    out = np.empty(queries.shape[0])
    chunk = max(1, 2**22 // max(1, uniq.shape[0] * queries.shape[1]))
    for s in range(0, queries.shape[0], chunk):
        d = np.bitwise_count(queries[s : s + chunk, None, :] ^ uniq[None, :, :])
        out[s : s + chunk] = powers[d.sum(axis=-1, dtype=np.intp)] @ counts
    if exclude_self:
        return (out - 1.0) / (ref.shape[0] - 1)
    return out / ref.shape[0]


@dataclass(frozen=True, eq=False)
class Likelihood:
    """The BiNN's log-likelihood of any bitstrings on a data split, by forward passes.

    ``likelihood`` "sum" or "mean" scales as ``binn.scale_likelihood`` does.
    ``__call__`` takes (…, n) bits and returns (LL, accuracy) of the same leading
    shape, computing each distinct row once.
    """

    X: np.ndarray
    y: np.ndarray
    hidden: int
    likelihood: str = "sum"

    @property
    def n(self) -> int:
        return n_bits(self.hidden, self.X.shape[1])

    def __call__(self, bits) -> tuple[np.ndarray, np.ndarray]:
        ll, acc, _ = self.evaluate(bits)
        return ll, acc

    def evaluate(self, bits) -> tuple[np.ndarray, np.ndarray, int]:
        """(LL, accuracy, number of distinct rows) of (…, n) bits."""
        bits = np.asarray(bits, dtype=np.uint8)
        lead = bits.shape[:-1]
        flat = bits.reshape(-1, bits.shape[-1])
        uniq, inv = np.unique(pack(flat), axis=0, return_inverse=True)
        rows = np.unpackbits(uniq.view(np.uint8), axis=-1)[:, : self.n]
        ll, acc = network_scores(rows, self.X, self.y, self.hidden)
        if check_choice(self.likelihood, "likelihood", LIKELIHOODS) == "mean":
            ll = ll / len(self.X)
        inv = inv.reshape(-1)
        return ll[inv].reshape(lead), acc[inv].reshape(lead), int(uniq.shape[0])


@dataclass
class ScaledEstimate:
    """Estimates at one θ from its shots: Ĵ, Ê[LL], MMD²_u, Ĥ ± SE, Ê[acc] and dĴ/dθ."""

    objective: float
    ell: float
    mmd2: float
    entropy: float
    entropy_se: float
    acc: float
    grad: np.ndarray | None
    distinct: int
    shots: np.ndarray  # the unshifted circuit's bitstrings (N, n)


@lru_cache(maxsize=16)
def _sampler(ansatz: str, layers: int, n: int, shots: int):
    """Compiled (θ batch, keys) → (bits, log q): one MPS per circuit, ``shots`` each."""

    def one(theta, key):
        return mpsmod._sample(mpsmod._build(theta.reshape(-1), ansatz, n, layers), key, shots)

    return jax.jit(jax.vmap(one))


@lru_cache(maxsize=16)
def _score_vjp(ansatz: str, layers: int, n: int):
    """Compiled (θ, bits, weights) → Σ_i w_i ∇_θ log q(x_i)."""

    def weighted(theta, bits, w):
        A = mpsmod._build(theta.reshape(-1), ansatz, n, layers)
        return jnp.sum(w * mpsmod._log_prob(A, bits))

    return jax.jit(jax.grad(weighted))


def _keys(seed: int, step: int, count: int) -> jax.Array:
    key = jax.random.fold_in(jax.random.fold_in(jax.random.key(_STREAM), seed), step)
    return jax.random.split(key, count)


def _prior_sample(n: int, prior_samples, rng):
    """m uniform bitstrings, packed (None: the prior's terms are taken in closed form)."""
    if prior_samples is None:
        return None
    return pack(rng.integers(0, 2, size=(prior_samples, n), dtype=np.uint8))


def _prior_mean(x_packed, y_packed, n: int, h: float):
    """k̄_p(x) per shot: the mean over the prior sample, or the closed form c for every x."""
    if y_packed is None:
        return np.full(x_packed.shape[0], float(uniform_self_similarity(n, h)))
    return kernel_means(x_packed, y_packed, h)


def estimate_scaled(
    theta,
    lik: Likelihood,
    objective: str = "mle",
    *,
    lam: float = 0.0,
    h: float = 1.0,
    ansatz: str = DEFAULT_ANSATZ,
    shots: int = 1000,
    prior_samples: int | None = None,
    gradient: str = "score",
    seed: int = 0,
    step: int = 0,
    grad: bool = True,
) -> ScaledEstimate:
    """Shot estimates of J(θ) and (if ``grad``) of dJ/dθ with the chosen estimator.

    ``objective`` "mle", "selbo" (J = E[LL] − λ MMD²_h) or "elbo" (J = E[LL] + λ H,
    simulation only, ``gradient="score"`` only: the shift estimator has no entropy).
    Shots come from ``_keys(seed, step, ·)``, prior samples from ``step_rng(seed, step)``.
    """
    objective = check_choice(objective, "objective", SCALED_OBJECTIVES)
    if objective == "elbo":
        lam = check_number(lam, "lam", minimum=0)
    else:
        check_sampled_objective(
            objective, lam if objective == "selbo" else None, h if objective == "selbo" else None
        )
    gradient = check_choice(gradient, "gradient", GRADIENTS)
    if objective == "elbo" and gradient == "shift":
        raise ValueError(
            "objective 'elbo' needs gradient 'score': the parameter-shift estimator has no "
            "entropy term (shots do not give H[q]); use 'selbo' for the hardware path"
        )
    theta = np.asarray(theta, dtype=np.float64)
    layers = theta.shape[0]
    n = lik.n
    if theta.shape != angle_shape(ansatz, n, layers):
        raise ValueError(
            f"theta must have shape {angle_shape(ansatz, n, layers)}; got {theta.shape}"
        )
    shots = check_int(shots, "shots", minimum=2)
    rng = step_rng(seed, step)
    P = theta.size
    if gradient == "shift" and grad:
        eye = np.eye(P).reshape(P, *theta.shape) * SHIFT
        thetas = np.concatenate([theta[None], theta[None] + eye, theta[None] - eye])
    else:
        thetas = theta[None]
    bits, logq = _sampler(ansatz, layers, n, shots)(
        jnp.asarray(thetas), _keys(seed, step, len(thetas))
    )
    bits, logq = np.asarray(bits), np.asarray(logq)
    ll, acc, distinct = lik.evaluate(bits)
    x0 = pack(bits[0])
    ell = float(ll[0].mean())
    ent = float(-logq[0].mean())
    ent_se = float(logq[0].std(ddof=1) / math.sqrt(shots))
    mmd2 = float("nan")
    kq = kp = y = None
    if objective == "selbo":
        if prior_samples is not None:
            prior_samples = check_int(prior_samples, "prior_samples", minimum=2)
        y = _prior_sample(n, prior_samples, rng)
        kq = kernel_means(x0, x0, h, exclude_self=True)
        kp = _prior_mean(x0, y, n, h)
        # MMD²_u: E_{x≠x'}k − 2 E_{x,y}k + E_{y≠y'}k (the last is c in closed form)
        kyy = kp[0] if y is None else kernel_means(y, y, h, exclude_self=True).mean()
        mmd2 = float(kq.mean() - 2.0 * kp.mean() + kyy)
    if objective == "mle":
        value = ell
    elif objective == "selbo":
        value = ell - lam * mmd2
    else:
        value = ell + lam * ent

    g = None
    if grad and gradient == "score":
        loo = (ll[0].sum() - ll[0]) / (shots - 1)
        w = ll[0] - loo
        if objective == "selbo":
            w = w - lam * 2.0 * (kq - kp)
        elif objective == "elbo":
            lq = logq[0]
            w = w - lam * (lq - (lq.sum() - lq) / (shots - 1))
        g = np.asarray(
            _score_vjp(ansatz, layers, n)(
                jnp.asarray(theta), jnp.asarray(bits[0]), jnp.asarray(w / shots)
            )
        )
    elif grad:
        f = ll[1:] / 2.0
        if objective == "selbo":
            xs = pack(bits[1:].reshape(-1, n))
            kqs = kernel_means(xs, x0, h).reshape(2 * P, shots)
            kps = _prior_mean(xs, y, n, h).reshape(2 * P, shots)
            f = f - lam * (kqs - kps)
        fm = f.mean(axis=1)
        g = (fm[:P] - fm[P:]).reshape(theta.shape)
    return ScaledEstimate(value, ell, mmd2, ent, ent_se, float(acc[0].mean()), g, distinct, bits[0])


@dataclass(frozen=True)
class ScaledRun:
    """One seed of :func:`train_scaled`: angles, and the estimates at the recorded steps."""

    seed: int
    theta0: np.ndarray
    theta: np.ndarray
    steps: int
    trajectory: dict[str, np.ndarray]


#: Trajectory columns of a run at scale: every value an estimate from that step's shots.
SCALED_TRAJECTORY_COLUMNS = (
    "step", "objective_est", "ell_est", "mmd2_est", "entropy_est", "entropy_se",
    "acc_train_expected_est", "acc_test_expected_est", "acc_test_marginal_mode", "distinct",
)  # fmt: skip


def train_scaled(
    train: Likelihood,
    objective: str = "mle",
    *,
    test: Likelihood | None = None,
    lam: float = 0.0,
    h: float = 1.0,
    ansatz: str = DEFAULT_ANSATZ,
    layers: int = 1,
    lr: float = 0.05,
    max_steps: int = 1000,
    seeds=(0,),
    shots: int = 1000,
    prior_samples: int | None = None,
    gradient: str = "score",
    record_every: int = 50,
) -> list[ScaledRun]:
    """Adam ascent on shot estimates of J for a BiNN of any size; one run per seed.

    Parameters
    ----------
    train, test : Likelihood
        The BiNN on the training and test points (``test`` only for the recorded
        accuracies).
    objective, lam, h, shots, prior_samples, gradient
        As :func:`estimate_scaled`.
    ansatz, layers
        The circuit (any ansatz, ``layers`` ≤ ``mps.MAX_MPS_LAYERS``).
    lr, max_steps, record_every
        Adam's step size, the number of steps (no stopping rule: estimates are
        noisy), and the recording interval (the last step is always recorded).

    Returns
    -------
    list of ScaledRun
        Trajectory columns ``SCALED_TRAJECTORY_COLUMNS``; the test accuracy of the
        marginal mode (each bit at its more likely value) is exact, the others are
        means over the recorded step's shots.
    """
    ansatz = check_ansatz(ansatz)
    layers = mpsmod.check_mps_layers(layers)
    lr = check_number(lr, "lr", minimum=0, include_min=False)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    seeds = check_seeds(seeds)
    n = train.n
    keep = set(range(0, max_steps, record_every)) | {max_steps}
    kw = dict(
        lam=lam, h=h, ansatz=ansatz, shots=shots, prior_samples=prior_samples, gradient=gradient
    )
    out = []
    for seed in seeds:
        th0 = np.asarray(init_angles(n, layers, seed, ansatz), dtype=np.float64)
        theta = th0.copy()
        m, v, _ = adam_init(theta)
        rows = []
        for step in range(max_steps + 1):
            last = step == max_steps
            e = estimate_scaled(theta, train, objective, seed=seed, step=step, grad=not last, **kw)
            if step in keep:
                rows.append(_record(step, e, theta, test, ansatz))
            if not last:
                theta, m, v, _ = adam_ascent(theta, e.grad, m, v, step, lr)
        traj = {
            c: np.asarray([r[i] for r in rows]) for i, c in enumerate(SCALED_TRAJECTORY_COLUMNS)
        }
        out.append(ScaledRun(seed, th0, theta, max_steps, traj))
    return out


def _record(step, e: ScaledEstimate, theta, test: Likelihood | None, ansatz: str) -> tuple:
    acc_test = mode_acc = float("nan")
    if test is not None:
        acc_test = float(test(e.shots)[1].mean())
        p1 = np.asarray(mpsmod.marginals(mpsmod.mps(theta, ansatz)))
        mode_acc = float(test((p1 > 0.5).astype(np.uint8)[None])[1][0])
    return (
        step,
        e.objective,
        e.ell,
        e.mmd2,
        e.entropy,
        e.entropy_se,
        e.acc,
        acc_test,
        mode_acc,
        e.distinct,
    )
