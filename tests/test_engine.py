"""Internals of the fast exact engine: every code path against plain NumPy references.

``state`` runs the first layers on thin factors (rank 2^L) and deeper layers on
the full vector, both with hand-written adjoints; ``objectives`` has its own log
and custom derivatives. test_circuit.py checks against PennyLane at n ≤ 7, where
only the first layer is factored; this file covers n ≥ 8 and deep circuits.
"""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qhnet.engine.circuit import _factored_layers, cnot_pairs, init_angles, state
from qhnet.engine.objectives import _log, entropy, hamming_kernel_matrix, mmd2_uniform


def _state_np(theta):
    """The ansatz as a plain NumPy statevector (one 2×2 mix per RY, one swap per CNOT)."""
    layers, n = theta.shape
    psi = np.zeros(2**n)
    psi[0] = 1.0
    for layer in range(layers):
        for i in range(n):
            c, s = np.cos(theta[layer, i] / 2), np.sin(theta[layer, i] / 2)
            x = psi.reshape(2**i, 2, -1)
            psi = np.stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1]], 1).reshape(-1)
        for ctl, tgt in cnot_pairs(n):
            x = psi.reshape(2**ctl, 2, 2 ** (tgt - ctl - 1), 2, -1).copy()
            x[:, 1] = x[:, 1, :, ::-1]
            psi = x.reshape(-1)
    return psi


def _grad_np(theta, ll, eps=1e-6):
    f = lambda t: float(_state_np(t) ** 2 @ ll)  # noqa: E731
    g = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        d = np.zeros_like(theta)
        d[idx] = eps
        g[idx] = (f(theta + d) - f(theta - d)) / (2 * eps)
    return g


@pytest.mark.parametrize(("n", "layers"), [(8, 1), (8, 2), (9, 2), (10, 3), (8, 5), (3, 4), (1, 3)])
def test_state_and_gradient_match_numpy(n, layers):
    theta = init_angles(n, layers, n + layers)
    ll = np.random.default_rng(n).normal(size=2**n)
    psi = jax.jit(state)(jnp.asarray(theta))
    np.testing.assert_allclose(np.asarray(psi), _state_np(theta), atol=1e-13)
    grad = jax.jit(jax.grad(lambda t: jnp.dot(state(t) ** 2, ll)))(jnp.asarray(theta))
    np.testing.assert_allclose(np.asarray(grad), _grad_np(theta, ll), atol=1e-7)


def test_both_engines_used():
    # n = 8: two factored layers, then the full-vector tail
    assert _factored_layers(8, 1) == 1 and _factored_layers(8, 2) == 2
    assert _factored_layers(8, 5) == 2 and _factored_layers(14, 9) == 4


@pytest.mark.parametrize(("n", "layers"), [(8, 2), (8, 4), (6, 1)])
def test_vmap_of_gradient(n, layers):
    thetas = jnp.asarray(np.stack([init_angles(n, layers, s) for s in range(3)]))
    ll = jnp.asarray(np.random.default_rng(1).normal(size=2**n))
    f = jax.jit(jax.grad(lambda t: jnp.dot(state(t) ** 2, ll)))
    batched = jax.jit(jax.vmap(f))(thetas)
    for t, g in zip(thetas, batched, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(f(t)), atol=1e-14)


def test_log_within_one_ulp():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [10 ** rng.uniform(-299, 0, 20000), rng.uniform(0, 1, 20000), [1.0, 0.5, 2.0, 1e-300]]
    )
    ref = np.log(x)
    got = np.asarray(_log(jnp.asarray(x)))
    assert np.all(np.abs(got - ref) <= np.spacing(np.abs(ref)))
    assert float(_log(jnp.float64(1.0))) == 0.0


def test_entropy_gradient_matches_closed_form():
    q = np.random.default_rng(2).dirichlet(np.ones(64))
    q[5] = 0.0
    g = np.asarray(jax.grad(entropy)(jnp.asarray(q)))
    expect = np.where(q > 0, -(np.log(np.where(q > 0, q, 1.0)) + 1.0), 0.0)
    np.testing.assert_allclose(g, expect, atol=1e-13)


def test_mmd2_gradients_in_q_and_h():
    n, h = 5, 1.7
    q = jnp.asarray(np.random.default_rng(3).dirichlet(np.ones(2**n)))
    K = hamming_kernel_matrix(n, h)
    mmd = jax.jit(mmd2_uniform)
    gq = np.asarray(jax.jit(jax.grad(mmd2_uniform))(q, h))
    np.testing.assert_allclose(gq, 2 * K @ np.asarray(q), atol=1e-13)
    eps = 1e-6
    fd = (float(mmd(q, h + eps)) - float(mmd(q, h - eps))) / (2 * eps)
    assert abs(float(jax.jit(jax.grad(mmd2_uniform, argnums=1))(q, h)) - fd) < 1e-8


_BITS = """
import sys
import numpy as np
import jax.numpy as jnp
from qhnet.engine.circuit import init_angles
from qhnet.engine.objectives import value_and_grad_fn
ll = jnp.asarray(-np.random.default_rng(0).uniform(0.3, 0.8, 2**17))
out = []
for obj in ("mle", "elbo", "selbo"):
    v, g = value_and_grad_fn(obj)(jnp.asarray(init_angles(17, 2, 1)), ll, 0.5, 2.0)
    out.append(np.concatenate([[float(v)], np.asarray(g).ravel()]))
sys.stdout.write(np.concatenate(out).tobytes().hex())
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs at least two CPUs to compare one with all",
)
def test_same_bits_on_one_cpu_and_on_all():
    """XLA's intra-op pool has one thread whatever the cores (qhnet.engine._jax): a
    2^17-amplitude objective and its gradient have the same bits pinned to one CPU
    as with every CPU the process may use (with a wider pool they differ in the
    last bits, because large reductions are split across threads)."""

    def run(cpus):
        proc = subprocess.run(
            [sys.executable, "-c", _BITS],
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=lambda: os.sched_setaffinity(0, cpus),
        )
        return proc.stdout

    every = os.sched_getaffinity(0)
    assert run({min(every)}) == run(every)
