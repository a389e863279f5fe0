"""The exact engine against PennyLane's default.qubit: probabilities and gradients."""

import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest

from qhnet.engine.circuit import (
    apply_ansatz,
    cnot_layer_permutation,
    init_angles,
    probabilities,
    probabilities_pennylane,
)
from qhnet.engine.objectives import entropy, mmd2_uniform, value_and_grad_fn
from qhnet.limits import MAX_EXACT_QUBITS

CASES = [(2, 1), (3, 2), (4, 1), (5, 3), (6, 2), (7, 1)]


@pytest.mark.parametrize(("n", "layers"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_probabilities_match_default_qubit(n, layers, seed):
    theta = init_angles(n, layers, seed)
    np.testing.assert_allclose(
        np.asarray(probabilities(theta)), probabilities_pennylane(theta), atol=1e-12
    )


def test_cnot_permutation_matches_pennylane_unitary():
    n = 5
    dev = qml.device("default.qubit", wires=n)
    rng = np.random.default_rng(3)
    psi = rng.normal(size=2**n)
    psi /= np.linalg.norm(psi)

    @qml.qnode(dev)
    def circ():
        qml.StatePrep(psi, wires=range(n))
        for c, t in [(0, 1), (2, 3), (1, 2), (3, 4)]:
            qml.CNOT(wires=[c, t])
        return qml.state()

    np.testing.assert_allclose(psi[cnot_layer_permutation(n)], np.real(circ()), atol=1e-14)


def _pennylane_objective(n, layers, ll, kind, lam, h, ansatz="ry_chain"):
    """The same objective written on a PennyLane QNode (autograd backprop)."""
    dev = qml.device("default.qubit", wires=n)
    a = np.exp(-1.0 / h)

    @qml.qnode(dev, diff_method="backprop")
    def probs(theta):
        apply_ansatz(theta, wires=range(n), ansatz=ansatz)
        return qml.probs(wires=range(n))

    from pennylane import numpy as pnp

    def J(theta):
        q = probs(theta)
        val = pnp.dot(q, ll)
        if kind == "elbo":
            val = val - lam * pnp.sum(q * pnp.log(q))
        if kind == "selbo":
            v = q
            for i in range(n):
                x = pnp.reshape(v, (2**i, 2, 2 ** (n - 1 - i)))
                v = pnp.reshape(
                    pnp.stack([x[:, 0] + a * x[:, 1], a * x[:, 0] + x[:, 1]], axis=1), (-1,)
                )
            val = val - lam * (pnp.dot(q, v) - ((1 + a) / 2) ** n)
        return val

    return J


GRADIENT_CASES = [("ry_chain", 3, 1), ("ry_chain", 4, 2), ("ry_chain", 5, 2), ("ry_chain", 6, 3)]
# (4, 2), (5, 3): the full-vector path; (10, 3): thin factors with CNOTs across the cut
GRADIENT_CASES += [
    (a, n, layers) for a in ("brick", "hea") for n, layers in [(4, 2), (5, 3), (10, 3)]
]


@pytest.mark.parametrize(("ansatz", "n", "layers"), GRADIENT_CASES)
@pytest.mark.parametrize("kind", ["mle", "elbo", "selbo"])
def test_gradients_match_pennylane(ansatz, n, layers, kind):
    from pennylane import numpy as pnp

    rng = np.random.default_rng(n * 10 + layers)
    ll = -rng.uniform(10, 60, 2**n)
    theta = init_angles(n, layers, 7, ansatz)
    lam, h = 0.7, 1.3
    J = _pennylane_objective(n, layers, ll, kind, lam, h, ansatz)
    t = pnp.array(theta, requires_grad=True)
    ref_val = J(t)
    ref_grad = qml.grad(J, argnums=0)(t)
    val, grad = value_and_grad_fn(kind, ansatz)(jnp.asarray(theta), jnp.asarray(ll), lam, h)
    assert abs(float(val) - float(ref_val)) <= 1e-10 * max(1, abs(float(ref_val)))
    np.testing.assert_allclose(np.asarray(grad), np.asarray(ref_grad), atol=1e-10)


def test_entropy_gradient_finite_at_zero_probabilities():
    theta = jnp.zeros((1, 4))  # all angles 0: q is a point mass, most q(σ) = 0
    val, grad = value_and_grad_fn("elbo")(theta, jnp.zeros(16), 1.0, 1.0)
    assert np.isfinite(float(val)) and np.all(np.isfinite(np.asarray(grad)))
    q = probabilities(theta)
    assert float(entropy(q)) == 0.0
    assert float(mmd2_uniform(q, 1.0)) > 0


def test_init_angles_deterministic_and_in_range():
    a, b = init_angles(14, 2, 5), init_angles(14, 2, 5)
    assert np.array_equal(a, b) and a.shape == (2, 14)
    assert (a >= 0).all() and (a < 2 * np.pi).all()
    assert not np.array_equal(a, init_angles(14, 2, 6))


@pytest.mark.parametrize(
    ("theta", "match"),
    [
        (np.zeros((1, 25)), f"n_qubits must be at most {MAX_EXACT_QUBITS}"),
        (np.zeros(4), "theta must have shape"),
    ],
)
def test_bad_theta(theta, match):
    with pytest.raises(ValueError, match=match):
        probabilities(theta)


def test_bad_layers():
    with pytest.raises(ValueError, match="layers must be an integer >= 1"):
        init_angles(4, 0, 0)
