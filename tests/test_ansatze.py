"""The ansätze: gate lists, shapes, and the exact engine against PennyLane for every ansatz.

PennyLane's circuits are built by ``apply_ansatz`` from the same gate list
(``ansatz_ops``) the engine uses, so these tests check the engine's arithmetic,
and ``test_gate_lists`` checks the gate lists against the documented layouts.
"""

import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest

from qhnet.engine.circuit import (
    ANSATZE,
    angle_shape,
    ansatz_ops,
    apply_ansatz,
    check_thetas,
    init_angles,
    probabilities,
    probabilities_pennylane,
    state,
)
from qhnet.engine.objectives import value_and_grad_fn


def _pennylane_state(theta, ansatz):
    n = theta.shape[-1]

    @qml.qnode(qml.device("default.qubit", wires=n))
    def circuit(t):
        apply_ansatz(t, wires=range(n), ansatz=ansatz)
        return qml.state()

    return np.asarray(circuit(theta))


def test_gate_lists():
    n = 5
    for ansatz in ANSATZE:
        for layers in (1, 3):
            ops = ansatz_ops(ansatz, n, layers)
            size = int(np.prod(angle_shape(ansatz, n, layers)))
            idx = [k for g, _, k in ops if g != "CNOT"]
            assert sorted(idx) == list(range(size)), ansatz  # every angle exactly once
            assert all((k is None) == (g == "CNOT") for g, _, k in ops)
            assert {g for g, _, _ in ops} <= {"RY", "RZ", "CNOT"}
    # ry_chain: RY on every qubit, then even pairs, then odd pairs; flat index l·n + i
    ops = ansatz_ops("ry_chain", 4, 2)
    assert ops[:4] == [("RY", (i,), i) for i in range(4)]
    assert ops[4:7] == [("CNOT", (0, 1), None), ("CNOT", (2, 3), None), ("CNOT", (1, 2), None)]
    assert ops[7] == ("RY", (0,), 4)
    # brick (binncode): odd pairs in layers 0, 2, …, even pairs in layers 1, 3, …; RY then RZ
    ops = ansatz_ops("brick", 5, 2)
    assert ops[:2] == [("CNOT", (1, 2), None), ("CNOT", (3, 4), None)]
    assert ops[2:7] == [("RY", (i,), i) for i in range(5)]
    assert ops[7:12] == [("RZ", (i,), 5 + i) for i in range(5)]
    assert ops[12:14] == [("CNOT", (0, 1), None), ("CNOT", (2, 3), None)]
    assert ops[14] == ("RY", (0,), 10)
    # hea: RY, RZ on every qubit, then the ladder (0,1), (1,2), …
    ops = ansatz_ops("hea", 4, 1)
    assert [g for g, _, _ in ops] == ["RY"] * 4 + ["RZ"] * 4 + ["CNOT"] * 3
    assert [w for g, w, _ in ops if g == "CNOT"] == [(0, 1), (1, 2), (2, 3)]


def test_angle_shapes_and_init():
    assert angle_shape("ry_chain", 7, 3) == (3, 7)
    assert angle_shape("brick", 7, 3) == angle_shape("hea", 7, 3) == (3, 2, 7)
    # ry_chain keeps its draws: one uniform call of shape (layers, n)
    expect = np.random.default_rng(5).uniform(0.0, 2 * np.pi, size=(2, 14))
    assert np.array_equal(init_angles(14, 2, 5), expect)
    for ansatz in ANSATZE:
        a = init_angles(6, 2, 3, ansatz=ansatz)
        assert a.shape == angle_shape(ansatz, 6, 2) and (a >= 0).all() and (a < 2 * np.pi).all()
        assert np.array_equal(a, init_angles(6, 2, 3, ansatz))


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("layers", [1, 2, 3, 4])
@pytest.mark.parametrize("n", [1, 4, 7, 10])
def test_state_matches_default_qubit(ansatz, layers, n):
    theta = init_angles(n, layers, 10 * n + layers, ansatz)
    psi = np.asarray(state(jnp.asarray(theta), ansatz))
    np.testing.assert_allclose(psi, _pennylane_state(theta, ansatz), atol=1e-12)
    np.testing.assert_allclose(
        np.asarray(probabilities(theta, ansatz)),
        probabilities_pennylane(theta, ansatz=ansatz),
        atol=1e-12,
    )


@pytest.mark.parametrize("ansatz", ["brick", "hea"])
def test_probabilities_match_default_qubit_at_14_qubits(ansatz):
    theta = init_angles(14, 4, 1, ansatz)
    np.testing.assert_allclose(
        np.asarray(probabilities(theta, ansatz)),
        probabilities_pennylane(theta, ansatz=ansatz),
        atol=1e-12,
    )


@pytest.mark.parametrize("ansatz", ANSATZE)
def test_parameter_shift_is_exact(ansatz):
    """∂E_q[ll]/∂θ_k = [E(θ + π/2 e_k) − E(θ − π/2 e_k)]/2 for every RY and RZ angle."""
    n, layers = 4, 2
    theta = init_angles(n, layers, 4, ansatz)
    ll = np.random.default_rng(0).normal(size=2**n)
    _, grad = value_and_grad_fn("mle", ansatz)(jnp.asarray(theta), jnp.asarray(ll), 0.0, 1.0)
    flat = np.asarray(grad).reshape(-1)
    for k, g in zip(range(theta.size), flat, strict=True):
        e = np.zeros(theta.size)
        e[k] = np.pi / 2
        up = float(np.asarray(probabilities(theta + e.reshape(theta.shape), ansatz)) @ ll)
        down = float(np.asarray(probabilities(theta - e.reshape(theta.shape), ansatz)) @ ll)
        assert abs((up - down) / 2 - g) < 1e-12
    if ansatz in ("brick", "hea"):  # the last layer's RZ angles only change phases
        np.testing.assert_allclose(np.asarray(grad)[-1, 1], 0.0, atol=1e-13)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: probabilities(np.zeros((2, 4)), "brick"), r"theta must have shape \(layers, 2"),
        (lambda: probabilities(np.zeros((2, 3, 4)), "hea"), r"theta must have shape \(layers, 2"),
        (lambda: probabilities(np.zeros((2, 2, 4)), "ry_chain"), r"\(layers, n_qubits\)"),
        (lambda: probabilities(np.zeros((1, 2, 23)), "brick"), "n_qubits must be at most"),
        (lambda: probabilities(np.zeros((1, 4)), "ry-chain"), "ansatz must be one of"),
        (lambda: init_angles(4, 1, 0, "nope"), "ansatz must be one of"),
        (lambda: init_angles(4, 0, 0, "brick"), "layers must be an integer >= 1"),
        (lambda: ansatz_ops("hea", 0, 1), "n_qubits must be an integer >= 1"),
        (lambda: value_and_grad_fn("mle", "nope"), "ansatz must be one of"),
        (lambda: check_thetas(np.zeros((3, 2, 4)), "brick"), r"thetas must have shape \(batch,\)"),
        (lambda: check_thetas(np.zeros((2, 1, 2, 4)), "ry_chain"), r"thetas must have shape"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_apply_ansatz_checks_wires():
    @qml.qnode(qml.device("default.qubit", wires=3))
    def circuit(t):
        apply_ansatz(t, wires=range(3), ansatz="brick")
        return qml.probs()

    with pytest.raises(ValueError, match="theta must have 3 qubits"):
        circuit(np.zeros((1, 2, 4)))


def test_product_ansatz_is_the_mean_field_family():
    """q(σ) = Π_i p_i^σ_i (1 − p_i)^(1 − σ_i) with p_i = sin²(Σ_l θ_li / 2), closed form."""
    n, layers = 5, 2
    theta = init_angles(n, layers, 3, "product")
    p = np.sin(theta.sum(axis=0) / 2) ** 2
    bits = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)[None, :]) & 1
    expect = np.prod(np.where(bits == 1, p, 1 - p), axis=1)
    np.testing.assert_allclose(np.asarray(probabilities(theta, "product")), expect, atol=1e-14)
