"""Classical ways of training the same BiNN, beside the quantum hypernetwork.

Three baselines, each from the same seeds and with its budget counted in steps
and in likelihood evaluations (one evaluation = the log-likelihood of one
network on the training set):

- **mean-field variational inference** is the ``product`` ansatz trained by
  :func:`qhnet.training.train` (its Born distribution is exactly a product of
  Bernoullis), so it shares the circuit's optimiser, stopping rule and metrics;
  nothing is needed here. BayesBiNN (Meng, Bachmann and Khan, 2020) optimises
  the same mean-field ELBO under the uniform prior (KL = n ln 2 − H) by natural
  gradient on minibatches with a relaxed sampler; on an exact table the family
  and the objective are the same, only the path to a stationary point differs.
- :func:`simulated_annealing` on bitstrings, reading the enumeration table:
  single-bit flips, Metropolis acceptance, a geometric temperature schedule.
- :func:`straight_through`: latent real weights, the forward pass with their
  signs on the training data, the gradient passed straight through the sign
  where |w| <= 1 (BinaryConnect's clipped estimator), Adam from optax.

Each returns one :class:`BaselineRun` per seed with the network it ends on
(index into the enumeration), the best one it visited and when it first
visited the optimum set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
import optax

from qhnet.engine.circuit import bits_to_index
from qhnet.model.binn import optimum_indices
from qhnet.model.layout import n_bits
from qhnet.training.optimisers import ADAM_B1, ADAM_B2, ADAM_EPS
from qhnet.validation import check_array, check_int, check_number, check_seeds, check_table

__all__ = ["BaselineRun", "simulated_annealing", "straight_through", "straight_through_bits"]


@dataclass(frozen=True)
class BaselineRun:
    """One seed of a baseline.

    ``index`` is the network it ends on and ``best_index`` the best by train
    log-likelihood among those it visited; ``steps_to_optimum`` the first step
    at which it stood on the optimum set (None: never); ``evaluations`` the
    training-set log-likelihoods it computed.
    """

    seed: int
    index: int
    best_index: int
    steps: int
    evaluations: int
    steps_to_optimum: int | None


def _optimum_mask(ll: np.ndarray, optimum) -> np.ndarray:
    idx = optimum_indices(ll) if optimum is None else np.asarray(optimum, dtype=np.int64)
    mask = np.zeros(ll.size, dtype=bool)
    mask[idx] = True
    return mask


def simulated_annealing(
    ll,
    seeds=(0,),
    *,
    steps: int = 20_000,
    t_start: float = 0.1,
    t_end: float = 1e-4,
    optimum=None,
) -> list[BaselineRun]:
    """Simulated annealing over the 2^n networks of a log-likelihood table (maximised).

    Parameters
    ----------
    ll : array, length 2^n
        Train log-likelihood of every network (the enumeration table).
    seeds : sequence of int
        One chain per seed; the seed fixes the start (uniform over networks) and
        every proposal.
    steps : int
        Proposals per chain: flip one uniformly chosen bit, accept with
        probability min(1, exp(Δ / T)).
    t_start, t_end : float
        Temperatures relative to the table's range R = max − min: T goes
        geometrically from t_start·R to t_end·R over the steps.
    optimum : array of int, optional
        Indices of the optimum set; default the entries tied at the best value.

    Returns
    -------
    list of BaselineRun
        One per seed; ``evaluations`` = steps + 1 (the start and every proposal).

    Raises
    ------
    ValueError
        On a bad table, seeds or settings.
    """
    ll = check_table(ll, "ll")
    n = ll.size.bit_length() - 1
    seeds = check_seeds(seeds)
    steps = check_int(steps, "steps", minimum=1)
    t_start = check_number(t_start, "t_start", minimum=0, include_min=False)
    t_end = check_number(t_end, "t_end", minimum=0, include_min=False, maximum=t_start)
    mask = _optimum_mask(ll, optimum)
    scale = float(np.ptp(ll)) or 1.0
    temps = scale * t_start * (t_end / t_start) ** (np.arange(steps) / max(1, steps - 1))
    rngs = [np.random.default_rng([seed, 0x5A]) for seed in seeds]
    x = np.array([r.integers(0, 2**n) for r in rngs], dtype=np.int64)
    flips = np.stack([r.integers(0, n, size=steps) for r in rngs], axis=1)
    uniforms = np.stack([r.random(steps) for r in rngs], axis=1)
    best = x.copy()
    hit = np.where(mask[x], 0, -1)
    for s in range(steps):
        y = x ^ (np.int64(1) << flips[s])
        delta = ll[y] - ll[x]
        accept = (delta >= 0) | (uniforms[s] < np.exp(np.minimum(delta, 0.0) / temps[s]))
        x = np.where(accept, y, x)
        best = np.where(ll[x] > ll[best], x, best)
        hit = np.where((hit < 0) & mask[x], s + 1, hit)
    return [
        BaselineRun(
            seed=seed,
            index=int(x[i]),
            best_index=int(best[i]),
            steps=steps,
            evaluations=steps + 1,
            steps_to_optimum=None if hit[i] < 0 else int(hit[i]),
        )
        for i, seed in enumerate(seeds)
    ]


def _logits(b: jax.Array, X: jax.Array, hidden: int) -> jax.Array:
    """Logits of the BiNN with ±1 weights ``b`` (the bit layout of qhnet.model.layout)."""
    d = X.shape[1]
    if hidden == 0:
        return X @ b[:d] + b[d]
    H = hidden
    W1 = b[: d * H].reshape(d, H)
    b1 = b[d * H : (d + 1) * H]
    W2 = b[(d + 1) * H : (d + 2) * H]
    relu = (b[(d + 2) * H + 1] + 1.0) / 2.0  # activation bit: +1 → ReLU, −1 → sigmoid
    pre = X @ W1 + b1
    h = relu * jax.nn.relu(pre) + (1.0 - relu) * jax.nn.sigmoid(pre)
    return h @ W2 + b[(d + 2) * H]


def _hard(w: jax.Array) -> jax.Array:
    """The ±1 weights of latent weights w (sign, with 0 → +1)."""
    return jnp.where(w >= 0, 1.0, -1.0)


def _sign_ste(w: jax.Array) -> jax.Array:
    """sign(w) forward; gradient 1 where |w| <= 1, else 0 (clipped STE)."""
    soft = jnp.clip(w, -1.0, 1.0)
    return soft + jax.lax.stop_gradient(_hard(w) - soft)


@lru_cache(maxsize=16)
def _ste_program(hidden: int, steps: int):
    """Compiled (w0, X, y, lr) → (LL and ±1 weights before each step, LL and weights at the end)."""
    tx = optax.scale_by_adam(b1=ADAM_B1, b2=ADAM_B2, eps=ADAM_EPS)  # the project's Adam

    def loglik(b, X, y):
        z = _logits(b, X, hidden)
        return jnp.sum(y * z - jax.nn.softplus(z))

    def run(w0, X, y, lr):
        def step(carry, _):
            w, state = carry
            value, grad = jax.value_and_grad(lambda w: loglik(_sign_ste(w), X, y))(w)
            direction, state = tx.update(grad, state)
            return (w + lr * direction, state), (value, _hard(w))  # ascent on the LL

        (w, _), (values, signs) = jax.lax.scan(step, (w0, tx.init(w0)), None, length=steps)
        last = _hard(w)
        return values, signs, loglik(last, X, y), last

    return jax.jit(run)


def straight_through(
    X,
    y,
    hidden: int,
    seeds=(0,),
    *,
    steps: int = 2000,
    lr: float = 0.01,
    optimum=None,
    ll=None,
) -> list[BaselineRun]:
    """Straight-through training of the BiNN on data (BinaryConnect with clipped STE).

    Parameters
    ----------
    X, y : array
        Training inputs (N, d) and labels in {0, 1}.
    hidden : int
        Hidden units (0: logistic regression), as the enumeration.
    seeds : sequence of int
        One run per seed; the seed fixes the latent weights w ~ Uniform(−1, 1).
    steps : int
        Adam steps on the latent weights (full batch: each step is one
        training-set log-likelihood and its gradient).
    lr : float
        Adam's learning rate.
    optimum, ll : optional
        The optimum set's indices, or the table ``ll`` to take them from, for
        ``steps_to_optimum``; with neither, it is None.

    Returns
    -------
    list of BaselineRun
        One per seed; ``evaluations`` = steps + 1.

    Raises
    ------
    ValueError
        On bad data, seeds or settings.
    """
    X, y, hidden, seeds, steps, lr = _check_ste(X, y, hidden, seeds, steps, lr)
    n = n_bits(hidden, X.shape[1])
    mask = None
    if optimum is not None or ll is not None:
        table = np.zeros(2**n) if ll is None else check_table(ll, "ll", n)
        mask = _optimum_mask(table, optimum)
    out = []
    for seed, (values, signs, final, last) in zip(
        seeds, _ste_runs(X, y, hidden, seeds, steps, lr), strict=True
    ):
        visited = bits_to_index((signs > 0).astype(np.int64))  # before each step
        end = int(bits_to_index((np.asarray(last) > 0).astype(np.int64)))
        all_idx = np.append(visited, end)
        all_ll = np.append(values, float(final))
        hits = np.flatnonzero(mask[all_idx]) if mask is not None else np.array([], int)
        out.append(
            BaselineRun(
                seed=seed,
                index=end,
                best_index=int(all_idx[int(np.argmax(all_ll))]),
                steps=steps,
                evaluations=steps + 1,
                steps_to_optimum=int(hits[0]) if hits.size else None,
            )
        )
    return out


def _check_ste(X, y, hidden, seeds, steps, lr):
    """The straight-through estimator's arguments, checked (one message per bad value)."""
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0] or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must be {X.shape[0]} labels in {{0, 1}}; got shape {y.shape}")
    hidden = check_int(hidden, "hidden", minimum=0)
    seeds = check_seeds(seeds)
    steps = check_int(steps, "steps", minimum=1)
    lr = check_number(lr, "lr", minimum=0, include_min=False)
    return X, y, hidden, seeds, steps, lr


def _ste_runs(X, y, hidden: int, seeds, steps: int, lr: float):
    """Per seed: LL and ±1 weights before each step, the final LL and weights (NumPy)."""
    n = n_bits(hidden, X.shape[1])
    run = _ste_program(hidden, steps)
    Xj, yj = jnp.asarray(X), jnp.asarray(y, dtype=jnp.float64)
    for seed in seeds:
        w0 = np.random.default_rng([seed, 0x57E]).uniform(-1.0, 1.0, size=n)
        values, signs, final, last = run(jnp.asarray(w0), Xj, yj, lr)
        yield np.asarray(values), np.asarray(signs), float(final), np.asarray(last)


def straight_through_bits(
    X, y, hidden: int, seeds=(0,), *, steps: int = 2000, lr: float = 0.01
) -> list[np.ndarray]:
    """:func:`straight_through` for BiNNs too large to index: the final network's bits per seed.

    The same runs (seeds, latent initialisation, Adam) as :func:`straight_through`;
    each result is the (n,) 0/1 bit array of the network it ends on.
    """
    X, y, hidden, seeds, steps, lr = _check_ste(X, y, hidden, seeds, steps, lr)
    return [
        (last > 0).astype(np.uint8) for _, _, _, last in _ste_runs(X, y, hidden, seeds, steps, lr)
    ]
