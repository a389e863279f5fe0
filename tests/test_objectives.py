"""Entropy and MMD² against brute-force formulas; argument checks."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from qhnet.engine.objectives import (
    check_objective,
    entropy,
    hamming_kernel_matrix,
    kernel_apply,
    mmd2,
    mmd2_uniform,
)
from qhnet.validation import check_table


def _rand_dist(n, seed, sparsity=0.0):
    rng = np.random.default_rng(seed)
    q = rng.random(2**n) ** 3
    q[rng.random(2**n) < sparsity] = 0
    return q / q.sum()


@pytest.mark.parametrize("n", [1, 3, 6])
def test_entropy_bruteforce(n):
    q = _rand_dist(n, n, sparsity=0.3)
    ref = -sum(p * math.log(p) for p in q if p > 0)
    assert abs(float(entropy(jnp.asarray(q))) - ref) < 1e-12


def test_entropy_uniform_and_point_mass():
    n = 5
    assert abs(float(entropy(jnp.full(2**n, 2.0**-n))) - n * math.log(2)) < 1e-12
    e = np.zeros(2**n)
    e[3] = 1
    assert float(entropy(jnp.asarray(e))) == 0.0


@pytest.mark.parametrize(("n", "h"), [(1, 0.5), (3, 2.0), (5, 1.0), (7, 3.5)])
def test_kernel_apply_bruteforce(n, h):
    v = np.random.default_rng(0).normal(size=2**n)
    K = hamming_kernel_matrix(n, h)
    np.testing.assert_allclose(np.asarray(kernel_apply(jnp.asarray(v), h)), K @ v, atol=1e-12)


@pytest.mark.parametrize(("n", "h"), [(2, 0.7), (4, 2.0), (6, 1.5)])
def test_mmd2_uniform_bruteforce(n, h):
    q = _rand_dist(n, 1)
    p = np.full(2**n, 2.0**-n)
    K = hamming_kernel_matrix(n, h)
    ref = q @ K @ q - 2 * q @ K @ p + p @ K @ p
    assert abs(float(mmd2_uniform(jnp.asarray(q), h)) - ref) < 1e-12
    assert abs(float(mmd2(jnp.asarray(q), jnp.asarray(p), h)) - ref) < 1e-12


def test_mmd2_uniform_zero_at_uniform():
    assert abs(float(mmd2_uniform(jnp.full(64, 1 / 64), 2.0))) < 1e-14


def test_kernel_apply_large_n_no_dense_matrix():
    # n = 20: a dense kernel would need 8 TB; the Kronecker path is O(n 2^n)
    q = jnp.full(2**20, 2.0**-20)
    assert abs(float(mmd2_uniform(q, 5.0))) < 1e-12


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("adam",), "objective must be one of 'mle', 'elbo', 'selbo'"),
        (("elbo", -1.0), r"lam \(λ\) must be a finite number >= 0"),
        (("selbo", 1.0, 0.0), r"h \(MMD bandwidth\) must be a finite number > 0"),
        (("selbo", 1.0, -2.0), r"h \(MMD bandwidth\)"),
        (("elbo", float("nan")), "lam"),
    ],
)
def test_check_objective_rejects(args, match):
    with pytest.raises(ValueError, match=match):
        check_objective(*args)


@pytest.mark.parametrize(
    ("table", "kw", "match"),
    [
        (np.zeros(12), {}, "length 2\\^n"),
        (np.zeros((4, 4)), {}, "1-D table"),
        (np.zeros(8), {"n_qubits": 4}, "length 2\\^4 = 16"),
        (np.array([0.0, np.inf]), {}, "finite"),
    ],
)
def test_check_table_rejects(table, kw, match):
    with pytest.raises(ValueError, match=match):
        check_table(table, **kw)
