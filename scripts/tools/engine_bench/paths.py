"""One builder per way of computing a step: qhnet's engines and the plain approaches.

Exact paths: ``BUILDERS[path](objective, n, layers, ll)`` returns ``(step, prep,
unpack)``: ``step(prep(θ))`` computes J and dJ/dθ, ``unpack`` turns the result
into ``(float, numpy array)``. Sampled: :func:`build_plain_sampled` is
default.qubit with ``qml.set_shots`` and O(S²) kernel sums, against which
``qhnet.training.sampled.estimate`` is timed.
"""

from __future__ import annotations

import numpy as np

from engine_bench.problem import LAM, bandwidth, plain_objective, plain_objective_np
from qhnet.engine.circuit import cnot_pairs
from qhnet.training.sampled import shifted_angles


def build_qhnet(objective, n, layers, ll):
    import jax
    import jax.numpy as jnp

    from qhnet.engine.objectives import value_and_grad_fn

    fn = value_and_grad_fn(objective)
    ll_j, lam, h = jnp.asarray(ll), jnp.float64(LAM), jnp.float64(bandwidth(n))

    def step(theta):
        return jax.block_until_ready(fn(theta, ll_j, lam, h))

    return step, (lambda th: jnp.asarray(th)), (lambda out: (float(out[0]), np.asarray(out[1])))


def build_reference(objective, n, layers, ll):
    """Minimal JAX statevector: one 2×2 mix per qubit, one gather per CNOT, no tricks."""
    import jax
    import jax.numpy as jnp

    idx = np.arange(2**n)
    gathers = [
        jnp.asarray(idx ^ (((idx >> (n - 1 - c)) & 1) << (n - 1 - t))) for c, t in cnot_pairs(n)
    ]

    def amplitudes(theta):
        psi = jnp.zeros(2**n).at[0].set(1.0)
        for layer in range(layers):
            for i in range(n):
                c, s = jnp.cos(theta[layer, i] / 2), jnp.sin(theta[layer, i] / 2)
                x = psi.reshape(2**i, 2, -1)
                psi = jnp.stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1]], 1)
                psi = psi.reshape(-1)
            for g in gathers:
                psi = psi[g]
        return psi

    def value(theta, ll, lam, h):
        psi = amplitudes(theta)
        return plain_objective(jnp, psi * psi, ll, objective, lam, h, n)

    fn = jax.jit(jax.value_and_grad(value))
    ll_j, lam, h = jnp.asarray(ll), jnp.float64(LAM), jnp.float64(bandwidth(n))

    def step(theta):
        return jax.block_until_ready(fn(theta, ll_j, lam, h))

    return step, (lambda th: jnp.asarray(th)), (lambda out: (float(out[0]), np.asarray(out[1])))


def build_pl_autograd(objective, n, layers, ll):
    import pennylane as qml
    from autograd import value_and_grad
    from pennylane import numpy as pnp

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="autograd", diff_method="backprop")
    def probs(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.probs(wires=range(n))

    h = bandwidth(n)
    fn = value_and_grad(lambda t: plain_objective(pnp, probs(t), ll, objective, LAM, h, n))

    def step(theta):
        return fn(theta)

    return (
        step,
        (lambda th: pnp.array(th, requires_grad=True)),
        (lambda out: (float(out[0]), np.asarray(out[1]))),
    )


def build_pl_jax(objective, n, layers, ll):
    import jax
    import jax.numpy as jnp
    import pennylane as qml

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev, interface="jax", diff_method="backprop")
    def probs(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.probs(wires=range(n))

    def value(theta, ll, lam, h):
        return plain_objective(jnp, probs(theta), ll, objective, lam, h, n)

    fn = jax.jit(jax.value_and_grad(value))  # λ, h, table traced (cacheable)
    ll_j, lam, h = jnp.asarray(ll), jnp.float64(LAM), jnp.float64(bandwidth(n))

    def step(theta):
        return jax.block_until_ready(fn(theta, ll_j, lam, h))

    return step, (lambda th: jnp.asarray(th)), (lambda out: (float(out[0]), np.asarray(out[1])))


def build_lightning_adjoint(objective, n, layers, ll):
    import pennylane as qml
    import scipy.sparse as sp
    from pennylane import numpy as pnp

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("lightning.qubit", wires=n)

    @qml.qnode(dev, diff_method=None)
    def probs(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.probs(wires=range(n))

    @qml.qnode(dev, diff_method="adjoint")
    def energy(theta, ham):
        apply_ansatz(theta, wires=range(n))
        return qml.expval(ham)

    grad = qml.grad(energy, argnums=0)
    h = bandwidth(n)

    def step(theta):
        q = np.asarray(probs(theta))
        value, w = plain_objective_np(q, ll, objective, LAM, h, n)
        ham = qml.SparseHamiltonian(sp.diags(w, format="csr"), wires=range(n))
        return value, grad(theta, ham)

    return (
        step,
        (lambda th: pnp.array(th, requires_grad=True)),
        (lambda out: (float(out[0]), np.asarray(out[1]))),
    )


BUILDERS = {
    "qhnet": build_qhnet,
    "reference": build_reference,
    "pl_autograd": build_pl_autograd,
    "pl_jax": build_pl_jax,
    "lightning_adjoint": build_lightning_adjoint,
}
JIT_PATHS = {"qhnet", "reference", "pl_jax"}


class FixedShots:
    """A shot source that returns given shots (to compare two estimators on the same data)."""

    def __init__(self, idx):
        self.idx = idx

    def sample(self, thetas, shots, rng):
        return self.idx


def pairwise_sums(x: np.ndarray, y: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """Σ_j k(x_i, y_j) for every i, by the O(|x|·|y|) double loop (vectorised)."""
    return powers[np.bitwise_count(x[:, None] ^ y[None, :])].sum(axis=1)


def plain_sampled_estimator(idx, y, ll, lam, h, n):
    """SELBO estimate and parameter-shift gradient from shots, O(S²) kernel sums."""
    powers = np.exp(-np.arange(n + 1) / h)
    x0, N, m = idx[0], idx.shape[1], y.shape[0]
    kxx = pairwise_sums(x0, x0, powers).sum() - N
    kyy = pairwise_sums(y, y, powers).sum() - m
    kxy = pairwise_sums(x0, y, powers).sum()
    mmd2 = kxx / (N * (N - 1)) + kyy / (m * (m - 1)) - 2.0 * kxy / (N * m)
    P = (idx.shape[0] - 1) // 2
    fm = np.empty(2 * P)
    for k in range(2 * P):
        x = idx[1 + k]
        f = ll[x] / 2.0 - lam * (pairwise_sums(x, x0, powers) / N - pairwise_sums(x, y, powers) / m)
        fm[k] = f.mean()
    return float(ll[x0].mean() - lam * mmd2), fm[:P] - fm[P:]


def build_plain_sampled(n, layers, ll, shots, prior):
    import pennylane as qml

    from qhnet.engine.circuit import apply_ansatz

    dev = qml.device("default.qubit", wires=n, seed=12345)

    @qml.set_shots(shots)
    @qml.qnode(dev)
    def circuit(theta):
        apply_ansatz(theta, wires=range(n))
        return qml.sample(wires=range(n))

    weights = np.int64(1) << np.arange(n - 1, -1, -1, dtype=np.int64)
    h = bandwidth(n)

    def step(theta, rng):
        idx = np.stack(
            [np.asarray(circuit(t)).astype(np.int64) @ weights for t in shifted_angles(theta)]
        )
        y = rng.integers(0, 2**n, size=prior, dtype=np.int64)
        value, grad = plain_sampled_estimator(idx, y, ll, LAM, h, n)
        return value, grad.reshape(theta.shape), idx

    return step
