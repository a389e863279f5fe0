"""The classical baselines: checked against brute force and the enumeration."""

import jax.numpy as jnp
import numpy as np
import pytest

from qhnet.model.binn import all_bitstrings, enumerate_tables, logits, optimum_indices
from qhnet.model.datasets import make_dataset
from qhnet.training.baselines import _logits, simulated_annealing, straight_through


def _table(n, opt, seed=0):
    ll = -np.random.default_rng(seed).uniform(20, 40, 2**n)
    ll[opt] = -5.0
    return ll


@pytest.mark.parametrize("hidden", [0, 1, 2])
def test_forward_pass_matches_the_enumeration(hidden):
    """The STE's JAX forward pass gives every network the enumeration's logits."""
    ds = make_dataset("moons", 20, 10, 0)
    z = logits(ds.X_train, hidden)
    bits = all_bitstrings(z.shape[0].bit_length() - 1)
    ours = np.stack(
        [
            np.asarray(_logits(jnp.asarray(2.0 * b - 1), jnp.asarray(ds.X_train), hidden))
            for b in bits
        ]
    )
    np.testing.assert_allclose(ours, z, atol=1e-12)


def _ranks(ll):
    return np.argsort(np.argsort(-ll))  # 0 = the best network


def test_annealing_finds_the_optimum_of_a_real_table_and_is_deterministic():
    ds = make_dataset("gaussian", 60, 100, 0)
    ll = enumerate_tables(ds, hidden=2).ll_train
    opt = optimum_indices(ll)
    runs = simulated_annealing(ll, seeds=range(8), steps=4000)
    assert sum(bool(np.isin(r.best_index, opt)) for r in runs) >= 5
    for r in runs:
        assert r.evaluations == 4001 and ll[r.best_index] >= ll[r.index]
        if r.steps_to_optimum is not None:  # it stood on the optimum, so its best is one
            assert np.isin(r.best_index, opt)
    assert simulated_annealing(ll, seeds=[3], steps=4000)[0] == runs[3]


def test_annealing_at_one_step_moves_at_most_one_bit():
    (r,) = simulated_annealing(_table(10, 5), seeds=[0], steps=1)
    assert r.steps == 1 and bin(r.index ^ r.best_index).count("1") <= 1


def test_straight_through_reaches_good_networks_and_is_deterministic():
    ds = make_dataset("gaussian", 60, 100, 0)
    ll = enumerate_tables(ds, hidden=1).ll_train
    runs = straight_through(ds.X_train, ds.y_train, 1, seeds=range(8), steps=300, ll=ll)
    ranks = _ranks(ll)
    best = np.array([ranks[r.best_index] for r in runs])
    assert np.median(best) < 0.1 * ll.size and (best == 0).any()  # random starts: median ~ half
    for r in runs:
        assert ll[r.best_index] >= ll[r.index] - 1e-9 and r.evaluations == 301
        assert (r.steps_to_optimum is not None) == bool(np.isin(r.best_index, optimum_indices(ll)))
    again = straight_through(ds.X_train, ds.y_train, 1, seeds=[2], steps=300, ll=ll)
    assert again[0] == runs[2]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: simulated_annealing(np.zeros(10)), "length"),
        (lambda: simulated_annealing(np.zeros(8), steps=0), "steps"),
        (lambda: simulated_annealing(np.zeros(8), t_start=0.1, t_end=1.0), "t_end"),
        (lambda: straight_through(np.zeros((4, 2)), np.array([0, 1, 2, 0]), 1), "labels"),
        (lambda: straight_through(np.zeros((4, 2)), np.array([0, 1, 1, 0]), -1), "hidden"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
