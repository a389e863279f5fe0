"""Objectives of the circuit's distribution q (docs/method.md §2), all maximised.

- MLE:   J = E_q[LL]
- ELBO:  J = E_q[LL] + λ·H[q]          (λ = 1: the exact ELBO up to −n log 2)
- SELBO: J = E_q[LL] − λ·MMD²_h(q, u)  (u uniform; kernel exp(−d_H/h))

Everything takes the cost table ``ll`` (length 2^n) as an argument, so the same
code serves any table. The MMD² to the uniform prior uses the kernel's tensor
structure: K = ⊗_i [[1, a], [a, 1]] with a = e^{−1/h}, so Kq costs O(n·2^n) and
K·u = ((1 + a)/2)^n·1; the 2^n × 2^n matrix is never built.
"""

from __future__ import annotations

import math
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from qhnet.engine._jax import materialise
from qhnet.engine.circuit import DEFAULT_ANSATZ, born, check_ansatz
from qhnet.validation import check_choice, check_number, n_qubits_of

OBJECTIVES = ("mle", "elbo", "selbo")


def check_objective(objective: str, lam: float | None = None, h: float | None = None) -> str:
    """Validate an objective name and its hyperparameters; return the name.

    Raises
    ------
    ValueError
        For an unknown objective, λ missing / negative / not finite (ELBO, SELBO)
        or h missing / not > 0 (SELBO).
    """
    check_choice(objective, "objective", OBJECTIVES)
    if objective in ("elbo", "selbo"):
        if lam is None:
            raise ValueError(f"lam (λ) must be a finite number >= 0 for {objective}; got None")
        check_number(lam, "lam (λ)", minimum=0)
    if objective == "selbo":
        if h is None:
            raise ValueError("h (MMD bandwidth) must be a finite number > 0 for selbo; got None")
        check_number(h, "h (MMD bandwidth)", minimum=0, include_min=False)
    return objective


def expected(q, table):
    """E_q[table] = Σ_σ q(σ)·table[σ]."""
    return jnp.dot(q, table)


# fdlibm's log (e_log.c): |error| < 1 ulp. XLA:CPU calls libm's scalar log once per
# element for float64; this polynomial is element-wise arithmetic that XLA fuses
# and vectorises (≈ 3× faster on 2^14 values, measured).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
_TINY = 1e-300  # below this, log is clamped (XLA:CPU flushes subnormals anyway)


@jax.custom_jvp
def _log(x):
    """Natural log of float64 x > 0 (x < 1e-300 is clamped to 1e-300)."""
    x = jnp.maximum(x, _TINY)
    bits = jax.lax.bitcast_convert_type(x, jnp.int64)
    e = (bits >> 52) - 1022
    m = jax.lax.bitcast_convert_type(
        (bits & 0x000FFFFFFFFFFFFF) | 0x3FE0000000000000, jnp.float64
    )  # x = m·2^e, m in [1/2, 1)
    small = m < 0.7071067811865476
    m = jnp.where(small, m + m, m)  # m in [√½, √2)
    k = (e - small.astype(e.dtype)).astype(x.dtype)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG[1] + w * (_LG[3] + w * _LG[5]))
    t2 = z * (_LG[0] + w * (_LG[2] + w * (_LG[4] + w * _LG[6])))
    hfsq = 0.5 * f * f
    return k * _LN2_HI - ((hfsq - (s * (hfsq + t2 + t1) + k * _LN2_LO)) - f)


@_log.defjvp
def _log_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return _log(x), dx / x


@jax.custom_jvp
def _entropy(q):
    pos = q > 0
    return -jnp.sum(jnp.where(pos, q * _log(jnp.where(pos, q, 1.0)), 0.0))


@_entropy.defjvp
def _entropy_jvp(primals, tangents):
    """dH = −Σ (log q + 1)·dq over q > 0 (0 where q = 0)."""
    (q,), (dq,) = primals, tangents
    pos = q > 0
    logq = _log(jnp.where(pos, q, 1.0))
    value = -jnp.sum(jnp.where(pos, q * logq, 0.0))
    return value, -jnp.sum(jnp.where(pos, (logq + 1.0) * dq, 0.0))


def entropy(q):
    """Shannon entropy −Σ q log q in nats; 0·log 0 = 0 with a finite gradient."""
    return _entropy(q)


def kernel_apply(v, h):
    """K·v for the Hamming kernel k(σ,τ) = exp(−d_H(σ,τ)/h), in O(n·2^n).

    K = ⊗_i [[1, a], [a, 1]] with a = e^{−1/h}: one 2×2 pass per bit. Works on
    JAX arrays (traceable, differentiable) and on NumPy arrays (plain NumPy, no
    JAX dispatch), so the exact objectives, the evaluation and the shot
    estimators share this one implementation.
    """
    n = n_qubits_of(v.shape[0])
    if isinstance(v, np.ndarray):
        xp, a = np, math.exp(-1.0 / float(h))
    else:
        xp = jnp
        a = materialise(jnp.exp(-1.0 / jnp.asarray(h, dtype=v.dtype)))  # not once per element
    for i in range(n):
        x = v.reshape(2**i, 2, 2 ** (n - 1 - i))
        x0, x1 = x[:, 0:1, :], x[:, 1:2, :]
        v = xp.concatenate([x0 + a * x1, a * x0 + x1], axis=1).reshape(-1)
    return v


@jax.custom_jvp
def _kernel_quadratic(q, h):
    """qᵀ K q."""
    return jnp.dot(q, kernel_apply(q, h))


def _kernel_quadratic_jvp(primals, tangents):
    """d(qᵀKq) = 2 (Kq)·dq (K symmetric): one K·q serves value and gradient."""
    q, h = primals
    dq, dh = tangents
    kq = kernel_apply(q, h)
    value = jnp.dot(q, kq)
    tangent = jnp.zeros_like(value)
    if not isinstance(dq, SymbolicZero):
        tangent = tangent + 2.0 * jnp.dot(kq, dq)
    if not isinstance(dh, SymbolicZero):
        tangent = tangent + jax.jvp(lambda hh: jnp.dot(q, kernel_apply(q, hh)), (h,), (dh,))[1]
    return value, tangent


_kernel_quadratic.defjvp(_kernel_quadratic_jvp, symbolic_zeros=True)


def uniform_self_similarity(n: int, h):
    """uᵀK u = uᵀK q for any normalised q: ((1 + e^{−1/h})/2)^n."""
    return ((1.0 + jnp.exp(-1.0 / h)) / 2.0) ** n


def mmd2_uniform(q, h):
    """Exact MMD²_h(q, uniform) = qᵀKq − ((1+a)/2)^n (q normalised)."""
    n = n_qubits_of(q.shape[0])
    return _kernel_quadratic(q, jnp.asarray(h, dtype=q.dtype)) - uniform_self_similarity(n, h)


def mmd2(q, p, h):
    """Exact MMD²_h(q, p) = (q−p)ᵀK(q−p) for two distributions on {0,1}^n."""
    d = q - p
    return jnp.dot(d, kernel_apply(d, h))


def objective_terms(q, ll, objective: str, lam, h):
    """(J, E_q[LL], H[q]) for a static objective name.

    ``lam``, ``h`` and the table are ordinary (traceable) arguments so that one
    compiled function serves every λ, h and dataset.
    """
    ell = expected(q, ll)
    ent = entropy(q)
    if objective == "mle":
        j = ell
    elif objective == "elbo":
        j = ell + lam * ent
    elif objective == "selbo":
        j = ell - lam * mmd2_uniform(q, h)
    else:  # pragma: no cover - validated by check_objective
        raise ValueError(objective)
    return j, ell, ent


def reference_bandwidth(n: int) -> float:
    """The paper's fixed bandwidth h = n/4, used to report MMD² for every run."""
    return n / 4.0


def objective_value(theta, ll, objective: str, lam, h, ansatz: str = DEFAULT_ANSATZ):
    """J(θ) of the circuit with angles ``theta`` (exact engine): the one definition.

    Training, landscapes and benchmarks all evaluate J through this function.

    Parameters
    ----------
    theta : jax.Array
        Angles, shape ``angle_shape(ansatz, n, layers)``.
    ll : jax.Array
        Cost table, length 2^n.
    objective : str
        One of ``OBJECTIVES`` (static).
    lam, h : float
        λ and the MMD bandwidth (traced; ignored where the objective has none).
    ansatz : str
        One of ``qhnet.engine.circuit.ANSATZE`` (static).

    Returns
    -------
    jax.Array
        The scalar J(θ) (maximised).
    """
    return objective_terms(born(theta, ansatz), ll, objective, lam, h)[0]


@lru_cache(maxsize=64)
def value_and_grad_fn(objective: str, ansatz: str = DEFAULT_ANSATZ):
    """Compiled (θ, ll, λ, h) → (J, dJ/dθ) for a static objective and ansatz.

    ``jax.jit`` caches one executable per input shape; the function itself is
    cached per (objective, ansatz).

    Raises
    ------
    ValueError
        For an unknown objective or ansatz.
    """
    check_choice(objective, "objective", OBJECTIVES)
    check_ansatz(ansatz)
    return jax.jit(
        jax.value_and_grad(
            lambda theta, ll, lam, h: objective_value(theta, ll, objective, lam, h, ansatz)
        )
    )


# --- brute-force references (small n only; used by tests) -----------------------


def hamming_kernel_matrix(n: int, h: float) -> np.ndarray:
    """The full 2^n × 2^n kernel matrix; only for checking the fast path."""
    idx = np.arange(2**n)
    x = idx[:, None] ^ idx[None, :]
    d = np.array([bin(int(v)).count("1") for v in range(2**n)])[x]
    return np.exp(-d / h)
