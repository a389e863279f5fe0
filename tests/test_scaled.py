"""Beyond enumeration: the MPS engine, the table-free likelihood and training at scale.

References: the statevector engine and PennyLane for the MPS (to 1e-12), the
enumeration tables for the forward-pass likelihood, brute force for kernel sums,
and the exact engine's gradients for the shot estimators (unbiased within
Z standard errors over repeated estimates).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from qhnet.engine import mps
from qhnet.engine.ansatze import ANSATZE, init_angles
from qhnet.engine.circuit import probabilities, probabilities_pennylane, state
from qhnet.engine.objectives import value_and_grad_fn
from qhnet.model import binn, datasets
from qhnet.model.layout import input_dim, n_bits
from qhnet.training import scaled

Z = 4.0


def _all_bits(n):
    return ((np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))) & 1).astype(np.uint8)


def _index(bits):
    n = bits.shape[-1]
    return (bits.astype(np.int64) << (n - 1 - np.arange(n))).sum(-1)


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize(("n", "layers"), [(2, 1), (5, 1), (6, 2), (7, 3)])
def test_mps_state_log_prob_and_marginals_match_the_statevector(ansatz, n, layers):
    theta = init_angles(n, layers, 11, ansatz)
    A = mps.mps(theta, ansatz)
    ref = np.asarray(state(jnp.asarray(theta), ansatz))
    psi = np.asarray(mps.to_state(A))
    np.testing.assert_allclose(np.abs(psi) ** 2, np.abs(ref) ** 2, atol=1e-12)
    if ansatz in ("ry_chain", "product"):  # real amplitudes, up to no phase at all
        np.testing.assert_allclose(psi, ref, atol=1e-12)
    p = np.abs(ref) ** 2
    bits = _all_bits(n)
    np.testing.assert_allclose(np.exp(np.asarray(mps.log_prob(A, bits))), p, atol=1e-12)
    np.testing.assert_allclose(np.asarray(mps.marginals(A)), p @ bits, atol=1e-12)
    assert A.shape[1] == mps.bond_dimension(ansatz, n, layers) <= 2**layers


def test_mps_at_twenty_qubits_and_against_pennylane():
    theta = init_angles(20, 2, 3)
    A = mps.mps(theta)
    np.testing.assert_allclose(
        np.asarray(mps.to_state(A)) ** 2, np.asarray(probabilities(theta)), atol=1e-12
    )
    for ansatz in ("ry_chain", "hea"):
        th = init_angles(5, 2, 4, ansatz)
        ref = probabilities_pennylane(th, ansatz=ansatz)
        got = np.exp(np.asarray(mps.log_prob(mps.mps(th, ansatz), _all_bits(5))))
        np.testing.assert_allclose(got, ref, atol=1e-12)


def test_mps_samples_follow_q_and_report_their_log_q():
    n, shots = 6, 40000
    A = mps.mps(init_angles(n, 2, 5, "hea"), "hea")
    bits, logq = mps.sample(A, shots, jax.random.key(1))
    bits, logq = np.asarray(bits), np.asarray(logq)
    p = np.exp(np.asarray(mps.log_prob(A, _all_bits(n))))
    idx = _index(bits)
    np.testing.assert_allclose(logq, np.log(p[idx]), atol=1e-12)
    counts = np.bincount(idx, minlength=2**n)
    keep = p * shots > 5
    chi2 = ((counts[keep] - shots * p[keep]) ** 2 / (shots * p[keep])).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4
    again, _ = mps.sample(A, shots, jax.random.key(1))
    np.testing.assert_array_equal(np.asarray(again), bits)  # same key, same shots


def test_mps_scales_to_hundreds_of_qubits():
    n = 266
    A = mps.mps(init_angles(n, 1, 0))
    bits, logq = mps.sample(A, 64, jax.random.key(0))
    assert bits.shape == (64, n) and np.all(np.isfinite(np.asarray(logq)))
    np.testing.assert_allclose(np.asarray(mps.log_prob(A, bits)), np.asarray(logq), atol=1e-9)
    p1 = np.asarray(mps.marginals(A))
    assert p1.shape == (n,) and np.all((p1 >= 0) & (p1 <= 1))


def test_mps_refuses_deeper_circuits_and_bad_bits():
    with pytest.raises(ValueError, match="layers must be at most 6 for the MPS engine"):
        mps.mps(init_angles(4, 7, 0))
    with pytest.raises(ValueError, match="last dimension n = 4"):
        mps.log_prob(mps.mps(init_angles(4, 1, 0)), np.zeros((3, 5), np.uint8))


@pytest.mark.parametrize(("name", "hidden"), [("moons", 2), ("gaussian", 0), ("digits01", 0)])
def test_forward_pass_likelihood_equals_the_enumeration_table(name, hidden):
    ds = datasets.make_dataset(name, n_train=40, n_test=30, seed=1)
    t = binn.enumerate_tables(ds, hidden=hidden)
    idx = np.random.default_rng(0).integers(0, 2**t.n, 300)
    bits = _all_bits(t.n)[idx]
    ll, acc = binn.network_scores(bits, ds.X_train, ds.y_train, hidden, chunk=37)
    np.testing.assert_allclose(ll, t.ll_train[idx], atol=1e-10)
    np.testing.assert_array_equal(acc, t.acc_train[idx])
    # repeated bitstrings are computed once and give the same numbers
    lik = scaled.Likelihood(ds.X_test, ds.y_test, hidden)
    ll2, acc2 = lik(np.concatenate([bits, bits[::-1]]).reshape(2, 300, t.n))
    np.testing.assert_allclose(ll2[0], t.ll_test[idx], atol=1e-10)
    np.testing.assert_allclose(ll2[1], t.ll_test[idx][::-1], atol=1e-10)
    np.testing.assert_array_equal(acc2[0], t.acc_test[idx])
    mean = scaled.Likelihood(ds.X_test, ds.y_test, hidden, "mean")(bits)[0]
    np.testing.assert_allclose(mean, t.ll_test[idx] / len(ds.X_test), atol=1e-12)


def test_the_large_architectures_are_configurations():
    assert n_bits(10, input_dim("moons")) == 42
    assert n_bits(4, input_dim("digits01_8x8")) == 266
    ds = datasets.make_dataset("digits38_8x8", n_train=100, n_test=100, seed=0)
    assert ds.X_train.shape == (100, 64) and ds.params["pooling"] == "none, /16"
    assert set(np.unique(ds.y_train)) == {0, 1}
    bits = np.random.default_rng(0).integers(0, 2, (5, 266)).astype(np.uint8)
    ll, acc = binn.network_scores(bits, ds.X_train, ds.y_train, 4)
    ref = np.array([np.log(np.where(ds.y_train == 1, p, 1 - p)).sum()
                    for p in (binn.forward_single(ds.X_train, b, 4) for b in bits)])  # fmt: skip
    np.testing.assert_allclose(ll, ref, rtol=1e-9)
    assert np.all((acc >= 0) & (acc <= 1))


def test_kernel_means_match_brute_force():
    rng = np.random.default_rng(3)
    n, h = 70, 3.0
    x = rng.integers(0, 2, (40, n)).astype(np.uint8)
    y = np.concatenate([rng.integers(0, 2, (25, n)), x[:5]]).astype(np.uint8)
    d = (x[:, None, :] != y[None, :, :]).sum(-1)
    k = np.exp(-d / h)
    np.testing.assert_allclose(scaled.kernel_means(scaled.pack(x), scaled.pack(y), h), k.mean(1))
    dx = (x[:, None, :] != x[None, :, :]).sum(-1)
    kx = np.exp(-dx / h)
    loo = (kx.sum(1) - 1) / (len(x) - 1)
    px = scaled.pack(x)
    np.testing.assert_allclose(scaled.kernel_means(px, px, h, exclude_self=True), loo)


def _problem():
    ds = datasets.make_dataset("moons", n_train=20, n_test=20, seed=2)
    t = binn.enumerate_tables(ds, hidden=1)  # 6 bits
    return scaled.Likelihood(ds.X_train, ds.y_train, 1), t.ll_train


def _within(samples, exact):
    samples = np.asarray(samples)
    se = samples.std(axis=0, ddof=1) / math.sqrt(len(samples))
    dev = np.abs(samples.mean(axis=0) - exact)
    assert np.all(dev <= Z * se + 1e-12), (samples.mean(axis=0), exact, se)
    return se


@pytest.mark.parametrize(
    ("objective", "lam", "m", "gradient"),
    [
        ("mle", 0.0, None, "score"),
        ("selbo", 20.0, None, "score"),
        ("selbo", 20.0, 8, "score"),
        ("elbo", 2.0, None, "score"),
        ("mle", 0.0, None, "shift"),
        ("selbo", 20.0, None, "shift"),
        ("selbo", 20.0, 8, "shift"),
    ],
)
def test_gradient_estimators_are_unbiased(objective, lam, m, gradient):
    lik, ll = _problem()
    h = 1.5
    theta = init_angles(lik.n, 2, 7)
    j, g = value_and_grad_fn(objective)(theta, ll, lam, h)
    g = np.asarray(g).ravel()
    reps = 600 if gradient == "shift" else 1500
    grads, vals = [], []
    for r in range(reps):
        e = scaled.estimate_scaled(
            theta, lik, objective, lam=lam, h=h, shots=16, prior_samples=m,
            gradient=gradient, seed=r, step=0,
        )  # fmt: skip
        grads.append(e.grad.ravel())
        vals.append(e.objective)
    se = _within(grads, g)
    _within(np.array(vals)[:, None], np.array([float(j)]))
    # power: the gradient is resolved well beyond the tolerance
    assert np.max(Z * se) < 0.5 * np.max(np.abs(g))


def test_entropy_estimate_and_its_standard_error():
    lik, ll = _problem()
    theta = init_angles(lik.n, 1, 2)
    p = np.asarray(probabilities(theta))
    H = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    est = [scaled.estimate_scaled(theta, lik, shots=50, seed=r, grad=False) for r in range(400)]
    ent = np.array([e.entropy for e in est])
    _within(ent[:, None], np.array([H]))
    # the reported SE is the spread of the estimate
    assert 0.8 < np.mean([e.entropy_se for e in est]) / ent.std(ddof=1) < 1.25


def test_bad_estimator_requests_are_refused():
    lik, _ = _problem()
    theta = init_angles(lik.n, 1, 0)
    with pytest.raises(ValueError, match="objective 'elbo' needs gradient 'score'"):
        scaled.estimate_scaled(theta, lik, "elbo", lam=1.0, gradient="shift")
    with pytest.raises(ValueError, match="lam must be"):
        scaled.estimate_scaled(theta, lik, "elbo", lam=-1.0)
    with pytest.raises(ValueError, match="gradient must be one of"):
        scaled.estimate_scaled(theta, lik, gradient="adjoint")
    with pytest.raises(ValueError, match="theta must have shape"):
        scaled.estimate_scaled(init_angles(5, 1, 0), lik)


def test_training_at_scale_learns_and_repeats():
    ds = datasets.make_dataset("gaussian", n_train=60, n_test=60, seed=0)
    train = scaled.Likelihood(ds.X_train, ds.y_train, 10)  # 42 bits: no table
    test = scaled.Likelihood(ds.X_test, ds.y_test, 10)
    kw = dict(test=test, lam=5.0, h=4.0, max_steps=60, seeds=(0,), shots=64, record_every=20)
    run = scaled.train_scaled(train, "selbo", **kw)[0]
    t = run.trajectory
    assert list(t) == list(scaled.SCALED_TRAJECTORY_COLUMNS)
    assert list(t["step"]) == [0, 20, 40, 60]
    assert t["ell_est"][-1] > t["ell_est"][0] + 5.0
    assert t["acc_test_expected_est"][-1] > t["acc_test_expected_est"][0]
    again = scaled.train_scaled(train, "selbo", **kw)[0]
    np.testing.assert_array_equal(again.theta, run.theta)


def test_straight_through_bits_are_the_indexed_runs_networks():
    from qhnet.engine.circuit import bits_to_index
    from qhnet.training.baselines import straight_through, straight_through_bits

    ds = datasets.make_dataset("moons", n_train=30, n_test=10, seed=0)
    runs = straight_through(ds.X_train, ds.y_train, 2, (0, 1, 2), steps=50)
    bits = straight_through_bits(ds.X_train, ds.y_train, 2, (0, 1, 2), steps=50)
    assert [int(bits_to_index(b.astype(np.int64))) for b in bits] == [r.index for r in runs]
    with pytest.raises(ValueError, match="y must be 30 labels"):
        straight_through_bits(ds.X_train, ds.y_train[:5], 2)
