"""The exact engine: amplitudes and Born probabilities of every ansatz, in JAX.

The circuits are defined once, as gate lists, in ``qhnet.engine.ansatze``
(re-exported here): ``ansatz_ops``, ``apply_ansatz`` (PennyLane), ``init_angles``,
``angle_shape``. This module simulates them exactly: ``state``, ``born``,
``probabilities`` (all take ``ansatz=``, default ``"ry_chain"``), written in JAX
so that any objective of the probabilities gets its gradient by reverse mode.

``ry_chain`` (real amplitudes) exploits the circuit's structure: as a
2^k × 2^(n−k) matrix the state after L layers has rank 2^L (a product state,
then each CNOT layer doubles the rank because only one CNOT crosses the cut), so
the first layers act on two thin factors and the 2^n amplitudes are one thin
matrix product, forward and backward. Deeper circuits continue on the full
vector (n 2×2 passes per RY layer, one gather per CNOT layer) with a
hand-written adjoint pass. See the comment above ``_layout``.

``brick``, ``hea`` and ``product`` (complex amplitudes) are simulated from their gate lists
(``_segments``) with the same idea: every layer is local rotations and one CNOT
permutation with few CNOTs across the cut, so the first layers run on two thin
complex factors (``_complex_plan``), the rest on the full vector.

Basis order is PennyLane's: wire 0 is the most significant bit of the index.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qhnet.engine._jax import materialise
from qhnet.engine.ansatze import (
    ANSATZE,
    DEFAULT_ANSATZ,
    GATES,
    angle_shape,
    ansatz_ops,
    apply_ansatz,
    brick_pairs,
    check_ansatz,
    check_layers,
    check_thetas,
    cnot_pairs,
    init_angles,
    ladder_pairs,
    theta_dims,
)
from qhnet.limits import MAX_EXACT_QUBITS
from qhnet.validation import check_int

__all__ = [
    "ANSATZE",
    "DEFAULT_ANSATZ",
    "GATES",
    "angle_shape",
    "ansatz_ops",
    "apply_ansatz",
    "bits_to_index",
    "born",
    "brick_pairs",
    "check_ansatz",
    "check_layers",
    "check_n_qubits",
    "check_theta",
    "check_thetas",
    "cnot_layer_permutation",
    "cnot_pairs",
    "cnot_permutation",
    "init_angles",
    "ladder_pairs",
    "probabilities",
    "probabilities_pennylane",
    "state",
    "theta_dims",
]


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


def bits_to_index(bits) -> np.ndarray:
    """Rows of bits (..., n), wire 0 first, to basis indices k = Σ σ_i 2^(n−1−i) (int64)."""
    bits = np.asarray(bits).astype(np.int64)
    n = bits.shape[-1]
    return bits @ (np.int64(1) << np.arange(n - 1, -1, -1, dtype=np.int64))


def cnot_layer_permutation(n: int) -> np.ndarray:
    """Index array ``perm`` with (one ``ry_chain`` CNOT layer) ψ = ψ[perm]."""
    return cnot_permutation(n, tuple(cnot_pairs(n)))


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


def _pairs_map(x: np.ndarray, n: int, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    """perm[x] of ``cnot_permutation(n, pairs)`` for an array of indices x (any shape)."""
    y = np.asarray(x, dtype=np.int64)
    for c, t in reversed(pairs):  # perm = g_1 ∘ g_2 ∘ … : the last gate acts first
        y = y ^ (((y >> (n - 1 - c)) & 1) << (n - 1 - t))
    return y


def _cut_dependence(n: int, k: int, pairs: tuple[tuple[int, int], ...]) -> list[int] | None:
    """Row bits (of the cut at k) that the columns of the permuted index depend on.

    None if the CNOTs do not factor over the cut (a row bit of the result
    depends on a column bit): then the thin-factor form cannot carry them.
    """
    kr = n - k
    rows = np.arange(2**k, dtype=np.int64) << kr
    cols = np.arange(2**kr, dtype=np.int64)
    if np.any(_pairs_map(cols, n, pairs) >> kr):  # a column bit moves a row bit
        return None
    lo = _pairs_map(rows, n, pairs) & (2**kr - 1)
    return [
        i
        for i in range(k)
        if np.any(_pairs_map(rows ^ (1 << (kr + i)), n, pairs) & (2**kr - 1) != lo)
    ]


@lru_cache(maxsize=256)
def _factor_layout(n: int, k: int, pairs: tuple[tuple[int, int], ...]):
    """The CNOTs ``pairs`` on the factors of the cut at k: (ph, d, pl), or None.

    With x = a·2^(n−k) + b and perm the CNOTs' gather: perm(x) has row ph[a]
    and column pl[d[a], b], where d[a] packs the few row bits that the columns
    depend on (those of the CNOTs across the cut). Built from O(2^(n/2)) index
    evaluations, never from the 2^n permutation, and checked (everywhere for
    n <= 20, else on 2^20 random indices).
    """
    dep = _cut_dependence(n, k, pairs)
    if dep is None:
        return None
    kr = n - k
    a = np.arange(2**k, dtype=np.int64)
    ph = _pairs_map(a << kr, n, pairs) >> kr
    d = np.zeros(2**k, dtype=np.int64)
    for j, i in enumerate(dep):
        d |= ((a >> i) & 1) << j
    rep = np.array([int(np.flatnonzero(d == v)[0]) for v in range(2 ** len(dep))])  # a per d
    b = np.arange(2**kr, dtype=np.int64)
    pl = _pairs_map((rep[:, None] << kr) | b[None, :], n, pairs) & (2**kr - 1)
    x = np.arange(2**n) if n <= 20 else np.random.default_rng(0).integers(0, 2**n, 2**20)
    a_x, b_x = x >> kr, x & (2**kr - 1)
    if not np.array_equal((ph[a_x] << kr) | pl[d[a_x], b_x], _pairs_map(x, n, pairs)):
        raise AssertionError("CNOTs do not factor over the cut")  # pragma: no cover
    return ph.astype(np.int32), d.astype(np.int32), pl.astype(np.int32)


def _cut_candidates(n: int) -> list[int]:
    return sorted({min(n - 1, max(1, n // 2 + j)) for j in (-1, 0, 1)})


@lru_cache(maxsize=32)
def _layout(n: int):
    """Cut k and the ``ry_chain`` CNOT layer's action on the factors: (k, ph, d, pl).

    The cut near n/2 that minimises the number of row bits the columns depend
    on (1 for an even cut); see ``_factor_layout``.
    """
    pairs = tuple(cnot_pairs(n))
    k = min(
        _cut_candidates(n), key=lambda k: (len(_cut_dependence(n, k, pairs)), abs(k - n / 2), k)
    )
    return (k, *_factor_layout(n, k, pairs))


def _factored_layers(n: int, layers: int) -> int:
    """How many layers run on the thin factors before switching to the full vector."""
    k, _, d, pl = _layout(n)
    growth = pl.shape[0]  # rank multiplier per CNOT layer
    limit = max(1, min(2**k, 2 ** (n - k)) // 4)
    m, rank = 1, growth
    while m < layers and rank * growth <= limit:
        m, rank = m + 1, rank * growth
    return m


def _cnot_factors(u: jax.Array, w: jax.Array, layout) -> tuple[jax.Array, jax.Array]:
    """CNOTs on U Wᵀ: rows gathered by ph and split by d, columns gathered by pl.

    ``layout`` = (ph, d, pl) of ``_factor_layout``; the rank grows by pl's first
    dimension (2 per CNOT across the cut).
    """
    ph, d, pl = layout
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
    layout = _layout(n)[1:]
    u, w = _cnot_factors(u, w, layout)
    for layer in range(1, layers):
        u = _ry_rows(u, theta[layer, :k])
        w = _ry_rows(w, theta[layer, k:])
        u, w = _cnot_factors(u, w, layout)
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


def _ry_chain_state(theta: jax.Array) -> jax.Array:
    """``ry_chain``: real amplitudes, shape (2^n,) (factored layers, then the full-vector tail)."""
    layers, n = theta.shape
    m = _factored_layers(n, layers)
    psi = _factored_state(theta[:m])
    if layers > m:
        psi = _tail_theta(psi, theta[m:])
    return psi


# --- the complex path (brick, hea, product): any gate list of RY, RZ and CNOT ---------------


@lru_cache(maxsize=256)
def cnot_permutation(n: int, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Index array ``perm`` with ψ after the CNOTs ``pairs`` (in order) = ψ[perm].

    A CNOT is its own inverse and maps |x⟩ to |x ⊕ x_c·e_t⟩, so the new amplitude at
    x is the old one at CNOT(x); composing the gates in order gives one gather.
    """
    idx = np.arange(2**n, dtype=np.int64)
    perm = idx.copy()
    for c, t in pairs:
        perm = perm[idx ^ (((idx >> (n - 1 - c)) & 1) << (n - 1 - t))]
    return perm.astype(np.int32)


@lru_cache(maxsize=256)
def _segments(ansatz: str, n: int, layers: int) -> tuple:
    """``ansatz_ops`` grouped: ("RY" | "RZ", qubits, flat indices) or ("CNOT", pairs).

    Consecutive rotations of one kind on distinct qubits form one segment (they
    commute); consecutive CNOTs form one (a permutation). A CNOT whose control
    is still exactly |0⟩ (no RY on it and no CNOT into it yet) is the identity on
    the state and is dropped: e.g. binncode's first brick.
    """
    segs: list = []
    live = [False] * n  # qubit may have a |1⟩ component
    for gate, wires, k in ansatz_ops(ansatz, n, layers):
        if gate == "CNOT":
            c, t = wires
            if not live[c]:
                continue
            live[t] = True
            if segs and segs[-1][0] == "CNOT":
                segs[-1][1].append(wires)
            else:
                segs.append(("CNOT", [wires]))
            continue
        q = wires[0]
        if gate == "RY":
            live[q] = True
        if segs and segs[-1][0] == gate and q not in segs[-1][1]:
            segs[-1][1].append(q)
            segs[-1][2].append(k)
        else:
            segs.append((gate, [q], [k]))
    return tuple(
        ("CNOT", tuple(s[1])) if s[0] == "CNOT" else (s[0], tuple(s[1]), tuple(s[2])) for s in segs
    )


def _ry_qubit(psi: jax.Array, c: jax.Array, s: jax.Array, q: int) -> jax.Array:
    """RY on the qubit that is bit q (from the most significant) of the leading axis."""
    shape = psi.shape
    x = psi.reshape(2**q, 2, -1)
    a, b = x[:, 0:1], x[:, 1:2]
    return jnp.concatenate([c * a - s * b, s * a + c * b], axis=1).reshape(shape)


def _rz_phases(phi: jax.Array) -> jax.Array:
    """⊗_i diag(e^{−iφ_i/2}, e^{iφ_i/2}) of m angles as a length-2^m vector (wire 0 first)."""
    m = phi.shape[0]
    if m == 0:
        return jnp.ones((1,), jnp.complex128)
    sign = 1.0 - 2.0 * _bit_table(m)  # +1 for bit 0, −1 for bit 1
    return jnp.exp(-0.5j * (jnp.asarray(sign) @ phi))


def _complex_full(psi: jax.Array, theta_flat: jax.Array, segs, n: int) -> jax.Array:
    """Apply ``segs`` to the full 2^n vector ``psi`` (plain JAX; reverse mode by JAX)."""
    for seg in segs:
        if seg[0] == "CNOT":
            psi = psi[cnot_permutation(n, seg[1])]
            continue
        gate, qubits, idx = seg
        angles = theta_flat[np.asarray(idx)]
        if gate == "RY":
            c, s = _cos_sin(angles)
            for j, q in enumerate(qubits):
                psi = _ry_qubit(psi, c[j], s[j], q)
        else:
            k = n // 2
            phi = jnp.zeros(n, theta_flat.dtype).at[np.asarray(qubits)].set(angles)
            z = _rz_phases(phi[:k])[:, None] * _rz_phases(phi[k:])[None, :]
            psi = (psi.reshape(2**k, 2 ** (n - k)) * z).reshape(-1)
    return psi


@lru_cache(maxsize=256)
def _complex_plan(ansatz: str, n: int, layers: int) -> tuple[int, int, tuple]:
    """(k, m, layouts): the first m segments run on the thin factors of the cut at k.

    Every layer of ``brick`` and ``hea`` is one CNOT permutation and local
    rotations; local rotations act on the factors separately ((A ⊗ B) U Wᵀ =
    (A U)(B W)ᵀ) and a CNOT permutation with c CNOTs across the cut multiplies
    the rank by 2^c (``_factor_layout``). So the state stays a product of two
    2^(n/2)-row factors of rank 2^(crossings so far) until the rank would exceed
    a quarter of the smaller side; the remaining segments run on the full vector.
    The cut is the one near n/2 that keeps the most segments factored (then the
    lowest rank). ``layouts`` holds the factor layout of each CNOT segment among
    the first m.
    """
    segs = _segments(ansatz, n, layers)
    best = None
    for k in _cut_candidates(n):
        limit = max(1, min(2**k, 2 ** (n - k)) // 4)
        rank, m, layouts = 1, len(segs), []
        for i, seg in enumerate(segs):
            if seg[0] != "CNOT":
                continue
            layout = _factor_layout(n, k, seg[1])
            if layout is None or rank * layout[2].shape[0] > limit:
                m = i
                break
            rank *= layout[2].shape[0]
            layouts.append(layout)
        key = (-m, rank, abs(k - n / 2), k)
        if best is None or key < best[0]:
            best = (key, k, m, tuple(layouts))
    return best[1], best[2], best[3]


def _local_gates(theta_flat: jax.Array, run, n: int) -> jax.Array:
    """One 2×2 matrix per qubit, shape (n, 2, 2): the product of a run of RY/RZ segments."""
    g = jnp.broadcast_to(jnp.eye(2, dtype=jnp.complex128), (n, 2, 2))
    for gate, qubits, idx in run:
        q = np.asarray(qubits)
        angles = theta_flat[np.asarray(idx)]
        if gate == "RY":
            c, s = jnp.cos(angles / 2), jnp.sin(angles / 2)
            m = jnp.stack([jnp.stack([c, -s], -1), jnp.stack([s, c], -1)], -2)
        else:
            e = jnp.exp(-0.5j * angles)
            z = jnp.zeros_like(e)
            m = jnp.stack([jnp.stack([e, z], -1), jnp.stack([z, jnp.conj(e)], -1)], -2)
        g = g.at[q].set(m @ g[q])
    return g


def _kron_rows(g: jax.Array) -> jax.Array:
    """⊗ of the 2×2 matrices g[0], g[1], … (first most significant): 2^m × 2^m."""
    m = g.shape[0]
    if m == 0:
        return jnp.ones((1, 1), g.dtype)
    bits = _bit_table(m)
    return jnp.prod(g[np.arange(m)[None, None, :], bits[:, None, :], bits[None, :, :]], axis=-1)


def _apply_local(u: jax.Array, g: jax.Array) -> jax.Array:
    """The gates g (m, 2, 2) on the m qubits indexing the rows of a factor (2^m, r)."""
    m = g.shape[0]
    m1 = m // 2
    k1, k2 = _kron_rows(g[:m1]), _kron_rows(g[m1:])
    x = u.reshape(2**m1, 2 ** (m - m1), u.shape[1])
    return jnp.einsum("ab,cd,bdr->acr", k1, k2, x).reshape(u.shape)


def _complex_factored(theta_flat: jax.Array, segs, n: int, k: int, layouts) -> jax.Array:
    """Apply ``segs`` to |0…0⟩ held as U Wᵀ (2^k × r and 2^(n−k) × r); the flat 2^n state.

    Each run of rotations between CNOT segments is one 2×2 matrix per qubit,
    applied to a factor as two small Kronecker blocks (a few operations per
    layer, not a few per qubit: that keeps compilation short).
    """
    u = jnp.zeros((2**k, 1), jnp.complex128).at[0, 0].set(1.0)
    w = jnp.zeros((2 ** (n - k), 1), jnp.complex128).at[0, 0].set(1.0)
    layouts = iter(layouts)
    run: list = []
    for seg in (*segs, None):
        if seg is not None and seg[0] != "CNOT":
            run.append(seg)
            continue
        if run:
            g = _local_gates(theta_flat, run, n)
            u, w, run = _apply_local(u, g[:k]), _apply_local(w, g[k:]), []
        if seg is not None:
            u, w = _cnot_factors(u, w, next(layouts))
    return (materialise(u) @ materialise(w).T).reshape(-1)


def _complex_state(theta: jax.Array, ansatz: str, n: int, layers: int) -> jax.Array:
    """``brick``, ``hea``, ``product``: complex amplitudes (factored, then the full vector)."""
    segs = _segments(ansatz, n, layers)
    k, m, layouts = _complex_plan(ansatz, n, layers)
    theta_flat = theta.reshape(-1)
    psi = _complex_factored(theta_flat, segs[:m], n, k, layouts)
    return _complex_full(psi, theta_flat, segs[m:], n)


def check_theta(theta, ansatz: str = DEFAULT_ANSATZ) -> tuple[int, int]:
    """(layers, n) of one angle array for the exact engine, checking shape and size.

    Raises
    ------
    ValueError
        If ``ansatz`` is unknown, the shape does not fit it, or n exceeds the exact limit.
    """
    layers, n = theta_dims(np.shape(theta), ansatz)
    check_n_qubits(n)
    return layers, n


def state(theta: jax.Array, ansatz: str = DEFAULT_ANSATZ) -> jax.Array:
    """Amplitudes ⟨σ|U(θ)|0…0⟩ for all σ, shape (2^n,). Pure JAX, traceable.

    Parameters
    ----------
    theta : jax.Array
        Angles, shape ``angle_shape(ansatz, n, layers)``.
    ansatz : str
        One of ``ANSATZE`` (static under ``jax.jit``).

    Returns
    -------
    jax.Array
        float64 for ``ry_chain`` (real amplitudes), complex128 for the others.
        Basis order: wire 0 most significant.

    Notes
    -----
    Differentiable in reverse mode and vmappable. Forward mode (``jax.jvp``,
    ``jacfwd``) is only defined for one ``ry_chain`` layer: later layers have
    hand-written reverse-mode adjoints (``jax.custom_vjp``).
    """
    layers, n = theta_dims(theta.shape, ansatz)
    if ansatz == "ry_chain":
        return _ry_chain_state(theta)
    return _complex_state(theta, ansatz, n, layers)


def born(theta: jax.Array, ansatz: str = DEFAULT_ANSATZ) -> jax.Array:
    """Born probabilities |⟨σ|U(θ)|0…0⟩|² for all σ: pure JAX, traceable, differentiable."""
    psi = state(theta, ansatz)
    if jnp.iscomplexobj(psi):
        return psi.real * psi.real + psi.imag * psi.imag
    return psi * psi


def probabilities(theta, ansatz: str = DEFAULT_ANSATZ) -> jax.Array:
    """Born probabilities q_θ(σ) for all 2^n bitstrings (exact engine), checked and compiled.

    Parameters
    ----------
    theta : array, shape ``angle_shape(ansatz, n, layers)``
        Circuit angles.
    ansatz : str
        One of ``ANSATZE``.

    Returns
    -------
    jax.Array, shape (2**n_qubits,)
        q_θ(σ) in PennyLane's basis order (wire 0 most significant).

    Raises
    ------
    ValueError
        For an unknown ansatz, a shape that does not fit it, or more qubits than
        exact mode allows.
    """
    theta = jnp.asarray(theta, dtype=jnp.float64)
    check_theta(theta, ansatz)
    return _probabilities_jit(theta, ansatz)


_probabilities_jit = jax.jit(born, static_argnames="ansatz")


def probabilities_pennylane(
    theta, device: str = "default.qubit", *, ansatz: str = DEFAULT_ANSATZ, **device_kwargs
) -> np.ndarray:
    """Reference probabilities from a PennyLane QNode of ``apply_ansatz`` (slow; for tests)."""
    import pennylane as qml

    theta = np.asarray(theta, dtype=float)
    _, n = theta_dims(theta.shape, ansatz)
    dev = qml.device(device, wires=n, **device_kwargs)

    @qml.qnode(dev)
    def circuit(t):
        apply_ansatz(t, wires=range(n), ansatz=ansatz)
        return qml.probs(wires=range(n))

    return np.asarray(circuit(theta))
