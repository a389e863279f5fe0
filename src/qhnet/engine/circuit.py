"""The hypernetwork circuit: one ansatz for PennyLane devices, one fast exact engine.

The ansatz (METHOD §1, after binncode) is ``layers`` repetitions of
[RY(θ) on every qubit → CNOT on (0,1),(2,3),… → CNOT on (1,2),(3,4),…] acting
on |0…0⟩. RY and CNOT are real, so the state stays real. The exact engine
(``state``) is written in JAX, so that any objective of the probabilities gets
its gradient by reverse mode, and exploits the circuit's structure: as a
2^k × 2^(n−k) matrix the state after L layers has rank 2^L (a product state,
then each CNOT layer doubles the rank because only one CNOT crosses the cut), so
the first layers act on two thin factors and the 2^n amplitudes are one thin
matrix product, forward and backward. Deeper circuits continue on the full
vector (n 2×2 passes per RY layer, one gather per CNOT layer) with a
hand-written adjoint pass. See the comment above ``_layout``.

Basis order is PennyLane's: wire 0 is the most significant bit of the index.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qhnet.engine._jax import materialise
from qhnet.limits import MAX_EXACT_QUBITS
from qhnet.validation import check_array, check_int, check_random_state


def check_n_qubits(n: int, *, name: str = "n_qubits", max_qubits: int = MAX_EXACT_QUBITS) -> int:
    """Validate a qubit count for the exact engine (2^n amplitudes must fit).

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 1, or exceeds ``max_qubits``
        (``qhnet.limits.MAX_EXACT_QUBITS`` by default).
    """
    n = check_int(n, name, minimum=1)
    if n > max_qubits:
        raise ValueError(
            f"{name} must be at most {max_qubits} for exact mode (2^{n} amplitudes); got {n}. "
            "Use sampled mode for larger circuits."
        )
    return n


def check_layers(layers: int) -> int:
    """Validate a circuit depth: an integer >= 1."""
    return check_int(layers, "layers", minimum=1)


def check_thetas(thetas) -> np.ndarray:
    """A finite batch of angle arrays, shape (batch >= 1, layers, n_qubits)."""
    thetas = check_array(thetas, "thetas")
    if thetas.ndim != 3 or thetas.shape[0] < 1:
        raise ValueError(f"thetas must have shape (batch, layers, n_qubits); got {thetas.shape}")
    return thetas


def bits_to_index(bits) -> np.ndarray:
    """Rows of bits (..., n), wire 0 first, to basis indices k = Σ σ_i 2^(n−1−i) (int64)."""
    bits = np.asarray(bits).astype(np.int64)
    n = bits.shape[-1]
    return bits @ (np.int64(1) << np.arange(n - 1, -1, -1, dtype=np.int64))


def cnot_pairs(n: int) -> list[tuple[int, int]]:
    """The CNOTs of one layer, in order: even pairs then odd pairs (open chain)."""
    return [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]


def init_angles(n: int, layers: int, seed: int) -> np.ndarray:
    """Initial angles i.i.d. Uniform[0, 2π), shape (layers, n), fixed by ``seed``."""
    check_n_qubits(n, max_qubits=10**6)
    check_layers(layers)
    rng = check_random_state(seed)
    return rng.uniform(0.0, 2.0 * np.pi, size=(layers, n))


def ansatz(theta, wires, layers: int | None = None):
    """PennyLane quantum function of the ansatz; ``theta`` has shape (layers, n).

    Usable inside any QNode on any device, e.g.::

        @qml.qnode(dev)
        def probs(theta):
            ansatz(theta, wires=range(n))
            return qml.probs(wires=range(n))
    """
    import pennylane as qml

    wires = list(wires)
    n = len(wires)
    shape = qml.math.shape(theta)
    if len(shape) != 2 or shape[1] != n:
        raise ValueError(f"theta must have shape (layers, {n}); got {tuple(shape)}")
    if layers is not None and shape[0] != layers:
        raise ValueError(f"theta has {shape[0]} layers but layers={layers}")
    for layer in range(shape[0]):
        for i, w in enumerate(wires):
            qml.RY(theta[layer, i], wires=w)
        for c, t in cnot_pairs(n):
            qml.CNOT(wires=[wires[c], wires[t]])


@lru_cache(maxsize=32)
def cnot_layer_permutation(n: int) -> np.ndarray:
    """Index array ``perm`` with (CNOT layer) ψ = ψ[perm], for the whole layer at once.

    A CNOT maps basis state |x⟩ to |x ⊕ (x_c · e_t)⟩; it is its own inverse, so
    the new amplitude at x is the old amplitude at CNOT(x). Composing the gates
    in order gives one gather per layer.
    """
    idx = np.arange(2**n, dtype=np.int64)
    perm = idx.copy()
    for c, t in cnot_pairs(n):
        cbit, tbit = n - 1 - c, n - 1 - t
        # new[x] = old[g(x)]: after this gate, amplitude at x came from g(x) in the
        # previous state, so compose: perm_new[x] = perm_old[g(x)].
        g = idx ^ (((idx >> cbit) & 1) << tbit)
        perm = perm[g]
    return perm.astype(np.int32)


def _bit_table(m: int) -> np.ndarray:
    """(2^m, m) array of the bits of 0…2^m−1, most significant first."""
    return (np.arange(2**m)[:, None] >> np.arange(m - 1, -1, -1)[None, :]) & 1


@lru_cache(maxsize=64)
def _flip_tables(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Partner index a ⊕ e_i and sign (+1 where bit i of a is 1), each shape (m, 2^m)."""
    a = np.arange(2**m)
    shift = np.arange(m - 1, -1, -1)
    partner = (a[None, :] ^ (1 << shift)[:, None]).astype(np.int32)
    sign = np.where((a[None, :] >> shift[:, None]) & 1, 1.0, -1.0)
    return partner, sign


def _half_product(cs: jax.Array, offset: int, m: int) -> jax.Array:
    """⊗ of the rows (cos θ_i/2, sin θ_i/2), i = offset…offset+m−1: length 2^m.

    One gather and one product-reduce, so the result is materialised (see
    ``materialise``) and the amplitudes built from it cost one multiply each.
    """
    if m == 0:
        return jnp.ones((1,), cs.dtype)
    return jnp.prod(cs[offset + np.arange(m)[None, :], _bit_table(m)], axis=1)


def _mix(psi: jax.Array, c: jax.Array, s: jax.Array, m: int) -> jax.Array:
    """RY(θ_i) on each of the m qubits indexing the leading 2^m rows of ``psi``.

    ``c`` = cos θ/2 and ``s`` = sin θ/2 must be materialised. Trailing axes (if
    any) are carried along. One fused pass per qubit: in XLA:CPU that beat
    grouping qubits into 4×4 blocks and dense Kronecker-factor matmuls.
    """
    shape = psi.shape
    for i in range(m):
        x = psi.reshape(2**i, 2, -1)
        a, b = x[:, 0:1], x[:, 1:2]
        psi = jnp.concatenate([c[i] * a - s[i] * b, s[i] * a + c[i] * b], axis=1)
    return psi.reshape(shape)


def _cos_sin(theta: jax.Array) -> tuple[jax.Array, jax.Array]:
    half = theta / 2
    cs = materialise(jnp.stack([jnp.cos(half), jnp.sin(half)]))
    return cs[0], cs[1]


# --- the exact engine ---------------------------------------------------------------
#
# Write the state as a 2^k × 2^(n−k) matrix (rows: qubits 0…k−1). The first RY
# layer gives a rank-1 matrix u wᵀ (a product state). An RY layer is A ⊗ B, which
# maps U Wᵀ to (A U)(B W)ᵀ: it acts on the thin factors only. A CNOT layer maps
# row a to row ph(a) and, because only the CNOT across the cut (k−1, k) couples
# the halves, column b to pl(d(a), b) where d(a) is one bit of a (for a cut at an
# even k): it doubles the rank. So the state after L layers is U Wᵀ with rank
# 2^L, and every 2^n-sized operation is one thin matrix product, forward and
# backward (JAX differentiates the factor bookkeeping; an RY layer on a factor has
# a hand-written adjoint, ``_ry_rows``). Once the rank would exceed a quarter of
# the smaller side, further layers run on the full vector (``_tail_theta``: n 2×2
# passes per RY layer, one gather per CNOT layer, and a hand-written adjoint).


def _cnot_map(x: np.ndarray, n: int) -> np.ndarray:
    """perm[x] of ``cnot_layer_permutation(n)`` for an array of indices x (any shape)."""
    y = np.asarray(x, dtype=np.int64)
    for c, t in reversed(cnot_pairs(n)):  # perm = g_1 ∘ g_2 ∘ … : the last gate acts first
        y = y ^ (((y >> (n - 1 - c)) & 1) << (n - 1 - t))
    return y


@lru_cache(maxsize=32)
def _layout(n: int):
    """Cut k and the CNOT layer's action on the factors: (k, ph, d, pl).

    With x = a·2^(n−k) + b and perm the CNOT-layer gather: perm(x) has row
    ph[a] and column pl[d[a], b], where d[a] packs the few row bits that the
    columns depend on (those of the CNOT across the cut). The cut near n/2
    minimises the number of such bits (1 for an even cut). Built from O(2^(n/2))
    index evaluations, never from the 2^n permutation.
    """
    best = None
    for k in sorted({min(n - 1, max(1, n // 2 + j)) for j in (-1, 0, 1)} if n > 1 else {0}):
        kr = n - k
        rows = np.arange(2**k, dtype=np.int64) << kr
        lo = _cnot_map(rows, n) & (2**kr - 1)
        dep = [
            i for i in range(k) if np.any(_cnot_map(rows ^ (1 << (kr + i)), n) & (2**kr - 1) != lo)
        ]
        key = (len(dep), abs(k - n / 2), k)
        if best is None or key < best[0]:
            best = (key, k, dep)
    _, k, dep = best
    kr = n - k
    a = np.arange(2**k, dtype=np.int64)
    ph = _cnot_map(a << kr, n) >> kr
    d = np.zeros(2**k, dtype=np.int64)
    for j, i in enumerate(dep):
        d |= ((a >> i) & 1) << j
    rep = np.array([int(np.flatnonzero(d == v)[0]) for v in range(2 ** len(dep))])  # a per d
    b = np.arange(2**kr, dtype=np.int64)
    pl = _cnot_map((rep[:, None] << kr) | b[None, :], n) & (2**kr - 1)
    # check the factorisation: everywhere for n <= 20, else on 2^20 random indices
    x = np.arange(2**n) if n <= 20 else np.random.default_rng(0).integers(0, 2**n, 2**20)
    a_x, b_x = x >> kr, x & (2**kr - 1)
    if not np.array_equal((ph[a_x] << kr) | pl[d[a_x], b_x], _cnot_map(x, n)):
        raise AssertionError("CNOT layer does not factor over the cut")  # pragma: no cover
    return k, ph.astype(np.int32), d.astype(np.int32), pl.astype(np.int32)


def _factored_layers(n: int, layers: int) -> int:
    """How many layers run on the thin factors before switching to the full vector."""
    k, _, d, pl = _layout(n)
    growth = pl.shape[0]  # rank multiplier per CNOT layer
    limit = max(1, min(2**k, 2 ** (n - k)) // 4)
    m, rank = 1, growth
    while m < layers and rank * growth <= limit:
        m, rank = m + 1, rank * growth
    return m


def _cnot_factors(u: jax.Array, w: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
    """CNOT layer on U Wᵀ: rows gathered by ph and split by d, columns gathered by pl."""
    _, ph, d, pl = _layout(n)
    nd, r = pl.shape[0], u.shape[1]
    onehot = (d[:, None] == np.arange(nd)[None, :]).astype(np.float64)  # (2^k, nd)
    u2 = (onehot[:, :, None] * u[ph][:, None, :]).reshape(u.shape[0], nd * r)
    w2 = jnp.transpose(w[pl], (1, 0, 2)).reshape(w.shape[0], nd * r)
    return u2, w2


@jax.custom_vjp
def _ry_rows(u: jax.Array, theta_half: jax.Array) -> jax.Array:
    """RY(θ_i) on the qubits indexing the rows of a thin factor (2^m, r)."""
    c, s = _cos_sin(theta_half)
    return _mix(u, c, s, theta_half.shape[0])


def _ry_rows_fwd(u, theta_half):
    c, s = _cos_sin(theta_half)
    out = _mix(u, c, s, theta_half.shape[0])
    return out, (out, c, s)


def _ry_rows_bwd(res, g):
    """As in ``_tail_bwd``: ∂out/∂θ_i = ½ J_i·out, so θ̄_i = ½ Σ_a sign_i(a) ⟨ḡ[a], out[a ⊕ e_i]⟩."""
    out, c, s = res
    m = c.shape[0]
    if m == 0:
        return g, jnp.zeros_like(c)
    partner, sign = _flip_tables(m)
    grad = 0.5 * jnp.sum(sign[:, :, None] * out[partner] * g[None], axis=(1, 2))
    return _mix(g, c, -s, m), grad


_ry_rows.defvjp(_ry_rows_fwd, _ry_rows_bwd)


def _factored_state(theta: jax.Array) -> jax.Array:
    """State after the first ``theta.shape[0]`` layers, as a flat 2^n vector."""
    layers, n = theta.shape
    k = _layout(n)[0]
    c, s = _cos_sin(theta[0])
    cs0 = jnp.stack([c, s], axis=-1)
    u = _half_product(cs0, 0, k)[:, None]
    w = _half_product(cs0, k, n - k)[:, None]
    u, w = _cnot_factors(u, w, n)
    for layer in range(1, layers):
        u = _ry_rows(u, theta[layer, :k])
        w = _ry_rows(w, theta[layer, k:])
        u, w = _cnot_factors(u, w, n)
    # materialised: XLA may turn a thin product into multiply-adds and would then
    # recompute the factors once per amplitude
    return (materialise(u) @ materialise(w).T).reshape(-1)


def _tail_fwd(psi: jax.Array, c: jax.Array, s: jax.Array):
    """[RY → CNOT] for each row of (c, s) on the full vector; keeps the states after RY."""
    n = c.shape[1]
    perm = cnot_layer_permutation(n)
    after_ry = []
    for layer in range(c.shape[0]):
        phi = _mix(psi, c[layer], s[layer], n)
        after_ry.append(phi)
        psi = phi[perm]
    return psi, (c, s, after_ry)


def _tail_bwd(res, g):
    """Adjoint pass: d(after RY)/dθ_i = ½·J_i·Φ (J = [[0, −1], [1, 0]] on qubit i).

    J_i commutes with every RY of the layer, so the layer's gradient is
    ½⟨G, J_i Φ⟩ with Φ the state right after its RY layer and G the cotangent
    there. The n inner products are read off the two matrix products G Φᵀ and
    Gᵀ Φ of the 2^k × 2^(n−k) matrices (a few entries each; in XLA:CPU the
    matmuls are far faster than n strided reductions).
    """
    c, s, after_ry = res
    n = c.shape[1]
    k, kr = _layout(n)[0], n - _layout(n)[0]
    inv = np.argsort(cnot_layer_permutation(n)).astype(np.int32)
    grads = [None] * c.shape[0]
    for layer in range(c.shape[0] - 1, -1, -1):
        h = g[inv]
        hm = h.reshape(2**k, 2**kr)
        pm = after_ry[layer].reshape(2**k, 2**kr)
        parts = []
        for gram, m in ((hm @ pm.T, k), (hm.T @ pm, kr)):
            if m:  # gram[a, a'] = Σ G[a, ·] Φ[a', ·]: need Σ_a sign·gram[a, a ⊕ e_i]
                partner, sign = _flip_tables(m)
                parts.append(jnp.sum(sign * gram[np.arange(2**m)[None, :], partner], axis=1))
        grads[layer] = 0.5 * jnp.concatenate(parts)
        g = _mix(h, c[layer], -s[layer], n)  # RY(θ)ᵀ = RY(−θ)
    return g, jnp.stack(grads)


@jax.custom_vjp
def _tail_theta(psi, theta):
    c, s = _cos_sin(theta)
    return _tail_fwd(psi, c, s)[0]


def _tail_theta_fwd(psi, theta):
    c, s = _cos_sin(theta)
    return _tail_fwd(psi, c, s)


_tail_theta.defvjp(_tail_theta_fwd, _tail_bwd)  # cotangents of (ψ, θ)


def state(theta: jax.Array) -> jax.Array:
    """Real amplitudes ⟨σ|U(θ)|0…0⟩ for all σ, shape (2^n,). Pure JAX, traceable.

    Differentiable in reverse mode and vmappable. Forward mode (``jax.jvp``,
    ``jacfwd``) is only defined for one layer: later layers have hand-written
    reverse-mode adjoints (``jax.custom_vjp``).
    """
    layers, n = theta.shape
    m = _factored_layers(n, layers)
    psi = _factored_state(theta[:m])
    if layers > m:
        psi = _tail_theta(psi, theta[m:])
    return psi


def born(theta: jax.Array) -> jax.Array:
    """Born probabilities |⟨σ|U(θ)|0…0⟩|² for all σ: pure JAX, traceable, differentiable."""
    psi = state(theta)
    return psi * psi


def probabilities(theta) -> jax.Array:
    """Born probabilities q_θ(σ) for all 2^n bitstrings (exact engine), checked and compiled.

    Parameters
    ----------
    theta : array, shape (layers, n_qubits)
        Circuit angles.

    Returns
    -------
    jax.Array, shape (2**n_qubits,)
        q_θ(σ) in PennyLane's basis order (wire 0 most significant).

    Raises
    ------
    ValueError
        If ``theta`` is not 2-D or has more qubits than exact mode allows.
    """
    theta = jnp.asarray(theta, dtype=jnp.float64)
    if theta.ndim != 2:
        raise ValueError(f"theta must have shape (layers, n_qubits); got {theta.shape}")
    check_n_qubits(theta.shape[1])
    return _probabilities_jit(theta)


_probabilities_jit = jax.jit(born)


def probabilities_pennylane(theta, device: str = "default.qubit", **device_kwargs) -> np.ndarray:
    """Reference probabilities from a PennyLane QNode (slow; for tests and checks)."""
    import pennylane as qml

    theta = np.asarray(theta, dtype=float)
    n = theta.shape[1]
    dev = qml.device(device, wires=n, **device_kwargs)

    @qml.qnode(dev)
    def circuit(t):
        ansatz(t, wires=range(n))
        return qml.probs(wires=range(n))

    return np.asarray(circuit(theta))
