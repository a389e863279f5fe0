"""Sampled mode: estimators are unbiased, fast paths equal the naive sums, training works.

Statistical tests use fixed seeds (so they are deterministic) and a tolerance of
4 standard errors of the mean over repetitions (two-sided p ≈ 6e-5 per component
if the estimator is unbiased).
"""

import math

import numpy as np
import pytest
from scipy import stats

from qhnet.devices.shots import DeviceShots
from qhnet.engine.circuit import bits_to_index, init_angles, probabilities
from qhnet.engine.objectives import kernel_apply, mmd2_uniform, value_and_grad_fn
from qhnet.training import TRAJECTORY_COLUMNS
from qhnet.training.checkpoint import remove_run_checkpoints
from qhnet.training.sampled import (
    SAMPLED_TRAJECTORY_COLUMNS,
    KernelSums,
    ShotSource,
    SimulatedShots,
    estimate,
    mmd2_u,
    sample_from_probabilities,
    shifted_angles,
    step_rng,
    train_sampled,
)

Z = 4.0  # standard errors


def _table(n, seed=0, opt=3):
    rng = np.random.default_rng(seed)
    ll = -rng.uniform(20, 40, 2**n)
    ll[opt] = -5.0
    return ll


def _naive_mmd2_u(x, y, n, h):
    """Pairwise O(S²) U-statistic on bit vectors: the definition, nothing clever."""

    def bits(v):
        return (np.asarray(v)[:, None] >> np.arange(n - 1, -1, -1)) & 1

    def k(a, b):
        return np.exp(-np.abs(bits(a)[:, None, :] - bits(b)[None, :, :]).sum(-1) / h)

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    N, m = len(x), len(y)
    return (
        (kxx.sum() - np.trace(kxx)) / (N * (N - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.sum() / (N * m)
    )


def _within(samples, exact, z=Z):
    samples = np.asarray(samples)
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / math.sqrt(samples.shape[0])
    dev = np.abs(mean - exact)
    assert np.all(dev <= z * se + 1e-12), (mean, exact, se)
    return se


def test_bits_to_index_wire0_most_significant():
    assert bits_to_index([1, 0, 0]) == 4
    assert bits_to_index([0, 0, 1]) == 1
    np.testing.assert_array_equal(bits_to_index([[1, 1, 0], [0, 1, 1]]), [6, 3])


def test_shifted_angles_layout():
    theta = init_angles(3, 2, 0)
    th = shifted_angles(theta)
    assert th.shape == (13, 2, 3)
    np.testing.assert_array_equal(th[0], theta)
    d = (th[1:7] - theta).reshape(6, 6)
    np.testing.assert_allclose(d, np.eye(6) * np.pi / 2)
    np.testing.assert_allclose((th[7:] - theta).reshape(6, 6), -np.eye(6) * np.pi / 2)


def test_sample_from_probabilities_is_multinomial():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(16), size=3)
    p[1, 5] = 0.0
    p[1] /= p[1].sum()
    idx = sample_from_probabilities(p, 20000, np.random.default_rng(1))
    assert idx.dtype == np.int64 and idx.shape == (3, 20000)
    assert not np.any(idx[1] == 5)  # zero-probability states never appear
    for b in range(3):
        c = np.bincount(idx[b], minlength=16)
        keep = p[b] > 0
        assert stats.chisquare(c[keep], 20000 * p[b][keep]).pvalue > 1e-4


def test_simulated_shots_reproducible_and_fresh_per_step():
    src = SimulatedShots()
    assert isinstance(src, ShotSource)
    th = init_angles(5, 1, 0)[None]
    a = src.sample(th, 100, step_rng(0, 1))
    np.testing.assert_array_equal(a, src.sample(th, 100, step_rng(0, 1)))
    assert not np.array_equal(a, src.sample(th, 100, step_rng(0, 2)))
    assert not np.array_equal(a, src.sample(th, 100, step_rng(1, 1)))


def test_kernel_apply_numpy_path_matches_matrix():
    from qhnet.engine.objectives import hamming_kernel_matrix

    v = np.random.default_rng(0).normal(size=32)
    np.testing.assert_allclose(kernel_apply(v, 1.3), hamming_kernel_matrix(5, 1.3) @ v)


@pytest.mark.parametrize(("n", "size"), [(3, 40), (5, 200), (8, 300)])
def test_histogram_estimator_equals_naive_pairwise(n, size):
    rng = np.random.default_rng(n)
    # a peaked q so that bitstrings repeat a lot
    q = rng.dirichlet(np.full(2**n, 0.05))
    x = rng.choice(2**n, size=size, p=q)
    y = rng.integers(0, 2**n, size=size // 2 + 3)
    h = 0.7 * n
    naive = _naive_mmd2_u(x, y, n, h)
    for method in ("dense", "pairwise", "auto"):
        assert abs(mmd2_u(x, y, n, h, method=method) - naive) <= 1e-12
    kd = KernelSums(x, n, h, method="dense")
    kp = KernelSums(x, n, h, method="pairwise")
    queries = rng.integers(0, 2**n, size=(4, 50))
    np.testing.assert_allclose(kd(queries), kp(queries), rtol=0, atol=1e-11)
    assert abs(kd.self_sum() - kp.self_sum()) < 1e-10


def test_mmd2_u_statistic_is_unbiased():
    n, h, S, m = 4, 1.5, 20, 15
    theta = init_angles(n, 1, 2)
    exact = float(mmd2_uniform(probabilities(theta), h))
    src = SimulatedShots()
    vals = []
    for r in range(3000):
        rng = np.random.default_rng([7, r])
        x = src.sample(theta[None], S, rng)[0]
        y = rng.integers(0, 2**n, size=m)
        vals.append(mmd2_u(x, y, n, h))
    _within(np.array(vals)[:, None], np.array([exact]))
    # the biased V-statistic would be off by far more than the tolerance
    assert np.std(vals) / math.sqrt(len(vals)) < 0.02 * (1 - exact)


@pytest.mark.parametrize(
    ("objective", "lam", "h", "layers", "table", "m"),
    [
        ("mle", None, None, 2, "random", 16),
        ("selbo", 1.0, 1.2, 1, "zeros", 16),  # the MMD term alone
        ("selbo", 3.0, 2.0, 2, "random", 16),
        ("selbo", 1.0, 1.2, 1, "zeros", None),  # the prior's terms in closed form
        ("selbo", 3.0, 2.0, 2, "random", None),
    ],
)
def test_parameter_shift_gradient_is_unbiased(objective, lam, h, layers, table, m):
    n = 4
    ll = _table(n, 1) if table == "random" else np.zeros(2**n)
    theta = init_angles(n, layers, 5)
    j_exact, g_exact = value_and_grad_fn(objective)(
        theta, ll, 0.0 if lam is None else lam, 1.0 if h is None else h
    )
    g_exact = np.asarray(g_exact).ravel()
    grads, objs = [], []
    for r in range(2000):
        e = estimate(
            theta, ll, objective, lam=lam, h=h, shots=24, prior_samples=m, rng=step_rng(r, 0)
        )
        grads.append(e.grad.ravel())
        objs.append(e.objective)
    se = _within(grads, g_exact)
    _within(np.array(objs)[:, None], np.array([float(j_exact)]))
    # the test has power: the gradient is resolved well beyond its tolerance
    assert np.max(Z * se) < 0.5 * np.max(np.abs(g_exact))


def test_exact_prior_terms_remove_the_prior_samples_noise():
    """With m = "exact" (None) the estimates keep their mean and lose the prior's noise:
    the MMD² estimate's spread over shot draws is below the sampled-prior one's."""
    n, h, lam = 4, 1.5, 2.0
    theta = init_angles(n, 1, 3)
    ll = np.zeros(2**n)
    spread = {}
    for m in (8, None):
        vals = [
            estimate(
                theta,
                ll,
                "selbo",
                lam=lam,
                h=h,
                shots=16,
                prior_samples=m,
                rng=step_rng(r, 0),
                grad=False,
            ).mmd2  # fmt: skip
            for r in range(1500)
        ]
        spread[m] = np.std(vals)
        _within(np.array(vals)[:, None], np.array([float(mmd2_uniform(probabilities(theta), h))]))
    assert spread[None] < 0.8 * spread[8]


def test_estimate_dense_and_pairwise_agree():
    n, ll = 5, _table(5, 2)
    theta = init_angles(n, 1, 1)
    kw = dict(lam=2.0, h=1.25, shots=64, prior_samples=32)
    a = estimate(theta, ll, "selbo", rng=step_rng(0, 0), method="dense", **kw)
    b = estimate(theta, ll, "selbo", rng=step_rng(0, 0), method="pairwise", **kw)
    assert abs(a.objective - b.objective) < 1e-12
    np.testing.assert_allclose(a.grad, b.grad, atol=1e-12)


def test_elbo_is_rejected_in_sampled_mode():
    with pytest.raises(ValueError, match="'elbo' is not available in sampled mode"):
        train_sampled(np.zeros(16), "elbo", lam=1.0)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"objective": "nope"}, "objective must be one of 'mle', 'selbo'"),
        ({"objective": "selbo", "lam": 1.0}, "h \\(MMD bandwidth\\)"),
        ({"shots": 1}, "shots must be an integer >= 2"),
        ({"objective": "selbo", "lam": 1.0, "h": 1.0, "prior_samples": 1}, "prior_samples"),
        ({"max_steps": 0}, "max_steps must be an integer >= 1"),
        ({"seeds": []}, "seeds must be a non-empty list"),
        ({"source": object()}, "source must have a sample"),
    ],
)
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        train_sampled(np.zeros(16), **kw)


def test_train_sampled_deterministic_and_fixed_steps():
    ll = _table(4, 0)
    kw = dict(lam=1.0, h=1.0, max_steps=30, shots=50, prior_samples=20, record_every=10)
    a = train_sampled(ll, "selbo", seeds=[3, 4], **kw)
    b = train_sampled(ll, "selbo", seeds=[4], **kw)
    np.testing.assert_array_equal(a[1].theta, b[0].theta)
    for col in SAMPLED_TRAJECTORY_COLUMNS:
        np.testing.assert_array_equal(a[1].trajectory[col], b[0].trajectory[col])
    assert not np.array_equal(a[0].theta, a[1].theta)
    run = a[0]
    assert run.steps == 30 and not run.converged
    assert list(run.trajectory["step"]) == [0, 10, 20, 30]
    assert set(TRAJECTORY_COLUMNS) <= set(run.trajectory)
    q = np.asarray(probabilities(run.theta))
    assert abs(run.trajectory["ell"][-1] - q @ ll) < 1e-12
    assert run.objective == run.trajectory["objective"][-1]
    assert np.all(np.isfinite(run.trajectory["objective_est"]))


@pytest.mark.parametrize(("objective", "lam", "h"), [("mle", None, None), ("selbo", 5.0, 1.25)])
def test_train_sampled_improves_objective(objective, lam, h):
    ll = _table(5, 0, opt=0b10110)
    runs = train_sampled(
        ll, objective, lam=lam, h=h, max_steps=400, shots=100, prior_samples=100, seeds=[0, 1]
    )
    for run in runs:
        obj = run.trajectory["objective"]  # exact J of the ideal circuit
        assert obj[-1] > obj[0] + 1.0, obj


def test_train_sampled_with_device_source_default_qubit():
    ll = _table(3, 0)
    (run,) = train_sampled(
        ll, "mle", max_steps=3, shots=20, seeds=[0], source=DeviceShots("default.qubit")
    )
    assert run.steps == 3 and np.all(np.isfinite(run.theta))


def test_default_qubit_shots_match_simulated_shots_in_distribution():
    n, S = 4, 6000
    thetas = np.stack([init_angles(n, 2, s) for s in range(3)])
    p = np.asarray([probabilities(t) for t in thetas])
    dev = DeviceShots("default.qubit").sample(thetas, S, np.random.default_rng(0))
    sim = SimulatedShots().sample(thetas, S, np.random.default_rng(0))
    assert dev.shape == sim.shape == (3, S) and dev.dtype == np.int64
    for b in range(3):
        cd = np.bincount(dev[b], minlength=2**n)
        cs = np.bincount(sim[b], minlength=2**n)
        # two-sample chi-square on the 2 × K contingency table (cells seen at least once)
        keep = (cd + cs) > 0
        assert stats.chi2_contingency(np.stack([cd[keep], cs[keep]]))[1] > 1e-4
        # and each against the exact probabilities
        assert 0.5 * np.abs(cd / S - p[b]).sum() < 0.05
        assert 0.5 * np.abs(cs / S - p[b]).sum() < 0.05


class _Crash(Exception):
    pass


class _CrashingShots(SimulatedShots):
    """Simulated shots that die (like a killed job) at the given call."""

    def __init__(self, at: int):
        self.at, self.calls = at, 0

    def sample(self, thetas, shots, rng):
        self.calls += 1
        if self.calls == self.at:
            raise _Crash
        return super().sample(thetas, shots, rng)

    def __repr__(self) -> str:  # the same run configuration as SimulatedShots
        return "SimulatedShots()"


def test_killed_run_resumes_bit_identical_from_its_checkpoint(tmp_path):
    ll = _table(4, 1)
    kw = dict(lam=2.0, h=1.0, max_steps=23, shots=40, prior_samples=30, record_every=5)
    ref = train_sampled(ll, "selbo", seeds=[1, 2], **kw)
    ck = tmp_path / "run.ckpt"
    # seed 1 finishes (24 calls), seed 2 dies at its step 13: last checkpoint at step 10
    with pytest.raises(_Crash):
        train_sampled(
            ll,
            "selbo",
            seeds=[1, 2],
            source=_CrashingShots(24 + 14),
            checkpoint_dir=ck,
            checkpoint_every=5,
            **kw,
        )
    assert sorted(p.name for p in ck.iterdir()) == ["seed1.npz", "seed2.npz"]
    counting = _CrashingShots(at=0)
    again = train_sampled(
        ll, "selbo", seeds=[1, 2], source=counting, checkpoint_dir=ck, checkpoint_every=5, **kw
    )
    assert counting.calls == 23 - 10 + 1  # seed 1 not rerun; seed 2 from step 10
    for a, b in zip(ref, again, strict=True):
        np.testing.assert_array_equal(a.theta, b.theta)
        for col in SAMPLED_TRAJECTORY_COLUMNS:
            np.testing.assert_array_equal(a.trajectory[col], b.trajectory[col])
    remove_run_checkpoints(ck, [1, 2])
    assert not ck.exists()


def test_checkpoint_of_another_configuration_is_ignored(tmp_path):
    ll = _table(3, 0)
    kw = dict(max_steps=6, shots=20, seeds=[0], checkpoint_dir=tmp_path, checkpoint_every=2)
    train_sampled(ll, "mle", lr=0.05, **kw)
    counting = _CrashingShots(at=0)
    (run,) = train_sampled(ll, "mle", lr=0.1, source=counting, **kw)
    assert counting.calls == 7  # all steps again
    (ref,) = train_sampled(ll, "mle", lr=0.1, max_steps=6, shots=20, seeds=[0])
    np.testing.assert_array_equal(run.theta, ref.theta)
