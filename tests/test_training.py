"""Training reaches known optima, is deterministic, and rejects bad arguments."""

import numpy as np
import pytest

from qhnet.engine.circuit import cnot_layer_permutation, probabilities
from qhnet.limits import MAX_EXACT_QUBITS
from qhnet.training import TRAJECTORY_COLUMNS, train


def _table_with_optimum(n, opt, seed=0):
    rng = np.random.default_rng(seed)
    ll = -rng.uniform(20, 40, 2**n)
    ll[opt] = -5.0
    return ll


def _popcount(x):
    return np.array([bin(int(v)).count("1") for v in np.atleast_1d(x)])


@pytest.mark.parametrize("opt", [0b10110, 0b00001, 0b11111])
def test_mle_reaches_known_optimum(opt):
    """A table that decreases with the Hamming distance to ``opt`` in the circuit's
    own bit basis (after the CNOT permutation) has a single optimum that every
    seed of a 1-layer circuit must reach."""
    n = 5
    perm = cnot_layer_permutation(n)
    ll = -3.0 * _popcount(perm ^ perm[opt]).astype(float) - 10.0
    assert np.argmax(ll) == opt
    for run in train(ll, "mle", lr=0.05, max_steps=3000, seeds=range(4)):
        assert float(probabilities(run.theta)[opt]) >= 0.9


def test_mle_on_random_table_finds_optimum_for_some_seeds():
    n, opt = 5, 0b10110
    ll = _table_with_optimum(n, opt)
    masses = [float(probabilities(r.theta)[opt]) for r in train(ll, "mle", seeds=range(8))]
    assert max(masses) >= 0.9, masses


def test_elbo_keeps_entropy_and_lambda_orders_it():
    n = 5
    ll = _table_with_optimum(n, 3)
    ent = {}
    for lam in (0.1, 10.0):
        (run,) = train(ll, "elbo", lam=lam, max_steps=1500, seeds=[0])
        ent[lam] = run.trajectory["entropy"][-1]
    assert ent[10.0] > ent[0.1]
    assert ent[10.0] > 0.9 * n * np.log(2)


def test_selbo_pushes_towards_uniform():
    ll = _table_with_optimum(5, 3)
    (mle,) = train(ll, "mle", max_steps=1500, seeds=[1])
    (sel,) = train(ll, "selbo", lam=1000.0, h=1.25, max_steps=1500, seeds=[1])
    assert sel.trajectory["mmd2_ref"][-1] < 0.1 * mle.trajectory["mmd2_ref"][-1]


def test_deterministic_same_seed():
    ll = _table_with_optimum(6, 9)
    a = train(ll, "elbo", lam=1.0, max_steps=400, seeds=[3, 4])
    b = train(ll, "elbo", lam=1.0, max_steps=400, seeds=[4])
    np.testing.assert_array_equal(a[1].theta, b[0].theta)
    for col in TRAJECTORY_COLUMNS:
        np.testing.assert_array_equal(a[1].trajectory[col], b[0].trajectory[col])
    assert not np.array_equal(a[0].theta, a[1].theta)


def test_trajectory_shape_and_final_point():
    ll = _table_with_optimum(4, 1)
    (run,) = train(ll, "mle", max_steps=200, min_steps=200, record_every=50, tol=0.0, seeds=[0])
    assert list(run.trajectory["step"]) == [0, 50, 100, 150, 200]
    assert run.steps == 200 and not run.converged
    q = np.asarray(probabilities(run.theta))
    assert abs(run.trajectory["ell"][-1] - q @ ll) < 1e-12
    assert run.objective == run.trajectory["objective"][-1]


def test_convergence_test_stops_early_and_records_steps():
    ll = _table_with_optimum(4, 1)
    (run,) = train(ll, "elbo", lam=100.0, max_steps=5000, min_steps=100, tol=1e-6, seeds=[0])
    assert run.converged and run.steps < 5000
    obj = run.trajectory["objective"]
    assert abs(obj[-1] - obj[-2]) < 1e-3


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"objective": "elbo", "lam": -1.0}, "lam"),
        ({"objective": "selbo", "lam": 1.0, "h": 0.0}, "h \\(MMD bandwidth\\)"),
        ({"objective": "nope"}, "objective must be one of"),
        ({"lr": 0.0}, "lr must be"),
        ({"max_steps": 0}, "max_steps must be an integer >= 1"),
        ({"seeds": []}, "seeds must be a non-empty list"),
        ({"layers": 0}, "layers must be an integer >= 1"),
        ({"window_frac": 0.0}, "window_frac"),
    ],
)
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        train(np.zeros(16), **kw)


def test_bad_table_length():
    with pytest.raises(ValueError, match="ll must be a 1-D table of length 2\\^n"):
        train(np.zeros(10), "mle")


def test_too_many_qubits_for_exact_mode():
    with pytest.raises(ValueError, match=f"at most {MAX_EXACT_QUBITS} for exact mode"):
        train(np.zeros(2**25, dtype=np.float32), "mle")
