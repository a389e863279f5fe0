"""The ansätze as matrix product states: exact sampling, log q and marginals at any n.

Every ansatz of ``qhnet.engine.ansatze`` is rotations on single qubits and CNOTs
on neighbouring qubits (i, i + 1). A CNOT is the sum of two products,
|0⟩⟨0| ⊗ I + |1⟩⟨1| ⊗ X, so it acts on a matrix product state exactly by giving
its bond one extra index a ∈ {0, 1}: the control's tensor gets the projector
P_a on its right bond and the target's tensor gets X^a on its left bond. No
singular value decomposition, no truncation: the state is exact, with bond
dimension χ = 2^s after s *CNOT steps* (a step is a run of CNOTs that touches
each bond at most once; every layer of every ansatz is one step), i.e.
χ = 2^layers. Bonds a step does not touch carry the extra index too, with a zero
block (kept so that every site tensor has one shape and the sites can be
stacked), so for ``brick`` (half of the bonds per layer) χ is padded.

The state's tensors ``A`` have shape (n, χ, 2, χ) (site, left bond, bit, right
bond); the boundary bonds use index 0 only. The MPS is not in canonical form;
the environments used for sampling and marginals are contracted explicitly,
and every per-site step is renormalised (the amplitudes of a 266-qubit state
underflow double precision).

Costs per bitstring are O(n·χ²): ``sample`` (exact ancestral sampling, site 0
first, with the log-probability of each drawn bitstring), ``log_prob``
(log q(σ) of given bitstrings, differentiable in θ, which the score-function
gradient needs) and ``marginals`` (q(σ_i = 1) for every qubit). Building the
state costs O(layers·n·χ²). Bitstrings are (…, n) arrays of 0/1 (uint8), wire 0
first: at n > 63 a basis index does not fit an integer.

Supported: every ansatz in ``ANSATZE`` at 1 ≤ layers ≤ ``MAX_MPS_LAYERS``
(χ ≤ 2^MAX_MPS_LAYERS); ``check_mps_layers`` refuses deeper circuits.
"""

from __future__ import annotations

from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from qhnet.engine import _jax  # noqa: F401  (float64, one thread)
from qhnet.engine.ansatze import (
    DEFAULT_ANSATZ,
    ansatz_ops,
    check_ansatz,
    check_layers,
    theta_dims,
)
from qhnet.validation import check_int

__all__ = [
    "MAX_MPS_LAYERS",
    "bond_dimension",
    "check_mps_layers",
    "log_prob",
    "marginals",
    "mps",
    "sample",
    "to_state",
]

#: Deepest circuit the MPS engine builds: χ = 2^6 = 64 (a site tensor of 8192
#: amplitudes). Deeper circuits need compression, which this engine does not do.
MAX_MPS_LAYERS = 6

_COMPLEX = {"ry_chain": False, "product": False, "brick": True, "hea": True}


def check_mps_layers(layers: int) -> int:
    """Validate a depth for the MPS engine (1 ≤ layers ≤ ``MAX_MPS_LAYERS``).

    Raises
    ------
    ValueError
        If ``layers`` is not an integer in that range; the message names the
        exact engine as the alternative for small n.
    """
    layers = check_layers(layers)
    if layers > MAX_MPS_LAYERS:
        raise ValueError(
            f"layers must be at most {MAX_MPS_LAYERS} for the MPS engine (bond dimension "
            f"2^layers, without compression); got {layers}. Use the exact engine "
            f"(n <= 22) for deeper circuits."
        )
    return layers


@lru_cache(maxsize=64)
def _plan(ansatz: str, n: int, layers: int) -> tuple:
    """The gate list as MPS steps: ("rot", gate, flat indices (n,)) and ("cnot", O).

    A rotation step applies one gate kind to every qubit (angles at the flat
    indices). A CNOT step is a run of CNOTs touching each bond at most once; its
    O has shape (n, 2, 2, 2, 2) = (site, a_left, a_right, bit out, bit in): the
    local operator of each site for the extra indices of its left and right
    bonds, composed in circuit order.
    """
    ops = ansatz_ops(ansatz, n, layers)
    steps: list = []
    eye = np.eye(2)
    proj = (np.diag([1.0, 0.0]), np.diag([0.0, 1.0]))
    flip = (eye, np.array([[0.0, 1.0], [1.0, 0.0]]))
    zero = np.zeros((2, 2))
    i = 0
    while i < len(ops):
        gate = ops[i][0]
        if gate != "CNOT":
            flat = []
            while i < len(ops) and ops[i][0] == gate and len(flat) < n:
                if ops[i][1] != (len(flat),):
                    raise ValueError(f"ansatz {ansatz!r}: rotations are not one per qubit in order")
                flat.append(ops[i][2])
                i += 1
            if len(flat) != n:
                raise ValueError(f"ansatz {ansatz!r}: a rotation layer misses qubits")
            steps.append(("rot", gate, tuple(flat)))
            continue
        # one CNOT step: (left-bond op first?, left op, right op) per site
        touched: set[int] = set()
        events: dict[int, list] = {q: [] for q in range(n)}
        while i < len(ops) and ops[i][0] == "CNOT":
            c, t = ops[i][1]
            if t != c + 1:
                raise ValueError(
                    f"ansatz {ansatz!r}: CNOT{(c, t)} is not on neighbouring qubits (c, c+1)"
                )
            if c in touched:
                break  # this bond again: a new step
            touched.add(c)
            events[c].append("right")
            events[t].append("left")
            i += 1
        local = np.zeros((n, 2, 2, 2, 2))
        for q in range(n):
            for aL in range(2):
                for aR in range(2):
                    left = flip[aL] if "left" in events[q] else (eye if aL == 0 else zero)
                    right = proj[aR] if "right" in events[q] else (eye if aR == 0 else zero)
                    order = events[q]
                    if order == ["left", "right"]:  # left CNOT first, then right
                        local[q, aL, aR] = right @ left
                    else:
                        local[q, aL, aR] = left @ right
        steps.append(("cnot", local))
    return tuple(steps)


def bond_dimension(ansatz: str, n: int, layers: int) -> int:
    """χ of ``mps(theta, ansatz)``: 2 to the number of CNOT steps."""
    return 2 ** sum(
        1 for s in _plan(check_ansatz(ansatz), n, check_mps_layers(layers)) if s[0] == "cnot"
    )


def _rotation(gate: str, angle: jax.Array) -> jax.Array:
    """(…, 2, 2) matrices of RY or RZ (PennyLane's convention)."""
    c, s = jnp.cos(angle / 2), jnp.sin(angle / 2)
    if gate == "RY":
        return jnp.stack([jnp.stack([c, -s], -1), jnp.stack([s, c], -1)], -2)
    z = jnp.zeros_like(angle)
    e = jnp.exp(-0.5j * angle)
    return jnp.stack([jnp.stack([e, z], -1), jnp.stack([z, jnp.conj(e)], -1)], -2)


def _build(theta_flat: jax.Array, ansatz: str, n: int, layers: int) -> jax.Array:
    dtype = jnp.complex128 if _COMPLEX[ansatz] else jnp.float64
    A = jnp.zeros((n, 1, 2, 1), dtype).at[:, 0, 0, 0].set(1.0)
    for step in _plan(ansatz, n, layers):
        if step[0] == "rot":
            U = _rotation(step[1], theta_flat[np.asarray(step[2])]).astype(dtype)
            A = jnp.einsum("nts,nlsr->nltr", U, A)
        else:
            local = jnp.asarray(step[1], dtype)
            D = A.shape[1]
            A = jnp.einsum("nabts,nlsr->nlatrb", local, A).reshape(n, 2 * D, 2, 2 * D)
    return A


def mps(theta, ansatz: str = DEFAULT_ANSATZ) -> jax.Array:
    """The state of ``ansatz`` at angles ``theta`` as site tensors (n, χ, 2, χ).

    Parameters
    ----------
    theta : array
        Angles of the ansatz's shape (``ansatze.angle_shape``); n may be any
        number of qubits >= 2.
    ansatz : str
        One of ``ANSATZE``.

    Returns
    -------
    jax.Array
        float64 for real ansätze (``ry_chain``, ``product``), complex128 otherwise.
        Differentiable in ``theta``.

    Raises
    ------
    ValueError
        For a bad ansatz or angle shape, or more than ``MAX_MPS_LAYERS`` layers.
    """
    ansatz = check_ansatz(ansatz)
    layers, n = theta_dims(jnp.shape(theta), ansatz)
    check_mps_layers(layers)
    theta = jnp.asarray(theta, jnp.float64)
    return _build(theta.reshape(-1), ansatz, n, layers)


def to_state(A: jax.Array) -> jax.Array:
    """The 2^n amplitudes of an MPS (wire 0 most significant): for tests at small n."""
    n = A.shape[0]
    if n > 22:
        raise ValueError(f"to_state contracts 2^n amplitudes; n = {n} is too large")
    psi = A[0, 0]  # (2, χ)
    for q in range(1, n):
        psi = jnp.einsum("kl,lsr->ksr", psi, A[q]).reshape(-1, A.shape[3])
    return psi[:, 0]


def _right_environments(A: jax.Array) -> jax.Array:
    """E[q] = contraction of sites q..n-1 with their conjugates, (n + 1, χ, χ), E[n] = e0 e0ᵀ."""
    D = A.shape[1]
    last = jnp.zeros((D, D), A.dtype).at[0, 0].set(1.0)

    def step(E, Aq):
        E = jnp.einsum("lsr,rt,kst->lk", Aq, E, jnp.conj(Aq))
        return E / jnp.maximum(jnp.abs(E).max(), 1e-300), E

    _, Es = jax.lax.scan(step, last, A, reverse=True)
    return jnp.concatenate([Es, last[None]], axis=0)


def _abs2(x: jax.Array) -> jax.Array:
    return jnp.real(x * jnp.conj(x))


@partial(jax.jit, static_argnames=("shots",))
def _sample(A: jax.Array, key: jax.Array, shots: int):
    E = _right_environments(A)
    D = A.shape[1]
    u = jax.random.uniform(key, (A.shape[0], shots), jnp.float64)
    v0 = jnp.zeros((shots, D), A.dtype).at[:, 0].set(1.0)

    def site(v, xs):
        Aq, Eq, uq = xs
        # broadcast products, not batched matrix products: χ is small and XLA:CPU
        # runs tiny batched dot_generals as loops
        w = (v[:, :, None, None] * Aq[None]).sum(axis=1)  # (shots, 2, χ)
        wE = (w[:, :, :, None] * Eq[None, None]).sum(axis=2)  # (shots, 2, χ)
        p = jnp.maximum(jnp.real((wE * jnp.conj(w)).sum(axis=2)), 0.0)
        p1 = p[:, 1] / (p[:, 0] + p[:, 1])
        bit = uq < p1
        logp = jnp.log(jnp.where(bit, p1, 1.0 - p1))
        v = jnp.where(bit[:, None], w[:, 1], w[:, 0])
        v = v / jnp.sqrt(jnp.sum(_abs2(v), axis=1, keepdims=True))
        return v, (bit.astype(jnp.uint8), logp)

    _, (bits, logp) = jax.lax.scan(site, v0, (A, E[1:], u))
    return bits.T, logp.sum(axis=0)


def sample(A: jax.Array, shots: int, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Exact i.i.d. bitstrings from q(σ) = |⟨σ|ψ⟩|², with their log q.

    Parameters
    ----------
    A : jax.Array
        Site tensors from :func:`mps`.
    shots : int
        Bitstrings to draw (>= 1).
    key : jax.Array
        A ``jax.random`` key: the same key gives the same shots.

    Returns
    -------
    bits : jax.Array, (shots, n) uint8
    log_q : jax.Array, (shots,) float64
    """
    shots = check_int(shots, "shots", minimum=1)
    return _sample(A, key, shots)


def _log_prob(A: jax.Array, bits: jax.Array) -> jax.Array:
    D = A.shape[1]
    v0 = jnp.zeros((bits.shape[0], D), A.dtype).at[:, 0].set(1.0)

    def site(carry, xs):
        v, acc = carry
        Aq, bq = xs
        w = jnp.einsum("bl,blr->br", v, Aq[:, bq, :].transpose(1, 0, 2))
        norm = jnp.sqrt(jnp.sum(_abs2(w), axis=1))
        safe = jnp.where(norm > 0, norm, 1.0)
        return (w / safe[:, None], acc + 2.0 * jnp.log(norm)), None

    (v, acc), _ = jax.lax.scan(site, (v0, jnp.zeros(bits.shape[0])), (A, bits.T.astype(jnp.int32)))
    return acc + jnp.log(_abs2(v[:, 0]))


def log_prob(A: jax.Array, bits) -> jax.Array:
    """log q(σ) of each row of ``bits`` ((…, n) 0/1); −inf where q(σ) = 0. Differentiable in A."""
    bits = jnp.asarray(bits)
    if bits.shape[-1] != A.shape[0]:
        raise ValueError(f"bits must have last dimension n = {A.shape[0]}; got {bits.shape}")
    flat = bits.reshape(-1, A.shape[0])
    return _log_prob(A, flat).reshape(bits.shape[:-1])


@jax.jit
def _marginals(A: jax.Array) -> jax.Array:
    E = _right_environments(A)
    D = A.shape[1]
    L0 = jnp.zeros((D, D), A.dtype).at[0, 0].set(1.0)

    def site(L, xs):
        Aq, Eq = xs
        p = jnp.real(jnp.einsum("lk,lsr,rt,kst->s", L, Aq, Eq, jnp.conj(Aq)))
        L = jnp.einsum("lk,lsr,kst->rt", L, Aq, jnp.conj(Aq))
        return L / jnp.maximum(jnp.abs(L).max(), 1e-300), p[1] / (p[0] + p[1])

    _, p1 = jax.lax.scan(site, L0, (A, E[1:]))
    return p1


def marginals(A: jax.Array) -> jax.Array:
    """q(σ_i = 1) for every qubit i, shape (n,)."""
    return _marginals(A)
