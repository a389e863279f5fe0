"""The hypernetwork circuit: one ansatz for PennyLane devices, one fast exact engine.

The ansatz (METHOD §1, after binncode) is ``layers`` repetitions of
[RY(θ) on every qubit → CNOT on (0,1),(2,3),… → CNOT on (1,2),(3,4),…] acting
on |0…0⟩. RY and CNOT are real, so the state stays real: the exact engine keeps
a real vector of 2^n amplitudes, applies each RY layer as n 2×2 mixes and each
CNOT layer as one precomputed permutation (a gather). It is written in JAX so
that any objective of the probabilities gets its gradient by reverse mode.

Basis order is PennyLane's: wire 0 is the most significant bit of the index.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qhnet import _jax  # noqa: F401  (configures JAX: float64, one thread, cache)

MAX_EXACT_QUBITS = 24


def check_n_qubits(n: int, *, name: str = "n_qubits", max_qubits: int = MAX_EXACT_QUBITS) -> int:
    """Validate a qubit count for the exact engine (2^n amplitudes must fit)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}")
    if n > max_qubits:
        raise ValueError(
            f"{name} must be at most {max_qubits} for exact mode (2^{n} amplitudes); got {n}. "
            "Use sampled mode for larger circuits."
        )
    return int(n)


def check_layers(layers: int) -> int:
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or layers < 1:
        raise ValueError(f"layers must be an integer >= 1; got {layers!r}")
    return int(layers)


def cnot_pairs(n: int) -> list[tuple[int, int]]:
    """The CNOTs of one layer, in order: even pairs then odd pairs (open chain)."""
    return [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]


def init_angles(n: int, layers: int, seed: int) -> np.ndarray:
    """Initial angles i.i.d. Uniform[0, 2π), shape (layers, n), fixed by ``seed``."""
    check_n_qubits(n, max_qubits=10**6)
    check_layers(layers)
    rng = np.random.default_rng(seed)
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


def _ry_all(psi: jax.Array, theta_layer: jax.Array, n: int) -> jax.Array:
    """Apply RY(θ_i) to every qubit i of a real state vector of length 2^n."""
    c = jnp.cos(theta_layer / 2)
    s = jnp.sin(theta_layer / 2)
    for i in range(n):
        x = psi.reshape(2**i, 2, 2 ** (n - 1 - i))
        a, b = x[:, 0, :], x[:, 1, :]
        psi = jnp.stack([c[i] * a - s[i] * b, s[i] * a + c[i] * b], axis=1).reshape(-1)
    return psi


@lru_cache(maxsize=32)
def _permuter(n: int):
    """ψ ↦ ψ[perm] for the CNOT layer, with its transpose (the inverse gather) as VJP.

    JAX would differentiate a gather into a scatter-add; a permutation's
    transpose is just the inverse permutation, which is cheaper.
    """
    perm = cnot_layer_permutation(n)
    inv = np.argsort(perm).astype(np.int32)

    @jax.custom_vjp
    def permute(x):
        return x[perm]

    def fwd(x):
        return x[perm], None

    def bwd(_, g):
        return (g[inv],)

    permute.defvjp(fwd, bwd)
    return permute


def _product_state(theta_layer: jax.Array) -> jax.Array:
    """RY layer on |0…0⟩: the product state ⊗_i (cos θ_i/2, sin θ_i/2), flattened."""
    psi = jnp.ones((1,), dtype=theta_layer.dtype)
    for i in range(theta_layer.shape[0]):
        v = jnp.stack([jnp.cos(theta_layer[i] / 2), jnp.sin(theta_layer[i] / 2)])
        psi = (psi[:, None] * v[None, :]).reshape(-1)
    return psi


def state(theta: jax.Array) -> jax.Array:
    """Real amplitudes ⟨σ|U(θ)|0…0⟩ for all σ, shape (2^n,). Pure JAX, traceable."""
    layers, n = theta.shape
    permute = _permuter(n)
    psi = permute(_product_state(theta[0]))
    for layer in range(1, layers):
        psi = permute(_ry_all(psi, theta[layer], n))
    return psi


def probabilities(theta) -> jax.Array:
    """Born probabilities q_θ(σ) for all 2^n bitstrings (exact engine)."""
    theta = jnp.asarray(theta, dtype=jnp.float64)
    if theta.ndim != 2:
        raise ValueError(f"theta must have shape (layers, n_qubits); got {theta.shape}")
    check_n_qubits(theta.shape[1])
    return _probabilities_jit(theta)


@jax.jit
def _probabilities_jit(theta):
    psi = state(theta)
    return psi * psi


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
