"""Training reaches known optima, is deterministic, and rejects bad arguments."""

from functools import partial

import jax.numpy as jnp
import numpy as np
import pytest

from qhnet.engine.circuit import ANSATZE, angle_shape, cnot_layer_permutation, probabilities
from qhnet.engine.objectives import objective_value, value_and_grad_fn
from qhnet.limits import MAX_EXACT_QUBITS
from qhnet.training import TRAJECTORY_COLUMNS, train
from qhnet.training.checkpoint import Checkpoint, remove_run_checkpoints
from qhnet.training.checkpoint import run_checkpoint_path as checkpoint_path
from qhnet.training.exact import DEFAULTS, _program

#: The trainer's mechanics are tested on the 1-layer ry_chain circuit (fast to
#: compile, its basis known); the defaults have a test of their own.
_train = partial(train, ansatz="ry_chain", layers=1)


def _table_with_optimum(n, opt, seed=0):
    rng = np.random.default_rng(seed)
    ll = -rng.uniform(20, 40, 2**n)
    ll[opt] = -5.0
    return ll


def _popcount(x):
    return np.array([bin(int(v)).count("1") for v in np.atleast_1d(x)])


OPTIMIZERS = ["adam", "lbfgs"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("opt", [0b10110, 0b00001, 0b11111])
def test_mle_reaches_known_optimum(opt, optimizer):
    """A table that decreases with the Hamming distance to ``opt`` in the circuit's
    own bit basis (after the CNOT permutation) has a single optimum that every
    seed of a 1-layer circuit must reach."""
    n = 5
    perm = cnot_layer_permutation(n)
    ll = -3.0 * _popcount(perm ^ perm[opt]).astype(float) - 10.0
    assert np.argmax(ll) == opt
    for run in _train(ll, "mle", optimizer=optimizer, seeds=range(4)):
        assert float(probabilities(run.theta)[opt]) >= 0.9
        assert run.steps_to_optimum is not None


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_mle_on_random_table_finds_optimum_for_some_seeds(optimizer, ansatz):
    """Brute force knows the optimum; some starts of every optimiser × ansatz reach it."""
    n, opt = 5, 0b10110
    ll = _table_with_optimum(n, opt)
    runs = _train(ll, "mle", optimizer=optimizer, ansatz=ansatz, layers=2, seeds=range(8))
    masses = [float(probabilities(r.theta_best, ansatz)[opt]) for r in runs]
    assert all(r.theta.shape == angle_shape(ansatz, n, 2) for r in runs)
    hits = [r.steps_to_optimum is not None for r in runs]
    assert hits == [
        int(np.argmax(probabilities(r.theta_best, ansatz))) == opt or h
        for r, h in zip(runs, hits, strict=True)
    ]
    assert max(masses) >= 0.9, masses


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_elbo_keeps_entropy_and_lambda_orders_it(optimizer):
    n = 5
    ll = _table_with_optimum(n, 3)
    ent = {}
    for lam in (0.1, 10.0):
        (run,) = _train(ll, "elbo", lam=lam, optimizer=optimizer, seeds=[0])
        ent[lam] = run.trajectory["entropy"][-1]
    assert ent[10.0] > ent[0.1]
    assert ent[10.0] > 0.9 * n * np.log(2)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_selbo_pushes_towards_uniform(optimizer):
    ll = _table_with_optimum(5, 3)
    (mle,) = _train(ll, "mle", optimizer=optimizer, seeds=[1])
    (sel,) = _train(ll, "selbo", lam=1000.0, h=1.25, optimizer=optimizer, seeds=[1])
    assert sel.trajectory["mmd2_ref"][-1] < 0.1 * mle.trajectory["mmd2_ref"][-1]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_deterministic_same_seed(optimizer):
    ll = _table_with_optimum(6, 9)
    a = _train(ll, "elbo", lam=1.0, optimizer=optimizer, max_steps=400, seeds=[3, 4])
    b = _train(ll, "elbo", lam=1.0, optimizer=optimizer, max_steps=400, seeds=[4])
    np.testing.assert_array_equal(a[1].theta, b[0].theta)
    for col in TRAJECTORY_COLUMNS:
        np.testing.assert_array_equal(a[1].trajectory[col], b[0].trajectory[col])
    assert not np.array_equal(a[0].theta, a[1].theta)


def test_trajectory_shape_and_final_point():
    ll = _table_with_optimum(4, 1)
    (run,) = _train(
        ll, "mle", optimizer="adam", max_steps=200, min_steps=200, record_every=50, seeds=[0]
    )
    assert list(run.trajectory["step"]) == [0, 50, 100, 150, 200]
    assert run.steps == 200 and not run.converged and run.stop_reason == "max_steps"
    q = np.asarray(probabilities(run.theta))
    assert abs(run.trajectory["ell"][-1] - q @ ll) < 1e-12
    assert run.objective == run.trajectory["objective"][-1]


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_best_iterate_is_kept(optimizer):
    ll = _table_with_optimum(6, 9, seed=2)
    for run in _train(ll, "elbo", lam=0.3, optimizer=optimizer, record_every=1, seeds=[0, 1]):
        j_best = float(
            objective_value(jnp.asarray(run.theta_best), jnp.asarray(ll), "elbo", 0.3, 1.0)
        )
        assert run.best_objective == pytest.approx(j_best, abs=1e-10)
        assert run.best_objective >= run.trajectory["objective"].max() - 1e-12
        assert run.best_objective >= run.objective
        k = list(run.trajectory["step"]).index(run.best_step)
        assert run.trajectory["objective"][k] == pytest.approx(run.best_objective, abs=1e-10)


def test_rtol_rule_fires_as_stated():
    """Adam stops at the first step s >= min_steps with |J_s - J_(s-w)| <= rtol * range."""
    ll = _table_with_optimum(4, 1)
    rtol, max_steps, frac = 1e-6, 2000, 0.05
    (run,) = _train(
        ll,
        "elbo",
        lam=3.0,
        optimizer="adam",
        max_steps=max_steps,
        min_steps=100,
        window_frac=frac,
        rtol=rtol,
        gtol=0.0,
        record_every=1,
        seeds=[0],
    )
    assert run.stop_reason == "rtol" and run.converged and run.steps < max_steps
    w, j, R = int(np.ceil(frac * max_steps)), run.trajectory["objective"], np.ptp(ll)
    s = run.steps - 1  # J_s is the last value the rule saw (the final angles come after)
    assert abs(j[s] - j[s - w]) <= rtol * R
    earlier = [k for k in range(max(100 - 1, w), s) if abs(j[k] - j[k - w]) <= rtol * R]
    assert earlier == []


def test_gtol_rule():
    ll = _table_with_optimum(6, 9, seed=3)
    for run in _train(ll, "mle", optimizer="lbfgs", gtol=1e-7, rtol=0.0, seeds=[0, 1]):
        assert run.stop_reason == "gtol" and run.steps < 500
        _, g = value_and_grad_fn("mle")(jnp.asarray(run.theta_best), jnp.asarray(ll), 0.0, 1.0)
        assert np.abs(np.asarray(g)).max() <= 10 * 1e-7 * np.ptp(ll)


def test_stopping_rule_is_scale_invariant():
    """An affine rescaling of the table (a sum vs a mean loss) changes neither
    Adam's path (up to its eps) nor the step at which the rule fires."""
    ll = _table_with_optimum(6, 9, seed=3)
    kw = dict(optimizer="adam", rtol=1e-7, gtol=1e-6, seeds=[0, 1])
    for x, y in zip(_train(ll, **kw), _train(ll / 100 + 3.0, **kw), strict=True):
        assert x.converged and x.stop_reason == y.stop_reason
        assert abs(x.steps - y.steps) <= 2
        np.testing.assert_allclose(probabilities(x.theta), probabilities(y.theta), atol=1e-6)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_steps_to_optimum_is_the_first_step_with_the_mode_in_the_set(optimizer):
    """Rerunning for exactly k steps (one process, other run lengths: no recompile
    needed) gives the angles after k steps: their mode is in the optimum set at
    k = steps_to_optimum and not at k - 1."""
    n, opt = 5, 0b10110
    perm = cnot_layer_permutation(n)
    ll = -3.0 * _popcount(perm ^ perm[opt]).astype(float) - 10.0
    (run,) = _train(ll, "mle", optimizer=optimizer, seeds=[3], rtol=0.0, gtol=0.0, max_steps=300)
    k = run.steps_to_optimum
    assert k is not None and 0 < k < run.steps
    for steps, inside in ((k, True), (k - 1, False)):
        theta = run.theta0
        if steps:
            (short,) = _train(
                ll,
                "mle",
                optimizer=optimizer,
                seeds=[3],
                rtol=0.0,
                gtol=0.0,
                max_steps=steps,
                min_steps=steps,
            )
            assert short.steps == steps
            theta = short.theta
        assert (int(np.argmax(probabilities(theta))) == opt) is inside
    assert run.seconds_to_optimum <= run.seconds


def test_no_recompilation_for_run_length_lr_lambda_or_table():
    """Runs that stop at different steps, with other learning rates, λ, tables
    and budgets in the same bucket (max_steps + 1 and max_steps / record_every + 1
    padded to powers of two) share one executable."""
    ll = _table_with_optimum(5, 3)
    lengths = {r.steps for r in _train(ll, "elbo", lam=1.0, optimizer="adam", max_steps=600)}
    _, advance, _ = _program("elbo", "ry_chain", "adam", 10)
    size = advance._cache_size()
    for max_steps, lr, lam, seed in ((630, 0.1, 3.0, 1), (540, 0.01, 0.1, 2), (520, 0.05, 10.0, 3)):
        runs = _train(
            _table_with_optimum(5, seed, seed),
            "elbo",
            lam=lam,
            lr=lr,
            optimizer="adam",
            max_steps=max_steps,
            min_steps=100,
            seeds=[seed, seed + 10],
        )
        lengths |= {r.steps for r in runs}
    assert advance._cache_size() == size
    assert len(lengths) >= 3


def test_minimize_is_maximize_of_the_negated_table():
    ll = _table_with_optimum(5, 3)
    (up,) = _train(ll, "elbo", lam=1.0, seeds=[2])
    (down,) = _train(-ll, "elbo", lam=1.0, maximize=False, seeds=[2])
    np.testing.assert_array_equal(up.theta, down.theta)
    assert down.objective == -up.objective and down.best_objective == -up.best_objective
    np.testing.assert_array_equal(down.trajectory["ell"], -up.trajectory["ell"])
    assert up.steps_to_optimum == down.steps_to_optimum


def test_resumed_run_is_bit_identical(tmp_path, monkeypatch):
    """A run interrupted after its first checkpoint resumes from it and ends
    exactly where the uninterrupted run ends."""
    ll = _table_with_optimum(6, 9)
    kw = dict(objective="selbo", lam=10.0, h=1.5, optimizer="adam", max_steps=900, seeds=[0, 1])
    whole = _train(ll, **kw)

    calls = {"n": 0}
    real_save = Checkpoint.save

    def crash_after_first(self, arrays, meta=None):
        real_save(self, arrays, meta)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoint, "save", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        _train(ll, checkpoint_dir=tmp_path / "ck", checkpoint_every=100, **kw)
    assert checkpoint_path(tmp_path / "ck", 0).is_file()
    resumed = _train(ll, checkpoint_dir=tmp_path / "ck", checkpoint_every=100, **kw)
    assert resumed[0].resumed and not resumed[1].resumed
    for a, b in zip(whole, resumed, strict=True):
        np.testing.assert_array_equal(a.theta, b.theta)
        np.testing.assert_array_equal(a.theta_best, b.theta_best)
        assert (a.steps, a.best_step, a.steps_to_optimum) == (
            b.steps,
            b.best_step,
            b.steps_to_optimum,
        )
        for col in TRAJECTORY_COLUMNS:
            np.testing.assert_array_equal(a.trajectory[col], b.trajectory[col])
    # a finished run's checkpoint is reused as it is; remove_checkpoints clears the folder
    again = _train(ll, checkpoint_dir=tmp_path / "ck", checkpoint_every=100, **kw)
    assert all(r.resumed for r in again)
    remove_run_checkpoints(tmp_path / "ck", kw["seeds"])
    assert not (tmp_path / "ck").exists()


def test_changed_configuration_does_not_resume(tmp_path):
    ll = _table_with_optimum(4, 1)
    _train(ll, optimizer="adam", max_steps=300, seeds=[0], checkpoint_dir=tmp_path, lr=0.05)
    (other,) = _train(
        ll, optimizer="adam", max_steps=300, seeds=[0], checkpoint_dir=tmp_path, lr=0.1
    )
    assert not other.resumed


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
        ({"optimizer": "sgd"}, "optimizer must be one of"),
        ({"rtol": -1.0}, "rtol must be"),
        ({"maximize": "yes"}, "maximize"),
        ({"optimum": [16]}, "optimum must be"),
        ({"checkpoint_every": -1}, "checkpoint_every"),
    ],
)
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        _train(np.zeros(16), **kw)


def test_bad_table_length():
    with pytest.raises(ValueError, match="table must be a 1-D table of length 2\\^n"):
        _train(np.zeros(10), "mle")


def test_too_many_qubits_for_exact_mode():
    with pytest.raises(ValueError, match=f"at most {MAX_EXACT_QUBITS} for exact mode"):
        _train(np.zeros(2**25, dtype=np.float32), "mle")


_CHILD = """
import sys, time
import numpy as np
from qhnet.training import train
from qhnet.training.checkpoint import Checkpoint

real_save = Checkpoint.save

def slow_save(self, arrays, meta=None):
    real_save(self, arrays, meta)
    time.sleep(60)  # the parent kills the process here, after the first checkpoint

Checkpoint.save = slow_save
rng = np.random.default_rng(0)
ll = -rng.uniform(20, 40, 2**6)
ll[9] = -5.0
train(ll, "elbo", lam=1.0, optimizer="adam", max_steps=900, seeds=[0],
      ansatz="ry_chain", layers=1, checkpoint_dir=sys.argv[1], checkpoint_every=200)
"""


def test_killed_process_resumes_bit_identical(tmp_path):
    """A training process killed (SIGKILL) after its first checkpoint; the rerun
    resumes from it and ends exactly like an uninterrupted run."""
    import subprocess
    import sys
    import time

    ck = tmp_path / "ck"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(ck)])
    try:
        deadline = time.time() + 120
        while not checkpoint_path(ck, 0).is_file() and time.time() < deadline:
            assert child.poll() is None, "the child ended before its first checkpoint"
            time.sleep(0.1)
        assert checkpoint_path(ck, 0).is_file()
    finally:
        child.kill()
        child.wait()
    ll = _table_with_optimum(6, 9)
    kw = dict(objective="elbo", lam=1.0, optimizer="adam", max_steps=900, seeds=[0])
    (resumed,) = _train(ll, checkpoint_dir=ck, checkpoint_every=200, **kw)
    (whole,) = _train(ll, **kw)
    assert resumed.resumed
    np.testing.assert_array_equal(resumed.theta, whole.theta)
    np.testing.assert_array_equal(resumed.trajectory["objective"], whole.trajectory["objective"])
    assert resumed.steps == whole.steps


def test_defaults_are_the_documented_ones():
    """train() without settings uses DEFAULTS (the benchmark's best, docs/training.md)."""
    ll = _table_with_optimum(4, 0b0110)
    (run,) = train(ll, seeds=[0])
    assert run.optimizer == DEFAULTS["optimizer"] and run.ansatz == DEFAULTS["ansatz"]
    assert run.theta.shape == angle_shape(DEFAULTS["ansatz"], 4, DEFAULTS["layers"])
